//! A real server on a free loopback port, running the real module in wasmtime, for the tests
//! to talk to over HTTP; and the hostile inputs they send it.

#![allow(dead_code)] // each test binary uses a different part

pub mod emulator;
pub mod moto;
pub mod process;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use lambda_host::api::{self, AppState};
use lambda_host::config::ServiceArgs;
use lambda_host::module;
use lambda_host::sandbox::Sandbox;
use lambda_host::storage::fs::FsStore;
use lambda_host::storage::{Direct, Lease, Object, Store, StoreError, Version, Write};

pub struct TestServer {
    pub base: String,
    pub data_dir: PathBuf,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Starts a server with `args` on its own runtime thread, so it outlives each test's runtime.
pub fn start(name: &str, args: ServiceArgs) -> TestServer {
    let data_dir = std::env::temp_dir().join(format!("resize-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let store = FsStore::open(&data_dir).unwrap();
    start_with_store(args, Arc::new(store), data_dir)
}

/// Same, with any store (S3 tests).
pub fn start_with_store(args: ServiceArgs, store: Arc<dyn Store>, data_dir: PathBuf) -> TestServer {
    let config = args.resolve().unwrap();
    let (sandbox, _) = Sandbox::new(module::WASM, Some(&cwasm_dir()), config.sandbox).unwrap();
    let app = api::router(AppState::new(Arc::new(sandbox), store, config));
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    TestServer { base: format!("http://{addr}"), data_dir }
}

/// Where `cargo xtask test` precompiles the module (beside the release host): loading it takes
/// milliseconds, compiling about 4 s of CPU. Without it, the sandbox compiles.
pub fn cwasm_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>").to_path_buf()
}

/// The server with every default setting, shared by the tests of one binary.
pub fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| start("default", ServiceArgs::default()))
}

pub fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{} is needed beside the clone: {e}", path.display()))
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../resize-wasm/tests/fixtures").join(name)).unwrap()
}

/// A real decompression bomb: a 20000x20000 PNG of zeros, 400 MB of pixels in ~400 KB.
pub fn png_bomb() -> Vec<u8> {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        // The stream writer wants to own a 'static sink; share the buffer with it.
        #[derive(Clone, Default)]
        struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let mut encoder = png::Encoder::new(sink.clone(), 20_000, 20_000);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().unwrap().into_stream_writer().unwrap();
        let row = vec![0u8; 20_000];
        for _ in 0..20_000 {
            std::io::Write::write_all(&mut writer, &row).unwrap();
        }
        writer.finish().unwrap();
        sink.0.borrow().clone()
    })
    .clone()
}

/// A small valid JPEG whose frame header claims 65500x65500.
pub fn jpeg_claiming_65500() -> Vec<u8> {
    let mut jpeg = fixture("progressive.jpg");
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC2]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xDC, 0xFF, 0xDC]);
    jpeg
}

/// Repeatable pseudo-random bytes (xorshift).
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut x: u32 = 2463534242;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

pub fn form(file: Vec<u8>, key: &str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(file).file_name("upload");
    reqwest::multipart::Form::new().part("file", part).text("s3Key", key.to_string())
}

/// POSTs a form to /image; every answer must be JSON.
pub async fn post(server: &TestServer, form: reqwest::multipart::Form) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new().post(server.url("/image")).multipart(form).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "application/json", "every answer of POST /image is JSON");
    (status, response.json().await.unwrap())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    module::sha256_hex(bytes)
}

/// A store whose writes each take 5-35 ms longer, so the writes of requests running together
/// interleave (without the set's lock, the race tests below fail at once).
pub struct SlowWrites<S>(pub S);

