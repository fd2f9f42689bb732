//! `cargo xtask test`: the README's test command. Installs what is missing, then runs every
//! check and test; a missing tool is an error with the fix in the message, never a skip.
//! `cargo xtask lambda`: the deployment zips. `cargo xtask demo`: the demo as a static site.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let task = std::env::args().nth(1).unwrap_or_default();
    let args: Vec<String> = std::env::args().skip(2).collect();
    match task.as_str() {
        "test" => test(&root),
        "demo" => demo(&root, &args),
        "lambda" => lambda(&root),
        _ => bail!("usage: cargo xtask test | cargo xtask lambda | cargo xtask demo --out DIR [--api URL]"),
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
    python_tools(root)?;
    s3s_fs(root)?;
    // Before the tests: tests/package.rs checks the zips and starts their bootstrap, the arm64 one
    // under qemu's user-mode emulator with Debian's aarch64 C library.
    lambda(root)?;
    apt_install_unless(
        root,
        &[
            "/usr/bin/qemu-aarch64-static",
            "/usr/aarch64-linux-gnu/lib/libc.so.6",
            "/usr/aarch64-linux-gnu/lib/libgcc_s.so.1",
        ],
        &["qemu-user-static", "libc6-arm64-cross", "libgcc-s1-arm64-cross"],
        "the arm64 bootstrap test",
    )?;
    step(root, "rust tests", cargo(["test", "--workspace", "--locked"]))?;
    demo_tests(root)?;
    println!("xtask: all checks passed");
    Ok(())
}

/// An S3 server that checks presigned URLs (moto does not), for tests/presigned.rs.
fn s3s_fs(root: &Path) -> anyhow::Result<()> {
    let tools = root.join(".tools/s3s-fs");
    if tools.join("bin/s3s-fs").exists() {
        return Ok(());
    }
    let mut install =
        cargo(["install", "s3s-fs", "--version", "=0.14.1", "--features", "binary", "--locked", "--root"]);
    install.arg(&tools);
    step(root, "s3s-fs (S3 server verifying presigned URLs)", install)
}

/// Lambda architectures: cargo-lambda's flag, the Rust target, the directory under target/lambda.
const ARCHITECTURES: [(&str, &str, &str); 2] =
    [("--x86-64", "x86_64-unknown-linux-gnu", "x86_64"), ("--arm64", "aarch64-unknown-linux-gnu", "arm64")];

/// target/lambda/{x86_64,arm64}/lambda-host/bootstrap.zip: `bootstrap` built by cargo-lambda (zig
/// links against an old glibc) and the module precompiled for that architecture beside it.
fn lambda(root: &Path) -> anyhow::Result<()> {
    python_tools(root)?;
    for (_, triple, _) in ARCHITECTURES {
        step(root, &format!("{triple} target"), command("rustup", ["target", "add", triple]))?;
    }
    let build = |flag: &str, dir: &str, zip: Option<&Path>| {
        // The workspace's release profile, not cargo-lambda's (which aborts on panic).
        let mut build = cargo_lambda(
            root,
            ["build", "--release", "--disable-optimizations", "--locked", "-p", "lambda-host", flag],
        );
        build.arg("--lambda-dir").arg(root.join("target/lambda").join(dir));
        build.arg("--manifest-path").arg(root.join("Cargo.toml"));
        let Some(module) = zip else {
            return step(root, &format!("lambda bootstrap for {dir}"), build);
        };
        // The zip names an included file by the path given: run beside the module, name it alone.
        let (module_dir, name) = (module.parent().expect("a file has a directory"), module.file_name().unwrap());
        build.args(["--output-format", "zip", "--include"]).arg(name);
        step(module_dir, &format!("lambda zip for {dir}"), build)
    };
    for (flag, _, dir) in ARCHITECTURES {
        build(flag, dir, None)?;
    }
    // The x86_64 bootstrap runs here too: it precompiles the module for both architectures.
    let native = root.join("target/lambda/x86_64/lambda-host/bootstrap");
    for (flag, triple, dir) in ARCHITECTURES {
        let out = root.join("target/lambda").join(dir).join("module");
        let _ = std::fs::remove_dir_all(&out);
        let mut precompile = Command::new(&native);
        precompile.args(["precompile", "--target", triple, "--out"]).arg(&out);
        step(root, &format!("module precompiled for {dir}"), precompile)?;
        let module = std::fs::read_dir(&out)?.next().context("precompile wrote nothing")??.path();
        build(flag, dir, Some(&module))?;
    }
    println!("xtask: Lambda zips in target/lambda/{{x86_64,arm64}}/lambda-host/bootstrap.zip");
    Ok(())
}

