//! Service throughput: `lambda-host serve` (local storage) against the seed's shape rebuilt with
//! Node + sharp (`peers/seed-server.mjs`), the same multipart uploads of the same photo from the
//! same load generator, at 1 and 2 connections, in interleaved rounds. Servers run with their
//! defaults and are not pinned: this is the service as deployed, both cores available.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

pub struct Server {
    pub name: &'static str,
    pub url: String,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start(name: &'static str, mut command: Command, port: u16) -> anyhow::Result<Server> {
    command.stdout(Stdio::null()).stderr(Stdio::inherit());
    let child = command.spawn().with_context(|| format!("starting {name} ({command:?})"))?;
    let server = Server { name, url: format!("http://127.0.0.1:{port}/image"), child };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "{name} did not listen on {port} within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

/// Our server on loopback, storing into `dir`.
pub fn ours(host: &Path, cwasm_dir: &Path, dir: &Path) -> anyhow::Result<Server> {
    let port = free_port()?;
    let mut command = Command::new(host);
    command.args(["serve", "--listen", &format!("127.0.0.1:{port}")]).arg("--data-dir").arg(dir);
    command.arg("--cwasm-dir").arg(cwasm_dir).env("RUST_LOG", "warn");
    start("serve (module in wasmtime)", command, port)
}

/// The seed's shape: Node + sharp, three pipelines per upload, files written to `dir`.
pub fn seed(peers: &Path, dir: &Path) -> anyhow::Result<Server> {
    let port = free_port()?;
    let mut command = Command::new("node");
    command.arg(peers.join("seed-server.mjs")).arg(port.to_string()).arg(dir);
    start("seed shape (Node + sharp)", command, port)
}

/// `requests` uploads of `photo` over `connections` concurrent connections; requests per second.
pub async fn throughput(url: &str, photo: &[u8], connections: usize, requests: usize) -> anyhow::Result<f64> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..connections {
        let (url, photo, next) = (url.to_string(), photo.to_vec(), next.clone());
        clients.push(tokio::spawn(async move {
            // One client per connection, so each keeps its own keep-alive connection.
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    return anyhow::Ok(());
                }
                let file =
                    reqwest::multipart::Part::bytes(photo.clone()).file_name("photo.jpg").mime_str("image/jpeg")?;
                let form = reqwest::multipart::Form::new().part("file", file).text("s3Key", format!("bench-{i}.jpg"));
                let response = client.post(&url).multipart(form).send().await?;
                let status = response.status();
                let body = response.text().await?;
                anyhow::ensure!(status.as_u16() == 201, "{url} answered {status}: {body}");
            }
        }));
    }
    for client in clients {
        client.await??;
    }
    Ok(requests as f64 / start.elapsed().as_secs_f64())
}

pub fn data_dir(work: &Path, name: &str) -> PathBuf {
    work.join("service").join(name)
}
