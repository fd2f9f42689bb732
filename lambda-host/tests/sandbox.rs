//! The sandbox itself: determinism across instances, precompiled modules, the CLI.

mod common;

use common::*;
use lambda_host::config::ServiceArgs;
use lambda_host::module;
use lambda_host::sandbox::{LoadedFrom, Sandbox, cwasm_file_name};
use resize_wasm::Request;

fn sandbox() -> Sandbox {
    Sandbox::new(module::WASM, Some(&cwasm_dir()), ServiceArgs::default().resolve().unwrap().sandbox).unwrap().0
}

/// Same input, two Store/Instances, and the same code built natively: identical bytes.
#[test]
fn output_is_identical_across_instances_and_natively() {
    let sandbox = sandbox();
    let input = corpus("photo-2725x2225.jpg");
    let first = sandbox.process(&input, &Request::seed()).unwrap();
    let second = sandbox.process(&input, &Request::seed()).unwrap();
    assert_eq!(first.variants, second.variants);
    let native = resize_wasm::process(&input, &Request::seed()).unwrap();
    let native: Vec<_> = native.variants.into_iter().map(|v| v.bytes).collect();
    assert_eq!(first.variants, native, "wasm (simd128) and native builds agree byte for byte");
    let alpha = corpus("alpha-2048x1536.png");
    let mut png = Request::seed();
    png.variants.iter_mut().for_each(|v| v.format = resize_wasm::Format::Png);
    assert_eq!(sandbox.process(&alpha, &png).unwrap().variants, sandbox.process(&alpha, &png).unwrap().variants);
}

#[test]
fn precompiled_module_is_used_when_it_matches() {
    let dir = std::env::temp_dir().join(format!("resize-cwasm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let limits = ServiceArgs::default().resolve().unwrap().sandbox;
    let mut precompile = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-host"));
    precompile.args(["precompile", "--out"]).arg(&dir);
    assert!(precompile.status().unwrap().success());
    let path = dir.join(cwasm_file_name(module::WASM));
    assert!(path.exists());
    let (sandbox, from) = Sandbox::new(module::WASM, Some(&dir), limits).unwrap();
    assert_eq!(from, LoadedFrom::Precompiled(path.clone()));
    let photo = corpus("photo-2725x2225.jpg");
    assert!(sandbox.process(&photo, &Request::seed()).is_ok());

    // The sandbox maps the file: precompiling again replaces it (a new inode) and leaves the old
    // file's pages to the sandbox (a file truncated under a mapping kills the process: SIGBUS).
    let inode = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap());
    let before = inode();
    assert!(precompile.status().unwrap().success());
    assert_ne!(inode(), before, "replaced, not rewritten in place");
    assert!(sandbox.process(&photo, &Request::seed()).is_ok());
    let garbage = dir.join("garbage");
    std::fs::write(&garbage, b"not a cwasm").unwrap();
    std::fs::rename(&garbage, &path).unwrap();
    assert!(sandbox.process(&photo, &Request::seed()).is_ok());
    let (_, from) = Sandbox::new(module::WASM, Some(&dir), limits).unwrap();
    assert_eq!(from, LoadedFrom::Compiled, "a bad file falls back to compiling");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn resize_command_writes_the_preset_beside_each_file() {
    let dir = std::env::temp_dir().join(format!("resize-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let photo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/photo-2725x2225.jpg");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-host"))
        .args(["resize", "--out"])
        .arg(&dir)
        .arg(&photo)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for (name, size) in [("photo-2725x2225.jpg", 456), ("photo-2725x2225.jpg_200", 200), ("photo-2725x2225.jpg_75", 75)]
    {
        let img = image::load_from_memory(&std::fs::read(dir.join(name)).unwrap()).unwrap();
        assert_eq!((img.width(), img.height()), (size, size), "{name}");
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-host"))
        .args(["resize", "--out"])
        .arg(&dir)
        .arg(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported image format"));
    std::fs::remove_dir_all(dir).unwrap();
}
