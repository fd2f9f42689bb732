//! `cargo xtask pkg [--out DIR]`: the module as an npm package (default
//! `target/npm/resize-image-module`), written by the host from the module it embeds and serves,
//! so the package's bytes and sha256 are the server's.

use std::path::Path;

use crate::run::{cargo, step};

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let out = match args.iter().position(|a| a == "--out") {
        Some(i) => root.join(args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--out needs a directory"))?),
        None => root.join("target/npm/resize-image-module"),
    };
    let mut package = cargo(["run", "--release", "--locked", "-p", "lambda-host", "--", "package", "--out"]);
    package.arg(&out);
    step(root, "npm package of the module", package)
}
