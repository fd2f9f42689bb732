//! Runs the resize module in wasmtime. Built once: Config -> Engine -> Module (precompiled when
//! a matching `.cwasm` is at hand) -> Linker -> InstancePre. Per call: a fresh Store + Instance,
//! so no memory is shared between requests, with a memory cap and a deadline attached.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use resize_wasm::{ErrorInfo, Manifest, Request};
use thiserror::Error;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module, PoolingAllocationConfig, ResourceLimiter,
    Store, Trap, TypedFunc,
};

/// The epoch advances this often; deadlines are counted in these ticks.
const TICK: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy)]
pub struct SandboxLimits {
    /// Most linear memory one call may use.
    pub memory_bytes: usize,
    /// Longest one call may run.
    pub deadline: Duration,
    /// Calls that may run at once (sizes the instance pool).
    pub concurrency: u32,
    /// A slot's first bytes of linear memory are zeroed for its next call instead of handed back
    /// to the kernel, so the next call writes to resident pages instead of faulting each one in.
    /// 64 MiB (the default): T2 in wasmtime 5-10% faster, the alpha PNG's seed job ~20%; the small
    /// soak's peak RSS 95 -> 183 MiB.
    pub keep_resident_bytes: usize,
}

#[derive(Debug, Error)]
pub enum SandboxError {
    /// The module refused the input or the request (its own typed error).
    #[error("{}", .0.message)]
    Module(ErrorInfo),
    #[error("processing needed more than the {limit_mib} MiB memory limit")]
    MemoryLimit { limit_mib: usize },
    #[error("processing took longer than the {deadline_ms} ms deadline")]
    Deadline { deadline_ms: u128 },
    /// A bug in the module or the host, not the input's fault.
    #[error("the resize module failed: {0}")]
    Internal(String),
}

/// The module's output, copied out of the instance.
#[derive(Debug, Clone)]
pub struct Processed {
    pub manifest: Manifest,
    pub variants: Vec<Vec<u8>>,
}

pub struct Sandbox {
    engine: Engine,
    pre: InstancePre<CallState>,
    limits: SandboxLimits,
    stop_ticker: Arc<AtomicBool>,
}

struct CallState {
    memory_limit: usize,
    memory_limit_hit: bool,
}

impl ResourceLimiter for CallState {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = desired <= self.memory_limit;
        self.memory_limit_hit |= !allowed;
        Ok(allowed)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// How the module was loaded, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadedFrom {
    Precompiled(PathBuf),
    Compiled,
}

impl Sandbox {
    /// Loads `wasm`, preferring `cwasm_dir/<name from cwasm_file_name>` when it exists and fits this engine.
    pub fn new(wasm: &[u8], cwasm_dir: Option<&Path>, limits: SandboxLimits) -> anyhow::Result<(Self, LoadedFrom)> {
        let engine = Engine::new(&engine_config(limits))?;
        let (module, loaded_from) = load_module(&engine, wasm, cwasm_dir)?;

        let mut linker = Linker::new(&engine);
        // wasm-bindgen's JS imports are never reached on the C-ABI path.
        linker.define_unknown_imports_as_traps(&module)?;
        let pre = linker.instantiate_pre(&module)?;

        let sandbox = Self { engine, pre, limits, stop_ticker: Arc::new(AtomicBool::new(false)) };
        sandbox.check_abi_version()?;
        sandbox.start_ticker();
        Ok((sandbox, loaded_from))
    }

    /// Compiles `wasm` for this machine's engine: the bytes of a `.cwasm` file.
    /// For this machine, or for `target` (a Rust target triple such as aarch64-unknown-linux-gnu),
    /// then with baseline CPU features, so the result runs on any CPU of that architecture.
    #[cfg(feature = "compiler")]
    pub fn precompile(wasm: &[u8], limits: SandboxLimits, target: Option<&str>) -> anyhow::Result<Vec<u8>> {
        let mut config = engine_config(limits);
        if let Some(target) = target {
            config.target(target)?;
        }
        Ok(Engine::new(&config)?.precompile_module(wasm)?)
    }

