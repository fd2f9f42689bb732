//! Any bytes as the uploaded file, with the seed's request: the module answers with variants or
//! a typed error, never a panic, whatever the decoders meet. The limits are tighter than the
//! server's so each run stays fast; they are part of what is exercised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resize_wasm::{Limits, Request};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_input_pixels: 4_000_000, max_input_dimension: 4096, ..Limits::default() };
    let request = Request { limits, ..Request::seed() };
    if let Ok(output) = resize_wasm::process(data, &request) {
        assert_eq!(output.variants.len(), request.variants.len());
    }
});
