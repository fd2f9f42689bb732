//! A small soak in the test command, so the harness cannot rot: 240 uploads from 16 clients with
//! S3 dead for 2 s after the first 60 answers, then every key checked (the binary exits non-zero
//! on any breach). Needs the release host and moto (`cargo xtask test` builds and installs both)
//! and the shared corpus beside the clone.

use std::path::Path;
use std::process::Command;

#[test]
fn a_small_soak_with_an_s3_outage_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let work = std::env::temp_dir().join(format!("resize-soak-small-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_resize-soak"))
        .current_dir(root)
        .args(["--uploads", "240", "--concurrency", "16", "--outage-after", "60", "--outage-secs", "2", "--work"])
        .arg(&work)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for row in ["| answers to attempts", "503 storage_unavailable", "| stored sets read back", "soak passed"] {
        assert!(stdout.contains(row), "{row} in:\n{stdout}");
    }
    std::fs::remove_dir_all(&work).unwrap();
}
