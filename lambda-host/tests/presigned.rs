//! Presigned URLs against a server that checks them. moto checks neither signatures nor expiry of
//! presigned URLs (and answers every one with a 500 in its auth mode; see docs/decisions.md), so
//! these tests run s3s-fs (crates.io, an S3 server on a directory that verifies SigV4, presigned
//! URLs included), which `cargo xtask test` installs into `.tools/s3s-fs`: a tampered, resized,
//! retyped or expired URL is refused by the server, not by the host.

mod common;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::moto::{s3_options, sdk_config_for};
use common::process::{Tied, free_port, wait_for_port};
use common::*;
use lambda_host::config::{GetMode, ServiceArgs};
use lambda_host::storage::s3::S3Store;

const ACCESS_KEY: &str = "resize-test";
const SECRET_KEY: &str = "resize-test-secret";

struct S3sFs {
    endpoint: String,
    _process: Tied,
}

fn s3s_fs() -> &'static S3sFs {
    static SERVER: OnceLock<S3sFs> = OnceLock::new();
    SERVER.get_or_init(|| {
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/s3s-fs/bin/s3s-fs");
        assert!(bin.exists(), "{} is missing: `cargo xtask test` installs it", bin.display());
        let root = std::env::temp_dir().join(format!("resize-test-s3s-fs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let port = free_port();
        let args = ["--host", "127.0.0.1", "--port", &port.to_string(), "--access-key", ACCESS_KEY];
        let args = [&args[..], &["--secret-key", SECRET_KEY, root.to_str().unwrap()]].concat();
        let process = Tied::spawn("s3s-fs", &bin, &args, &[]);
        wait_for_port(port, "s3s-fs");
        S3sFs { endpoint: format!("http://127.0.0.1:{port}"), _process: process }
    })
}

fn sdk_config() -> aws_config::SdkConfig {
    sdk_config_for(&s3s_fs().endpoint, ACCESS_KEY, SECRET_KEY)
}

/// A host storing in a new bucket on s3s-fs, with presigned URLs valid `ttl_secs`.
async fn server(bucket: &str, ttl_secs: u64, s3_get: GetMode) -> TestServer {
    let client =
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk_config()).force_path_style(true).build());
    client.create_bucket().bucket(bucket).send().await.unwrap();
    let args = ServiceArgs { presign_ttl_secs: ttl_secs, s3_get, ..ServiceArgs::default() };
    let store = S3Store::with_config(&sdk_config(), s3_options(bucket));
    start_with_store(args, Arc::new(store), std::env::temp_dir())
}

async fn ticket(server: &TestServer, size: usize) -> serde_json::Value {
    let body = serde_json::json!({ "contentType": "image/bmp", "size": size });
    let response = reqwest::Client::new().post(server.url("/uploads")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn put(url: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let response =
        reqwest::Client::new().put(url).header("content-type", content_type).body(body).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn tamper_signature(url: &str) -> String {
    let last = url.chars().last().unwrap();
    format!("{}{}", &url[..url.len() - 1], if last == '0' { '1' } else { '0' })
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_accepts_the_upload_url_only_as_issued() {
    let server = server("checked-uploads", 900, GetMode::Stream).await;
    let bmp = fixture("plain.bmp");
    let ticket = ticket(&server, bmp.len()).await;
    let url = ticket["url"].as_str().unwrap();

    let mut longer = bmp.clone();
    longer.push(0);
    let other_key = url.replacen("/uploads/", "/uploads/0", 1);
    for (what, url, content_type, body) in [
        ("a tampered signature", tamper_signature(url), "image/bmp", bmp.clone()),
        ("another key", other_key, "image/bmp", bmp.clone()),
        ("another size", url.to_string(), "image/bmp", longer),
        ("another type", url.to_string(), "image/png", bmp.clone()),
    ] {
        let (status, answer) = put(&url, content_type, body).await;
        assert_eq!(status, 403, "{what} must be refused: {answer}");
        assert!(answer.contains("SignatureDoesNotMatch"), "{what}: {answer}");
    }

    let (status, answer) = put(url, "image/bmp", bmp).await;
    assert_eq!(status, 200, "{answer}");
    let form = reqwest::multipart::Form::new().text("sourceKey", ticket["sourceKey"].as_str().unwrap().to_string());
    let (status, manifest) = post(&server, form.text("s3Key", "checked.jpg")).await;
    assert_eq!(status, 201, "{manifest}");
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_refuses_expired_urls() {
    let server = server("expiring", 1, GetMode::Redirect).await;
    let bmp = fixture("plain.bmp");
    let (status, manifest) = post(&server, form(bmp.clone(), "soon.jpg")).await;
    assert_eq!(status, 201, "{manifest}");
    let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = no_follow.get(server.url("/image/soon.jpg_75")).send().await.unwrap();
    assert_eq!(answer.status(), 307);
    let download = answer.headers()["location"].to_str().unwrap().to_string();
    let fresh = reqwest::get(&download).await.unwrap();
    assert_eq!(fresh.status(), 200);
    assert_eq!(sha256_hex(&fresh.bytes().await.unwrap()), manifest["variants"][2]["sha256"].as_str().unwrap());
    let tampered = reqwest::get(tamper_signature(&download)).await.unwrap();
    assert_eq!(tampered.status(), 403);

    let upload = ticket(&server, bmp.len()).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let stale = reqwest::get(&download).await.unwrap();
    assert_eq!(stale.status(), 403);
    assert!(stale.text().await.unwrap().contains("Request has expired"));
    let (status, answer) = put(upload["url"].as_str().unwrap(), "image/bmp", bmp).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("Request has expired"), "{answer}");
}
