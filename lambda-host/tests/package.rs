//! The deployment zips `cargo xtask lambda` writes (`cargo xtask test` does so before these tests):
//! each holds an executable `bootstrap` and the current module precompiled for its architecture,
//! and the x86_64 one, unpacked, serves a REST API event through the Lambda emulator using the
//! module beside it. (The arm64 one cannot run on this x86_64 machine; its files are checked.)

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::emulator::Lambda;
use common::moto::{assert_seed_variants, create_bucket};
use lambda_host::{module, sandbox};

/// ELF e_machine values.
const X86_64: u16 = 62;
const AARCH64: u16 = 183;

fn zip_of(arch: &str) -> PathBuf {
    let zip =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/lambda").join(arch).join("lambda-host/bootstrap.zip");
    assert!(zip.exists(), "{} is missing: run `cargo xtask lambda` (`cargo xtask test` does)", zip.display());
    zip
}

/// Entry names and Unix modes, as the zip records them (Lambda takes the mode from there).
fn entries(zip: &Path) -> Vec<(String, u32)> {
    let list = "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, i.external_attr >> 16)";
    let output = Command::new("python3").args(["-c", list]).arg(zip).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut entries: Vec<_> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, mode) = line.rsplit_once(' ').unwrap();
            (name.to_string(), mode.parse().unwrap())
        })
        .collect();
    entries.sort();
    entries
}

fn unpack(zip: &Path, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("resize-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let status = Command::new("python3").args(["-m", "zipfile", "-e"]).arg(zip).arg(&dir).status().unwrap();
    assert!(status.success());
    // Python's zipfile drops modes when extracting; restore bootstrap's from the zip's record.
    let mode = entries(zip).into_iter().find(|(n, _)| n == "bootstrap").unwrap().1;
    std::fs::set_permissions(dir.join("bootstrap"), std::fs::Permissions::from_mode(mode)).unwrap();
    dir
}

fn elf_machine(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{} is not ELF", path.display());
    u16::from_le_bytes([bytes[18], bytes[19]])
}

#[test]
fn each_zip_holds_an_executable_bootstrap_and_the_module_for_its_architecture() {
    let module_file = sandbox::cwasm_file_name(module::WASM);
    for (arch, machine) in [("x86_64", X86_64), ("arm64", AARCH64)] {
        let zip = zip_of(arch);
        let entries = entries(&zip);
        let names: Vec<_> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["bootstrap", module_file.as_str()], "{arch}: the zip holds the current module");
        assert_eq!(entries[0].1 & 0o111, 0o111, "{arch}: bootstrap is executable ({:o})", entries[0].1);
        let dir = unpack(&zip, &format!("zip-{arch}"));
        assert_eq!(elf_machine(&dir.join("bootstrap")), machine, "{arch} bootstrap");
        assert_eq!(elf_machine(&dir.join(&module_file)), machine, "{arch} module");
    }
}

#[test]
fn the_x86_64_bootstrap_serves_an_event_with_its_precompiled_module() {
    let dir = unpack(&zip_of("x86_64"), "bootstrap-x86_64");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(create_bucket("packaged"));
    let lambda = Lambda::start("bootstrap", &dir.join("bootstrap"), "packaged", None);
    let event = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events/rest-v1.json");
    let answer = lambda.invoke(&event);
    assert_eq!(answer["statusCode"], 201, "{answer}");
    runtime.block_on(assert_seed_variants("packaged", "events/rest-v1.png"));
    let log = lambda.function.log_text();
    assert!(log.contains(r#"how="precompiled"#), "the module beside bootstrap was used:\n{log}");
}
