//! `resize-bench` (run by `cargo xtask bench`): the resize module in wasmtime, exactly as the
//! server runs it, and the same code natively, beside sharp, pyvips and Pillow, all in one process
//! tree, interleaved, each pinned to the same CPU. Prints the table with ratios against the best
//! peer, a per-stage profile, cold starts, and the service's throughput against the seed's shape;
//! writes `docs/benchmarks.md` and its chart. `--quick` runs each cell once (the test command
//! runs it so the harness cannot rot; no timing is asserted anywhere).

mod cold;
mod contenders;
mod quality;
mod report;
mod service;
mod tasks;
mod worker;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use resize_wasm::Stage;

use contenders::{Contender, Setup, Worker};
use report::{Cell, ColdRow, Profile, Report, ServiceRow};
use tasks::{Job, Task};
use worker::Batch;

#[derive(Parser)]
#[command(about = "Benchmarks the resize module against sharp, pyvips and Pillow")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs every contender on every task and reports.
    Run {
        /// Each cell once, no warm-up, shorter service rounds: proves the harness works.
        #[arg(long)]
        quick: bool,
        /// The shared corpus (photo and alpha PNG).
        #[arg(long, default_value = "../shared/corpus")]
        corpus: PathBuf,
        /// bench/peers, with node_modules installed.
        #[arg(long, default_value = "bench/peers")]
        peers: PathBuf,
        /// A Python with Pillow and pyvips.
        #[arg(long, default_value = ".tools/venv/bin/python")]
        python: PathBuf,
        /// Scratch space: generated input, outputs, precompiled module.
        #[arg(long, default_value = "target/bench")]
        work: PathBuf,
        /// Where the report goes (markdown; the chart beside it as .svg).
        #[arg(long, default_value = "docs/benchmarks.md")]
        report: PathBuf,
        /// The CPU every contender is pinned to.
        #[arg(long, default_value_t = 1)]
        cpu: usize,
    },
    /// One of our contenders behind the workers' protocol (used by `run`).
    Worker {
        engine: String,
        #[arg(long)]
        cwasm_dir: PathBuf,
    },
    /// Runs the commands read from stdin, one at a time, reporting wall time and peak RSS.
    Launch,
    /// One job in a fresh process, then exit (cold start, peak RSS).
    Cold {
        engine: String,
        job: String,
        input: PathBuf,
        out: PathBuf,
        #[arg(long)]
        cwasm_dir: PathBuf,
    },
    /// The quality figure of the report for any files: SSIM of each OUTPUT against SOURCE.
    Ssim { source: PathBuf, outputs: Vec<PathBuf> },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Worker { engine, cwasm_dir } => worker::serve(&engine, &cwasm_dir),
        Command::Launch => cold::serve_launches(),
        Command::Cold { engine, job, input, out, cwasm_dir } => {
            let engine = worker::Engine::new(&engine, &cwasm_dir)?;
            let batch = Batch { job, input, ops: 1, out, stop_after: None };
            worker::run_once(&engine, &batch)
        }
        Command::Ssim { source, outputs } => {
            let mut judge = quality::Judge::default();
            for output in outputs {
                println!("{:.4}  {}", judge.ssim(&source, &output)?, output.display());
            }
            Ok(())
        }
        Command::Run { quick, corpus, peers, python, work, report, cpu } => {
            let setup = Setup {
                bench: std::env::current_exe()?,
                peers: std::path::absolute(peers)?,
                python: std::path::absolute(python)?,
                cwasm_dir: std::path::absolute(work.join("cwasm"))?,
                cpu,
            };
            let work = std::path::absolute(work)?;
            let report_data = run(&setup, &std::path::absolute(corpus)?, &work, quick)?;
            let markdown = report_data.markdown();
            println!("{markdown}");
            let report = if quick { work.join("benchmarks.md") } else { report };
            report::write(&report, &markdown, &report_data.svg())?;
            println!("resize-bench: wrote {}", report.display());
            Ok(())
        }
    }
}

fn run(setup: &Setup, corpus: &Path, work: &Path, quick: bool) -> anyhow::Result<Report> {
    // First, while this process is small (see cold.rs).
    let mut launcher = cold::Launcher::start(&setup.bench)?;
    precompile(&setup.cwasm_dir)?;
    let tasks = tasks::all(corpus, work)?;
    let (rounds, ops) = if quick { (1, 1) } else { (12, 5) };

    let mut workers: Vec<Worker> =
        Contender::ALL.iter().map(|c| Worker::start(*c, setup)).collect::<anyhow::Result<_>>()?;
    let mut cells: Vec<Cell> = Vec::new();
    for task in &tasks {
        for worker in &workers {
            cells.push(Cell::new(task.label, worker.contender));
        }
    }
    if !quick {
        // One op each first: files cached, lazy initialisation done, caches warm.
        for task in &tasks {
            for worker in &mut workers {
                worker.run(&batch(task, 1, work, worker.contender, None))?;
            }
        }
    }
    for round in 0..rounds {
        println!("resize-bench: round {} of {rounds}", round + 1);
        for task in &tasks {
            // A different contender first in every round.
            let n = workers.len();
            for i in 0..n {
                let worker = &mut workers[(i + round) % n];
                let measured = worker.run(&batch(task, ops, work, worker.contender, None))?;
                let cell = cells.iter_mut().find(|c| c.task == task.label && c.contender == worker.contender).unwrap();
                cell.add(&measured, ops);
            }
        }
    }

    let mut judge = quality::Judge::default();
    for cell in &mut cells {
        let task = tasks.iter().find(|t| t.label == cell.task).unwrap();
        let dir = contenders::out_dir(work, cell.contender, task.label);
        let mut scores = Vec::new();
        for file in &cell.outputs {
            scores.push(judge.ssim(&task.input, &dir.join(&file.name))?);
        }
        cell.ssim = scores.iter().sum::<f64>() / scores.len() as f64;
    }

    let profiles = profile(&mut workers, &tasks, work, if quick { 1 } else { 25 })?;
    drop(workers);
    let cold = cold_starts(&mut launcher, setup, &tasks, work, if quick { 1 } else { 7 })?;
    let rss_floor_mib = launcher.floor_mib()?;
    let service = service_rounds(setup, &tasks[0].input, work, quick)?;
    let versions = report::versions(setup);
    Ok(Report { quick, cpu: setup.cpu, tasks, cells, profiles, cold, rss_floor_mib, service, versions })
}

