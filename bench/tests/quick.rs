//! `resize-bench run --quick`: every contender runs every task once, so the harness cannot rot.
//! It needs the peers installed (`cargo xtask test` and `cargo xtask bench` install them into
//! bench/peers/node_modules and .tools/venv) and the shared corpus beside the clone. No timing is
//! asserted: only that every cell, profile, cold start and service round produced its figures.

use std::path::Path;
use std::process::Command;

#[test]
fn quick_bench_runs_every_cell_and_writes_a_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let work = std::env::temp_dir().join(format!("resize-bench-quick-{}", std::process::id()));
    let python = root.join(".tools/venv/bin/python");
    let node_modules = root.join("bench/peers/node_modules/sharp");
    assert!(
        python.exists() && node_modules.exists(),
        "the bench's peers are not installed: run `cargo xtask test` or `cargo xtask bench --quick`"
    );
    let status = Command::new(env!("CARGO_BIN_EXE_resize-bench"))
        .current_dir(root)
        .args(["run", "--quick", "--cpu", "0", "--work"])
        .arg(&work)
        .status()
        .unwrap();
    assert!(status.success());
    let report = std::fs::read_to_string(work.join("benchmarks.md")).unwrap();
    let svg = std::fs::read_to_string(work.join("benchmarks.svg")).unwrap();
    std::fs::remove_dir_all(&work).unwrap();
    for expected in ["sharp", "pyvips", "Pillow + draft()", "module in wasmtime", "same code native", "T2-24Mpx"] {
        assert!(report.contains(expected), "report misses {expected}:\n{report}");
        assert!(!report.contains("NaN"), "a figure is missing:\n{report}");
    }
    for section in ["## Where the time goes", "## Cold start", "## As a service", "## Targets"] {
        assert!(report.contains(section), "report misses {section}");
    }
    assert!(svg.starts_with("<svg") && svg.matches("<rect").count() > 24, "chart: {svg}");
}
