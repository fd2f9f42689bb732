//! After the run: every answer against the rules, every stored set read back, every refused
//! upload's keys looked up, the server's memory and health; a summary table.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use crate::inputs::Input;
use crate::load::{Outage, Outcome};
use crate::{Args, secs};

/// The server preset's suffixes: every key a request may have stored.
const SUFFIXES: [&str; 3] = ["", "_200", "_75"];

/// Samples the server's resident memory every 100 ms; the peak in KiB.
pub struct RssWatch {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<u64>,
}

impl RssWatch {
    pub fn start(pid: u32) -> RssWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut peak = 0;
            while !flag.load(Ordering::SeqCst) {
                peak = peak.max(rss_kib(pid).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        });
        RssWatch { stop, task }
    }

    pub async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap_or(0)
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

pub struct Report {
    rows: Vec<(String, String)>,
    pub failures: Vec<String>,
}

impl Report {
    pub fn table(&self) -> String {
        let mut table = String::from("| soak | |\n|---|---|\n");
        for (what, value) in &self.rows {
            table.push_str(&format!("| {what} | {value} |\n"));
        }
        table
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn check(
    base: &str,
    inputs: &[Input],
    args: &Args,
    outcomes: Vec<Outcome>,
    outage: Outage,
    took: Duration,
    peak_rss_kib: u64,
    alive: bool,
) -> anyhow::Result<Report> {
    let mut failures = Vec::new();
    let mut fail = |text: String| {
        if failures.len() < 30 {
            failures.push(text);
        }
    };
    let in_outage = |o: &Outcome| o.started <= outage.back && o.ended >= outage.killed;
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let (mut unavailable, mut unanswered) = (0, 0);
    for o in &outcomes {
        let name = &inputs[o.input].name;
        let label = match (o.status, &o.code) {
            (Some(status), Some(code)) => format!("{status} {code}"),
            (Some(status), None) => status.to_string(),
            (None, _) => "no answer".into(),
        };
        *statuses.entry(label).or_default() += 1;
        match o.status {
            None => {
                unanswered += 1;
                fail(format!("{} ({name}): no answer: {}", o.key, o.detail));
            }
            Some(503) if o.code.as_deref() == Some("storage_unavailable") && in_outage(o) => unavailable += 1,
            Some(status @ 500..) => fail(format!("{} ({name}): {status} {:?} {}", o.key, o.code, o.detail)),
            Some(201) if !inputs[o.input].valid => fail(format!("{} ({name}): a hostile file was stored", o.key)),
            Some(status) if status != 201 && inputs[o.input].valid && o.last && !in_outage(o) => {
                fail(format!("{} ({name}): refused with {status} {:?}: {}", o.key, o.code, o.detail))
            }
            Some(_) => {}
        }
    }

    // Clean-ups the outage interrupted are retried by the server once a second.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let mut lookups = JoinSet::new();
    let (mut sets, mut refused) = (0, 0);
    for o in outcomes.iter().filter(|o| o.last) {
        let expected: Vec<(String, Option<String>)> = if o.status == Some(201) {
            sets += 1;
            o.variants.iter().map(|(key, sha)| (key.clone(), Some(sha.clone()))).collect()
        } else {
            refused += 1;
            SUFFIXES.iter().map(|suffix| (format!("{}{suffix}", o.key), None)).collect()
        };
        for (key, sha) in expected {
            let (client, url) = (client.clone(), format!("{base}/image/{key}"));
            lookups.spawn(async move {
                let found = match client.get(url).send().await {
                    Ok(r) if r.status() == 200 => r.bytes().await.ok().map(|b| hex::encode(Sha256::digest(&b))),
                    Ok(r) if r.status() == 404 => None,
                    Ok(r) => Some(format!("status {}", r.status())),
                    Err(e) => Some(format!("error {e}")),
                };
                (key, sha, found)
            });
            while lookups.len() >= 16 {
                check_lookup(lookups.join_next().await, &mut fail);
            }
        }
    }
    while !lookups.is_empty() {
        check_lookup(lookups.join_next().await, &mut fail);
    }

    let recovered = outcomes.iter().filter(|o| o.status == Some(201) && o.started > outage.back).count();
    if recovered == 0 {
        fail("no upload was stored after S3 came back".into());
    }
    if !alive {
        fail("the server process died".into());
    }
    let peak_mib = peak_rss_kib / 1024;
    if peak_mib > args.rss_limit_mib {
        fail(format!("the server's peak RSS {peak_mib} MiB is over the {} MiB bound", args.rss_limit_mib));
    }

    let mut latencies: Vec<f64> = outcomes.iter().map(|o| secs(o.ended - o.started) * 1000.0).collect();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    let rows = vec![
        (
            "uploads (attempts), clients at once".into(),
            format!("{} ({}), {}", args.uploads, outcomes.len(), args.concurrency),
        ),
        ("run time".into(), format!("{:.1} s ({:.0} attempts/s)", secs(took), outcomes.len() as f64 / secs(took))),
        (
            "answers to attempts (503 and 429 are tried again after Retry-After)".into(),
            statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect::<Vec<_>>().join(", "),
        ),
        (
            "S3 down (killed -> restarted and replayed)".into(),
            format!(
                "{:.1} s -> {:.1} s ({:.1} s dead, {:.1} s replay)",
                secs(outage.killed),
                secs(outage.back),
                args.outage_secs,
                secs(outage.replay)
            ),
        ),
        ("503 storage_unavailable, all inside the outage".into(), unavailable.to_string()),
        ("other 5xx / no answer".into(), format!("{} / {unanswered}", failures_5xx(&outcomes, unavailable))),
        ("latency p50 / p99 / max".into(), format!("{:.0} / {:.0} / {:.0} ms", at(0.5), at(0.99), at(1.0))),
        ("stored sets read back (sha256 of each variant)".into(), sets.to_string()),
        ("refused uploads with no key left behind".into(), refused.to_string()),
        ("stored after S3 came back".into(), recovered.to_string()),
        ("server peak RSS (bound)".into(), format!("{peak_mib} MiB ({} MiB)", args.rss_limit_mib)),
        ("server still up, never restarted".into(), alive.to_string()),
    ];
    Ok(Report { rows, failures })
}

fn failures_5xx(outcomes: &[Outcome], allowed: usize) -> usize {
    outcomes.iter().filter(|o| o.status.is_some_and(|s| s >= 500)).count() - allowed
}

/// A key, the sha256 it should hold (`None`: it should not exist), and what was found.
type Lookup = (String, Option<String>, Option<String>);

fn check_lookup(joined: Option<Result<Lookup, tokio::task::JoinError>>, fail: &mut impl FnMut(String)) {
    let Some(Ok((key, expected, found))) = joined else {
        return fail("a lookup task failed".into());
    };
    match (expected, found) {
        (Some(sha), Some(got)) if sha == got => {}
        (Some(sha), got) => fail(format!("{key}: stored as {sha}, read back {got:?}")),
        (None, None) => {}
        (None, Some(got)) => fail(format!("{key}: a refused upload left this behind ({got})")),
    }
}