    /// `precompile` written into `dir` under `cwasm_file_name`, by rename: a server maps the
    /// file it loaded (`load_module`), so a file in use must be replaced, never rewritten.
    #[cfg(feature = "compiler")]
    pub fn precompile_into(
        dir: &Path,
        wasm: &[u8],
        limits: SandboxLimits,
        target: Option<&str>,
    ) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let name = cwasm_file_name(wasm);
        let partial = dir.join(format!(".{name}.{}.partial", std::process::id()));
        let path = dir.join(name);
        std::fs::write(&partial, Self::precompile(wasm, limits, target)?)?;
        std::fs::rename(&partial, &path)?;
        Ok(path)
    }

    /// Runs the module on `input`: fresh Store and Instance, capped memory, deadline.
    pub fn process(&self, input: &[u8], request: &Request) -> Result<Processed, SandboxError> {
        let request = serde_json::to_vec(request).map_err(|e| SandboxError::Internal(e.to_string()))?;
        let mut store =
            Store::new(&self.engine, CallState { memory_limit: self.limits.memory_bytes, memory_limit_hit: false });
        store.limiter(|state| state);
        store.set_epoch_deadline(deadline_ticks(self.limits.deadline));

        let result = self.call(&mut store, input, &request);
        result.map_err(|e| self.classify(&store, e))?
    }

    fn call(
        &self,
        store: &mut Store<CallState>,
        input: &[u8],
        request: &[u8],
    ) -> wasmtime::Result<Result<Processed, SandboxError>> {
        let instance = self.pre.instantiate(&mut *store)?;
        let memory = instance
            .get_memory(&mut *store, "memory")
            .ok_or_else(|| wasmtime::Error::msg("module exports no memory"))?;
        let alloc: TypedFunc<u32, u32> = instance.get_typed_func(&mut *store, "resize_alloc")?;
        let process: TypedFunc<(u32, u32, u32, u32), u32> = instance.get_typed_func(&mut *store, "resize_process")?;
        let result_ptr: TypedFunc<(), u32> = instance.get_typed_func(&mut *store, "resize_result_ptr")?;
        let result_len: TypedFunc<(), u32> = instance.get_typed_func(&mut *store, "resize_result_len")?;

        let copy_in = |store: &mut Store<CallState>, bytes: &[u8]| -> wasmtime::Result<(u32, u32)> {
            let len = u32::try_from(bytes.len())?;
            let ptr = alloc.call(&mut *store, len)?;
            memory.write(&mut *store, ptr as usize, bytes)?;
            Ok((ptr, len))
        };
        let (input_ptr, input_len) = copy_in(store, input)?;
        let (request_ptr, request_len) = copy_in(store, request)?;
        let status = process.call(&mut *store, (input_ptr, input_len, request_ptr, request_len))?;

        let (ptr, len) = (result_ptr.call(&mut *store, ())? as usize, result_len.call(&mut *store, ())? as usize);
        let bytes =
            memory.data(&*store).get(ptr..ptr + len).ok_or_else(|| wasmtime::Error::msg("result outside memory"))?;
        Ok(match status {
            0 => {
                let (manifest, variants) = resize_wasm::unpack(bytes).map_err(wasmtime::Error::msg)?;
                Ok(Processed { manifest, variants: variants.into_iter().map(<[u8]>::to_vec).collect() })
            }
            _ => Err(SandboxError::Module(serde_json::from_slice(bytes)?)),
        })
    }

    /// Tells a limit the input ran into from a fault of the module.
    fn classify(&self, store: &Store<CallState>, error: wasmtime::Error) -> SandboxError {
        if store.data().memory_limit_hit {
            SandboxError::MemoryLimit { limit_mib: self.limits.memory_bytes >> 20 }
        } else if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            SandboxError::Deadline { deadline_ms: self.limits.deadline.as_millis() }
        } else {
            SandboxError::Internal(format!("{error:#}"))
        }
    }

    fn check_abi_version(&self) -> anyhow::Result<()> {
        let mut store =
            Store::new(&self.engine, CallState { memory_limit: self.limits.memory_bytes, memory_limit_hit: false });
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = self.pre.instantiate(&mut store)?;
        let version: TypedFunc<(), u32> = instance.get_typed_func(&mut store, "resize_abi_version")?;
        let found = version.call(&mut store, ())?;
        anyhow::ensure!(
            found == resize_wasm::ABI_VERSION,
            "module ABI version {found}, host expects {}",
            resize_wasm::ABI_VERSION
        );
        Ok(())
    }

    /// One thread advances the engine's epoch; a call past its deadline traps at its next check.
    fn start_ticker(&self) {
        let engine = self.engine.weak();
        let stop = self.stop_ticker.clone();
        std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .expect("spawn epoch thread");
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

fn engine_config(limits: SandboxLimits) -> Config {
    let mut config = Config::new();
    #[cfg(feature = "compiler")]
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    config.epoch_interruption(true);
    let mut pool = PoolingAllocationConfig::default();
    // Room for the calls in flight plus the start-up check; wasm-bindgen modules have 2 tables.
    let slots = limits.concurrency.saturating_mul(2).max(2);
    pool.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots * 2)
        .max_tables_per_module(2)
        .total_gc_heaps(slots)
        .max_memory_size(limits.memory_bytes)
        .linear_memory_keep_resident(limits.keep_resident_bytes)
        // Where the kernel has PAGEMAP_SCAN (Linux 6.7+), a finished call's memory is reset by
        // zeroing only the pages it wrote, found by the kernel, instead of every byte up to the
        // keep-resident size; elsewhere wasmtime zeroes as before (docs/decisions.md).
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
}

