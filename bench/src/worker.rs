//! `resize-bench worker wasmtime|native`: our two contenders behind the workers' line protocol.
//!
//! Each line on stdin is a batch, `{"job", "input", "ops", "out"}` (plus `"stopAfter"` for the
//! stage profile); the answer is one line, `{"wallMs": [...], "outputs": [{"name", "bytes"}]}`,
//! with the last op's files written into `out`, or `{"error": "..."}`. The peers' scripts speak the
//! same protocol.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use lambda_host::config::ServiceArgs;
use lambda_host::sandbox::{Sandbox, SandboxLimits};
use resize_wasm::{Request, Stage};
use serde::{Deserialize, Serialize};

use crate::tasks::Job;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub job: String,
    pub input: PathBuf,
    pub ops: usize,
    pub out: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_after: Option<Stage>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    #[serde(default)]
    pub wall_ms: Vec<f64>,
    #[serde(default)]
    pub outputs: Vec<OutputFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputFile {
    pub name: String,
    pub bytes: usize,
}

/// The module as the server runs it (fresh Store and Instance per call, the server's default
/// limits, the precompiled module from `cwasm_dir`), or the same code as a native library.
pub enum Engine {
    Wasmtime(Sandbox),
    Native,
}

impl Engine {
    pub fn new(name: &str, cwasm_dir: &Path) -> anyhow::Result<Self> {
        match name {
            "wasmtime" => {
                let (sandbox, _) = Sandbox::new(lambda_host::module::WASM, Some(cwasm_dir), Self::server_limits()?)?;
                Ok(Self::Wasmtime(sandbox))
            }
            "native" => Ok(Self::Native),
            other => anyhow::bail!("unknown engine {other}: wasmtime or native"),
        }
    }

    /// `serve`'s default sandbox limits, with one call at a time.
    pub fn server_limits() -> anyhow::Result<SandboxLimits> {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            service: ServiceArgs,
        }
        let mut limits = Defaults::parse_from(["resize-bench"]).service.resolve()?.sandbox;
        limits.concurrency = 1;
        Ok(limits)
    }

    /// The variants' bytes, in the request's order.
    pub fn run(&self, input: &[u8], request: &Request) -> anyhow::Result<Vec<Vec<u8>>> {
        Ok(match self {
            Self::Wasmtime(sandbox) => sandbox.process(input, request)?.variants,
            Self::Native => resize_wasm::process(input, request)?.variants.into_iter().map(|v| v.bytes).collect(),
        })
    }
}

pub fn serve(engine_name: &str, cwasm_dir: &Path) -> anyhow::Result<()> {
    let engine = Engine::new(engine_name, cwasm_dir)?;
    let mut inputs: HashMap<PathBuf, Vec<u8>> = HashMap::new();
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let batch: Batch = serde_json::from_str(&line?).context("a batch line")?;
        let answer = run_batch(&engine, &mut inputs, &batch)
            .unwrap_or_else(|e| Answer { error: Some(format!("{e:#}")), ..Answer::default() });
        let mut out = stdout.lock();
        serde_json::to_writer(&mut out, &answer)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

/// One batch without the protocol (the cold-start process).
pub fn run_once(engine: &Engine, batch: &Batch) -> anyhow::Result<()> {
    run_batch(engine, &mut HashMap::new(), batch).map(drop)
}

fn run_batch(engine: &Engine, inputs: &mut HashMap<PathBuf, Vec<u8>>, batch: &Batch) -> anyhow::Result<Answer> {
    if !inputs.contains_key(&batch.input) {
        let bytes = std::fs::read(&batch.input).with_context(|| format!("reading {}", batch.input.display()))?;
        inputs.insert(batch.input.clone(), bytes);
    }
    let input = &inputs[&batch.input];
    let job = Job::from_id(&batch.job).context("unknown job")?;
    let mut request = job.request();
    request.stop_after = batch.stop_after;
    let mut wall_ms = Vec::with_capacity(batch.ops);
    let mut last = Vec::new();
    for _ in 0..batch.ops {
        let start = Instant::now();
        last = engine.run(input, &request)?;
        wall_ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let outputs = write_outputs(&batch.out, job, &last)?;
    Ok(Answer { wall_ms, outputs, error: None })
}

/// `<job>-<width>.<ext>`, as the peers name theirs.
fn write_outputs(out: &Path, job: Job, variants: &[Vec<u8>]) -> anyhow::Result<Vec<OutputFile>> {
    std::fs::create_dir_all(out)?;
    let request = job.request();
    let mut files = Vec::new();
    for (variant, bytes) in request.variants.iter().zip(variants) {
        let name = format!("{}-{}.{}", job.id(), variant.width, variant.format.name());
        std::fs::write(out.join(&name), bytes)?;
        files.push(OutputFile { name, bytes: bytes.len() });
    }
    Ok(files)
}
