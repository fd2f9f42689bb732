//! cargo-lambda's emulator of the Lambda service (`cargo lambda watch --only-lambda-apis`) on a
//! free loopback port, driving a function binary given here: the test-built host or a packaged
//! `bootstrap`. Invocations go through its function URL endpoint or `cargo lambda invoke`.

use std::path::Path;

use super::moto::{ENV, moto};
use super::process::{Tied, free_port, venv_tool, wait_for_port};

/// The emulator names a function started outside it `_`.
const FUNCTION: &str = "_";

pub struct Lambda {
    pub port: u16,
    pub function: Tied,
    _emulator: Tied,
}

impl Lambda {
    /// Runs `binary` as the function, storing in `bucket` on moto; it looks for a precompiled
    /// module in `cwasm_dir`, or beside itself when that is `None` (as in Lambda).
    pub fn start(name: &str, binary: &Path, bucket: &str, cwasm_dir: Option<&Path>) -> Lambda {
        Self::start_under(name, binary, &[], bucket, cwasm_dir)
    }

    /// The same, with the function run as `program args...` (an emulator such as qemu).
    pub fn start_under(name: &str, program: &Path, args: &[&str], bucket: &str, cwasm_dir: Option<&Path>) -> Lambda {
        let port = free_port();
        let emulator = Tied::spawn(
            &format!("{name}-emulator"),
            &venv_tool("cargo-lambda"),
            &["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()],
            &[],
        );
        wait_for_port(port, "cargo lambda watch");
        let runtime_api = format!("http://127.0.0.1:{port}/.rt");
        let mut env = vec![
            ("AWS_LAMBDA_RUNTIME_API", runtime_api.as_str()),
            ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION),
            ("AWS_LAMBDA_FUNCTION_VERSION", "1"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048"),
            ("S3_BUCKET", bucket),
            ("AWS_ENDPOINT_URL", moto().endpoint.as_str()),
        ];
        env.extend(ENV);
        if let Some(dir) = cwasm_dir {
            env.push(("RESIZE_CWASM_DIR", dir.to_str().unwrap()));
        }
        let function = Tied::spawn(name, program, args, &env);
        Lambda { port, function, _emulator: emulator }
    }

    /// The emulator's function URL for `path`: requests there arrive as HTTP API (v2) events.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/lambda-url/{FUNCTION}{path}", self.port)
    }

    /// `cargo lambda invoke` with the event in `file`; the function's JSON answer.
    pub fn invoke(&self, file: &Path) -> serde_json::Value {
        let output = std::process::Command::new(venv_tool("cargo-lambda"))
            .args(["lambda", "invoke", "--invoke-address", "127.0.0.1", "--invoke-port", &self.port.to_string()])
            .arg("--data-file")
            .arg(file)
            .arg(FUNCTION)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cargo lambda invoke {}: {}\nfunction log:\n{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr),
            self.function.log_text()
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&output.stdout));
        })
    }
}