fn load_module(engine: &Engine, wasm: &[u8], cwasm_dir: Option<&Path>) -> anyhow::Result<(Module, LoadedFrom)> {
    if let Some(path) = cwasm_dir.map(|dir| dir.join(cwasm_file_name(wasm))) {
        // Mapped, not read: a cold start faults in only the pages it runs, from the page cache
        // and many at a time, where reading copied all 7 MB twice (into a buffer, then into
        // executable memory): 3600 page faults of the 7600 of a cold T2 (docs/decisions.md).
        match std::fs::File::open(&path) {
            // SAFETY: the file's name carries the sha256 of the wasm it was compiled from, and
            // wasmtime checks that it was made by this wasmtime version with this configuration.
            // Mapped pages must not change while the module lives: `precompile_into` replaces a
            // file by rename (the mapping keeps the old one), and Lambda's code is read-only.
            Ok(file) => match unsafe { Module::deserialize_open_file(engine, file) } {
                Ok(module) => return Ok((module, LoadedFrom::Precompiled(path))),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "precompiled module does not fit this engine; compiling instead")
                }
            },
            Err(_) => tracing::info!(path = %path.display(), "no precompiled module; compiling (about a second)"),
        }
    }
    compile(engine, wasm)
}

#[cfg(feature = "compiler")]
fn compile(engine: &Engine, wasm: &[u8]) -> anyhow::Result<(Module, LoadedFrom)> {
    Ok((Module::new(engine, wasm)?, LoadedFrom::Compiled))
}

#[cfg(not(feature = "compiler"))]
fn compile(_: &Engine, wasm: &[u8]) -> anyhow::Result<(Module, LoadedFrom)> {
    anyhow::bail!(
        "this build runs only precompiled modules (no compiler): put {} beside the executable or in \
         --cwasm-dir (`lambda-host precompile` from a build with the compiler makes it)",
        cwasm_file_name(wasm)
    )
}

/// `resize-<first 16 hex of the wasm's sha256>.cwasm`: a stale file is simply not found.
pub fn cwasm_file_name(wasm: &[u8]) -> String {
    format!("resize-{}.cwasm", &crate::module::wasm_sha256(wasm)[..16])
}

fn deadline_ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() / TICK.as_millis()).max(1) as u64 + 1
}
