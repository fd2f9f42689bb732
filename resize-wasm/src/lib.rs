//! The resize algorithm, compiled once to WebAssembly and run unchanged by every host: the
//! server (wasmtime, through the C ABI in `abi.rs`) and the browser demo (wasm-bindgen, `web.rs`).
//! Pure and deterministic: bytes and a [`Request`] in, encoded variants out; no clock, no I/O,
//! no threads. Natively it builds as an ordinary library for tests and benchmarks; hosts use
//! its [`Request`] and [`Manifest`] types to talk to the module.

mod error;
mod output;
#[cfg(feature = "pipeline")]
pub mod pipeline;
mod request;

#[cfg(all(target_arch = "wasm32", feature = "pipeline"))]
mod abi;
#[cfg(all(target_arch = "wasm32", feature = "pipeline"))]
mod web;

pub use error::Error;
pub use output::{Encoded, ErrorInfo, Manifest, Metadata, Output, Source, VariantInfo};
pub use request::{Background, Fit, Format, Limits, Position, Request, Stage, Variant};

/// Bumped whenever the C ABI or the layout of its result changes; hosts refuse other versions.
pub const ABI_VERSION: u32 = 1;

/// Decodes `input` once and produces every variant of `request`.
#[cfg(feature = "pipeline")]
pub fn process(input: &[u8], request: &Request) -> Result<Output, Error> {
    pipeline::run(input, request)
}

/// The result buffer both wasm APIs return: a little-endian u32 manifest length, the manifest
/// JSON, then each variant's bytes in manifest order.
pub fn pack(output: &Output) -> Vec<u8> {
    let manifest = serde_json::to_vec(&output.manifest()).expect("manifest serializes");
    let total = 4 + manifest.len() + output.variants.iter().map(|v| v.bytes.len()).sum::<usize>();
    let mut packed = Vec::with_capacity(total);
    packed.extend_from_slice(&(manifest.len() as u32).to_le_bytes());
    packed.extend_from_slice(&manifest);
    for variant in &output.variants {
        packed.extend_from_slice(&variant.bytes);
    }
    packed
}

/// The inverse of [`pack`], for hosts.
pub fn unpack(packed: &[u8]) -> Result<(Manifest, Vec<&[u8]>), String> {
    let len_bytes: [u8; 4] = packed.get(..4).ok_or("result shorter than its header")?.try_into().expect("4 bytes");
    let manifest_len = u32::from_le_bytes(len_bytes) as usize;
    let json = packed.get(4..4 + manifest_len).ok_or("result shorter than its manifest")?;
    let manifest: Manifest = serde_json::from_slice(json).map_err(|e| format!("bad manifest: {e}"))?;
    let mut rest = &packed[4 + manifest_len..];
    let mut variants = Vec::with_capacity(manifest.variants.len());
    for info in &manifest.variants {
        if rest.len() < info.bytes {
            return Err("result shorter than its variants".into());
        }
        let (bytes, tail) = rest.split_at(info.bytes);
        variants.push(bytes);
        rest = tail;
    }
    Ok((manifest, variants))
}
