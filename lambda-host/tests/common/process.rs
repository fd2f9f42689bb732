//! Helper processes (moto, the Lambda emulator, the function) that live exactly as long as the
//! test binary: each runs under `sh`, which kills it when the test binary's end of a pipe closes,
//! however the test binary ends.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Tied {
    child: Child,
    lifeline: Option<ChildStdin>,
    pub log: PathBuf,
}

impl Tied {
    /// Starts `program args` with `envs`, its output in a log file named after `name`.
    pub fn spawn(name: &str, program: &Path, args: &[&str], envs: &[(&str, &str)]) -> Tied {
        let log = std::env::temp_dir().join(format!("resize-test-{name}-{}.log", std::process::id()));
        let out = std::fs::File::create(&log).unwrap();
        let mut child = Command::new("sh")
            .args(["-c", r#""$@" <&- & pid=$!; read -r _; kill $pid"#, "sh"])
            .arg(program)
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        let lifeline = child.stdin.take();
        Tied { child, lifeline, log }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Tied {
    /// Closing the pipe makes `sh` stop the program; then `sh` exits.
    fn drop(&mut self) {
        drop(self.lifeline.take());
        let _ = self.child.wait();
    }
}

/// A tool `cargo xtask test` installs into `.tools/venv/bin`.
pub fn venv_tool(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin").join(name);
    assert!(path.exists(), "{} is missing: `cargo xtask test` installs it", path.display());
    path
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_for_port(port: u16, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "{what} did not start listening on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