fn cargo_lambda<const N: usize>(root: &Path, args: [&str; N]) -> Command {
    let venv_bin = root.join(".tools/venv/bin");
    let mut command = Command::new(venv_bin.join("cargo-lambda"));
    command.arg("lambda").args(args);
    // cargo-lambda finds zig (PyPI ziglang) through the venv's python3.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(venv_bin).chain(std::env::split_paths(&path));
    command.env("PATH", std::env::join_paths(paths).expect("PATH entries join"));
    command
}

/// moto's S3 server, cargo-lambda and zig, into an ignored venv (`.tools/venv/bin`).
fn python_tools(root: &Path) -> anyhow::Result<()> {
    let venv = root.join(".tools/venv");
    if !venv.join("bin/pip").exists() {
        let mut create = command("python3", ["-m", "venv"]);
        create.arg(&venv);
        step(root, "python venv", create)
            .context("python3 with venv is needed (Debian: apt-get install python3-venv)")?;
    }
    let mut install = Command::new(venv.join("bin/pip"));
    install.args(["install", "--quiet", "--disable-pip-version-check", "-r"]).arg(root.join("xtask/requirements.txt"));
    step(root, "python tools (moto[server], cargo-lambda, ziglang)", install)
}

/// The demo in Debian's Chromium, driven by playwright-core from the lockfile, against the host
/// binary `cargo test` has just built.
fn demo_tests(root: &Path) -> anyhow::Result<()> {
    apt_install_unless(root, &["/usr/bin/chromium"], &["chromium"], "the demo tests")?;
    let web = root.join("web-demo");
    let mut npm_ci = command("npm", ["ci", "--no-audit", "--no-fund"]);
    npm_ci.current_dir(&web);
    step(&web, "npm ci (playwright-core)", npm_ci)?;
    let mut node = command("node", ["--test", "--test-reporter=spec", "tests/"]);
    node.env("RESIZE_HOST_BIN", root.join("target/debug/lambda-host"));
    step(&web, "demo tests in headless Chromium", node)
}

/// Writes the demo as a static site for any web server, calling the API at `--api`.
fn demo(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let out = value("--out").context("--out DIR is required")?;
    let api = value("--api").unwrap_or_default();
    let out = Path::new(&out);
    std::fs::create_dir_all(out)?;
    for file in ["app.js", "worker.js", "style.css"] {
        std::fs::copy(root.join("web-demo").join(file), out.join(file))?;
    }
    let index = std::fs::read_to_string(root.join("web-demo/index.html"))?;
    let marker = r#"<meta name="resize-api" content="">"#;
    anyhow::ensure!(index.contains(marker), "web-demo/index.html lost its resize-api meta tag");
    let api = api.replace('&', "&amp;").replace('"', "&quot;");
    std::fs::write(
        out.join("index.html"),
        index.replace(marker, &format!(r#"<meta name="resize-api" content="{api}">"#)),
    )?;
    println!(
        "xtask: static demo in {} calling the API at {}",
        out.display(),
        if api.is_empty() { "its own origin" } else { &api }
    );
    Ok(())
}

/// Debian `packages` unless every `needed` file exists (CI machines run as root).
fn apt_install_unless(root: &Path, needed: &[&str], packages: &[&str], why: &str) -> anyhow::Result<()> {
    if needed.iter().all(|file| Path::new(file).exists()) {
        return Ok(());
    }
    step(root, "apt-get update", command("apt-get", ["update", "-qq"]))?;
    let mut install = command("apt-get", ["install", "-y", "-qq"]);
    install.args(packages).env("DEBIAN_FRONTEND", "noninteractive");
    let list = packages.join(" ");
    step(root, &format!("install Debian {list}"), install)
        .with_context(|| format!("{why} need {}: run `apt-get install {list}` as root", needed.join(", ")))
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
