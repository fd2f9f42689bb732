//! The figures, and how they are shown: the markdown report (also printed) and its SVG chart.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use resize_wasm::Stage;

use crate::cold::Cold;
use crate::contenders::{Contender, Measured, Setup};
use crate::tasks::Task;
use crate::worker::OutputFile;

pub struct Cell {
    pub task: &'static str,
    pub contender: Contender,
    pub wall_ms: Vec<f64>,
    /// Per batch: the worker's CPU time divided by the batch's ops.
    pub cpu_ms: Vec<f64>,
    pub outputs: Vec<OutputFile>,
    /// Mean over the outputs.
    pub ssim: f64,
}

impl Cell {
    pub fn new(task: &'static str, contender: Contender) -> Self {
        Self { task, contender, wall_ms: Vec::new(), cpu_ms: Vec::new(), outputs: Vec::new(), ssim: f64::NAN }
    }

    pub fn add(&mut self, measured: &Measured, ops: usize) {
        self.wall_ms.extend(&measured.wall_ms);
        self.cpu_ms.push(measured.cpu_ms / ops as f64);
        self.outputs = measured.answer.outputs.clone();
    }

    pub fn median_ms(&self) -> f64 {
        median(&self.wall_ms)
    }

    pub fn bytes(&self) -> usize {
        self.outputs.iter().map(|o| o.bytes).sum()
    }
}

/// Medians of the pipeline stopped after each of `Stage::ALL`, then of the whole call.
pub struct Profile {
    pub task: &'static str,
    pub contender: Contender,
    pub prefix_ms: Vec<f64>,
}

pub struct ColdRow {
    pub task: &'static str,
    pub contender: Contender,
    pub runs: Vec<Cold>,
}

pub struct ServiceRow {
    pub server: &'static str,
    pub connections: usize,
    pub rps: Vec<f64>,
}

pub struct Report {
    pub quick: bool,
    pub cpu: usize,
    pub tasks: Vec<Task>,
    pub cells: Vec<Cell>,
    pub profiles: Vec<Profile>,
    pub cold: Vec<ColdRow>,
    /// The launcher's own peak RSS, under every cold figure (see cold.rs).
    pub rss_floor_mib: f64,
    pub service: Vec<ServiceRow>,
    pub versions: Vec<(String, String)>,
}

pub fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// Nearest-rank percentile; NaN for no values.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A target's verdict.
fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**not met**" }
}

/// Largest SSIM shortfall against sharp still counted as "no worse".
pub const SSIM_TOLERANCE: f64 = 0.005;

impl Report {
    fn cell(&self, task: &str, contender: Contender) -> &Cell {
        self.cells.iter().find(|c| c.task == task && c.contender == contender).expect("every cell is measured")
    }

    /// The fastest peer on `task` (lowest median wall time).
    fn best_peer(&self, task: &str) -> &Cell {
        self.cells
            .iter()
            .filter(|c| c.task == task && c.contender.is_peer())
            .min_by(|a, b| a.median_ms().total_cmp(&b.median_ms()))
            .expect("peers are measured")
    }

    /// How many times the best peer's time the module in wasmtime is as fast (ops/s ratio).
    fn lead(&self, task: &str) -> f64 {
        self.best_peer(task).median_ms() / self.cell(task, Contender::Wasmtime).median_ms()
    }

    fn cold_row(&self, task: &str, contender: Contender) -> Option<&ColdRow> {
        self.cold.iter().find(|r| r.task == task && r.contender == contender)
    }

