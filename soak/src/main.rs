//! `resize-soak` (run by `cargo xtask soak`, and small by the test command): the real server
//! (`lambda-host serve`) on loopback storing in moto's S3, fed thousands of uploads by many
//! clients at once (photos, the EXIF set, hostile files), with S3 killed part-way and restarted.
//! Then every answer and every key is checked; a summary table is printed and the run fails on
//! any breach. All traffic goes to 127.0.0.1; every loop is bounded in count and time.

mod inputs;
mod load;
mod moto;
mod proxy;
mod verify;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser)]
#[command(about = "Soak test: uploads under load with an S3 outage, then every key checked")]
pub struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/lambda-host")]
    host: PathBuf,
    /// The Python with moto (`cargo xtask test` installs it).
    #[arg(long, default_value = ".tools/venv/bin/python")]
    python: PathBuf,
    /// The shared corpus (photo, alpha PNG, exif/).
    #[arg(long, default_value = "../shared/corpus")]
    corpus: PathBuf,
    /// Scratch space: moto's recording, the logs.
    #[arg(long, default_value = "target/soak")]
    work: PathBuf,
    #[arg(long, default_value_t = 2000)]
    uploads: usize,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// S3 is killed once this many uploads have been answered.
    #[arg(long)]
    outage_after: Option<usize>,
    /// Seconds S3 stays dead before it is restarted.
    #[arg(long, default_value_t = 10.0)]
    outage_secs: f64,
    /// The server's S3 operation timeout, milliseconds.
    #[arg(long, default_value_t = 3000)]
    s3_timeout_ms: u64,
    /// A request unanswered after this many seconds counts as hung.
    #[arg(long, default_value_t = 60)]
    request_deadline_secs: u64,
    /// The server's resident memory may not pass this, MiB (2,000 uploads from 32 clients peaked
    /// at 168 here before sandbox slots kept 64 MiB each resident; that added 88 to the small
    /// soak's peak).
    #[arg(long, default_value_t = 384)]
    rss_limit_mib: u64,
}

const BUCKET: &str = "soak";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(soak(&args))?;
    println!("{}", report.table());
    anyhow::ensure!(report.failures.is_empty(), "the soak failed:\n  {}", report.failures.join("\n  "));
    println!("soak passed");
    Ok(())
}

async fn soak(args: &Args) -> anyhow::Result<verify::Report> {
    let inputs = inputs::load(&args.corpus)?;
    let mut moto = moto::Moto::start(&args.python, &args.work)?;
    moto.create_bucket(BUCKET).await?;
    let proxy = proxy::Proxy::start(moto.port).await?;

    let port = moto::free_port()?;
    let log = std::fs::File::create(args.work.join("server.log"))?;
    let mut server = Command::new(&args.host)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--s3-bucket", BUCKET])
        .args(["--s3-force-path-style", "true", "--s3-timeout-ms", &args.s3_timeout_ms.to_string()])
        .args(["--log-format", "json"])
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", proxy.port))
        .env("AWS_ACCESS_KEY_ID", "soak")
        .env("AWS_SECRET_ACCESS_KEY", "soak")
        .env("AWS_REGION", "us-east-1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?;
    let server_pid = server.id();
    let result = async {
        moto::wait_for(port, "the server")?;
        let base = format!("http://127.0.0.1:{port}");
        let rss = verify::RssWatch::start(server_pid);
        let started = Instant::now();
        let outage_after = args.outage_after.unwrap_or(args.uploads / 4);
        let (outcomes, outage) = load::run(&base, &inputs, args, outage_after, &mut moto, &proxy, started).await?;
        let peak_rss = rss.stop().await;
        let alive = server.try_wait()?.is_none();
        verify::check(&base, &inputs, args, outcomes, outage, started.elapsed(), peak_rss, alive).await
    }
    .await;
    let _ = server.kill();
    let _ = server.wait();
    result
}

pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
