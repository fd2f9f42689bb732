//! The module's files, embedded at build time from wasm-bindgen's output: the `_bg.wasm` the
//! sandbox runs is byte for byte the file browsers download.

use std::borrow::Cow;
use std::sync::LazyLock;

use sha2::{Digest, Sha256};

pub static WASM: &[u8] = include_bytes!(concat!(env!("RESIZE_WASM_PKG"), "/resize_wasm_bg.wasm"));
pub const JS: &str = include_str!(concat!(env!("RESIZE_WASM_PKG"), "/resize_wasm.js"));
/// wasm-bindgen's TypeScript declarations of the glue, for the npm package (`package.rs`).
pub const TYPES: &str = include_str!(concat!(env!("RESIZE_WASM_PKG"), "/resize_wasm.d.ts"));
/// The workspace's version: the module's, the host's and the npm package's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub const WASM_PATH: &str = "/wasm/resize_wasm_bg.wasm";
pub const JS_PATH: &str = "/wasm/resize_wasm.js";

/// Computed by build.rs from the same file.
pub const WASM_SHA256: &str = env!("RESIZE_WASM_SHA256");
pub static JS_SHA256: LazyLock<String> = LazyLock::new(|| sha256_hex(JS.as_bytes()));

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A module's sha256: the build's for the embedded module (the same bytes in the same place),
/// computed for any other (a candidate, the diff tool's).
pub fn wasm_sha256(wasm: &[u8]) -> Cow<'static, str> {
    if std::ptr::eq(wasm, WASM) { Cow::Borrowed(WASM_SHA256) } else { Cow::Owned(sha256_hex(wasm)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_hashed_the_embedded_module() {
        assert_eq!(WASM_SHA256, sha256_hex(WASM));
        assert_eq!(wasm_sha256(WASM), sha256_hex(WASM));
        let copy = WASM.to_vec();
        assert_eq!(wasm_sha256(&copy), WASM_SHA256, "other bytes are hashed");
        assert_ne!(wasm_sha256(&copy[1..]), WASM_SHA256);
    }
}
