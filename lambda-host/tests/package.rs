//! The deployment zips `cargo xtask lambda` writes (`cargo xtask test` does so before these tests):
//! each holds an executable `bootstrap` and the current module precompiled for its architecture,
//! and each, unpacked, serves a REST API event through the Lambda emulator using the module beside
//! it: the x86_64 one natively, the arm64 one under qemu's user-mode emulator. Both store the same
//! bytes, and both answer a browser's GET of the module through the REST API with its exact bytes.

mod common;

/// Named so the test command can run these once the zips exist (`--skip zips::` before).
mod zips {
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::common::emulator::Lambda;
    use super::common::moto::{assert_seed_variants, create_bucket};
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

    /// A zip unpacked into a folder of its own, removed when dropped (each is ~65 MB; every
    /// test run had left eight of them behind).
    struct Unpacked(PathBuf);

    impl std::ops::Deref for Unpacked {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Unpacked {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn unpack(zip: &Path, name: &str) -> Unpacked {
        let dir = std::env::temp_dir().join(format!("resize-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let status = Command::new("python3").args(["-m", "zipfile", "-e"]).arg(zip).arg(&dir).status().unwrap();
        assert!(status.success());
        // Python's zipfile drops modes when extracting; restore bootstrap's from the zip's record.
        let mode = entries(zip).into_iter().find(|(n, _)| n == "bootstrap").unwrap().1;
        std::fs::set_permissions(dir.join("bootstrap"), std::fs::Permissions::from_mode(mode)).unwrap();
        Unpacked(dir)
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

    /// The newest glibc symbol version a binary asks for: the `GLIBC_2.N` names in its dynamic
    /// string table.
    fn newest_glibc(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).unwrap();
        let mut newest = (0, 0);
        for at in bytes.windows(8).enumerate().filter(|(_, w)| *w == b"GLIBC_2.").map(|(i, _)| i + 8) {
            let digits: String = bytes[at..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| b as char).collect();
            if let Ok(minor) = digits.parse() {
                newest = newest.max((2, minor));
            }
        }
        newest
    }

    /// provided.al2023 has glibc 2.34: a bootstrap asking for more does not start there.
    #[test]
    fn each_bootstrap_runs_on_the_glibc_of_provided_al2023() {
        for arch in ["x86_64", "arm64"] {
            let dir = unpack(&zip_of(arch), &format!("glibc-{arch}"));
            let newest = newest_glibc(&dir.join("bootstrap"));
            assert!(newest > (2, 0), "{arch}: no glibc symbol versions found");
            assert!(
                newest <= (2, 34),
                "{arch}: bootstrap needs GLIBC_{}.{}, provided.al2023 has 2.34",
                newest.0,
                newest.1
            );
        }
    }

    /// qemu's user-mode aarch64 emulator and the aarch64 C library (`cargo xtask test` installs them).
    const QEMU: &str = "/usr/bin/qemu-aarch64-static";
    const AARCH64_ROOT: &str = "/usr/aarch64-linux-gnu";

    #[test]
    fn both_bootstraps_serve_an_event_with_their_precompiled_module_and_store_the_same_bytes() {
        assert!(
            Path::new(QEMU).exists() && Path::new(AARCH64_ROOT).exists(),
            "run `cargo xtask test`: it installs qemu"
        );
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let event = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events/rest-v1.json");
        let mut stored = Vec::new();
        for arch in ["x86_64", "arm64"] {
            let dir = unpack(&zip_of(arch), &format!("bootstrap-{arch}"));
            let bootstrap = dir.join("bootstrap");
            let bucket = format!("packaged-{}", arch.replace('_', "-"));
            runtime.block_on(create_bucket(&bucket));
            // No RESIZE_CWASM_DIR: the module must be found beside bootstrap, as in Lambda.
            let lambda = match arch {
                "x86_64" => Lambda::start(arch, &bootstrap, &bucket, None),
                _ => Lambda::start_under(
                    arch,
                    Path::new(QEMU),
                    &["-L", AARCH64_ROOT, bootstrap.to_str().unwrap()],
                    &bucket,
                    None,
                ),
            };
            let answer = lambda.invoke(&event);
            assert_eq!(answer["statusCode"], 201, "{arch}: {answer}");
            runtime.block_on(assert_seed_variants(&bucket, "events/rest-v1.png"));
            let log = lambda.function.log_text();
            assert!(log.contains(r#""how":"precompiled "#), "{arch}: the module beside bootstrap was used:\n{log}");
            assert_serves_the_module(&lambda, arch);
            let keys = ["events/rest-v1.png", "events/rest-v1.png_200", "events/rest-v1.png_75"];
            stored.push(runtime.block_on(stored_objects(&bucket, &keys)));
        }
        assert_eq!(stored[0], stored[1], "x86_64 and arm64 store the same bytes");
    }

    /// API Gateway (binaryMediaTypes `*/*`) turns a base64 answer back into bytes for a browser's
    /// `Accept: */*`: the answer must be base64 of the exact module.
    fn assert_serves_the_module(lambda: &Lambda, arch: &str) {
        let event = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events/rest-v1-get-wasm.json");
        let answer = lambda.invoke(&event);
        assert_eq!(answer["statusCode"], 200, "{arch}: {answer}");
        assert_eq!(answer["isBase64Encoded"], true, "{arch}: the module leaves base64-encoded");
        // lambda_http answers REST events with multi-value headers.
        assert_eq!(
            answer["multiValueHeaders"]["content-type"],
            serde_json::json!(["application/wasm"]),
            "{arch}: {}",
            answer["multiValueHeaders"]
        );
        let body = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, answer["body"].as_str().unwrap());
        assert!(body.unwrap() == module::WASM, "{arch}: the body decodes to the module's exact bytes");
    }

    async fn stored_objects(bucket: &str, keys: &[&str]) -> Vec<Vec<u8>> {
        let mut all = Vec::new();
        for key in keys {
            all.push(super::common::moto::object(bucket, key).await);
        }
        all
    }

    /// The benchmark's tasks and the colour-managed fixtures (resize-wasm/tests/engines.json)
    /// through each bootstrap's `resize` command, with the module precompiled beside it: x86_64
    /// natively, arm64 under qemu. Same bytes.
    #[test]
    fn both_bootstraps_resize_the_benchmark_tasks_to_the_same_bytes() {
        let cases: serde_json::Value = serde_json::from_slice(
            &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../resize-wasm/tests/engines.json")).unwrap(),
        )
        .unwrap();
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../resize-wasm/tests/fixtures");
        let unpacked = ["x86_64", "arm64"].map(|arch| unpack(&zip_of(arch), &format!("tasks-{arch}")));
        let bootstraps = unpacked.each_ref().map(|dir| dir.join("bootstrap"));
        for case in cases["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let input = match case["input"].as_str() {
                Some(file) => corpus.join(file),
                None => fixtures.join(case["fixture"].as_str().unwrap()),
            };
            let flags: Vec<&str> = case["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
            let outputs = bootstraps.each_ref().map(|bootstrap| {
                let out = bootstrap.with_file_name(format!("out-{name}"));
                let mut command = if elf_machine(bootstrap) == AARCH64 {
                    let mut qemu = Command::new(QEMU);
                    qemu.args(["-L", AARCH64_ROOT]).arg(bootstrap);
                    qemu
                } else {
                    Command::new(bootstrap)
                };
                let run = command.arg("resize").args(&flags).arg("--out").arg(&out).arg(&input).output().unwrap();
                let log = String::from_utf8_lossy(&run.stderr);
                assert!(run.status.success(), "{name} in {}: {log}", bootstrap.display());
                assert!(log.contains(r#""precompiled "#), "{name}: the module beside bootstrap was used:\n{log}");
                let mut files: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
                files.sort();
                files.iter().map(|f| (f.file_name().unwrap().to_owned(), std::fs::read(f).unwrap())).collect::<Vec<_>>()
            });
            assert!(!outputs[0].is_empty(), "{name}: variants were written");
            assert!(outputs[0] == outputs[1], "{name}: x86_64 and arm64 wrote the same files and bytes");
        }
    }
}
