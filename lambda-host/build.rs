//! Builds the resize module for wasm32 and runs wasm-bindgen on it, so a plain `cargo build`
//! or `cargo run` of the host is enough. The module is always built in the `module` profile into its own
//! target directory: its bytes must not depend on how the host is built.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const TARGET: &str = "wasm32-unknown-unknown";
/// A module built already, used instead of building one: the fuzz targets, built with the nightly
/// toolchain, embed the stable build's module (the one the server runs), not a nightly build of it.
const PREBUILT: &str = "RESIZE_MODULE_WASM";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    for watched in
        ["resize-wasm/src", "resize-wasm/Cargo.toml", "Cargo.lock", ".cargo/config.toml", "rust-toolchain.toml"]
    {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed={PREBUILT}");
    let target_dir = root.join("target/wasm");
    let wasm = match env::var_os(PREBUILT) {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", Path::new(&path).display());
            PathBuf::from(path)
        }
        None => build_module(&root, &target_dir),
    };
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("pkg");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)
        .expect("web target")
        .typescript(true)
        .generate(&out)
        .unwrap_or_else(|e| panic!("wasm-bindgen on {}: {e:#}", wasm.display()));
    // A stable copy outside OUT_DIR, for the static demo build and people who want the files.
    let pkg = target_dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for file in ["resize_wasm_bg.wasm", "resize_wasm.js", "resize_wasm.d.ts"] {
        std::fs::copy(out.join(file), pkg.join(file)).unwrap();
    }
    println!("cargo:rustc-env=RESIZE_WASM_PKG={}", out.display());
    // Hashed here, not at start-up: 3 MB took 1.8 ms of every cold start (module.rs).
    let digest = Sha256::digest(std::fs::read(out.join("resize_wasm_bg.wasm")).unwrap());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=RESIZE_WASM_SHA256={hex}");
}

/// The module, built for wasm32 in the `module` profile into `target_dir`.
fn build_module(root: &Path, target_dir: &Path) -> PathBuf {
    ensure_target();

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(root)
        .args([
            "build",
            "--locked",
            "--profile",
            "module",
            "-p",
            "resize-wasm",
            "--lib",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(target_dir);
    // Nothing of the parent's environment but what finds the toolchain: flags, profile overrides
    // and wrappers (cargo-lambda, zig, CI) are for the host, and would change the module's bytes.
    // Its own flags come from .cargo/config.toml (+simd128).
    build.env_clear();
    for var in ["PATH", "HOME", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN"] {
        if let Some(value) = env::var_os(var) {
            build.env(var, value);
        }
    }
    run(&mut build, "building resize-wasm for wasm32");

    target_dir.join(TARGET).join("module/resize_wasm.wasm")
}

/// rustup installs a toolchain file's targets only when it installs the toolchain itself.
fn ensure_target() {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == TARGET) => {}
        Ok(_) => {
            run(Command::new("rustup").args(["target", "add", TARGET]), "rustup target add wasm32-unknown-unknown")
        }
        Err(e) => println!("cargo:warning=rustup not found ({e}); assuming {TARGET} is installed"),
    }
}

fn run(command: &mut Command, what: &str) {
    let status = command.status().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(status.success(), "{what} failed ({status})");
}
