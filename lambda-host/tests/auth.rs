//! API keys checked by the host: missing, wrong, right, rotation (two keys at once), the reading
//! routes left open, and `serve` refusing a network address without keys.

mod common;

use std::process::{Command, Stdio};

use common::*;
use lambda_host::config::ServiceArgs;
use serde_json::Value;

/// `lambda-host keys new`: a key and the SHA-256 to configure for it.
fn new_key() -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_lambda-host")).args(["keys", "new"]).output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).unwrap().trim().to_string();
    let (key, hash) = (field("key:"), field("hash:"));
    assert_eq!(sha256_hex(key.as_bytes()), hash, "the printed hash is the key's SHA-256");
    (key, hash)
}

async fn post_with(server: &TestServer, header: Option<(&str, String)>, key: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(server.url("/image")).multipart(form(fixture("plain.bmp"), key));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn writing_needs_one_of_the_configured_keys() {
    let ((old, old_hash), (new, new_hash)) = (new_key(), new_key());
    let args = ServiceArgs { api_keys: format!("{old_hash},{new_hash}"), ..Default::default() };
    let server = common::start("auth", args);

    let (status, body) = post_with(&server, None, "a.bmp").await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("missing_api_key")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("x-api-key"));
    let (status, body) = post_with(&server, Some(("x-api-key", "rik_guess".into())), "a.bmp").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("invalid_api_key")), "{body}");
    let (status, body) = post_with(&server, Some(("x-api-key", new_hash.clone())), "a.bmp").await;
    assert_eq!(status, 403, "the hash itself is not a key: {body}");

    // Rotation: both keys work at once, in either header.
    let (status, body) = post_with(&server, Some(("x-api-key", old)), "old.bmp").await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post_with(&server, Some(("authorization", format!("Bearer {new}"))), "new.bmp").await;
    assert_eq!(status, 201, "{body}");

    // Presigned uploads are a writing route too (the key is checked before anything else).
    let uploads = reqwest::Client::new().post(server.url("/uploads")).body("{}").send().await.unwrap();
    assert_eq!(uploads.status(), 401);
    // Reading routes and the demo stay open; clients are told a key is needed.
    for path in ["/image/old.bmp", "/health", "/", "/wasm/resize_wasm_bg.wasm"] {
        assert_eq!(reqwest::get(server.url(path)).await.unwrap().status(), 200, "{path}");
    }
    let config: Value = reqwest::get(server.url("/config")).await.unwrap().json().await.unwrap();
    assert_eq!(config["auth"]["apiKeyRequired"], true);
}

#[test]
fn serve_refuses_a_network_address_without_keys() {
    let data = std::env::temp_dir().join(format!("resize-auth-{}", std::process::id()));
    let serve = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lambda-host"))
            .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
            .arg(&data)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let refused = serve(&[]).wait_with_output().unwrap();
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("refusing to listen on 0.0.0.0:0 without API keys"), "{message}");

    for extra in [&["--allow-anonymous"][..], &["--api-keys", &new_key().1][..]] {
        let mut child = serve(extra);
        let mut out = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        std::io::BufRead::read_line(&mut stdout, &mut out).unwrap();
        child.kill().unwrap();
        let stderr = String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned();
        assert!(out.contains("listening on http://0.0.0.0:"), "{extra:?}: {out}");
        assert_eq!(stderr.contains("writing routes are open"), extra[0] == "--allow-anonymous", "{extra:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(data);
}
