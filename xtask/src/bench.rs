//! `cargo xtask bench [--quick]`: installs the peers (sharp from npm into bench/peers, Pillow and
//! pyvips from PyPI into .tools/venv), reuses the test command's release build, and runs
//! `resize-bench run` from the repo's root (it writes docs/benchmarks.md; `--quick` writes only
//! under target/bench).

use std::path::Path;
use std::process::Command;

use crate::run::step;
use crate::test::test_build;
use crate::tools::{npm_ci, python_tools};

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    python_tools(root)?;
    npm_ci(&root.join("bench/peers"), "sharp, for the bench")?;
    step(root, "release build (the test command's)", test_build())?;
    let mut bench = Command::new(root.join("target/release/resize-bench"));
    bench.arg("run").args(args);
    step(root, "bench", bench)
}
