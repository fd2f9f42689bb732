//! The module's files, embedded at build time from wasm-bindgen's output: the `_bg.wasm` the
//! sandbox runs is byte for byte the file browsers download.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

pub const WASM: &[u8] = include_bytes!(concat!(env!("RESIZE_WASM_PKG"), "/resize_wasm_bg.wasm"));
pub const JS: &str = include_str!(concat!(env!("RESIZE_WASM_PKG"), "/resize_wasm.js"));
/// wasm-bindgen's TypeScript declarations of the glue, for the npm package (`package.rs`).
pub const TYPES: &str = include_str!(concat!(env!("RESIZE_WASM_PKG"), "/resize_wasm.d.ts"));
/// The workspace's version: the module's, the host's and the npm package's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub const WASM_PATH: &str = "/wasm/resize_wasm_bg.wasm";
pub const JS_PATH: &str = "/wasm/resize_wasm.js";

pub static WASM_SHA256: LazyLock<String> = LazyLock::new(|| sha256_hex(WASM));
pub static JS_SHA256: LazyLock<String> = LazyLock::new(|| sha256_hex(JS.as_bytes()));

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