    fn service_rps(&self, server_prefix: &str, connections: usize) -> f64 {
        let row = self.service.iter().find(|r| r.server.starts_with(server_prefix) && r.connections == connections);
        row.map_or(f64::NAN, |r| median(&r.rps))
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let w = &mut md;
        let _ = writeln!(w, "# Benchmarks\n");
        if self.quick {
            let _ = writeln!(
                w,
                "**`--quick` run: every cell once, no warm-up. These figures prove the harness runs; they are not measurements.**\n"
            );
        }
        let _ = writeln!(
            w,
            "Written by `cargo xtask bench` (bench/). Every contender is a long-lived worker process pinned to \
             CPU {} (`taskset`), driven in interleaved rounds (a different contender first each round) after one \
             warm-up op. The module runs in wasmtime exactly as the server runs it (`Sandbox::process`: fresh \
             Store and Instance per op, the server's default limits, the precompiled module). Peers run with \
             their own single-thread settings: sharp `concurrency(1)`, `cache(false)`, `UV_THREADPOOL_SIZE=1`; \
             pyvips `VIPS_CONCURRENCY=1`, cache off; Pillow is single-threaded. Wall time per op is measured \
             inside each worker; CPU time is the worker's user + system time from /proc, the same way for all. \
             \"Same code native\" is the pipeline compiled for this machine in the workspace's release profile, \
             which builds the pixel crates at the module's opt-level 3 (without its LTO) and lets them use \
             the machine's vector instructions (fast_image_resize picks AVX2 at run time; the module has \
             simd128). Both our workers run with glibc's mmap and trim thresholds fixed high \
             (`GLIBC_TUNABLES`), so memory a job frees is reused by the next instead of handed back to the \
             kernel and faulted in again, as the server's sandbox keeps linear memory resident: with \
             glibc's own adaptive thresholds, T3 natively took 16 ms after T3 and 30 ms after five T2s.\n",
            self.cpu
        );
        let _ = writeln!(w, "| | |\n|---|---|");
        for (name, version) in &self.versions {
            let _ = writeln!(w, "| {name} | {version} |");
        }

        let _ = writeln!(w, "\n## Per operation\n");
        let _ = writeln!(
            w,
            "SSIM: luma SSIM (8x8 windows, step 4) of each output against a reference made by the harness from \
             the full-resolution source (centre crop to the output's aspect, floating-point Lanczos3); alpha \
             composited over white on both sides; the mean over a task's outputs. 1 is identical.\n"
        );
        let _ = writeln!(
            w,
            "| task | contender | ms/op median (p10-p90) | CPU ms/op | ops/s | vs best peer | bytes | SSIM |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|---|---|---|");
        for task in &self.tasks {
            let best = self.best_peer(task.label).median_ms();
            for contender in Contender::ALL {
                let c = self.cell(task.label, contender);
                let m = c.median_ms();
                let _ = writeln!(
                    w,
                    "| {} {} | {} | {:.1} ({:.1}-{:.1}) | {:.1} | {:.1} | {:.2}x | {} | {:.4} |",
                    task.label,
                    if contender == Contender::Wasmtime { format!("<br>{}", task.what) } else { String::new() },
                    contender.name(),
                    m,
                    percentile(&c.wall_ms, 0.1),
                    percentile(&c.wall_ms, 0.9),
                    median(&c.cpu_ms),
                    1e3 / m,
                    best / m,
                    c.bytes(),
                    c.ssim
                );
            }
        }
        let _ = writeln!(w, "\n![ms per op, lower is better](benchmarks.svg)\n");

        let _ = writeln!(w, "## Where the time goes (stage profile)\n");
        let _ = writeln!(
            w,
            "Each stage's cost is the median time of the pipeline stopped after it (`Request::stop_after`) \
             minus the median stopped after the stage before. In wasmtime, `start` is instantiation, copying \
             the input in and parsing the request; `copy out` is the whole call minus the call stopped after \
             encoding.\n"
        );
        for task in self.tasks.iter().filter(|t| self.profiles.iter().any(|p| p.task == t.label)) {
            let _ = writeln!(w, "{} ({}), ms:\n", task.label, task.what);
            let _ = writeln!(w, "| stage | same code native | module in wasmtime | ratio |\n|---|---|---|---|");
            let get = |contender| self.profiles.iter().find(|p| p.task == task.label && p.contender == contender);
            if let (Some(native), Some(wasm)) = (get(Contender::Native), get(Contender::Wasmtime)) {
                let names = Stage::ALL.iter().map(|s| s.name()).chain(["copy out"]);
                for (i, name) in names.enumerate() {
                    let cost = |p: &Profile| p.prefix_ms[i] - if i == 0 { 0.0 } else { p.prefix_ms[i - 1] };
                    let (n, m) = (cost(native), cost(wasm));
                    let _ = writeln!(w, "| {name} | {n:.2} | {m:.2} | {} |", ratio(m, n));
                }
                let (n, m) = (native.prefix_ms.last().unwrap(), wasm.prefix_ms.last().unwrap());
                let _ = writeln!(w, "| **whole call** | {n:.2} | {m:.2} | {} |\n", ratio(*m, *n));
            }
        }

        let _ = writeln!(w, "## Cold start (a fresh process doing T2 once)\n");
        let _ = writeln!(
            w,
            "Pinned and interleaved like the rest (a run of each contender per round); the module's process \
             loads the precompiled module as the server does. Peak RSS from wait4; every figure includes a \
             floor of {:.1} MiB, the launcher's own peak (Linux carries peak RSS across exec).\n",
            self.rss_floor_mib
        );
        let _ = writeln!(w, "| task | contender | wall ms median (min-max) | peak RSS MiB median |\n|---|---|---|---|");
        for row in &self.cold {
            let wall: Vec<f64> = row.runs.iter().map(|r| r.wall_ms).collect();
            let rss: Vec<f64> = row.runs.iter().map(|r| r.peak_rss_mib).collect();
            let _ = writeln!(
                w,
                "| {} | {} | {:.0} ({:.0}-{:.0}) | {:.1} |",
                row.task,
                row.contender.name(),
                median(&wall),
                percentile(&wall, 0.0),
                percentile(&wall, 1.0),
                median(&rss)
            );
        }

        let _ = writeln!(w, "\n## As a service (the seed's job, multipart upload of the photo, loopback)\n");
        let _ = writeln!(
            w,
            "`lambda-host serve` (local storage, default settings) against the seed's shape rebuilt with Node + \
             sharp (bench/peers/seed-server.mjs: the same form, three `resize(s, s).jpeg()` pipelines, files \
             written to disk). Same load generator, same photo, interleaved rounds; servers not pinned.\n"
        );
        let _ = writeln!(w, "| connections | server | requests/s median (min-max) |\n|---|---|---|");
        for row in &self.service {
            let _ = writeln!(
                w,
                "| {} | {} | {:.1} ({:.1}-{:.1}) |",
                row.connections,
                row.server,
                median(&row.rps),
                percentile(&row.rps, 0.0),
                percentile(&row.rps, 1.0)
            );
        }

        let _ = writeln!(w, "\n## Targets (issue 9), from this run\n");
        let _ = writeln!(w, "| target | figure | verdict |\n|---|---|---|");
        let mut target = |what: &str, figure: String, met: bool| {
            let _ = writeln!(w, "| {what} | {figure} | {} |", verdict(met));
        };
        let t2 = self.lead("T2");
        target("T2 in wasmtime >= 1.5x the best peer's ops/s", format!("{t2:.2}x"), t2 >= 1.5);
        for task in ["T1", "T3"] {
            let lead = self.lead(task);
            target(&format!("{task} in wasmtime >= 1.0x the best peer"), format!("{lead:.2}x"), lead >= 1.0);
        }
        let (ours, sharp) = (self.cell("T3", Contender::Wasmtime).bytes(), self.cell("T3", Contender::Sharp).bytes());
        target("T3 output bytes <= sharp's", format!("{ours} vs {sharp}"), ours <= sharp);
        for task in &self.tasks {
            let (ours, sharp) =
                (self.cell(task.label, Contender::Wasmtime).ssim, self.cell(task.label, Contender::Sharp).ssim);
            target(
                &format!("{} SSIM no worse than sharp's by more than {SSIM_TOLERANCE}", task.label),
                format!("{ours:.4} vs {sharp:.4}"),
                ours >= sharp - SSIM_TOLERANCE,
            );
        }
        for task in &self.tasks {
            let r = self.cell(task.label, Contender::Wasmtime).median_ms()
                / self.cell(task.label, Contender::Native).median_ms();
            target(&format!("{} in wasmtime <= 1.2x native", task.label), format!("{r:.2}x"), r <= 1.2);
        }
        for connections in [1, 2] {
            let r = self.service_rps("serve", connections) / self.service_rps("seed", connections);
            target(
                &format!("serve >= 1.5x the seed's shape at {connections} connection(s)"),
                format!("{r:.2}x"),
                r >= 1.5,
            );
        }
        if let Some(row) = self.cold_row("T2", Contender::Wasmtime) {
            let ms = median(&row.runs.iter().map(|r| r.wall_ms).collect::<Vec<_>>());
            target("cold T2 in wasmtime <= 45 ms", format!("{ms:.0} ms"), ms <= 45.0);
        }
        if let Some(row) = self.cold_row("T2-24Mpx", Contender::Wasmtime) {
            let mib = median(&row.runs.iter().map(|r| r.peak_rss_mib).collect::<Vec<_>>());
            target("24 Mpx T2 peak RSS <= 40 MiB", format!("{mib:.1} MiB"), mib <= 40.0);
        }
        md
    }

