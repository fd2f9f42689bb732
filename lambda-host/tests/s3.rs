//! The S3 store against a real S3-compatible server: moto's, started on a free loopback port
//! from the venv `cargo xtask test` installs (`.tools/venv`).

mod common;

use std::process::{Child, Command};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use common::*;
use lambda_host::config::ServiceArgs;
use lambda_host::storage::s3::{S3Options, S3Store};

struct Moto {
    endpoint: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let bin =
            std::env::var_os("MOTO_SERVER").map(Into::into).unwrap_or_else(|| root.join(".tools/venv/bin/moto_server"));
        assert!(bin.exists(), "{} is missing: `cargo xtask test` installs moto[server] there", bin.display());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "moto did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { endpoint, child }
    })
}

fn sdk_config() -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&moto().endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "test")))
        .build()
}

fn client() -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk_config()).force_path_style(true).build())
}

fn options(bucket: &str) -> S3Options {
    S3Options {
        bucket: bucket.into(),
        force_path_style: true,
        cache_control: "public, max-age=86400".into(),
        public_read: false,
    }
}

/// A server storing in `bucket` (created first unless `create` is false).
async fn server_on(bucket: &str, create: bool) -> TestServer {
    if create {
        client().create_bucket().bucket(bucket).send().await.unwrap();
    }
    let store = S3Store::with_config(&sdk_config(), options(bucket));
    start_with_store(ServiceArgs::default(), Arc::new(store), std::env::temp_dir())
}

async fn keys_in(bucket: &str) -> Vec<String> {
    let listed = client().list_objects_v2().bucket(bucket).send().await.unwrap();
    let mut keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key().map(String::from)).collect();
    keys.sort();
    keys
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
