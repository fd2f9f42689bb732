//! `cargo xtask lambda`: target/lambda/{x86_64,arm64}/lambda-host/bootstrap.zip, each holding
//! `bootstrap` and the module precompiled for that architecture beside it.
//!
//! x86_64's bootstrap is the plain release build of this machine (the one `cargo run --release`
//! and the tests use; its glibc needs are checked by tests/package.rs). arm64's, the one deployed,
//! is cross-built by cargo-lambda with zig linking against an old glibc.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::run::{cargo, command, step};
use crate::tools::{python_tools, venv_bin};

/// Builds the native release host with `native_build`, the arm64 bootstrap, and both zips.
pub fn package_with(root: &Path, native_build: (&str, Command)) -> anyhow::Result<()> {
    python_tools(root)?;
    step(root, native_build.0, native_build.1)?;
    package_built(root)
}

/// After the native release build (and the python tools, for cargo-lambda): the arm64 bootstrap
/// and both zips.
pub fn package_built(root: &Path) -> anyhow::Result<()> {
    build_arm64(root)?;
    zips(root)
}

/// The arm64 bootstrap, cross-built by cargo-lambda with zig.
pub fn build_arm64(root: &Path) -> anyhow::Result<()> {
    step(root, "aarch64 target", command("rustup", ["target", "add", "aarch64-unknown-linux-gnu"]))?;
    let arm64 = root.join("target/lambda/arm64");
    // The workspace's release profile, not cargo-lambda's (which aborts on panic). No compiler:
    // the zip carries the module precompiled (lambda-host's `compiler` feature).
    let build =
        ["build", "--release", "--disable-optimizations", "--locked", "-p", "lambda-host", "--no-default-features"];
    let mut build = cargo_lambda(root, build);
    build.arg("--arm64").arg("--lambda-dir").arg(&arm64).arg("--manifest-path").arg(root.join("Cargo.toml"));
    step(root, "lambda bootstrap for arm64 (cargo-lambda, zig)", build)
}

/// Both zips, from the native release build and the arm64 bootstrap: each bootstrap with the
/// module precompiled for its architecture.
pub fn zips(root: &Path) -> anyhow::Result<()> {
    let native = root.join("target/release/lambda-host");
    let arm64 = root.join("target/lambda/arm64");
    for (triple, dir, bootstrap) in [
        ("x86_64-unknown-linux-gnu", "x86_64", native.clone()),
        ("aarch64-unknown-linux-gnu", "arm64", arm64.join("lambda-host/bootstrap")),
    ] {
        let out = root.join("target/lambda").join(dir).join("lambda-host");
        std::fs::create_dir_all(&out)?;
        let module_dir = out.join("module");
        let _ = std::fs::remove_dir_all(&module_dir);
        // The native host compiles for either architecture (wasmtime's all-arch).
        let mut precompile = Command::new(&native);
        precompile.args(["precompile", "--target", triple, "--out"]).arg(&module_dir);
        step(root, &format!("module precompiled for {dir}"), precompile)?;
        let module = std::fs::read_dir(&module_dir)?.next().context("precompile wrote nothing")??.path();
        zip(root, &out.join("bootstrap.zip"), &bootstrap, &module)?;
    }
    println!("xtask: Lambda zips in target/lambda/{{x86_64,arm64}}/lambda-host/bootstrap.zip");
    Ok(())
}

pub fn package(root: &Path) -> anyhow::Result<()> {
    package_with(root, ("host release build (x86_64)", cargo(["build", "--release", "--locked", "-p", "lambda-host"])))
}

/// `bootstrap` (mode 755, as Lambda reads it from the zip) and the module, at the zip's top.
fn zip(root: &Path, zip: &Path, bootstrap: &Path, module: &Path) -> anyhow::Result<()> {
    const WRITE: &str = "import sys, zipfile\n\
        with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
        \x20   for path, name, mode in [(sys.argv[2], 'bootstrap', 0o755), (sys.argv[3], sys.argv[4], 0o644)]:\n\
        \x20       info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))\n\
        \x20       info.external_attr, info.compress_type = (0o100000 | mode) << 16, zipfile.ZIP_DEFLATED\n\
        \x20       z.writestr(info, open(path, 'rb').read())\n";
    let name: PathBuf = module.file_name().context("module file")?.into();
    let mut write = command("python3", ["-c", WRITE]);
    write.arg(zip).arg(bootstrap).arg(module).arg(name);
    step(root, &format!("zip {}", zip.strip_prefix(root).unwrap_or(zip).display()), write)
}

fn cargo_lambda<const N: usize>(root: &Path, args: [&str; N]) -> Command {
    let mut command = venv_bin(root, "cargo-lambda");
    command.arg("lambda").args(args);
    // cargo-lambda finds zig (PyPI ziglang) through the venv's python3; the same PATH every time,
    // or build scripts that watch it rebuild.
    let venv_bin = root.join(".tools/venv/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(venv_bin).chain(std::env::split_paths(&path));
    command.env("PATH", std::env::join_paths(paths).expect("PATH entries join"));
    command
}
