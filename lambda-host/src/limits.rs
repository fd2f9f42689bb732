//! Bounds on what one request may make the server hold: the size of its headers, and how long
//! its body may take to arrive (a client sending a byte a second holds a connection and memory,
//! never a resize slot, which is taken only once the whole body is in).

use std::future::Future;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Refuses a request whose target and headers together exceed `max` bytes (431).
pub async fn bound_headers(State(max): State<usize>, request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    // Each header line as sent: "name: value\r\n".
    let headers: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if target + headers > max {
        return ApiError::HeadersTooLarge { limit: max }.into_response();
    }
    next.run(request).await
}

/// Reading the body (`read`) must finish within `timeout` (408 after).
pub async fn body_within<T>(timeout: Duration, read: impl Future<Output = T>) -> Result<T, ApiError> {
    tokio::time::timeout(timeout, read).await.map_err(|_| ApiError::BodyTimeout { seconds: timeout.as_secs_f64() })
}
