//! Cold start: a whole process that does one job and exits, timed from spawn to exit, with its
//! peak resident memory (wait4's ru_maxrss).
//!
//! Linux carries a process's peak RSS across exec, and a child spawned with vfork (as std does)
//! execs from its parent's address space, so every child would report at least its parent's peak
//! (the harness's, hundreds of MiB after judging quality). So the children are started by a small
//! launcher process (`resize-bench launch`), started before the harness allocates anything
//! large: the floor is then the launcher's own few MiB, reported beside the figures.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cold {
    pub wall_ms: f64,
    pub peak_rss_mib: f64,
}

/// What the launcher is asked to run.
#[derive(Debug, Serialize, Deserialize)]
struct Launch {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

pub struct Launcher {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Launcher {
    pub fn start(bench: &std::path::Path) -> anyhow::Result<Self> {
        let mut child = Command::new(bench).arg("launch").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Self { child, stdin, stdout })
    }

    /// Runs `command` (program, arguments and added environment only) to completion.
    pub fn run(&mut self, command: &Command) -> anyhow::Result<Cold> {
        let text = |s: &std::ffi::OsStr| s.to_str().map(String::from).context("non-UTF-8 argument");
        let launch = Launch {
            program: text(command.get_program())?,
            args: command.get_args().map(text).collect::<anyhow::Result<_>>()?,
            env: command
                .get_envs()
                .filter_map(|(k, v)| Some((text(k), text(v?))))
                .map(|(k, v)| Ok((k?, v?)))
                .collect::<anyhow::Result<_>>()?,
        };
        serde_json::to_writer(&mut self.stdin, &launch)?;
        self.stdin.write_all(b"\n")?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        let answer: Result<Cold, String> = serde_json::from_str(&line).context("launcher answer")?;
        answer.map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The launcher's own peak RSS: the floor under every figure it reports.
    pub fn floor_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("VmHWM")?;
        Ok(kib / 1024.0)
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `resize-bench launch`: runs each command read from stdin, answers with its figures.
pub fn serve_launches() -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let launch: Launch = serde_json::from_str(&line?)?;
        let mut command = Command::new(&launch.program);
        command.args(&launch.args).envs(launch.env).stdout(Stdio::null());
        let answer = run(command).map_err(|e| format!("{e:#}"));
        let mut out = stdout.lock();
        serde_json::to_writer(&mut out, &answer)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

fn run(mut command: Command) -> anyhow::Result<Cold> {
    let start = Instant::now();
    let child = command.spawn().with_context(|| format!("starting {command:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child and nothing else waits for it (dropping a Child does not wait).
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    drop(child);
    anyhow::ensure!(waited == pid, "wait4: {}", std::io::Error::last_os_error());
    anyhow::ensure!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{command:?} failed ({status})");
    Ok(Cold { wall_ms, peak_rss_mib: usage.ru_maxrss as f64 / 1024.0 })
}