fn batch(task: &Task, ops: usize, work: &Path, contender: Contender, stop_after: Option<Stage>) -> Batch {
    let out = contenders::out_dir(work, contender, task.label);
    Batch { job: task.job.id().into(), input: task.input.clone(), ops, out, stop_after }
}

/// The module compiled once for this machine, as `cargo xtask lambda` ships it beside the host.
fn precompile(dir: &Path) -> anyhow::Result<()> {
    let wasm = lambda_host::module::WASM;
    let file = dir.join(lambda_host::sandbox::cwasm_file_name(wasm));
    if !file.exists() {
        lambda_host::sandbox::Sandbox::precompile_into(dir, wasm, worker::Engine::server_limits()?, None)?;
    }
    Ok(())
}

/// Each stage's cost: the median time of the pipeline stopped after it, minus the one before.
/// One op per stop in every round, so drift hits every stop alike.
fn profile(workers: &mut [Worker], tasks: &[Task], work: &Path, rounds: usize) -> anyhow::Result<Vec<Profile>> {
    let stops: Vec<Option<Stage>> = Stage::ALL.map(Some).into_iter().chain([None]).collect();
    let mut profiles = Vec::new();
    for task in tasks.iter().filter(|t| t.label != "T2-24Mpx") {
        for worker in workers.iter_mut().filter(|w| !w.contender.is_peer()) {
            let mut times = vec![Vec::new(); stops.len()];
            for _ in 0..rounds {
                for (stop, times) in stops.iter().zip(&mut times) {
                    times.extend(worker.run(&batch(task, 1, work, worker.contender, *stop))?.wall_ms);
                }
            }
            let prefix_ms = times.iter().map(|t| report::median(t)).collect();
            profiles.push(Profile { task: task.label, contender: worker.contender, prefix_ms });
        }
    }
    Ok(profiles)
}

/// T2 on the photo and on the 24 Mpx JPEG, each in a fresh process: wall time and peak RSS.
fn cold_starts(
    launcher: &mut cold::Launcher,
    setup: &Setup,
    tasks: &[Task],
    work: &Path,
    runs: usize,
) -> anyhow::Result<Vec<ColdRow>> {
    let mut rows = Vec::new();
    for task in tasks.iter().filter(|t| t.job == Job::T2) {
        // Interleaved, one run of each contender per round, so a noisy minute on the machine
        // hits every contender alike (seven runs in a row of one made its figure the minute's).
        let mut results: Vec<Vec<cold::Cold>> = Contender::ALL.iter().map(|_| Vec::new()).collect();
        for _ in 0..runs {
            for (contender, results) in Contender::ALL.into_iter().zip(&mut results) {
                let out = work.join("cold").join(task.label).join(contender.slug());
                let input = task.input.to_str().context("input path")?;
                let args = ["cold", task.job.id(), input, out.to_str().context("out path")?];
                let command = contenders::pinned(setup.cpu, contender.command(setup, &args));
                results.push(launcher.run(&command)?);
            }
        }
        let runs = Contender::ALL.into_iter().zip(results);
        rows.extend(runs.map(|(contender, runs)| ColdRow { task: task.label, contender, runs }));
    }
    Ok(rows)
}

fn service_rounds(setup: &Setup, photo: &Path, work: &Path, quick: bool) -> anyhow::Result<Vec<ServiceRow>> {
    let host = setup.bench.with_file_name("lambda-host");
    anyhow::ensure!(host.exists(), "{} is needed (cargo build --release)", host.display());
    let ours = service::ours(&host, &setup.cwasm_dir, &service::data_dir(work, "ours"))?;
    let seed = service::seed(&setup.peers, &service::data_dir(work, "seed"))?;
    let photo = std::fs::read(photo)?;
    let (rounds, requests) = if quick { (1, 2) } else { (5, 40) };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let mut rows: Vec<ServiceRow> = Vec::new();
    for connections in [1, 2] {
        for server in [&ours, &seed] {
            rows.push(ServiceRow { server: server.name, connections, rps: Vec::new() });
        }
    }
    // A first request each: the servers' lazy start-up is not what is measured.
    for server in [&ours, &seed] {
        runtime.block_on(service::throughput(&server.url, &photo, 1, 1))?;
    }
    for _ in 0..rounds {
        for connections in [1, 2] {
            for server in [&ours, &seed] {
                let rps = runtime.block_on(service::throughput(&server.url, &photo, connections, requests))?;
                let row = rows.iter_mut().find(|r| r.server == server.name && r.connections == connections).unwrap();
                row.rps.push(rps);
            }
        }
    }
    Ok(rows)
}
