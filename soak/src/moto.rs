//! moto's S3 server as a process the soak can kill. moto keeps objects in memory only, so it
//! records every request it serves (its recorder) and, once restarted, replays them: what S3
//! acknowledged before the outage is there after it, as with the real service. (moto's recorder
//! appends from many threads at once; the launcher below serialises its writes, or entries of
//! large bodies interleave.)

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// moto's server with its recorder's appends under one lock.
const LAUNCH: &str = "\
import sys, threading
from moto.moto_api._internal.recorder.models import Recorder
record, lock = Recorder._record_request, threading.Lock()
def serialised(self, *args, **kwargs):
    with lock:
        return record(self, *args, **kwargs)
Recorder._record_request = serialised
from moto.server import main
main(sys.argv[1:])
";

pub struct Moto {
    python: PathBuf,
    pub port: u16,
    recording: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Moto {
    /// moto's server, run by `python` (the venv's, where moto is installed).
    pub fn start(python: &Path, work: &Path) -> anyhow::Result<Moto> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let recording = work.join("moto-recording.jsonl");
        let _ = std::fs::remove_file(&recording);
        let mut moto = Moto { python: python.into(), port, recording, log: work.join("moto.log"), child: None };
        moto.spawn()?;
        Ok(moto)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        let child = Command::new(&self.python)
            .args(["-c", LAUNCH, "-H", "127.0.0.1", "-p", &self.port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", &self.recording)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(30), "moto did not listen within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    pub async fn create_bucket(&self, bucket: &str) -> anyhow::Result<()> {
        let url = format!("http://127.0.0.1:{}/{bucket}", self.port);
        let response = reqwest::Client::new().put(url).send().await?;
        anyhow::ensure!(response.status().is_success(), "creating the bucket: {}", response.status());
        Ok(())
    }

    /// SIGKILL: no goodbye to open connections.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A new moto on the same port, given back every request the old one had recorded.
    pub async fn restart(&mut self) -> anyhow::Result<Duration> {
        // The kill may have cut the last entry short: it was never acknowledged, so drop it.
        // Reads change nothing: only writes are replayed.
        let recorded = std::fs::read(&self.recording)?;
        let whole = &recorded[..recorded.iter().rposition(|&b| b == b'\n').map_or(0, |end| end + 1)];
        let writes: Vec<&[u8]> = whole.split_inclusive(|&b| b == b'\n').filter(|entry| !is_read(entry)).collect();
        std::fs::write(&self.recording, writes.concat())?;
        self.spawn()?;
        let started = Instant::now();
        let url = format!("http://127.0.0.1:{}/moto-api/recorder/replay-recording", self.port);
        let response = reqwest::Client::new().post(url).send().await?;
        anyhow::ensure!(response.status().is_success(), "moto's replay answered {}", response.status());
        Ok(started.elapsed())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An entry of a GET or HEAD.
fn is_read(entry: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Entry {
        method: String,
    }
    serde_json::from_slice::<Entry>(entry).is_ok_and(|e| matches!(e.method.as_str(), "GET" | "HEAD"))
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub fn wait_for(port: u16, what: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "{what} did not listen within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
