//! The API over real HTTP, through the real module in wasmtime.

mod common;

use std::path::PathBuf;

use common::*;
use lambda_host::config::ServiceArgs;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

/// Settings whose job on the photo runs long: a 4000 px cover enlargement, 300-350 ms through
/// `serve`, where the seed's job takes about 15 ms.
fn slow_job() -> ServiceArgs {
    ServiceArgs { variants: "4000".into(), without_enlargement: false, ..ServiceArgs::default() }
}

fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).unwrap();
    (img.width(), img.height())
}

/// `curl -F file=@PATH -F s3Key=KEY .../image`: status and JSON body.
fn curl_post(server: &TestServer, path: &std::path::Path, key: &str) -> (u16, Value) {
    let out = std::process::Command::new("curl")
        .args(["-sS", "-w", "\n%{http_code}", "-F"])
        .arg(format!("file=@{}", path.display()))
        .args(["-F", &format!("s3Key={key}")])
        .arg(server.url("/image"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.parse().unwrap(), serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")))
}

/// The seed's client, unchanged: curl -F file=@img.jpg -F s3Key=img.jpg .../image
#[tokio::test]
async fn seed_curl_contract_stores_three_squares() {
    let server = server();
    let photo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/photo-2725x2225.jpg");
    let (status, manifest) = curl_post(server, &photo, "img.jpg");
    assert_eq!(status, 201, "{manifest}");
    assert_eq!(manifest["key"], "img.jpg");
    assert_eq!(manifest["source"]["width"], 2725);
    assert_eq!(manifest["source"]["height"], 2225);
    assert_eq!(manifest["source"]["bytes"], std::fs::metadata(&photo).unwrap().len());
    assert_eq!(manifest["module"]["sha256"], sha256_hex(lambda_host::module::WASM));

    let client = reqwest::Client::new();
    let expected = [("img.jpg", 456), ("img.jpg_200", 200), ("img.jpg_75", 75)];
    let variants = manifest["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 3);
    for (variant, (key, size)) in variants.iter().zip(expected) {
        assert_eq!(variant["key"], key);
        assert_eq!((variant["width"].as_u64(), variant["height"].as_u64()), (Some(size), Some(size)));
        assert_eq!(variant["format"], "jpeg");
        assert_eq!(variant["contentType"], "image/jpeg");
        assert_eq!(variant["url"], format!("/image/{key}"));

        let response = client.get(server.url(&format!("/image/{key}"))).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "image/jpeg");
        let sha = variant["sha256"].as_str().unwrap();
        assert_eq!(headers["etag"], format!("\"{sha}\""));
        let bytes = response.bytes().await.unwrap();
        assert_eq!(headers["content-length"], bytes.len().to_string());
        assert_eq!(variant["bytes"], bytes.len());
        assert_eq!(sha256_hex(&bytes), sha);
        assert_eq!(jpeg_size(&bytes), (size as u32, size as u32));

        let again = client
            .get(server.url(&format!("/image/{key}")))
            .header("if-none-match", format!("\"{sha}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
}

#[tokio::test]
async fn missing_key_is_a_json_404_and_health_answers() {
    let server = server();
    let response = reqwest::get(server.url("/image/never/stored.jpg")).await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "not_found");
    assert_eq!(reqwest::get(server.url("/health")).await.unwrap().status(), 200);
    let unknown = reqwest::get(server.url("/nope")).await.unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn hostile_inputs_get_4xx_json_and_the_server_keeps_serving() {
    let server = server();
    let photo = fixture("exif/Landscape_1.jpg");
    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>".to_vec();
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("png bomb 20000x20000", png_bomb(), 422, "too_many_pixels"),
        ("jpeg claiming 65500x65500", jpeg_claiming_65500(), 422, "too_many_pixels"),
        ("truncated jpeg", photo[..photo.len() / 3].to_vec(), 422, "corrupt_image"),
        ("jpeg cut in its header", photo[..40].to_vec(), 422, "corrupt_image"),
        ("random bytes", random_bytes(50_000), 415, "unsupported_format"),
        ("empty file", Vec::new(), 400, "empty_file"),
        ("svg", svg, 415, "unsupported_format"),
        ("pdf", b"%PDF-1.7\n1 0 obj\n".to_vec(), 415, "unsupported_format"),
        ("text", b"just some text\n".to_vec(), 415, "unsupported_format"),
    ];
    for (name, bytes, status, code) in cases {
        let key = format!("hostile/{}", name.replace(' ', "-"));
        let (got, body) = post(server, form(bytes, &key)).await;
        assert_eq!((got, error_code(&body)), (status, code), "{name}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        let stored = reqwest::get(server.url(&format!("/image/{key}"))).await.unwrap();
        assert_eq!(stored.status(), 404, "{name}: nothing stored");
        assert_eq!(reqwest::get(server.url("/health")).await.unwrap().status(), 200, "after {name}");
    }
    let (_, svg_body) = post(server, form(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), "x")).await;
    assert!(svg_body["error"]["message"].as_str().unwrap().contains("svg"), "{svg_body}");
}

#[tokio::test]
async fn memory_cap_turns_a_huge_decode_into_422() {
    let args = ServiceArgs { memory_limit_mib: 32, ..ServiceArgs::default() };
    let server = start("memcap", args);
    // 4000x4000 RGBA needs 64 MB once decoded: within the pixel limit, over the memory cap.
    let mut png = Vec::new();
    image::DynamicImage::new_rgba8(4000, 4000)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (status, body) = post(&server, form(png, "big.png")).await;
    assert_eq!((status, error_code(&body)), (422, "memory_limit_exceeded"), "{body}");
    let (status, _) = post(&server, form(fixture("exif/Landscape_1.jpg"), "small.jpg")).await;
    assert_eq!(status, 201, "the next request is served normally");
}

#[tokio::test]
async fn deadline_turns_a_long_resize_into_422() {
    // The deadline is counted in 10 ms ticks, at least two: the seed's job could finish inside it.
    let args = ServiceArgs { deadline_ms: 1, ..slow_job() };
    let server = start("deadline", args);
    let (status, body) = post(&server, form(corpus("photo-2725x2225.jpg"), "slow.jpg")).await;
    assert_eq!((status, error_code(&body)), (422, "deadline_exceeded"), "{body}");
}

/// With curl, as a client would send it: over 1 MB it asks `Expect: 100-continue`, and the server
/// answers 413 from the declared length without reading the body. (A client that streams the
/// whole body regardless may see the connection closed under it instead of the answer.)
#[tokio::test]
async fn uploads_over_the_body_limit_get_413() {
    let args = ServiceArgs { max_upload_bytes: 100_000, ..ServiceArgs::default() };
    let server = start("bodylimit", args);
    let big = std::env::temp_dir().join(format!("resize-big-{}.bin", std::process::id()));
    std::fs::write(&big, random_bytes(2 << 20)).unwrap();
    let (status, body) = curl_post(&server, &big, "big.bin");
    std::fs::remove_file(&big).unwrap();
    assert_eq!((status, error_code(&body)), (413, "payload_too_large"), "{body}");
    let (status, _) = post(&server, form(fixture("plain.bmp"), "small.bmp")).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn hostile_keys_are_refused_and_nothing_leaves_the_data_directory() {
    let server = server();
    let long = "k".repeat(2000);
    for key in ["../escape.jpg", "a/../../escape.jpg", "/etc/escape.jpg", "nul\0key.jpg", "", long.as_str()] {
        let (status, body) = post(server, form(fixture("plain.bmp"), key)).await;
        assert_eq!((status, error_code(&body)), (400, "invalid_key"), "{key:?}: {body}");
    }
    // 1022 bytes is a valid key, but not once "_200" is appended.
    let (status, body) = post(server, form(fixture("plain.bmp"), &"k".repeat(1022))).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_key"), "{body}");
    let parent = server.data_dir.parent().unwrap();
    assert!(!parent.join("escape.jpg").exists() && !std::path::Path::new("/etc/escape.jpg").exists());
    let escaped = reqwest::get(server.url("/image/..%2F..%2Fetc%2Fpasswd")).await.unwrap();
    assert_eq!(escaped.status(), 400);
}

#[tokio::test]
async fn form_options_apply_to_every_variant() {
    let server = server();
    let form = form(corpus("alpha-2048x1536.png"), "opts/alpha.png")
        .text("fit", "inside")
        .text("format", "webp")
        .text("position", "left top");
    let (status, body) = post(server, form).await;
    assert_eq!(status, 201, "{body}");
    let sizes: Vec<_> = body["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["width"].clone(), v["height"].clone(), v["contentType"].clone()))
        .collect();
    assert_eq!(
        sizes,
        [
            (456.into(), 342.into(), "image/webp".into()),
            (200.into(), 150.into(), "image/webp".into()),
            (75.into(), 56.into(), "image/webp".into())
        ]
    );
    let stored = reqwest::get(server.url("/image/opts/alpha.png_75")).await.unwrap();
    assert_eq!(stored.headers()["content-type"], "image/webp");
    let img = image::load_from_memory(&stored.bytes().await.unwrap());
    assert!(img.is_err() || img.unwrap().width() == 75, "webp is readable where the decoder is built in");
}

/// `score=true` adds each variant's SSIM; a lower JPEG quality scores lower; without it, none.
#[tokio::test]
async fn score_reports_each_variants_quality() {
    let server = server();
    let ssims = |body: &Value| -> Vec<Option<f64>> {
        body["variants"].as_array().unwrap().iter().map(|v| v["ssim"].as_f64()).collect()
    };
    let mut scores = Vec::new();
    for quality in ["30", "90"] {
        let form = form(corpus("photo-2725x2225.jpg"), &format!("score/q{quality}.jpg"))
            .text("quality", quality)
            .text("score", "true");
        let (status, body) = post(server, form).await;
        assert_eq!(status, 201, "{body}");
        let got: Vec<f64> = ssims(&body).into_iter().map(|s| s.expect("every variant is scored")).collect();
        assert!(got.iter().all(|s| (0.5..1.0).contains(s)), "{got:?}");
        scores.push(got);
    }
    assert!(scores[0].iter().zip(&scores[1]).all(|(low, high)| low < high), "{scores:?}");
    let (_, plain) = post(server, form(corpus("photo-2725x2225.jpg"), "score/none.jpg")).await;
    assert_eq!(ssims(&plain), [None, None, None]);
}

/// `crop` and `focus` from the form reach the module: the stored bytes are what the module (in
/// wasm, as the demo runs it) makes of the same request, and a choice outside the source is a 400
/// naming the source's size. (S3 metadata: tests/s3.rs.)
#[tokio::test]
async fn crop_and_focus_choose_the_stored_picture() {
    let server = server();
    let photo = corpus("photo-2725x2225.jpg");
    let limits = lambda_host::config::ServiceArgs::default().resolve().unwrap().sandbox;
    let (module, _) =
        lambda_host::sandbox::Sandbox::new(lambda_host::module::WASM, Some(&cwasm_dir()), limits).unwrap();
    let centred = module.process(&photo, &resize_wasm::Request::seed()).unwrap().variants;
    for (field, value) in [("crop", "1000,400,1200,900"), ("focus", "2600,100")] {
        let key = format!("chosen/{field}.jpg");
        let (status, body) = post(server, form(photo.clone(), &key).text(field, value)).await;
        assert_eq!(status, 201, "{body}");
        let numbers: Vec<u32> = value.split(',').map(|n| n.parse().unwrap()).collect();
        let mut request = resize_wasm::Request::seed();
        match field {
            "crop" => request.crop = Some(numbers.try_into().unwrap()),
            _ => request.focus = Some(numbers.try_into().unwrap()),
        }
        let expected = module.process(&photo, &request).unwrap().variants;
        for ((suffix, expected), centred) in ["", "_200", "_75"].iter().zip(&expected).zip(&centred) {
            let stored = reqwest::get(server.url(&format!("/image/{key}{suffix}"))).await.unwrap();
            let bytes = stored.bytes().await.unwrap();
            assert!(bytes == expected, "{field} {suffix}: the stored bytes are the module's");
            assert!(bytes != centred, "{field} {suffix}: the choice changed the picture");
        }
    }
    for (field, value) in [("crop", "2000,0,726,10"), ("focus", "10,2225")] {
        let (status, body) = post(server, form(photo.clone(), "chosen/outside.jpg").text(field, value)).await;
        assert_eq!((status, error_code(&body)), (400, "invalid_request"), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("2725x2225 source"), "{body}");
    }
    let both = form(photo, "chosen/both.jpg").text("crop", "0,0,10,10").text("focus", "1,1");
    let (status, body) = post(server, both).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_request"), "{body}");
}

#[tokio::test]
async fn invalid_options_get_400_naming_the_allowed_values() {
    let server = server();
    let cases = [
        ("fit", "stretch", "cover, contain, fill, inside, outside"),
        ("format", "avif", "jpeg, png, webp"),
        ("quality", "101", "1 to 100"),
        ("position", "diagonal", "centre, top, right-top"),
        ("background", "blue", "#rrggbb"),
        ("score", "maybe", "true, false"),
        ("crop", "1,2,3", "left,top,width,height"),
        ("crop", "0,0,0,10", "left,top,width,height"),
        ("focus", "-1,5", "x,y in source pixels"),
    ];
    for (field, value, allowed) in cases {
        let (status, body) = post(server, form(fixture("plain.bmp"), "o.jpg").text(field, value)).await;
        assert_eq!((status, error_code(&body)), (400, "invalid_option"), "{field}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(allowed), "{field}: {body}");
    }
    let (status, body) = post(server, form(fixture("plain.bmp"), "o.jpg").text("size", "9")).await;
    assert_eq!((status, error_code(&body)), (400, "unknown_field"));
    let no_key = Form::new().part("file", Part::bytes(fixture("plain.bmp")));
    assert_eq!(error_code(&post(server, no_key).await.1), "missing_field");
    let no_file = Form::new().text("s3Key", "x");
    assert_eq!(error_code(&post(server, no_file).await.1), "missing_field");
    let not_multipart = reqwest::Client::new().post(server.url("/image")).body("x").send().await.unwrap();
    assert_eq!(not_multipart.status(), 400);
}

#[tokio::test]
async fn config_describes_the_preset_and_the_module() {
    let server = server();
    let config: Value = reqwest::get(server.url("/config")).await.unwrap().json().await.unwrap();
    let sizes: Vec<_> =
        config["variants"].as_array().unwrap().iter().map(|v| (v["suffix"].clone(), v["width"].clone())).collect();
    assert_eq!(sizes, [("".into(), 456.into()), ("_200".into(), 200.into()), ("_75".into(), 75.into())]);
    assert_eq!(config["allowed"]["format"], serde_json::json!(["jpeg", "png", "webp"]));
    assert_eq!(config["limits"]["maxInputPixels"], 50_000_000);
    assert_eq!(config["limits"]["maxUploadBytes"], 10 * 1024 * 1024);
    let request: resize_wasm::Request = serde_json::from_value(config["request"].clone()).unwrap();
    assert_eq!(request, resize_wasm::Request::seed());
    assert_eq!(config["auth"], serde_json::json!({ "apiKeyRequired": false, "header": "x-api-key" }));
}

/// Behind API Gateway with a CDN over the bucket: /config says keys are needed, and the manifest
/// points each variant at the CDN.
#[tokio::test]
async fn api_key_requirement_and_public_base_url_reach_clients() {
    let args = lambda_host::config::ServiceArgs {
        api_key_required: true,
        public_base_url: Some(lambda_host::config::parse_base_url("https://d111.cloudfront.net/").unwrap()),
        ..Default::default()
    };
    let server = common::start("cdn", args);
    let config: Value = reqwest::get(server.url("/config")).await.unwrap().json().await.unwrap();
    assert_eq!(config["auth"], serde_json::json!({ "apiKeyRequired": true, "header": "x-api-key" }));
    let (status, body) = post(&server, common::form(common::fixture("progressive.jpg"), "a b/ü.jpg")).await;
    assert_eq!(status, 201, "{body}");
    let urls: Vec<_> = body["variants"].as_array().unwrap().iter().map(|v| v["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "https://d111.cloudfront.net/a%20b/%C3%BC.jpg",
            "https://d111.cloudfront.net/a%20b/%C3%BC.jpg_200",
            "https://d111.cloudfront.net/a%20b/%C3%BC.jpg_75"
        ]
    );
}

/// The file browsers download is the file the sandbox runs.
#[tokio::test]
async fn served_wasm_is_the_module_the_host_runs() {
    let server = server();
    let response = reqwest::get(server.url("/wasm/resize_wasm_bg.wasm")).await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/wasm");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(sha256_hex(&bytes), sha256_hex(lambda_host::module::WASM));
    assert_eq!(etag, format!("\"{}\"", sha256_hex(&bytes)));
    let js = reqwest::get(server.url("/wasm/resize_wasm.js")).await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.text().await.unwrap().contains("export function process("), "the glue exports the browser API");
}

/// nosniff and no-referrer on every answer, errors included; the demo's files carry its
/// Content-Security-Policy (the Chromium tests run the demo under it), which names the CDN.
#[tokio::test]
async fn every_answer_carries_the_protective_headers() {
    let args = lambda_host::config::ServiceArgs {
        public_base_url: Some(lambda_host::config::parse_base_url("https://d111.cloudfront.net/img").unwrap()),
        ..Default::default()
    };
    let server = common::start("headers", args);
    let client = reqwest::Client::new();
    let (status, body) = post(&server, common::form(common::fixture("plain.bmp"), "headers.bmp")).await;
    assert_eq!(status, 201, "{body}");
    let answers = [
        client.get(server.url("/")).send().await.unwrap(),
        client.get(server.url("/worker.js")).send().await.unwrap(),
        client.get(server.url("/health")).send().await.unwrap(),
        client.get(server.url("/image/headers.bmp")).send().await.unwrap(),
        client.get(server.url("/image/missing")).send().await.unwrap(),
        client.post(server.url("/image")).body("not a form").send().await.unwrap(),
        client.get(server.url("/wasm/resize_wasm_bg.wasm")).send().await.unwrap(),
    ];
    for answer in &answers {
        let headers = answer.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{}", answer.url());
        assert_eq!(headers["referrer-policy"], "no-referrer", "{}", answer.url());
    }
    for page in &answers[..2] {
        let policy = page.headers()["content-security-policy"].to_str().unwrap();
        for part in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "connect-src 'self' https://d111.cloudfront.net;",
            "img-src 'self' https://d111.cloudfront.net blob: data:",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{}: {part} in {policy}", page.url());
        }
    }
    assert!(!answers[2].headers().contains_key("content-security-policy"), "JSON answers need no page policy");
}

#[tokio::test(flavor = "multi_thread")]
async fn writers_of_one_key_leave_one_whole_set() {
    let data_dir = std::env::temp_dir().join(format!("resize-test-writers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let store = lambda_host::storage::fs::FsStore::open(&data_dir).unwrap();
    race_writers(&racing_server(store, data_dir), "race", 6).await;
}

#[tokio::test]
async fn overwrite_false_refuses_a_stored_key_with_409() {
    create_only(server(), "create-only.jpg").await;
}

/// With one slot and no queue, of four requests at once some are turned away: 429 JSON with
/// Retry-After, and the server serves the next request normally.
#[tokio::test(flavor = "multi_thread")]
async fn overload_is_429_with_retry_after() {
    // The seed's job could end before the next request is read.
    let args = ServiceArgs { concurrency: Some(1), queue: 0, ..slow_job() };
    let server = start("overload", args);
    let photo = corpus("photo-2725x2225.jpg");
    let requests: Vec<_> = (0..4)
        .map(|i| {
            let request = reqwest::Client::new()
                .post(server.url("/image"))
                .multipart(form(photo.clone(), &format!("busy-{i}.jpg")));
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let mut refused = 0;
    for request in requests {
        let response = request.await.unwrap();
        let status = response.status().as_u16();
        if status == 429 {
            refused += 1;
            assert_eq!(response.headers()["retry-after"], "1");
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), "overloaded", "{body}");
        } else {
            assert_eq!(status, 201);
        }
    }
    assert!(refused >= 1, "four resizes of the photo at once on one slot without a queue");
    let (status, _) = post(&server, form(fixture("plain.bmp"), "after.bmp")).await;
    assert_eq!(status, 201);
}

/// A client that stops sending its body part-way gets 408 JSON once the body deadline passes.
#[tokio::test]
async fn a_body_that_stops_arriving_gets_408() {
    let server = start("slowbody", ServiceArgs { body_timeout_ms: 300, ..ServiceArgs::default() });
    body_stops_arriving(&server, "/image", "multipart/form-data; boundary=x").await;
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let client = reqwest::Client::new();
    let response = client.get(server().url("/health")).header("x-padding", "a".repeat(20_000)).send().await.unwrap();
    assert_eq!(response.status(), 431);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "headers_too_large", "{body}");
    let response = client.get(server().url("/health")).header("x-padding", "a".repeat(8_000)).send().await.unwrap();
    assert_eq!(response.status(), 200, "well within the bound");
}

/// Off a terminal `serve` logs one JSON object per line; each request's summary line carries its
/// id (the client's `x-request-id` here), key, source, stage timings, bytes out, outcome and code.
#[tokio::test]
async fn logs_are_json_lines_with_each_requests_fields() {
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let port = common::process::free_port();
    let data_dir = std::env::temp_dir().join(format!("resize-test-jsonlogs-{}", std::process::id()));
    let log = data_dir.with_extension("log");
    let server = Stop(
        std::process::Command::new(env!("CARGO_BIN_EXE_lambda-host"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&data_dir)
            .env("RESIZE_LOG_FORMAT", "json")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    common::process::wait_for_port(port, "lambda-host serve");
    let url = format!("http://127.0.0.1:{port}/image");
    let client = reqwest::Client::new();
    let stored = client
        .post(&url)
        .header("x-request-id", "req-stored")
        .multipart(form(fixture("exif/Landscape_1.jpg"), "logged.jpg"));
    let stored = stored.send().await.unwrap();
    assert_eq!(stored.status(), 201);
    assert_eq!(stored.headers()["x-request-id"], "req-stored", "the id comes back");
    let refused =
        client.post(&url).header("x-request-id", "req-refused").multipart(form(b"plain text".to_vec(), "text.jpg"));
    assert_eq!(refused.send().await.unwrap().status(), 415);
    drop(server);

    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let summary = |id: &str| {
        lines
            .iter()
            .find(|l| l["message"] == "request" && l["span"]["request_id"] == id)
            .unwrap_or_else(|| panic!("no summary line for {id}"))
    };
    let line = summary("req-stored");
    assert_eq!((line["status"].as_u64(), line["outcome"].as_str()), (Some(201), Some("ok")), "{line}");
    let span = &line["span"];
    assert_eq!((span["key"].as_str(), span["source_format"].as_str()), (Some("logged.jpg"), Some("jpeg")), "{line}");
    assert_eq!(span["route"], "POST /image");
    assert_eq!(span["source_bytes"].as_u64(), Some(fixture("exif/Landscape_1.jpg").len() as u64));
    for field in ["read_ms", "queue_ms", "resize_ms", "store_ms", "bytes_out"] {
        assert!(span[field].as_f64().is_some(), "{field} in {line}");
    }
    assert!(span["bytes_out"].as_u64().unwrap() > 1000, "{line}");
    let line = summary("req-refused");
    assert_eq!((line["status"].as_u64(), line["code"].as_str()), (Some(415), Some("unsupported_format")), "{line}");
    assert_eq!(line["outcome"], "refused");
    std::fs::remove_file(log).unwrap();
}

/// `GET /metrics` is Prometheus' text format, and its counters move with the requests.
#[tokio::test]
async fn metrics_are_prometheus_text_and_count_requests() {
    let server = start("metrics", ServiceArgs { concurrency: Some(3), ..ServiceArgs::default() });
    let scrape = || async {
        let response = reqwest::get(server.url("/metrics")).await.unwrap();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("application/openmetrics-text; version=1.0.0"), "{content_type}");
        let text = response.text().await.unwrap();
        let mut samples = std::collections::HashMap::new();
        for line in text.lines() {
            if line.starts_with('#') {
                assert!(["# HELP ", "# TYPE ", "# EOF"].iter().any(|p| line.starts_with(p)), "{line}");
                continue;
            }
            let (name, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
            samples.insert(name.to_string(), value);
        }
        assert!(text.ends_with("# EOF\n"));
        samples
    };
    let before = scrape().await;
    assert_eq!(post(&server, form(fixture("plain.bmp"), "counted.bmp")).await.0, 201);
    assert_eq!(post(&server, form(b"text".to_vec(), "counted.txt")).await.0, 415);
    let after = scrape().await;
    let moved = |name: &str| after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0);
    assert_eq!(moved(r#"resize_requests_total{route="POST /image",status="201"}"#), 1.0);
    assert_eq!(moved(r#"resize_requests_total{route="POST /image",status="415"}"#), 1.0);
    assert_eq!(moved(r#"resize_request_duration_seconds_count{route="POST /image"}"#), 2.0);
    assert_eq!(moved(r#"resize_stage_duration_seconds_count{stage="store"}"#), 1.0);
    assert_eq!(moved(r#"resize_stage_duration_seconds_count{stage="resize"}"#), 2.0);
    assert!(moved("resize_stored_bytes_total") > 1000.0);
    assert_eq!(after["resize_sandbox_slots"], 3.0);
    assert_eq!(after["resize_sandbox_slots_in_use"], 0.0);
    assert!(
        after.keys().any(|k| k.starts_with(r#"resize_stage_duration_seconds_bucket{le="0.001",stage="resize"}"#)),
        "{after:?}"
    );
}
