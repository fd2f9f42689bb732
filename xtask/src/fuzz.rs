//! `cargo xtask fuzz [--seconds N] [TARGET...]`: the cargo-fuzz targets in `fuzz/` (libFuzzer,
//! nightly toolchain, AddressSanitizer but for the sandbox target), each for N seconds (default
//! 60), seeded from the fixtures and the shared corpus. The sandbox target embeds the module the
//! release build made (the one the server runs). New inputs collect in `fuzz/corpus/TARGET`,
//! crashes in `fuzz/artifacts/TARGET`. Prints executions, coverage and crashes per target.
//!
//! `cargo xtask fuzz --quick` is the test command's short run: the two module targets, 30 s each,
//! built without optimisation or AddressSanitizer (an optimised, instrumented build takes 6
//! minutes here, this one about 1) in `target/fuzz-quick`, seeded from the small fixtures only,
//! so the harnesses cannot rot and shallow crashes show up in CI.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::run::{command, step};
use crate::test::{linted, test_build};
use crate::tools::python_tools;

const TARGETS: [&str; 3] = ["process_image", "process_request", "sandbox"];

/// How a run is built and seeded.
struct Mode {
    seconds: u64,
    targets: Vec<String>,
    /// `--quick`: unoptimised build, small seeds, its own target and corpus folders.
    quick: bool,
}

/// Seeds larger than this are left out of quick runs: the unoptimised build decodes a 130 KB
/// photo in about a second.
const QUICK_MAX_LEN: u64 = 16 << 10;

/// What libFuzzer reported for one target.
struct Stats {
    target: String,
    seconds: u64,
    executions: u64,
    coverage: String,
    crashed: bool,
}

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let Mode { seconds, targets, quick } = parse(args)?;
    if !root.join(".tools/venv/bin/cargo-fuzz").exists() {
        python_tools(root)?;
    }
    if !String::from_utf8(command("rustup", ["toolchain", "list"]).output()?.stdout)?.contains("nightly") {
        step(
            root,
            "nightly toolchain",
            command("rustup", ["toolchain", "install", "nightly", "--profile", "minimal"]),
        )?;
    }
    if targets.iter().any(|t| t == "sandbox") {
        step(root, "release build (the test command's: the module the sandbox target runs)", linted(test_build())?)?;
    }
    let mut stats = Vec::new();
    for target in &targets {
        let seeds = seeds(root, target, quick)?;
        let corpus = if quick { root.join("target/fuzz-quick/corpus") } else { root.join("fuzz/corpus") }.join(target);
        std::fs::create_dir_all(&corpus)?;
        let mut fuzz = cargo_fuzz(root, target, quick);
        let max_len = if quick { QUICK_MAX_LEN } else { 256 << 10 };
        fuzz.arg(&corpus).arg(&seeds).arg("--").args([
            format!("-max_total_time={seconds}"),
            format!("-max_len={max_len}"),
            "-timeout=10".into(),
            "-rss_limit_mb=3072".into(),
            "-print_final_stats=1".into(),
        ]);
        let log = root.join(if quick { "target/fuzz-quick" } else { "fuzz/artifacts" }).join(format!("{target}.log"));
        std::fs::create_dir_all(log.parent().unwrap())?;
        fuzz.stderr(std::fs::File::create(&log)?);
        let status = crate::run::output(root, &format!("fuzz {target} for {seconds} s"), fuzz)?.status;
        let text = std::fs::read_to_string(&log)?;
        stats.push(Stats {
            target: target.clone(),
            seconds,
            executions: final_stat(&text, "stat::number_of_executed_units:").unwrap_or(0),
            coverage: coverage(&text),
            crashed: !status.success(),
        });
    }
    println!("\n| target | seconds | executions | exec/s | coverage at the end | result |\n|---|---|---|---|---|---|");
    for s in &stats {
        let rate = s.executions / s.seconds.max(1);
        let result = if s.crashed { "CRASH: see fuzz/artifacts" } else { "no crash" };
        println!("| {} | {} | {} | {rate} | {} | {result} |", s.target, s.seconds, s.executions, s.coverage);
    }
    let crashed: Vec<_> = stats.iter().filter(|s| s.crashed).map(|s| s.target.as_str()).collect();
    anyhow::ensure!(crashed.is_empty(), "fuzzing found crashes in {crashed:?}: fuzz/artifacts/ (and the logs there)");
    Ok(())
}

fn parse(args: &[String]) -> anyhow::Result<Mode> {
    let (mut seconds, mut targets, mut quick) = (None, Vec::new(), false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--quick" {
            quick = true;
        } else if arg == "--seconds" {
            seconds = Some(args.next().context("--seconds N")?.parse().context("--seconds N")?);
        } else if TARGETS.contains(&arg.as_str()) {
            targets.push(arg.clone());
        } else {
            anyhow::bail!("cargo xtask fuzz [--quick] [--seconds N] [{}]", TARGETS.join(" | "));
        }
    }
    if targets.is_empty() {
        // The sandbox target instruments wasmtime too: too long a build for the test command.
        let all = if quick { &TARGETS[..2] } else { &TARGETS[..] };
        targets = all.iter().map(|t| t.to_string()).collect();
    }
    anyhow::ensure!(!(quick && targets.iter().any(|t| t == "sandbox")), "--quick runs the module's targets only");
    Ok(Mode { seconds: seconds.unwrap_or(if quick { 30 } else { 60 }), targets, quick })
}

