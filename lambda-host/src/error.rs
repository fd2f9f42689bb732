//! Every error the API can answer, and the one place they become HTTP statuses and JSON bodies:
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use thiserror::Error;

use crate::sandbox::SandboxError;
use crate::storage::{PutAllError, StoreError};
use crate::telemetry::observe::ErrorCode;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{0}")]
    BadForm(String),
    #[error("the form has no `{0}` field")]
    MissingField(&'static str),
    #[error(
        "unknown form field `{0}`; the fields are file (or sourceKey), s3Key, fit, position, format, quality, progressive, background, overwrite"
    )]
    UnknownField(String),
    #[error("the body is not the expected JSON: {0}")]
    BadJson(String),
    #[error("{0}")]
    InvalidUpload(String),
    #[error("content type {got:?} is not accepted; allowed: {allowed}")]
    UnsupportedContentType { got: String, allowed: String },
    #[error("presigned uploads need S3 storage (S3_BUCKET); this server stores in a directory")]
    UploadsUnavailable,
    #[error("nothing was uploaded under sourceKey {0:?}; PUT the file to the URL from POST /uploads first")]
    SourceNotFound(String),
    #[error("invalid s3Key: {0}")]
    InvalidKey(String),
    #[error("invalid {field} {value:?}; allowed: {allowed}")]
    InvalidOption { field: &'static str, value: String, allowed: String },
    #[error("the upload is larger than the {limit} byte limit")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("no object stored under {0:?}")]
    NotFound(String),
    #[error("the server is busy; try again shortly")]
    Overloaded,
    #[error("the request's target and headers are larger than the {limit} byte limit")]
    HeadersTooLarge { limit: usize },
    #[error("the body did not arrive within {seconds} s")]
    BodyTimeout { seconds: f64 },
    #[error("this route needs an API key: send it as `x-api-key: KEY` or `Authorization: Bearer KEY`")]
    MissingApiKey,
    #[error("the API key is not one this server accepts")]
    InvalidApiKey,
    #[error(transparent)]
    Store(#[from] PutAllError),
    #[error(transparent)]
    Read(#[from] StoreError),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &str) {
        match self {
            Self::BadForm(_) => (StatusCode::BAD_REQUEST, "bad_form"),
            Self::MissingField(_) => (StatusCode::BAD_REQUEST, "missing_field"),
            Self::UnknownField(_) => (StatusCode::BAD_REQUEST, "unknown_field"),
            Self::InvalidKey(_) => (StatusCode::BAD_REQUEST, "invalid_key"),
            Self::InvalidOption { .. } => (StatusCode::BAD_REQUEST, "invalid_option"),
            Self::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            Self::InvalidUpload(_) => (StatusCode::BAD_REQUEST, "invalid_upload"),
            Self::UnsupportedContentType { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format"),
            Self::UploadsUnavailable => (StatusCode::NOT_FOUND, "uploads_unavailable"),
            Self::SourceNotFound(_) => (StatusCode::NOT_FOUND, "source_not_found"),
            Self::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Sandbox(SandboxError::Module(info)) => (module_status(&info.code), info.code.as_str()),
            // A limit the input ran into, not a server fault.
            Self::Sandbox(SandboxError::MemoryLimit { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "memory_limit_exceeded")
            }
            Self::Sandbox(SandboxError::Deadline { .. }) => (StatusCode::UNPROCESSABLE_ENTITY, "deadline_exceeded"),
            Self::Sandbox(SandboxError::Internal(_)) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Overloaded => (StatusCode::TOO_MANY_REQUESTS, "overloaded"),
            Self::HeadersTooLarge { .. } => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
            Self::BodyTimeout { .. } => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            Self::MissingApiKey => (StatusCode::UNAUTHORIZED, "missing_api_key"),
            Self::InvalidApiKey => (StatusCode::FORBIDDEN, "invalid_api_key"),
            Self::Store(PutAllError { source, .. }) | Self::Read(source) => match source {
                StoreError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
                StoreError::Failed(_) => (StatusCode::BAD_GATEWAY, "storage_failed"),
                StoreError::Exists(_) => (StatusCode::CONFLICT, "key_exists"),
                StoreError::Busy(_) => (StatusCode::CONFLICT, "key_busy"),
            },
        }
    }
}

/// The module's error codes (resize_wasm::Error::code) as HTTP statuses.
fn module_status(code: &str) -> StatusCode {
    match code {
        "empty_file" | "invalid_request" => StatusCode::BAD_REQUEST,
        "unsupported_format" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "corrupt_image" | "too_many_pixels" | "dimension_too_large" => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds a client should wait before trying again, for answers that say "not now".
fn retry_after(code: &str) -> Option<&'static str> {
    match code {
        "overloaded" | "key_busy" => Some("1"),
        "storage_unavailable" => Some("5"),
        _ => None,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let retry = retry_after(code);
        if status.is_server_error() {
            tracing::error!(%status, code, error = %self, "request failed");
        } else {
            tracing::info!(%status, code, error = %self, "request refused");
        }
        let body = json!({ "error": { "code": code, "message": self.to_string() } });
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        response.extensions_mut().insert(ErrorCode(code.to_string()));
        response
    }
}
