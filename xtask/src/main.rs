//! `cargo xtask test`: the README's test command. Installs what is missing, then runs every
//! check and test; a missing tool is an error with the fix in the message, never a skip.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "test" => test(&root),
        _ => bail!("usage: cargo xtask test"),
    }
}

fn test(root: &Path) -> anyhow::Result<()> {
    rust_parts(root)?;
    step(root, "format", cargo(["fmt", "--all", "--check"]))?;
    step(root, "lint", cargo(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))?;
    step(
        root,
        "lint (module as wasm)",
        cargo([
            "clippy",
            "-p",
            "resize-wasm",
            "--target",
            "wasm32-unknown-unknown",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step(root, "rust tests", cargo(["test", "--workspace", "--locked"]))?;
    println!("xtask: all checks passed");
    Ok(())
}

/// rustup installs a toolchain file's targets and components only with the toolchain itself.
fn rust_parts(root: &Path) -> anyhow::Result<()> {
    step(root, "wasm32 target", command("rustup", ["target", "add", "wasm32-unknown-unknown"]))?;
    step(root, "rustfmt and clippy", command("rustup", ["component", "add", "rustfmt", "clippy"]))
}

fn cargo<const N: usize>(args: [&str; N]) -> Command {
    command(std::env::var("CARGO").as_deref().unwrap_or("cargo"), args)
}

fn command<const N: usize>(program: &str, args: [&str; N]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    command
}

fn step(root: &Path, name: &str, mut command: Command) -> anyhow::Result<()> {
    println!("xtask: == {name}: {command:?}");
    let status = command.current_dir(root).status().with_context(|| format!("{name}: could not start {command:?}"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}
