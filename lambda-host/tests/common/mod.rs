//! A real server on a free loopback port, running the real module in wasmtime, for the tests
//! to talk to over HTTP; and the hostile inputs they send it.

#![allow(dead_code)] // each test binary uses a different part

pub mod emulator;
pub mod moto;
pub mod process;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use lambda_host::api::{self, AppState};
use lambda_host::config::ServiceArgs;
use lambda_host::module;
use lambda_host::sandbox::Sandbox;
use lambda_host::storage::Store;
use lambda_host::storage::fs::FsStore;

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
    let (sandbox, _) = Sandbox::new(module::WASM, None, config.sandbox).unwrap();
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