#[async_trait::async_trait]
impl<S: Store> Store for SlowWrites<S> {
    async fn put(&self, key: &str, object: &Object, write: Write, version: &Version) -> Result<(), StoreError> {
        static TURN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let turn = TURN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(5 + (turn * 7919) % 31)).await;
        self.0.put(key, object, write, version).await
    }
    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError> {
        self.0.get(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await
    }
    async fn delete_version(&self, key: &str, version: &Version) -> Result<(), StoreError> {
        self.0.delete_version(key, version).await
    }
    async fn lease(&self, key: &str, writes: usize, wait: Duration) -> Result<Option<Lease>, StoreError> {
        self.0.lease(key, writes, wait).await
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn direct(&self) -> Option<&dyn Direct> {
        self.0.direct()
    }
}

/// A server with every resize of a race running at once, on a store with slow writes.
pub fn racing_server(store: impl Store + 'static, data_dir: PathBuf) -> TestServer {
    let args = ServiceArgs { concurrency: Some(4), ..ServiceArgs::default() };
    start_with_store(args, Arc::new(SlowWrites(store)), data_dir)
}

/// Several clients storing the same key at once, `rounds` times: each writer's set of variants
/// (sha256 by key, from its manifest), and the set the key holds afterwards, read back through
/// `GET /image`, must be exactly one writer's. The writers ask for different qualities, so their
/// sets differ and take the same time to make: their writes land together.
pub async fn race_writers(server: &TestServer, prefix: &str, rounds: usize) {
    let photo = fixture("exif/Landscape_1.jpg");
    for round in 0..rounds {
        let key = format!("{prefix}-{round}.jpg");
        let writers: Vec<_> = [40, 60, 80, 95]
            .into_iter()
            .map(|quality| {
                let request = reqwest::Client::new()
                    .post(server.url("/image"))
                    .multipart(form(photo.clone(), &key).text("quality", quality.to_string()));
                tokio::spawn(async move {
                    let response = request.send().await.unwrap();
                    (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap())
                })
            })
            .collect();
        let mut sets = Vec::new();
        for writer in writers {
            let (status, manifest) = writer.await.unwrap();
            assert_eq!(status, 201, "each writer waits its turn: {manifest}");
            let variants = manifest["variants"].as_array().unwrap();
            let set: Vec<(String, String)> = variants
                .iter()
                .map(|v| (v["key"].as_str().unwrap().to_string(), v["sha256"].as_str().unwrap().to_string()))
                .collect();
            sets.push(set);
        }
        let mut stored = Vec::new();
        for (key, _) in &sets[0] {
            let bytes = reqwest::get(server.url(&format!("/image/{key}"))).await.unwrap().bytes().await.unwrap();
            stored.push((key.clone(), sha256_hex(&bytes)));
        }
        assert!(sets.contains(&stored), "round {round}: the key holds a mix of writers' variants: {stored:?}");
    }
}

/// `overwrite=false` stores a new key and refuses (409 `key_exists`) one that is stored,
/// leaving what is there untouched.
pub async fn create_only(server: &TestServer, key: &str) {
    let create = |file: Vec<u8>| form(file, key).text("overwrite", "false");
    let (status, first) = post(server, create(fixture("plain.bmp"))).await;
    assert_eq!(status, 201, "{first}");
    let (status, body) = post(server, create(fixture("exif/Landscape_1.jpg"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("key_exists")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(key), "{body}");
    for variant in first["variants"].as_array().unwrap() {
        let url = server.url(&format!("/image/{}", variant["key"].as_str().unwrap()));
        let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        assert_eq!(sha256_hex(&bytes), variant["sha256"].as_str().unwrap(), "the first set is untouched");
    }
    let (status, body) = post(server, form(fixture("exif/Landscape_1.jpg"), key)).await;
    assert_eq!(status, 201, "overwriting is the default: {body}");
}

/// Sends `path` a head announcing 100,000 bytes and a few of them, then nothing: the answer
/// must be 408 `body_timeout` JSON, well before the client gives up.
pub async fn body_stops_arriving(server: &TestServer, path: &str, content_type: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap();
    let head =
        format!("POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\nContent-Length: 100000\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc").await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&answer).contains("}}") {
            match stream.read(&mut buf).await.unwrap() {
                0 => break,
                n => answer.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("answered within the deadline, not hung");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
    assert!(answer.contains("\"code\":\"body_timeout\""), "{path}: {answer}");
}
