//! Running steps: each one printed before it starts and timed, the times listed at the end.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

static TIMES: Mutex<Vec<(String, Duration)>> = Mutex::new(Vec::new());
/// When the earliest recorded step started: steps run side by side, so their times add up to
/// more than the run took.
static STARTED: Mutex<Option<Instant>> = Mutex::new(None);
/// What a run could not do here, repeated under the times so nobody misses it.
static NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The temporary directory (TMPDIR) of every command a run starts, once `scratch` made it.
static SCRATCH: OnceLock<PathBuf> = OnceLock::new();

/// A temporary directory of the run's own, given to every command as TMPDIR: the tests' servers,
/// stores, unpacked zips and browser profiles go there, and some outlive the test that made them
/// (servers shared by a test binary live until it exits). Returned so the caller can remove it.
pub fn scratch() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("resize-xtask-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    Ok(SCRATCH.get_or_init(|| dir).clone())
}

fn in_scratch(command: &mut Command) {
    if let Some(scratch) = SCRATCH.get() {
        command.env("TMPDIR", scratch);
    }
}

pub fn note(text: &str) {
    NOTES.lock().unwrap().push(text.to_string());
}

pub fn step(dir: &Path, name: &str, mut command: Command) -> anyhow::Result<()> {
    println!("xtask: == {name}: {command:?}");
    in_scratch(&mut command);
    let start = Instant::now();
    let status = command.current_dir(dir).status().with_context(|| format!("{name}: could not start {command:?}"));
    record(name, start.elapsed());
    if !status?.success() {
        bail!("{name} failed");
    }
    Ok(())
}

/// Runs `command` and returns its standard output; standard error is shown as it comes.
pub fn output(dir: &Path, name: &str, mut command: Command) -> anyhow::Result<std::process::Output> {
    println!("xtask: == {name}: {command:?}");
    in_scratch(&mut command);
    let start = Instant::now();
    let output = command.current_dir(dir).output().with_context(|| format!("{name}: could not start {command:?}"));
    record(name, start.elapsed());
    output
}

pub fn record(name: &str, took: Duration) {
    let mut started = STARTED.lock().unwrap();
    let start = Instant::now() - took;
    *started = Some(started.map_or(start, |earliest| earliest.min(start)));
    TIMES.lock().unwrap().push((name.to_string(), took));
}

/// Every step's wall time, longest first, their sum and the run's wall time (`cargo xtask test`
/// prints them at the end, failed or not).
pub fn print_times() {
    let mut times = TIMES.lock().unwrap().clone();
    if times.is_empty() {
        return;
    }
    let total: Duration = times.iter().map(|(_, t)| *t).sum();
    times.sort_by_key(|(_, took)| std::cmp::Reverse(*took));
    println!("\nxtask: step times (longest first)");
    for (name, took) in &times {
        println!("  {:>7.1} s  {name}", took.as_secs_f64());
    }
    println!("  {:>7.1} s  all steps added up (some run side by side)", total.as_secs_f64());
    if let Some(started) = *STARTED.lock().unwrap() {
        println!("  {:>7.1} s  wall time since the first step started", started.elapsed().as_secs_f64());
    }
    for note in NOTES.lock().unwrap().iter() {
        println!("xtask: NOTE: {note}");
    }
}

pub fn cargo<const N: usize>(args: [&str; N]) -> Command {
    command(std::env::var("CARGO").as_deref().unwrap_or("cargo"), args)
}

pub fn command<const N: usize>(program: &str, args: [&str; N]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    command
}
