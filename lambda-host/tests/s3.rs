//! The S3 store against a real S3-compatible server: moto's, started on a free loopback port
//! from the venv `cargo xtask test` installs (`.tools/venv`). moto checks neither the signature
//! nor the expiry of presigned URLs: these tests prove the URLs are made and used right, and
//! `tests/presigned.rs` that a server which checks them refuses forged and expired ones.

mod common;

use std::sync::Arc;

use common::moto::{client, create_bucket, keys_in, object, s3_options, sdk_config};
use common::*;
use lambda_host::config::{GetMode, ServiceArgs};
use lambda_host::storage::s3::S3Store;

/// A server storing in `bucket` (created first unless `create` is false).
async fn server_on(bucket: &str, create: bool) -> TestServer {
    server_with(bucket, create, ServiceArgs::default()).await
}

async fn server_with(bucket: &str, create: bool, args: ServiceArgs) -> TestServer {
    if create {
        create_bucket(bucket).await;
    }
    let store = S3Store::with_config(&sdk_config(), s3_options(bucket));
    start_with_store(args, Arc::new(store), std::env::temp_dir())
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_contract_lands_in_the_bucket() {
    let server = server_on("seed-bucket", true).await;
    let (status, manifest) = post(&server, form(corpus("photo-2725x2225.jpg"), "img.jpg")).await;
    assert_eq!(status, 201, "{manifest}");
    assert_eq!(keys_in("seed-bucket").await, ["img.jpg", "img.jpg_200", "img.jpg_75"]);

    for (i, (key, size)) in [("img.jpg", 456), ("img.jpg_200", 200), ("img.jpg_75", 75)].into_iter().enumerate() {
        let object = client().get_object().bucket("seed-bucket").key(key).send().await.unwrap();
        assert_eq!(object.content_type(), Some("image/jpeg"));
        assert_eq!(object.cache_control(), Some("public, max-age=86400"));
        let metadata = object.metadata().unwrap().clone();
        assert_eq!(metadata["source-size"], "2725x2225");
        assert_eq!(metadata["source-format"], "jpeg");
        assert_eq!(metadata["module-sha256"], sha256_hex(lambda_host::module::WASM));
        assert!(metadata["variant"].starts_with(&format!("{size}x{size} cover jpeg")), "{metadata:?}");
        assert_eq!(
            metadata["thumbhash"],
            manifest["source"]["thumbhash"].as_str().unwrap(),
            "the source's placeholder"
        );
        assert!(!metadata.contains_key("crop") && !metadata.contains_key("focus"), "nothing chosen: {metadata:?}");
        let bytes = object.body.collect().await.unwrap().to_vec();
        assert_eq!(sha256_hex(&bytes), manifest["variants"][i]["sha256"].as_str().unwrap());
        assert_eq!(metadata["sha256"], sha256_hex(&bytes));
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (size, size));

        let served = reqwest::get(server.url(&format!("/image/{key}"))).await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], "image/jpeg");
        assert_eq!(served.headers()["etag"], format!("\"{}\"", sha256_hex(&bytes)));
        assert_eq!(served.bytes().await.unwrap().to_vec(), bytes);
    }
    let missing = reqwest::get(server.url("/image/not-there.jpg")).await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_write_stores_nothing_and_names_the_key() {
    let server = server_on("bucket-that-was-never-made", false).await;
    let (status, body) = post(&server, form(fixture("plain.bmp"), "lost.jpg")).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "storage_failed");
    assert!(body["error"]["message"].as_str().unwrap().contains("lost.jpg"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("NoSuchBucket"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_failing_part_way_leaves_no_variant_behind() {
    let bucket = "partly-writable";
    let server = server_on(bucket, true).await;
    // The bucket refuses only the third variant: two writes succeed before one fails.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*_75"),
        }],
    });
    client().put_bucket_policy().bucket(bucket).policy(policy.to_string()).send().await.unwrap();

    let (status, body) = post(&server, form(fixture("plain.bmp"), "half.jpg")).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "storage_failed");
    assert!(body["error"]["message"].as_str().unwrap().contains("half.jpg_75"), "{body}");
    assert_eq!(keys_in(bucket).await, Vec::<String>::new(), "the two variants written first were removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn redirect_mode_answers_with_a_presigned_url() {
    let bucket = "redirecting";
    let args = ServiceArgs { s3_get: GetMode::Redirect, ..ServiceArgs::default() };
    let server = server_with(bucket, true, args).await;
    let (status, manifest) = post(&server, form(fixture("plain.bmp"), "r.jpg")).await;
    assert_eq!(status, 201, "{manifest}");

    let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = no_follow.get(server.url("/image/r.jpg_75")).send().await.unwrap();
    assert_eq!(answer.status(), 307);
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{}/{bucket}/r.jpg_75?", common::moto::moto().endpoint)), "{location}");
    for part in ["X-Amz-Signature=", "X-Amz-Expires=900", "X-Amz-Credential="] {
        assert!(location.contains(part), "{location}");
    }

    let stored = object(bucket, "r.jpg_75").await;
    let curl = std::process::Command::new("curl").args(["-sSfL", &server.url("/image/r.jpg_75")]).output().unwrap();
    assert!(curl.status.success(), "{}", String::from_utf8_lossy(&curl.stderr));
    assert_eq!(curl.stdout, stored, "curl -L follows the redirect to the stored bytes");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_original_goes_through_a_presigned_upload() {
    let bucket = "uploads-flow";
    let server = server_on(bucket, true).await;
    let photo = corpus("photo-2725x2225.jpg");
    let http = reqwest::Client::new();
    let ticket: serde_json::Value = http
        .post(server.url("/uploads"))
        .json(&serde_json::json!({ "contentType": "image/jpeg", "size": photo.len() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let source_key = ticket["sourceKey"].as_str().unwrap().to_string();
    assert!(source_key.starts_with("uploads/"), "{ticket}");
    let url = ticket["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "{url}");
    assert_eq!(ticket["headers"]["Content-Length"], photo.len().to_string());
    assert_eq!(ticket["expiresInSeconds"], 900);

    let put = http.put(url).header("content-type", "image/jpeg").body(photo.clone()).send().await.unwrap();
    assert!(put.status().is_success(), "{:?}", put.text().await);
    assert_eq!(keys_in(bucket).await, std::slice::from_ref(&source_key));

    let form = reqwest::multipart::Form::new().text("sourceKey", source_key.clone()).text("s3Key", "big.jpg");
    let (status, manifest) = post(&server, form).await;
    assert_eq!(status, 201, "{manifest}");
    assert_eq!(manifest["source"]["bytes"], photo.len());
    assert_eq!(keys_in(bucket).await, ["big.jpg", "big.jpg_200", "big.jpg_75"], "the original is removed once stored");
    common::moto::assert_seed_variants(bucket, "big.jpg").await;

    let again = reqwest::multipart::Form::new().text("sourceKey", source_key).text("s3Key", "again.jpg");
    let (status, body) = post(&server, again).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("source_not_found")), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_refused_beyond_the_limits() {
    let bucket = "uploads-limits";
    let args = ServiceArgs { max_source_bytes: 1000, ..ServiceArgs::default() };
    let server = server_with(bucket, true, args).await;
    let http = reqwest::Client::new();
    let ask = |body: serde_json::Value| {
        let request = http.post(server.url("/uploads")).json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    for (body, status, code) in [
        (serde_json::json!({ "contentType": "image/jpeg", "size": 1001 }), 413, "payload_too_large"),
        (serde_json::json!({ "contentType": "text/html", "size": 10 }), 415, "unsupported_format"),
        (serde_json::json!({ "contentType": "image/png", "size": 0 }), 400, "invalid_upload"),
        (serde_json::json!({ "contentType": "image/png" }), 400, "bad_json"),
        (serde_json::json!({ "contentType": "image/png", "size": 5, "acl": "public-read" }), 400, "bad_json"),
    ] {
        let (got, answer) = ask(body.clone()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{body} -> {answer}");
    }

    // An object larger than the limit under an upload key (as if PUT with another tool) is refused unread.
    let oversized = "uploads/0123456789abcdef0123456789abcdef";
    client().put_object().bucket(bucket).key(oversized).body(fixture("plain.bmp").into()).send().await.unwrap();
    for (source_key, status, code) in [
        (oversized, 413, "payload_too_large"),
        ("uploads/../big.jpg", 400, "invalid_upload"),
        ("someone-elses/photo.jpg", 400, "invalid_upload"),
    ] {
        let form = reqwest::multipart::Form::new().text("sourceKey", source_key).text("s3Key", "x.jpg");
        let (got, body) = post(&server, form).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{source_key} -> {body}");
    }
    let (got, body) = post(&server, form(fixture("plain.bmp"), "uploads/mine.jpg")).await;
    assert_eq!((got, body["error"]["code"].as_str()), (400, Some("invalid_key")), "{body}");
    assert_eq!(keys_in(bucket).await, [oversized], "nothing stored, nothing deleted");

    let on_disk = http.post(common::server().url("/uploads")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(on_disk.status(), 404);
    let body: serde_json::Value = on_disk.json().await.unwrap();
    assert_eq!(body["error"]["code"], "uploads_unavailable", "{body}");
}

/// The set's lock is an object in the bucket, so writers on different servers (Lambda
/// instances) exclude each other as writers on one server do.
#[tokio::test(flavor = "multi_thread")]
async fn writers_of_one_key_leave_one_whole_set_in_the_bucket() {
    let bucket = "same-key";
    create_bucket(bucket).await;
    let store = || S3Store::with_config(&sdk_config(), s3_options(bucket));
    race_writers(&racing_server(store(), std::env::temp_dir()), "race", 4).await;
    // Two servers on the bucket: the lock is in S3, not in either process.
    let (one, two) = (racing_server(store(), std::env::temp_dir()), racing_server(store(), std::env::temp_dir()));
    let photo = fixture("exif/Landscape_1.jpg");
    for round in 0..4 {
        let key = format!("two-servers-{round}.jpg");
        let (a, b) = tokio::join!(
            post(&one, form(photo.clone(), &key).text("quality", "50")),
            post(&two, form(photo.clone(), &key).text("quality", "90"))
        );
        assert_eq!((a.0, b.0), (201, 201), "{} {}", a.1, b.1);
        let mut stored = Vec::new();
        for key in [key.clone(), format!("{key}_200"), format!("{key}_75")] {
            stored.push(sha256_hex(&object(bucket, &key).await));
        }
        let sets: Vec<Vec<String>> = [&a.1, &b.1]
            .iter()
            .map(|m| {
                m["variants"].as_array().unwrap().iter().map(|v| v["sha256"].as_str().unwrap().to_string()).collect()
            })
            .collect();
        assert!(sets.contains(&stored), "round {round}: a mix of the two servers' variants");
    }
    assert!(keys_in(bucket).await.iter().all(|k| !k.starts_with("uploads/")), "every lock was released");
}

#[tokio::test(flavor = "multi_thread")]
async fn overwrite_false_refuses_a_key_in_the_bucket_with_409() {
    create_only(&server_on("create-only", true).await, "create-only.jpg").await;
}

/// A writer waits for a set's lock, gives up with 409 `key_busy` while it is held, and takes
/// over a lock whose holder ran out of time (a Lambda instance that died mid-write).
#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_is_waited_for_and_an_expired_one_taken_over() {
    let bucket = "locked";
    let server = server_with(bucket, true, ServiceArgs { key_lock_wait_ms: 300, ..ServiceArgs::default() }).await;
    let lock = format!("uploads/locks/{}", sha256_hex(b"locked.jpg"));
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let put_lock = |until: u64| {
        let body = serde_json::json!({ "key": "locked.jpg", "untilUnixMs": until }).to_string();
        client().put_object().bucket(bucket).key(&lock).body(body.into_bytes().into()).send()
    };

    put_lock(now_ms + 60_000).await.unwrap();
    let response = reqwest::Client::new()
        .post(server.url("/image"))
        .multipart(form(fixture("plain.bmp"), "locked.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "key_busy", "{body}");
    assert_eq!(keys_in(bucket).await, std::slice::from_ref(&lock), "nothing written while another holds the set");

    put_lock(now_ms - 1).await.unwrap();
    let (status, body) = post(&server, form(fixture("plain.bmp"), "locked.jpg")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(keys_in(bucket).await, ["locked.jpg", "locked.jpg_200", "locked.jpg_75"], "lock released");
}

/// A clean-up deletes its own write of a key and never a newer one.
#[tokio::test(flavor = "multi_thread")]
async fn clean_up_spares_a_newer_write_of_the_key() {
    use lambda_host::storage::{Object, Store, Version, Write};
    create_bucket("versions").await;
    let store = S3Store::with_config(&sdk_config(), s3_options("versions"));
    let object = |bytes: &[u8]| Object {
        bytes: bytes.to_vec(),
        content_type: "image/jpeg".into(),
        sha256: sha256_hex(bytes),
        metadata: Default::default(),
    };
    let (mine, theirs) = (Version::new(), Version::new());
    store.put("k", &object(b"mine"), Write::Replace, &mine).await.unwrap();
    store.put("k", &object(b"theirs"), Write::Replace, &theirs).await.unwrap();
    store.delete_version("k", &mine).await.unwrap();
    assert_eq!(store.get("k").await.unwrap().unwrap().bytes, b"theirs");
    store.delete_version("k", &theirs).await.unwrap();
    assert_eq!(store.get("k").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_request_that_stops_arriving_gets_408() {
    let args = ServiceArgs { body_timeout_ms: 300, ..ServiceArgs::default() };
    body_stops_arriving(&server_with("slow-uploads", true, args).await, "/uploads", "application/json").await;
}

/// The person's choice (`crop` or `focus`) is kept beside every variant, so a stored set can be
/// made again.
#[tokio::test(flavor = "multi_thread")]
async fn a_chosen_crop_or_focus_is_kept_in_the_metadata() {
    let server = server_on("chosen-bucket", true).await;
    for (field, value) in [("crop", "8,4,40,30"), ("focus", "50,10")] {
        let key = format!("{field}.bmp");
        let (status, body) = post(&server, form(fixture("plain.bmp"), &key).text(field, value)).await;
        assert_eq!(status, 201, "{body}");
        for suffix in ["", "_200", "_75"] {
            let object =
                client().get_object().bucket("chosen-bucket").key(format!("{key}{suffix}")).send().await.unwrap();
            let metadata = object.metadata().unwrap();
            assert_eq!(metadata.get(field).map(String::as_str), Some(value), "{metadata:?}");
        }
    }
}
