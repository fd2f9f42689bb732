//! Originals larger than a Lambda request allows: `POST /uploads` hands out a presigned PUT into
//! the bucket, and `POST /image` with `sourceKey` reads the original back from there.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::api::AppState;
use crate::error::ApiError;
use crate::limits;
use crate::storage::{Bounded, Direct};

/// The formats the module decodes, as the Content-Type a client declares for its upload.
pub const CONTENT_TYPES: [&str; 6] = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff"];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadRequest {
    content_type: String,
    size: u64,
}

/// What the client needs to PUT its original straight to the bucket.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicket {
    source_key: String,
    url: String,
    method: &'static str,
    /// Headers the PUT must carry exactly: they are part of the signature.
    headers: serde_json::Value,
    expires_in_seconds: u64,
}

pub async fn create(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<UploadTicket>), ApiError> {
    state.config.api_keys.check(request.headers())?;
    let direct = direct(&state)?;
    let body =
        limits::body_within(state.config.body_timeout, Json::<UploadRequest>::from_request(request, &())).await?;
    let Json(request) = body.map_err(|e: JsonRejection| ApiError::BadJson(e.body_text()))?;
    let content_type = request.content_type.trim().to_ascii_lowercase();
    if !CONTENT_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::UnsupportedContentType { got: request.content_type, allowed: CONTENT_TYPES.join(", ") });
    }
    if request.size == 0 {
        return Err(ApiError::InvalidUpload("size must be the file's length in bytes, at least 1".into()));
    }
    let config = &state.config;
    if request.size > config.max_source_bytes as u64 {
        return Err(ApiError::TooLarge { limit: config.max_source_bytes });
    }
    let source_key = format!("{}{}", config.upload_prefix, uuid::Uuid::new_v4().simple());
    let url = direct.presigned_put(&source_key, &content_type, request.size, config.presign_ttl).await?;
    tracing::info!(%source_key, size = request.size, "upload URL issued");
    let ticket = UploadTicket {
        source_key,
        url,
        method: "PUT",
        headers: serde_json::json!({ "Content-Type": content_type, "Content-Length": request.size.to_string() }),
        expires_in_seconds: config.presign_ttl.as_secs(),
    };
    Ok((StatusCode::CREATED, Json(ticket)))
}

/// The original a client uploaded under `source_key`, within the size limit.
pub async fn read_source(state: &AppState, source_key: &str) -> Result<Vec<u8>, ApiError> {
    let direct = direct(state)?;
    if !is_upload_key(source_key, &state.config.upload_prefix) {
        return Err(ApiError::InvalidUpload(format!("sourceKey {source_key:?} is not a key from POST /uploads")));
    }
    match direct.read_bounded(source_key, state.config.max_source_bytes).await? {
        Bounded::Bytes(bytes) => Ok(bytes),
        Bounded::Missing => Err(ApiError::SourceNotFound(source_key.into())),
        Bounded::TooLarge(_) => Err(ApiError::TooLarge { limit: state.config.max_source_bytes }),
    }
}

/// Removes an original once its variants are stored; a leftover is only untidy (a bucket
/// lifecycle rule on the prefix sweeps those).
pub async fn discard_source(state: &AppState, source_key: &str) {
    if let Err(e) = state.store.delete(source_key).await {
        tracing::warn!(%source_key, error = %e, "could not delete an uploaded original");
    }
}

/// Variants may not land among the uploaded originals (in S3 mode, where those exist).
pub fn refuse_reserved_key(state: &AppState, key: &str) -> Result<(), ApiError> {
    let prefix = &state.config.upload_prefix;
    if state.store.direct().is_some() && key.starts_with(prefix.as_str()) {
        return Err(ApiError::InvalidKey(format!("keys under {prefix:?} are reserved for POST /uploads")));
    }
    Ok(())
}

/// Keys this host hands out: the prefix and 32 hex digits, nothing else in the bucket.
pub fn is_upload_key(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix).is_some_and(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn direct(state: &AppState) -> Result<&dyn Direct, ApiError> {
    state.store.direct().ok_or(ApiError::UploadsUnavailable)
}

#[cfg(test)]
mod tests {
    use super::is_upload_key;

    #[test]
    fn only_issued_keys_are_sources() {
        assert!(is_upload_key("uploads/0123456789abcdef0123456789abcdef", "uploads/"));
        for key in ["uploads/", "uploads/../img.jpg", "img.jpg", "uploads/0123456789abcdef0123456789abcdeg"] {
            assert!(!is_upload_key(key, "uploads/"), "{key}");
        }
    }
}
