//! `cargo xtask soak [ARGS]`: the soak test (`resize-soak`, defaults: 2,000 uploads from 32
//! clients, S3 dead for 10 s) against the release build the test command makes; moto from the
//! venv. The test command runs a small one (soak/tests/small.rs) so the harness cannot rot.

use std::path::Path;
use std::process::Command;

use crate::run::step;
use crate::test::test_build;
use crate::tools::python_tools;

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    python_tools(root)?;
    step(root, "release build (the test command's)", test_build())?;
    let mut soak = Command::new(root.join("target/release/resize-soak"));
    soak.args(args);
    step(root, &format!("soak {}", args.join(" ")), soak)
}
