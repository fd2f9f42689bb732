//! The same Router under AWS Lambda. `lambda_http` turns API Gateway REST (v1) proxy events
//! (base64 bodies included), HTTP API (v2) and Function URL events into requests, and answers
//! with text bodies as text and everything else (images) base64-encoded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;

/// Serves `app` to the Lambda runtime API until the process is stopped. `started` is when the
/// process began, so the log shows the whole init.
pub async fn run(app: Router, started: Instant) -> anyhow::Result<()> {
    tracing::info!(init_ms = started.elapsed().as_millis() as u64, "lambda init done");
    let app = app.layer(middleware::from_fn(log_first_request));
    lambda_http::run(app).await.map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
}

static FIRST_SEEN: AtomicBool = AtomicBool::new(false);

/// The first request after a cold start pays for lazy set-up (TLS, credentials): log its time.
async fn log_first_request(request: Request, next: Next) -> Response {
    if FIRST_SEEN.swap(true, Ordering::Relaxed) {
        return next.run(request).await;
    }
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    let ms = started.elapsed().as_millis() as u64;
    tracing::info!(%method, path, status = response.status().as_u16(), ms, "first request");
    response
}
