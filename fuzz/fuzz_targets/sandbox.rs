//! Any bytes through the server's sandbox (the production module in wasmtime, a fresh instance
//! per call) with a 24 MiB memory cap (the server's default is larger) and a 250 ms deadline, so
//! inputs that need more memory or time hit the caps (over the corpus both do): every call
//! returns variants or a typed error, never a trap or a host failure (`Internal`), the host never
//! panics, and the sandbox keeps working after each cap.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use lambda_host::sandbox::{Sandbox, SandboxError, SandboxLimits};
use libfuzzer_sys::fuzz_target;
use resize_wasm::Request;

fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let limits = SandboxLimits { memory_bytes: 24 << 20, deadline: Duration::from_millis(250), concurrency: 1, keep_resident_bytes: 0 };
        Sandbox::new(lambda_host::module::WASM, None, limits).expect("the module loads").0
    })
}

// Compiling the module takes longer than libFuzzer's per-input timeout in this instrumented
// build; done at start-up, it is not charged to the first input.
fuzz_target!(init: { sandbox(); }, |data: &[u8]| {
    match sandbox().process(data, &Request::seed()) {
        Ok(processed) => assert_eq!(processed.variants.len(), 3),
        // A trap in the module or a failure of the host: a bug, whatever the input.
        Err(SandboxError::Internal(error)) => panic!("{error}"),
        Err(error) => {
            // FUZZ_SANDBOX_REPORT=1 with -runs=0 over a corpus: which inputs hit which cap.
            if std::env::var_os("FUZZ_SANDBOX_REPORT").is_some() {
                eprintln!("sandbox refused: {error}");
            }
        }
    }
});
