//! The host as a Lambda function: the test-built binary driven by cargo-lambda's emulator,
//! storing in moto. Requests arrive through the emulator's function URL (HTTP API v2 events) and
//! as the committed events in `tests/events/` (REST v1 with a base64 multipart body, HTTP API v2,
//! Function URL), delivered with `cargo lambda invoke`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use common::emulator::Lambda;
use common::moto::{assert_seed_variants, client, create_bucket, keys_in};

const BUCKET: &str = "lambda-bucket";

fn lambda() -> &'static Lambda {
    static LAMBDA: OnceLock<Lambda> = OnceLock::new();
    LAMBDA.get_or_init(|| {
        runtime().block_on(create_bucket(BUCKET));
        let cwasm_dir = std::env::temp_dir().join(format!("resize-test-lambda-{}", std::process::id()));
        std::fs::create_dir_all(&cwasm_dir).unwrap();
        Lambda::start("lambda", Path::new(env!("CARGO_BIN_EXE_lambda-host")), BUCKET, Some(&cwasm_dir))
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn event(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events").join(name)
}

#[test]
fn a_multipart_post_through_the_emulator_stores_the_seed_variants() {
    let lambda = lambda();
    let png = gradient_png();
    let runtime = runtime();
    let (status, manifest) = runtime.block_on(async {
        let part = reqwest::multipart::Part::bytes(png).file_name("gradient.png");
        let form = reqwest::multipart::Form::new().part("file", part).text("s3Key", "watch/img.png");
        let response = reqwest::Client::new().post(lambda.url("/image")).multipart(form).send().await.unwrap();
        (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap())
    });
    assert_eq!(status, 201, "{manifest}\n{}", lambda.function.log_text());
    runtime.block_on(assert_seed_variants(BUCKET, "watch/img.png"));
    let log = lambda.function.log_text();
    assert!(log.contains("lambda init done") && log.contains("first request"), "{log}");

    // In Lambda every line is JSON: an Embedded Metric Format line per request, and log lines
    // carrying the Lambda request id and the X-Ray trace id.
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let emf = lines
        .iter()
        .find(|l| l["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "resize-image" && l["Status"] == 201)
        .unwrap_or_else(|| panic!("no EMF line for the request: {log}"));
    assert_eq!(emf["Route"], "POST /image");
    let names: Vec<_> =
        emf["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].clone()).collect();
    for name in ["Duration", "StoredBytes", "Errors", "ClientErrors"] {
        assert!(names.contains(&serde_json::json!(name)), "{name} in {emf}");
        assert!(emf[name].is_number(), "{name} in {emf}");
    }
    assert!(emf["StoredBytes"].as_u64().unwrap() > 0, "{emf}");
    let summary = lines
        .iter()
        .find(|l| l["message"] == "request" && l["span"]["request_id"] == emf["requestId"])
        .unwrap_or_else(|| panic!("no log line with the Lambda request id {}: {log}", emf["requestId"]));
    let trace_id = summary["span"]["trace_id"].as_str().unwrap_or_else(|| panic!("no trace id: {summary}"));
    assert!(trace_id.starts_with("Root="), "{summary}");
    assert_eq!(emf["traceId"].as_str(), Some(trace_id));
}

#[test]
fn each_event_shape_stores_the_seed_variants() {
    let lambda = lambda();
    let runtime = runtime();
    for (file, key) in [
        ("rest-v1.json", "events/rest-v1.png"),
        ("http-v2.json", "events/http-v2.png"),
        ("function-url.json", "events/function-url.png"),
    ] {
        let answer = lambda.invoke(&event(file));
        assert_eq!(answer["statusCode"], 201, "{file}: {answer}");
        let manifest: serde_json::Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(manifest["key"], key, "{file}");
        runtime.block_on(assert_seed_variants(BUCKET, key));
    }
}

#[test]
fn images_come_back_base64_encoded() {
    let lambda = lambda();
    let runtime = runtime();
    let jpeg =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../resize-wasm/tests/fixtures/progressive.jpg"))
            .unwrap();
    runtime.block_on(async {
        client()
            .put_object()
            .bucket(BUCKET)
            .key("direct/p.jpg")
            .content_type("image/jpeg")
            .body(jpeg.clone().into())
            .send()
            .await
            .unwrap();
    });
    let get = serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/image/direct/p.jpg",
        "rawQueryString": "",
        "headers": { "host": "f7xmpl3a2b.lambda-url.us-east-1.on.aws", "accept": "image/*" },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "f7xmpl3a2b",
            "domainName": "f7xmpl3a2b.lambda-url.us-east-1.on.aws",
            "http": { "method": "GET", "path": "/image/direct/p.jpg", "protocol": "HTTP/1.1", "sourceIp": "198.51.100.7", "userAgent": "curl/8.5.0" },
            "requestId": "get-base64",
            "routeKey": "$default",
            "stage": "$default",
            "time": "25/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795608000000u64
        },
        "isBase64Encoded": false
    });
    let file = std::env::temp_dir().join(format!("resize-test-get-event-{}.json", std::process::id()));
    std::fs::write(&file, get.to_string()).unwrap();
    let answer = lambda.invoke(&file);
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["isBase64Encoded"], true, "{answer}");
    assert_eq!(answer["headers"]["content-type"], "image/jpeg");
    let body = base64::engine::general_purpose::STANDARD.decode(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, jpeg);
    assert!(runtime.block_on(keys_in(BUCKET)).contains(&"direct/p.jpg".to_string()));
}

/// 640x512, larger than the biggest variant, so every variant has the seed's size.
fn gradient_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 512, |x, y| image::Rgb([(x / 3) as u8, (y / 2) as u8, 96]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}
