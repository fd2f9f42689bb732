//! The plain C ABI native hosts call (see ABI.md). It needs no imports, so a host can load the
//! very `_bg.wasm` file wasm-bindgen made for browsers and leave the JS imports unresolved.

use std::cell::RefCell;

use crate::{ErrorInfo, Request};

thread_local! {
    static RESULT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[unsafe(no_mangle)]
pub extern "C" fn resize_abi_version() -> u32 {
    crate::ABI_VERSION
}

/// Reserves `len` bytes for the host to write into; released by `resize_free`.
#[unsafe(no_mangle)]
pub extern "C" fn resize_alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0u8; len].into_boxed_slice()).cast()
}

/// # Safety
/// `ptr` and `len` must come from one `resize_alloc` call, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn resize_free(ptr: *mut u8, len: usize) {
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
}

/// Runs the pipeline. Returns 0 when the result buffer holds packed output (`crate::pack`),
/// 1 when it holds an error as JSON `{"code", "message"}`.
///
/// # Safety
/// Both ranges must lie in memory the host wrote through `resize_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn resize_process(
    input: *const u8,
    input_len: usize,
    request: *const u8,
    request_len: usize,
) -> u32 {
    let input = unsafe { std::slice::from_raw_parts(input, input_len) };
    let request = unsafe { std::slice::from_raw_parts(request, request_len) };
    let (status, result) = match run(input, request) {
        Ok(packed) => (0, packed),
        Err(error) => (1, serde_json::to_vec(&error).expect("error serializes")),
    };
    RESULT.with(|r| *r.borrow_mut() = result);
    status
}

fn run(input: &[u8], request: &[u8]) -> Result<Vec<u8>, ErrorInfo> {
    let request: Request =
        serde_json::from_slice(request).map_err(|e| ErrorInfo::from(&crate::Error::InvalidRequest(e.to_string())))?;
    let output = crate::process(input, &request).map_err(|e| ErrorInfo::from(&e))?;
    Ok(crate::pack(&output))
}

#[unsafe(no_mangle)]
pub extern "C" fn resize_result_ptr() -> *const u8 {
    RESULT.with(|r| r.borrow().as_ptr())
}

#[unsafe(no_mangle)]
pub extern "C" fn resize_result_len() -> usize {
    RESULT.with(|r| r.borrow().len())
}
