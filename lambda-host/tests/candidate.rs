//! Changing the algorithm safely: `diff-modules` compares two modules over a folder, and a
//! candidate module runs beside the serving one on a share of requests, logged, never stored.
//! The "new" modules: the same module with a custom section (another sha256, the same bytes
//! out), and a small module of its own answering every request with the same made-up variants.

mod common;

use std::path::{Path, PathBuf};

use common::process::{Tied, free_port, wait_for_port};
use common::*;
use lambda_host::config::ServiceArgs;
use lambda_host::diff::{self, Side};
use lambda_host::module;
use lambda_host::sandbox::Sandbox;
use resize_wasm::{Encoded, Format, Output, Request, Source};
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, ExportKind, ExportSection, Function, FunctionSection, GlobalSection,
    GlobalType, Instruction, MemorySection, MemoryType, Module, TypeSection, ValType,
};

/// The real module with a custom section appended: a different file that computes the same.
fn relabelled() -> Vec<u8> {
    let mut wasm = module::WASM.to_vec();
    let name = b"candidate";
    wasm.extend([0, 1 + name.len() as u8 + 2, name.len() as u8]);
    wasm.extend(name);
    wasm.extend(b"v2");
    wasm
}

/// A module keeping the ABI (resize-wasm/ABI.md) that answers every call with the same three
/// 1x1 "variants", scored 0.5: a pipeline that changed everything.
fn different() -> Vec<u8> {
    let variant = |suffix: &str| Encoded {
        suffix: suffix.into(),
        width: 1,
        height: 1,
        format: Format::Jpeg,
        ssim: Some(0.5),
        bytes: format!("made up{suffix}").into_bytes(),
    };
    let source = Source { format: "jpeg".into(), width: 1, height: 1, thumbhash: None, metadata: None };
    let packed = resize_wasm::pack(&Output { source, variants: vec![variant(""), variant("_200"), variant("_75")] });
    const RESULT_AT: i32 = 1024;
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([ValType::I32, ValType::I32], []);
    types.ty().function([ValType::I32; 4], [ValType::I32]);
    let bodies: [(&str, u32, Vec<Instruction>); 6] = [
        ("resize_abi_version", 0, vec![Instruction::I32Const(resize_wasm::ABI_VERSION as i32)]),
        // A bump allocator after the result: the old end is the new block.
        (
            "resize_alloc",
            1,
            vec![
                Instruction::GlobalGet(0),
                Instruction::GlobalGet(0),
                Instruction::LocalGet(0),
                Instruction::I32Add,
                Instruction::GlobalSet(0),
            ],
        ),
        ("resize_free", 2, vec![]),
        ("resize_process", 3, vec![Instruction::I32Const(0)]),
        ("resize_result_ptr", 0, vec![Instruction::I32Const(RESULT_AT)]),
        ("resize_result_len", 0, vec![Instruction::I32Const(packed.len() as i32)]),
    ];
    let (mut functions, mut exports, mut code) = (FunctionSection::new(), ExportSection::new(), CodeSection::new());
    for (i, (name, ty, body)) in bodies.iter().enumerate() {
        functions.function(*ty);
        exports.export(name, ExportKind::Func, i as u32);
        let mut function = Function::new([]);
        body.iter().for_each(|instruction| {
            function.instruction(instruction);
        });
        function.instruction(&Instruction::End);
        code.function(&function);
    }
    exports.export("memory", ExportKind::Memory, 0);
    let mut memory = MemorySection::new();
    memory.memory(MemoryType { minimum: 64, maximum: None, memory64: false, shared: false, page_size_log2: None });
    let mut globals = GlobalSection::new();
    let heap = GlobalType { val_type: ValType::I32, mutable: true, shared: false };
    globals.global(heap, &ConstExpr::i32_const(64 * 1024));
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(RESULT_AT), packed);
    let mut module = Module::new();
    module.section(&types).section(&functions).section(&memory).section(&globals).section(&exports);
    module.section(&code).section(&data);
    module.finish()
}

fn sandbox(wasm: &[u8]) -> Sandbox {
    Sandbox::new(wasm, None, ServiceArgs::default().resolve().unwrap().sandbox).unwrap().0
}

/// Two small sources of different formats, in a folder of their own.
fn corpus() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("resize-diff-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["plain.bmp", "progressive.jpg"] {
        std::fs::write(dir.join(name), fixture(name)).unwrap();
    }
    dir
}

