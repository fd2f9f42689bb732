//! The browser API (wasm-bindgen): the same pipeline and the same packed result as the C ABI,
//! so the demo previews exactly the bytes the server stores.

use wasm_bindgen::prelude::*;

use crate::{ErrorInfo, Request};

/// Processes `input` with `request_json` (a [`Request`]). Returns the packed result
/// (`crate::pack`); throws a JSON string `{"code", "message"}` on failure.
#[wasm_bindgen]
pub fn process(input: &[u8], request_json: &str) -> Result<Vec<u8>, JsValue> {
    let fail =
        |e: &crate::Error| JsValue::from_str(&serde_json::to_string(&ErrorInfo::from(e)).expect("error serializes"));
    let request: Request =
        serde_json::from_str(request_json).map_err(|e| fail(&crate::Error::InvalidRequest(e.to_string())))?;
    let output = crate::process(input, &request).map_err(|e| fail(&e))?;
    Ok(crate::pack(&output))
}

/// The placeholder picture a manifest's `source.thumbhash` stands for, as PNG bytes.
#[wasm_bindgen(js_name = thumbhashPng)]
pub fn thumbhash_png(thumbhash: &str) -> Result<Vec<u8>, JsValue> {
    crate::pipeline::placeholder::thumbhash_png(thumbhash).ok_or_else(|| JsValue::from_str("not a ThumbHash"))
}

#[wasm_bindgen(js_name = abiVersion)]
pub fn abi_version() -> u32 {
    crate::ABI_VERSION
}
