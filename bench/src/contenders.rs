//! The contenders, each a long-lived worker process pinned to one CPU, driven by batches over
//! its stdin (protocol in `worker.rs`). CPU time is read from /proc for every worker alike.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::Context;

use crate::worker::{Answer, Batch};

/// Everything the workers need on disk.
#[derive(Debug, Clone)]
pub struct Setup {
    /// This executable (our workers).
    pub bench: PathBuf,
    /// bench/peers (the Node and Python workers).
    pub peers: PathBuf,
    /// The Python with Pillow and pyvips.
    pub python: PathBuf,
    /// Precompiled module for the wasmtime worker.
    pub cwasm_dir: PathBuf,
    /// The CPU every worker is pinned to.
    pub cpu: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    Wasmtime,
    Native,
    Sharp,
    Pyvips,
    Pillow,
    PillowDraft,
}

impl Contender {
    pub const ALL: [Contender; 6] =
        [Self::Wasmtime, Self::Native, Self::Sharp, Self::Pyvips, Self::Pillow, Self::PillowDraft];

    pub fn name(self) -> &'static str {
        match self {
            Self::Wasmtime => "module in wasmtime",
            Self::Native => "same code native",
            Self::Sharp => "sharp",
            Self::Pyvips => "pyvips",
            Self::Pillow => "Pillow",
            Self::PillowDraft => "Pillow + draft()",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Self::Wasmtime => "wasmtime",
            Self::Native => "native",
            Self::Sharp => "sharp",
            Self::Pyvips => "pyvips",
            Self::Pillow => "pillow",
            Self::PillowDraft => "pillow-draft",
        }
    }

    /// A peer, as opposed to our own code.
    pub fn is_peer(self) -> bool {
        !matches!(self, Self::Wasmtime | Self::Native)
    }

    /// The command line for `mode` ("worker", or "cold" followed by its arguments), unpinned.
    pub fn command(self, setup: &Setup, mode: &[&str]) -> Command {
        let mut command = match self {
            Self::Wasmtime | Self::Native => {
                let mut c = Command::new(&setup.bench);
                self.mode_args(&mut c, mode);
                c.arg("--cwasm-dir").arg(&setup.cwasm_dir);
                c
            }
            Self::Sharp => {
                let mut c = Command::new("node");
                c.arg(setup.peers.join("sharp.mjs")).args(mode);
                c
            }
            Self::Pyvips | Self::Pillow | Self::PillowDraft => {
                let mut c = Command::new(&setup.python);
                c.arg(setup.peers.join("peers.py"));
                self.mode_args(&mut c, mode);
                c
            }
        };
        // Each library's own single-thread settings.
        command.env("UV_THREADPOOL_SIZE", "1").env("VIPS_CONCURRENCY", "1");
        command
    }
}

impl Contender {
    /// `MODE SLUG ARGS...`: the mode's first word, which of the worker's contenders, the rest.
    fn mode_args(self, command: &mut Command, mode: &[&str]) {
        let (first, rest) = mode.split_at(mode.len().min(1));
        command.args(first).arg(self.slug()).args(rest);
    }
}

/// `taskset -c CPU` around `command`: every contender on the same, one CPU.
pub fn pinned(cpu: usize, command: Command) -> Command {
    let mut pinned = Command::new("taskset");
    pinned.arg("-c").arg(cpu.to_string()).arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => pinned.env(key, value),
            None => pinned.env_remove(key),
        };
    }
    pinned
}

/// glibc's largest mmap threshold (32 MiB on 64-bit) and a trim threshold of 1 GiB.
const KEEP_FREED_MEMORY: &str = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824";

pub struct Worker {
    pub contender: Contender,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// One batch's figures.
#[derive(Debug, Clone)]
pub struct Measured {
    pub wall_ms: Vec<f64>,
    /// The worker's user + system CPU over the whole batch (every thread), in ms.
    pub cpu_ms: f64,
    pub answer: Answer,
}

impl Worker {
    pub fn start(contender: Contender, setup: &Setup) -> anyhow::Result<Self> {
        let mut command = contender.command(setup, &["worker"]);
        if !contender.is_peer() {
            // glibc returns a freed block of more than its (adaptive) mmap threshold to the
            // kernel, and the next job faults its pages in again: natively, T3 after a few T2s
            // spent 14 ms of its 30 in page faults. Fixed high, freed memory stays for the next
            // job, as the sandbox keeps linear memory resident between calls.
            command.env("GLIBC_TUNABLES", KEEP_FREED_MEMORY);
        }
        let mut command = pinned(setup.cpu, command);
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = command.spawn().with_context(|| format!("starting {} ({command:?})", contender.name()))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Self { contender, child, stdin, stdout })
    }

    pub fn run(&mut self, batch: &Batch) -> anyhow::Result<Measured> {
        let before = cpu_ms(self.child.id())?;
        serde_json::to_writer(&mut self.stdin, batch)?;
        self.stdin.write_all(b"\n")?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        anyhow::ensure!(!line.is_empty(), "{} exited", self.contender.name());
        let cpu = cpu_ms(self.child.id())? - before;
        let answer: Answer =
            serde_json::from_str(&line).with_context(|| format!("{} said {line:?}", self.contender.name()))?;
        if let Some(error) = &answer.error {
            anyhow::bail!("{} failed on {} {}: {error}", self.contender.name(), batch.job, batch.input.display());
        }
        Ok(Measured { wall_ms: answer.wall_ms.clone(), cpu_ms: cpu, answer })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// utime + stime of process `pid` (all its threads) from /proc/PID/stat, in ms.
fn cpu_ms(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces), counted from field 3.
    let rest = &stat[stat.rfind(')').context("stat format")? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks * 1000.0 / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

pub fn out_dir(work: &Path, contender: Contender, label: &str) -> PathBuf {
    work.join("out").join(label).join(contender.slug())
}