#[test]
fn diff_reports_identical_variants_of_a_relabelled_module_and_different_ones_of_a_new_pipeline() {
    let served =
        Sandbox::new(module::WASM, Some(&cwasm_dir()), ServiceArgs::default().resolve().unwrap().sandbox).unwrap().0;
    let corpus = corpus();
    let request = Request::seed();
    let same = diff::diff(&served, &sandbox(&relabelled()), &corpus, &request).unwrap();
    assert_eq!(same.len(), 6, "two files, three variants each");
    assert!(same.iter().all(|row| row.identical()), "{same:?}");
    assert!(same.iter().all(|row| matches!(row.old, Side::Made { ssim: Some(s), .. } if s > 0.9)), "scored");

    let changed = diff::diff(&served, &sandbox(&different()), &corpus, &request).unwrap();
    assert!(changed.iter().all(|row| !row.identical()), "{changed:?}");
    assert!(changed.iter().all(|row| matches!(row.new, Side::Made { width: 1, ssim: Some(0.5), .. })));
    let report = diff::render(&changed, "old", "new");
    assert!(
        report.contains("| progressive.jpg | \"_200\" |") && report.contains("ssim 0.5000 | DIFFERENT |"),
        "{report}"
    );
    assert!(report.ends_with("6 variants: 0 identical, 6 different\n"), "{report}");
}

#[test]
fn diff_modules_command_prints_the_report() {
    let dir = std::env::temp_dir().join(format!("resize-diff-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (old, new) = (dir.join("old.wasm"), dir.join("new.wasm"));
    std::fs::write(&old, module::WASM).unwrap();
    std::fs::write(&new, different()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-host"))
        .arg("diff-modules")
        .args([&old, &new])
        .arg("--corpus")
        .arg(corpus())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with(&format!(
        "old module {}\nnew module {}",
        module::WASM_SHA256,
        sha256_hex(&different())
    )));
    assert!(stdout.contains("| plain.bmp | \"\" | 64x48 "), "{stdout}");
    assert!(stdout.contains("6 variants: 0 identical, 6 different"), "{stdout}");
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-host"))
        .args(["diff-modules", "Cargo.toml"])
        .arg(&new)
        .arg("--corpus")
        .arg(corpus())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Cargo.toml is not a resize module"));
}

/// With a candidate on half the requests: 2 of 4 uploads are also run by it, each logged with
/// both modules' hashes and their outputs' sha256s; every stored variant is the serving module's.
#[tokio::test]
async fn a_candidate_runs_on_its_share_of_requests_and_is_only_logged() {
    let dir = std::env::temp_dir().join(format!("resize-candidate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let candidate = dir.join("candidate.wasm");
    std::fs::write(&candidate, different()).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let data = dir.join("data");
    let args = ["serve", "--listen", &listen, "--data-dir", data.to_str().unwrap(), "--log-format", "json"];
    let host = Path::new(env!("CARGO_BIN_EXE_lambda-host"));
    let share = [("RESIZE_CANDIDATE_MODULE", candidate.to_str().unwrap()), ("RESIZE_CANDIDATE_SHARE", "0.5")];
    let server = Tied::spawn("candidate-host", host, &args, &share);
    wait_for_port(port, "lambda-host serve");
    let server_url = TestServer { base: format!("http://{listen}"), data_dir: data.clone() };
    let photo = fixture("progressive.jpg");
    let expected = resize_wasm::process(&photo, &Request::seed()).unwrap();
    for i in 0..4 {
        let (status, body) = post(&server_url, form(photo.clone(), &format!("c/{i}.jpg"))).await;
        assert_eq!(status, 201, "{body}");
        for variant in &expected.variants {
            let stored = reqwest::get(server_url.url(&format!("/image/c/{i}.jpg{}", variant.suffix))).await.unwrap();
            assert!(stored.bytes().await.unwrap() == variant.bytes, "the serving module's bytes are stored");
        }
    }
    let tried = |log: &str| -> Vec<serde_json::Value> {
        log.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| entry["message"] == "candidate module tried")
            .collect()
    };
    let started = std::time::Instant::now();
    while tried(&server.log_text()).len() < 2 && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let lines = tried(&server.log_text());
    assert_eq!(lines.len(), 2, "half of 4 requests: {}", server.log_text());
    for line in &lines {
        assert_eq!(line["module_sha256"], module::WASM_SHA256);
        assert_eq!(line["candidate_sha256"], sha256_hex(&different()));
        assert_eq!(line["identical"], false);
        let served: Vec<String> = expected.variants.iter().map(|v| sha256_hex(&v.bytes)).collect();
        assert_eq!(line["served"], served.join(","));
        assert_eq!(line["candidate"].as_str().unwrap().split(',').count(), 3);
    }
}
