//! Any request JSON with any file, as the module's C ABI receives them from a host (and the
//! browser demo from its page): the input is a little-endian u16 length, that many bytes of
//! request JSON, then the file. Parsing, validation and the pipeline answer or refuse; never a
//! panic. Requests for more than 4 Mpx of output are skipped (the sandbox's deadline bounds those
//! in the server; here they would only slow the search down).
#![no_main]

use libfuzzer_sys::fuzz_target;
use resize_wasm::Request;

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<2>() else { return };
    let len = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (json, file) = rest.split_at(len);
    let Ok(mut request) = serde_json::from_slice::<Request>(json) else { return };
    let output_pixels: u64 = request.variants.iter().map(|v| u64::from(v.width) * u64::from(v.height)).sum();
    if output_pixels > 4_000_000 {
        return;
    }
    request.limits.max_input_pixels = request.limits.max_input_pixels.min(4_000_000);
    request.limits.max_input_dimension = request.limits.max_input_dimension.min(4096);
    // `stopAfter` (profiling) ends the call early, with no variants by design.
    if let Ok(output) = resize_wasm::process(file, &request)
        && request.stop_after.is_none()
    {
        assert_eq!(output.variants.len(), request.variants.len());
    }
});
