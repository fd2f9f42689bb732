//! Any bytes through the server's sandbox (the production module in wasmtime, a fresh instance
//! per call) with a 64 MiB memory cap and a 250 ms deadline, so inputs that need more memory or
//! time hit the caps: every call returns variants or a typed error, the host never panics, and
//! the sandbox keeps working after each cap.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use lambda_host::sandbox::{Sandbox, SandboxLimits};
use libfuzzer_sys::fuzz_target;
use resize_wasm::Request;

fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let limits = SandboxLimits { memory_bytes: 64 << 20, deadline: Duration::from_millis(250), concurrency: 1 };
        Sandbox::new(lambda_host::module::WASM, None, limits).expect("the module loads").0
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(processed) = sandbox().process(data, &Request::seed()) {
        assert_eq!(processed.variants.len(), 3);
    }
});
