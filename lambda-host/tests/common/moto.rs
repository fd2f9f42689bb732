//! moto's S3 server on a free loopback port, shared by the tests of one binary, and an
//! aws-sdk-s3 client that reads what the host stored.

use std::sync::OnceLock;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use lambda_host::storage::s3::S3Options;

use super::process::{Tied, free_port, venv_tool, wait_for_port};

pub struct Moto {
    pub endpoint: String,
    _process: Tied,
}

pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = free_port();
        let process =
            Tied::spawn("moto", &venv_tool("moto_server"), &["-H", "127.0.0.1", "-p", &port.to_string()], &[]);
        wait_for_port(port, "moto_server");
        Moto { endpoint: format!("http://127.0.0.1:{port}"), _process: process }
    })
}

/// What the host's S3 client is given too: moto accepts any credentials.
pub const ENV: [(&str, &str); 4] = [
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "us-east-1"),
    ("RESIZE_S3_FORCE_PATH_STYLE", "true"),
];

pub fn sdk_config() -> aws_config::SdkConfig {
    sdk_config_for(&moto().endpoint, "test", "test")
}

/// Any S3-compatible server on loopback, with these credentials.
pub fn sdk_config_for(endpoint: &str, access_key: &str, secret_key: &str) -> aws_config::SdkConfig {
    let credentials = Credentials::new(access_key, secret_key, None, None, "test");
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// How the tests' hosts write to a bucket on a loopback server.
pub fn s3_options(bucket: &str) -> S3Options {
    S3Options {
        bucket: bucket.into(),
        force_path_style: true,
        cache_control: "public, max-age=86400".into(),
        public_read: false,
        timeout: std::time::Duration::from_secs(10),
        lock_prefix: "uploads/locks/".into(),
    }
}

pub fn client() -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk_config()).force_path_style(true).build())
}

pub async fn create_bucket(bucket: &str) {
    client().create_bucket().bucket(bucket).send().await.unwrap();
}

pub async fn keys_in(bucket: &str) -> Vec<String> {
    let listed = client().list_objects_v2().bucket(bucket).send().await.unwrap();
    let mut keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key().map(String::from)).collect();
    keys.sort();
    keys
}

pub async fn object(bucket: &str, key: &str) -> Vec<u8> {
    let object = client().get_object().bucket(bucket).key(key).send().await.unwrap();
    object.body.collect().await.unwrap().to_vec()
}

/// The seed's three keys under `key`, each a square JPEG of the seed's size.
pub async fn assert_seed_variants(bucket: &str, key: &str) {
    for (suffix, size) in [("", 456), ("_200", 200), ("_75", 75)] {
        let bytes = object(bucket, &format!("{key}{suffix}")).await;
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((img.width(), img.height()), (size, size), "{key}{suffix}");
    }
}
