//! Around every request: a span carrying its id (the Lambda request id in AWS, else the client's
//! `x-request-id` or a new one) and X-Ray trace id, which every log line inside it shows; the
//! handlers record the key, the source and each stage's time into it. When the answer is ready,
//! one summary line, the metrics, and in Lambda an Embedded Metric Format line.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use tracing::Instrument;
use tracing::field::Empty;

use crate::api::AppState;

/// The error code of an answer, left by `ApiError` for this layer.
#[derive(Debug, Clone)]
pub struct ErrorCode(pub String);

/// Bytes of variants a request stored, left by the handler for this layer.
#[derive(Debug, Clone, Copy)]
pub struct StoredBytes(pub u64);

#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Receiving the body (the form with the file).
    Read,
    /// Waiting for a free sandbox slot.
    Queue,
    Resize,
    Store,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Queue => "queue",
            Self::Resize => "resize",
            Self::Store => "store",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Self::Read => "read_ms",
            Self::Queue => "queue_ms",
            Self::Resize => "resize_ms",
            Self::Store => "store_ms",
        }
    }
}

/// A stage of the current request took `took`: into its span and the stage histogram.
pub fn record_stage(state: &AppState, stage: Stage, took: Duration) {
    tracing::Span::current().record(stage.field(), millis(took));
    state.metrics.stage(stage.name(), took);
}

pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = route(request.method(), request.uri().path());
    let lambda = request.extensions().get::<lambda_http::Context>();
    let request_id = match lambda {
        Some(context) => context.request_id.clone(),
        None => client_request_id(&request).unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    let trace_id = lambda
        .and_then(|context| context.xray_trace_id.clone())
        .or_else(|| std::env::var("_X_AMZN_TRACE_ID").ok().filter(|_| state.config.emf));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        trace_id = trace_id.as_deref(),
        route,
        key = Empty,
        source_format = Empty,
        source_bytes = Empty,
        read_ms = Empty,
        queue_ms = Empty,
        resize_ms = Empty,
        store_ms = Empty,
        bytes_out = Empty,
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    let code = response.extensions().get::<ErrorCode>().map(|c| c.0.clone());
    let stored = response.extensions().get::<StoredBytes>().map_or(0, |b| b.0);
    span.in_scope(|| {
        let outcome = match status {
            500.. => "failed",
            400.. => "refused",
            _ => "ok",
        };
        tracing::info!(status, code = code.as_deref(), outcome, ms = millis(took), "request");
    });
    state.metrics.request(route, status, took);
    if state.config.emf {
        println!("{}", emf_line(route, status, took, stored, &request_id, trace_id.as_deref()));
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// A client's own request id, when it is a sane token (it ends up in logs).
fn client_request_id(request: &Request) -> Option<String> {
    let id = request.headers().get("x-request-id")?.to_str().ok()?;
    let sane = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    sane.then(|| id.to_string())
}

/// The route a request is counted under: a small fixed set, so clients cannot mint label values.
fn route(method: &Method, path: &str) -> &'static str {
    match (method.as_str(), path) {
        ("POST", "/image") => "POST /image",
        ("GET" | "HEAD", p) if p.starts_with("/image/") => "GET /image/{key}",
        ("POST", "/uploads") => "POST /uploads",
        ("GET", "/health") => "GET /health",
        ("GET", "/config") => "GET /config",
        ("GET", "/metrics") => "GET /metrics",
        ("GET", p) if p.starts_with("/wasm/") => "GET /wasm",
        ("GET", "/" | "/app.js" | "/worker.js" | "/style.css") => "GET demo",
        ("OPTIONS", _) => "OPTIONS",
        _ => "other",
    }
}

/// CloudWatch Embedded Metric Format: CloudWatch Logs turns this line into the metrics
/// `Duration`, `StoredBytes`, `Errors` (5xx) and `ClientErrors` (4xx) (namespace `resize-image`, by route).
fn emf_line(route: &str, status: u16, took: Duration, stored: u64, request_id: &str, trace_id: Option<&str>) -> String {
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    json!({
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": "resize-image",
                "Dimensions": [["Route"]],
                "Metrics": [
                    { "Name": "Duration", "Unit": "Milliseconds" },
                    { "Name": "StoredBytes", "Unit": "Bytes" },
                    { "Name": "Errors", "Unit": "Count" },
                    { "Name": "ClientErrors", "Unit": "Count" },
                ],
            }],
        },
        "Route": route,
        "Status": status,
        "Duration": millis(took),
        "StoredBytes": stored,
        "Errors": u8::from(status >= 500),
        "ClientErrors": u8::from((400..500).contains(&status)),
        "requestId": request_id,
        "traceId": trace_id,
    })
    .to_string()
}

fn millis(took: Duration) -> f64 {
    (took.as_secs_f64() * 1e4).round() / 10.0
}
