//! The clients: `concurrency` of them take the next upload until `uploads` are answered, while
//! the outage is staged once `outage_after` answers are in.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Args;
use crate::inputs::Input;
use crate::moto::Moto;
use crate::proxy::Proxy;

/// One answer (or none) to one attempt at an upload.
pub struct Outcome {
    pub input: usize,
    pub key: String,
    /// The upload's last attempt: what the key must show afterwards.
    pub last: bool,
    /// `None`: no answer before the client's deadline (or the connection failed).
    pub status: Option<u16>,
    pub code: Option<String>,
    pub detail: String,
    pub started: Duration,
    pub ended: Duration,
    /// Stored variants from the manifest: key and sha256.
    pub variants: Vec<(String, String)>,
    /// The answer's Retry-After.
    pub retry_after: Option<Duration>,
}

/// Attempts per upload: a 10 s outage with Retry-After: 5 needs three or four.
const MAX_ATTEMPTS: u32 = 8;

async fn attempt_upload(
    client: &reqwest::Client,
    url: &str,
    (name, bytes): &(String, Vec<u8>),
    input: usize,
    key: &str,
    t0: Instant,
) -> Outcome {
    let started = t0.elapsed();
    let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone());
    let form = reqwest::multipart::Form::new().part("file", part).text("s3Key", key.to_string());
    let mut outcome = Outcome {
        input,
        key: key.into(),
        last: true,
        status: None,
        code: None,
        detail: String::new(),
        started,
        ended: started,
        variants: Vec::new(),
        retry_after: None,
    };
    match client.post(url).multipart(form).send().await {
        Ok(response) => {
            outcome.status = Some(response.status().as_u16());
            let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok());
            outcome.retry_after = retry_after.map(Duration::from_secs);
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            outcome.code = body["error"]["code"].as_str().map(String::from);
            outcome.detail = body["error"]["message"].as_str().unwrap_or_default().to_string();
            for variant in body["variants"].as_array().into_iter().flatten() {
                let (k, sha) = (variant["key"].as_str(), variant["sha256"].as_str());
                outcome.variants.push((k.unwrap_or_default().into(), sha.unwrap_or_default().into()));
            }
        }
        Err(e) => outcome.detail = e.to_string(),
    }
    outcome.ended = t0.elapsed();
    outcome
}

/// When S3 was dead, from the start of the run.
pub struct Outage {
    pub killed: Duration,
    pub back: Duration,
    pub replay: Duration,
}

pub async fn run(
    base: &str,
    inputs: &[Input],
    args: &Args,
    outage_after: usize,
    moto: &mut Moto,
    proxy: &Proxy,
    t0: Instant,
) -> anyhow::Result<(Vec<Outcome>, Outage)> {
    anyhow::ensure!(outage_after < args.uploads, "the outage must come before the last upload");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(args.request_deadline_secs)).build()?;
    let (next, answered) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let files: Arc<Vec<(String, Vec<u8>)>> =
        Arc::new(inputs.iter().map(|i| (i.name.clone(), i.bytes.clone())).collect());
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, next, answered, files, uploads) =
            (client.clone(), next.clone(), answered.clone(), files.clone(), args.uploads);
        let url = format!("{base}/image");
        workers.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                if index >= uploads {
                    return outcomes;
                }
                let input = index % files.len();
                let key = format!("soak/{index}/{}", files[input].0);
                // As a careful client does: "not now" answers are tried again after Retry-After.
                // Every fourth client gives up at once, so some uploads end refused by the outage
                // (their keys must be empty afterwards, however their writes were cut).
                let attempts = if index % 4 == 0 { 1 } else { MAX_ATTEMPTS };
                for attempt in 1..=attempts {
                    let mut outcome = attempt_upload(&client, &url, &files[input], input, &key, t0).await;
                    let retry = outcome.retry_after.filter(|_| attempt < attempts);
                    outcome.last = retry.is_none();
                    outcomes.push(outcome);
                    match retry {
                        Some(wait) => tokio::time::sleep(wait).await,
                        None => break,
                    }
                }
                answered.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }

    // The outage, once enough answers are in (bounded: the clients end within their deadlines).
    let give_up = Instant::now() + Duration::from_secs(args.request_deadline_secs) * (args.uploads as u32);
    while answered.load(Ordering::SeqCst) < outage_after && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    proxy.shut();
    moto.kill();
    let killed = t0.elapsed();
    println!("soak: S3 killed at {:.1} s, after {} answers", killed.as_secs_f64(), answered.load(Ordering::SeqCst));
    tokio::time::sleep(Duration::from_secs_f64(args.outage_secs)).await;
    let replay = moto.restart().await?;
    proxy.open();
    let back = t0.elapsed();
    println!(
        "soak: S3 back at {:.1} s (replaying what it had acknowledged took {:.1} s)",
        back.as_secs_f64(),
        replay.as_secs_f64()
    );

    let mut outcomes = Vec::with_capacity(args.uploads);
    for worker in workers {
        outcomes.extend(worker.await?);
    }
    Ok((outcomes, Outage { killed, back, replay }))
}