    /// One group of bars per task, one bar per contender: median ms per op, lower is better.
    pub fn svg(&self) -> String {
        const BAR: f64 = 16.0;
        const LABEL: f64 = 150.0;
        const WIDTH: f64 = 720.0;
        let colours = ["#d9480f", "#f08c00", "#1971c2", "#2f9e44", "#6741d9", "#868e96"];
        let group = BAR * Contender::ALL.len() as f64 + 34.0;
        let height = group * self.tasks.len() as f64 + 20.0;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        for (t, task) in self.tasks.iter().enumerate() {
            let top = t as f64 * group + 10.0;
            let max = Contender::ALL.iter().map(|c| self.cell(task.label, *c).median_ms()).fold(0.0, f64::max);
            let _ = writeln!(
                svg,
                r#"<text x="0" y="{}" font-weight="bold">{} ({}), ms per op</text>"#,
                top + 12.0,
                task.label,
                escape(task.what)
            );
            for (i, contender) in Contender::ALL.iter().enumerate() {
                let ms = self.cell(task.label, *contender).median_ms();
                let y = top + 20.0 + i as f64 * BAR;
                let len = (WIDTH - LABEL - 60.0) * ms / max;
                let _ = writeln!(
                    svg,
                    r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                    LABEL - 6.0,
                    y + 12.0,
                    escape(contender.name())
                );
                let _ = writeln!(
                    svg,
                    r#"<rect x="{LABEL}" y="{y}" width="{len:.1}" height="{}" fill="{}"/>"#,
                    BAR - 3.0,
                    colours[i]
                );
                let _ = writeln!(svg, r#"<text x="{:.1}" y="{}">{ms:.1}</text>"#, LABEL + len + 4.0, y + 12.0);
            }
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn ratio(ours: f64, base: f64) -> String {
    if base > 0.05 { format!("{:.2}x", ours / base) } else { "-".into() }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The machine and every contender's version, asked of the installed tools themselves.
pub fn versions(setup: &Setup) -> Vec<(String, String)> {
    let ask = |program: &Path, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model =
        cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|l| l.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let locked = |name: &str| {
        let entry = format!("name = \"{name}\"\nversion = \"");
        let at = lock.find(&entry).map(|i| i + entry.len());
        at.and_then(|i| lock[i..].split('"').next()).unwrap_or("unknown").to_string()
    };
    let sharp = "import('sharp').then(s => console.log(`sharp ${s.default.versions.sharp}, libvips ${s.default.versions.vips}`))";
    let sharp = Command::new("node").current_dir(&setup.peers).args(["--input-type=module", "-e", sharp]).output();
    let sharp = sharp.ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    let python = "import PIL, pyvips, platform; print(f'Pillow {PIL.__version__}; pyvips {pyvips.__version__}, libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}; Python {platform.python_version()}')";
    vec![
        ("date".into(), ask(Path::new("date"), &["-u", "+%Y-%m-%d %H:%M UTC"])),
        (
            "machine".into(),
            format!("{} ({cores} CPUs), {}", model.unwrap_or("unknown CPU"), ask(Path::new("uname"), &["-sr"])),
        ),
        ("module".into(), format!("resize-wasm, sha256 {}", lambda_host::module::WASM_SHA256)),
        ("wasmtime".into(), locked("wasmtime")),
        ("Rust".into(), ask(Path::new("rustc"), &["--version"])),
        ("Node peers".into(), format!("{sharp}; Node {}", ask(Path::new("node"), &["--version"]))),
        ("Python peers".into(), ask(&setup.python, &["-c", python])),
    ]
}

pub fn write(report: &Path, markdown: &str, svg: &str) -> anyhow::Result<()> {
    if let Some(dir) = report.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(report, markdown)?;
    std::fs::write(report.with_extension("svg"), svg)?;
    Ok(())
}