/// `cargo +nightly fuzz run TARGET` with cargo-fuzz from the venv; the sandbox target (which
/// alone builds the host) runs without AddressSanitizer (wasmtime handles its guard pages' faults)
/// and with 16 codegen units (one unit per crate makes wasmtime's build long and serial).
fn cargo_fuzz(root: &Path, target: &str, quick: bool) -> Command {
    let mut fuzz = command("cargo", ["+nightly", "fuzz", "run", "--fuzz-dir"]);
    fuzz.arg(root.join("fuzz")).args(["--debug-assertions", target]);
    if target == "sandbox" {
        fuzz.args(["--features", "sandbox", "--sanitizer", "none", "--codegen-units", "16"]);
    }
    if quick {
        // Line tables are all a crash's stack trace needs; full debug info is slower to build.
        // Without AddressSanitizer the build takes 120 s of CPU instead of 180 (it shares the cores
        // with the arm64 build); the long runs keep it.
        fuzz.args(["--dev", "--sanitizer", "none", "--target-dir"]).arg(root.join("target/fuzz-quick"));
        fuzz.env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only");
    }
    let module = root.join("target/wasm/wasm32-unknown-unknown/module/resize_wasm.wasm");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(root.join(".tools/venv/bin")).chain(std::env::split_paths(&path));
    fuzz.env("PATH", std::env::join_paths(paths).expect("PATH entries join")).env("RESIZE_MODULE_WASM", module);
    fuzz
}

/// The seed inputs: every fixture and corpus image (quick runs: the small fixtures); for
/// `process_request`, each behind a few requests (u16 length, JSON), as that target reads its input.
fn seeds(root: &Path, target: &str, quick: bool) -> anyhow::Result<PathBuf> {
    let dir = root.join(if quick { "target/fuzz-quick/seeds" } else { "target/fuzz-seeds" }).join(target);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let folders: &[&str] = if quick {
        &["resize-wasm/tests/fixtures"]
    } else {
        &["resize-wasm/tests/fixtures", "resize-wasm/tests/fixtures/exif", "../shared/corpus", "../shared/corpus/exif"]
    };
    let mut images = Vec::new();
    for folder in folders {
        for entry in std::fs::read_dir(root.join(folder)).with_context(|| folder.to_string())? {
            let path = entry?.path();
            let small = path.metadata()?.len() <= QUICK_MAX_LEN;
            if path.is_file() && path.extension().is_some_and(|e| e != "py") && (small || !quick) {
                images.push(path);
            }
        }
    }
    let requests = [
        r#"{"variants":[{"width":456,"height":456},{"suffix":"_200","width":200,"height":200}]}"#,
        r##"{"variants":[{"width":300,"height":200,"fit":"contain","position":"left-top","format":"png","background":"#ff000080"}]}"##,
        r#"{"variants":[{"width":120,"height":90,"fit":"inside","format":"webp","withoutEnlargement":false}]}"#,
        r#"{"variants":[{"width":64,"height":640,"fit":"outside","progressive":true,"quality":5}],"limits":{"maxInputPixels":1000000,"maxInputDimension":4096,"maxOutputDimension":1024,"maxVariants":2}}"#,
        r#"{"variants":[{"width":50,"height":50,"fit":"fill"}],"stopAfter":"decode"}"#,
        r#"{"variants":[{"width":40,"height":30,"position":"attention"}],"crop":[3,2,20,11]}"#,
        r#"{"variants":[{"width":30,"height":40}],"focus":[7,1]}"#,
    ];
    for (i, image) in images.iter().enumerate() {
        let bytes = std::fs::read(image)?;
        if target == "process_request" {
            let request = requests[i % requests.len()].as_bytes();
            let mut seed = (request.len() as u16).to_le_bytes().to_vec();
            seed.extend_from_slice(request);
            seed.extend_from_slice(&bytes);
            std::fs::write(dir.join(format!("{i}")), seed)?;
        } else {
            std::fs::write(dir.join(format!("{i}")), bytes)?;
        }
    }
    Ok(dir)
}

/// The last value libFuzzer printed for `stat` (`-print_final_stats`).
fn final_stat(log: &str, stat: &str) -> Option<u64> {
    log.lines().rev().find_map(|line| line.strip_prefix(stat)?.trim().parse().ok())
}

/// `cov: N ft: M corp: C` from libFuzzer's last status line.
fn coverage(log: &str) -> String {
    let line = log.lines().rev().find(|l| l.contains(" cov: ")).unwrap_or_default();
    let field = |name: &str| line.split_whitespace().skip_while(|w| *w != name).nth(1).unwrap_or("?").to_string();
    format!("{} edges, {} features, corpus {}", field("cov:"), field("ft:"), field("corp:"))
}
