//! The HTTP API: one axum Router, served by `axum::serve` locally, by `lambda_http` in AWS, and
//! driven directly by the tests. Flow: form -> key check -> sandbox -> storage -> manifest.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use resize_wasm::{Format, Position, Request};
use serde::Serialize;
use serde_json::json;
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::{GetMode, ServiceConfig};
use crate::diff::Candidate;
use crate::error::ApiError;
use crate::form;
use crate::keys;
use crate::limits;
use crate::module::{self, sha256_hex};
use crate::sandbox::{Processed, Sandbox, SandboxError};
use crate::storage::{self, KeyLocks, Object, Store, Write};
use crate::telemetry::observe::StoredBytes;
use crate::telemetry::{self, Metrics, Stage, record_stage};
use crate::uploads;

#[derive(Clone)]
pub struct AppState {
    sandbox: Arc<Sandbox>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Arc<ServiceConfig>,
    /// Requests allowed in the building at once: running plus queued.
    admitted: Arc<Semaphore>,
    /// Resizes running at once.
    running: Arc<Semaphore>,
    /// One writer per key in this process.
    locks: Arc<KeyLocks>,
    pub(crate) metrics: Arc<Metrics>,
    /// A module tried beside this one on a share of requests (diff.rs).
    candidate: Option<Arc<Candidate>>,
}

impl AppState {
    pub fn new(sandbox: Arc<Sandbox>, store: Arc<dyn Store>, config: ServiceConfig) -> Self {
        let running = config.sandbox.concurrency as usize;
        Self {
            sandbox,
            store,
            admitted: Arc::new(Semaphore::new(running + config.queue as usize)),
            running: Arc::new(Semaphore::new(running)),
            locks: Arc::default(),
            metrics: Arc::new(Metrics::new(config.sandbox.concurrency)),
            config: Arc::new(config),
            candidate: None,
        }
    }

    pub fn with_candidate(self, candidate: Arc<Candidate>) -> Self {
        Self { candidate: Some(candidate), ..self }
    }

    /// The candidate's run of a request the serving module answered, once a slot is free; it
    /// changes nothing stored, and logs both modules' hashes for the same key.
    fn shadow(&self, candidate: Arc<Candidate>, key: String, input: Vec<u8>, request: Request, served: Vec<String>) {
        let running = self.running.clone();
        tokio::spawn(async move {
            let slot = running.acquire_owned().await.expect("semaphore is never closed");
            let tried = candidate.clone();
            let result = tokio::task::spawn_blocking(move || {
                let result = tried.sandbox.process(&input, &request);
                drop(slot);
                result
            })
            .await;
            let tried: Vec<String> = match result {
                Ok(Ok(processed)) => processed.variants.iter().map(|bytes| sha256_hex(bytes)).collect(),
                Ok(Err(e)) => vec![format!("error: {e}")],
                Err(e) => vec![format!("error: {e}")],
            };
            tracing::info!(
                key,
                module_sha256 = %module::WASM_SHA256,
                candidate_sha256 = %candidate.sha256,
                identical = served == tried,
                served = served.join(","),
                candidate = tried.join(","),
                "candidate module tried"
            );
        });
    }

    /// Runs the module on a blocking thread once a slot is free; 429 when the queue is full.
    async fn resize(&self, input: Vec<u8>, request: Request) -> Result<Processed, ApiError> {
        let _admitted = self.admitted.clone().try_acquire_owned().map_err(|_| ApiError::Overloaded)?;
        let queued = Instant::now();
        let running = self.running.clone().acquire_owned().await.expect("semaphore is never closed");
        record_stage(self, Stage::Queue, queued.elapsed());
        let (sandbox, metrics) = (self.sandbox.clone(), self.metrics.clone());
        let started = Instant::now();
        metrics.slot_taken();
        let job = tokio::task::spawn_blocking(move || {
            let processed = sandbox.process(&input, &request);
            metrics.slot_freed();
            drop(running); // held until the module returns, even if the client has gone
            processed
        });
        let processed = job.await.map_err(|e| SandboxError::Internal(e.to_string()))?;
        record_stage(self, Stage::Resize, started.elapsed());
        Ok(processed?)
    }
}

pub fn router(state: AppState) -> Router {
    let body_limit = body_limit(&state.config);
    let cors = cors(&state.config.cors_allow_origin);
    let demo = crate::demo::router(&state.config, state.store.direct().is_some());
    Router::new()
        .route("/health", get(health))
        .route("/config", get(config))
        .route("/image", post(create_image))
        .route("/image/{*key}", get(get_image))
        .route("/uploads", post(uploads::create))
        .route("/metrics", get(metrics))
        .route(module::WASM_PATH, get(wasm))
        .route(module::JS_PATH, get(wasm_js))
        .merge(demo)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.config.max_header_bytes, limits::bound_headers))
        .layer(cors)
        // Every answer: browsers must not guess types (a stored variant is served as what it
        // is), and pages we serve leak no URL to the sites they link to.
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        // Outermost: every answer, refusals by the layers above included, is logged and counted.
        .layer(axum::middleware::from_fn_with_state(state.clone(), telemetry::observe))
        .with_state(state)
}

/// Room for the form's other fields and boundaries around the largest allowed file.
fn body_limit(config: &ServiceConfig) -> usize {
    config.max_upload_bytes + 64 * 1024
}

/// The header API Gateway reads usage-plan keys from.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Browsers on the listed origins may call the API; with none listed, only same-origin pages.
fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::HeaderName::from_static(API_KEY_HEADER)]);
    if origins.iter().any(|o| o == "*") {
        layer.allow_origin(AllowOrigin::any())
    } else {
        layer.allow_origin(AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok())))
    }
}

async fn create_image(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    state.config.api_keys.check(&headers)?;
    // Refuse a declared oversize body before reading it (curl then never sends it).
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|len| len > body_limit(&state.config)) {
        return Err(ApiError::TooLarge { limit: state.config.max_upload_bytes });
    }
    let multipart =
        multipart.map_err(|e| ApiError::BadForm(format!("expected a multipart/form-data body: {}", e.body_text())))?;
    let reading = Instant::now();
    let upload = limits::body_within(state.config.body_timeout, form::read(multipart, &state.config)).await??;
    record_stage(&state, Stage::Read, reading.elapsed());
    let span = tracing::Span::current();
    span.record("key", upload.key.as_str());
    keys::validate(&upload.key).map_err(ApiError::InvalidKey)?;
    uploads::refuse_reserved_key(&state, &upload.key)?;
    let request = upload.options.apply(&state.config);
    for variant in &request.variants {
        keys::validate(&format!("{}{}", upload.key, variant.suffix)).map_err(ApiError::InvalidKey)?;
    }
    let (input, uploaded) = match upload.source {
        form::Source::File(bytes) => (bytes, None),
        form::Source::Uploaded(source_key) => (uploads::read_source(&state, &source_key).await?, Some(source_key)),
    };

    let source_bytes = input.len();
    span.record("source_bytes", source_bytes);
    let tried = state.candidate.clone().filter(|c| c.takes_next()).map(|c| (c, input.clone()));
    let processed = state.resize(input, request.clone()).await?;

    let source = &processed.manifest.source;
    span.record("source_format", source.format.as_str());
    let objects: Vec<(String, Object)> = processed
        .manifest
        .variants
        .iter()
        .zip(processed.variants)
        .zip(&request.variants)
        .map(|((info, bytes), asked): ((&resize_wasm::VariantInfo, Vec<u8>), _)| {
            let metadata = [
                ("source-format", Some(source.format.clone())),
                ("source-size", Some(format!("{}x{}", source.width, source.height))),
                ("variant", Some(describe(asked))),
                ("module-sha256", Some(module::WASM_SHA256.to_string())),
                ("thumbhash", source.thumbhash.clone()),
                ("crop", request.crop.map(|c| c.map(|n| n.to_string()).join(","))),
                ("focus", request.focus.map(|f| f.map(|n| n.to_string()).join(","))),
            ];
            let object = Object {
                sha256: sha256_hex(&bytes),
                bytes,
                content_type: info.content_type.clone(),
                metadata: metadata.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect(),
            };
            (format!("{}{}", upload.key, info.suffix), object)
        })
        .collect();
    let write = if upload.overwrite { Write::Replace } else { Write::CreateOnly };
    let (store, wait) = (&state.store, state.config.key_lock_wait);
    let storing = Instant::now();
    storage::put_all(store, &state.locks, &upload.key, &objects, write, wait).await?;
    record_stage(&state, Stage::Store, storing.elapsed());
    let stored: u64 = objects.iter().map(|(_, object)| object.bytes.len() as u64).sum();
    span.record("bytes_out", stored);
    state.metrics.stored(stored);
    if let Some(source_key) = uploaded {
        uploads::discard_source(&state, &source_key).await;
    }
    if let Some((candidate, input)) = tried {
        let served = objects.iter().map(|(_, object)| object.sha256.clone()).collect();
        state.shadow(candidate, upload.key.clone(), input, request.clone(), served);
    }

    let variants = processed
        .manifest
        .variants
        .iter()
        .zip(&objects)
        .map(|(info, (key, object))| StoredVariant {
            key: key.clone(),
            width: info.width,
            height: info.height,
            format: info.format,
            content_type: info.content_type.clone(),
            bytes: object.bytes.len(),
            sha256: object.sha256.clone(),
            url: image_url(state.config.public_base_url.as_deref(), key),
            ssim: info.ssim,
        })
        .collect();
    let manifest = ImageManifest {
        key: upload.key,
        source: SourceInfo {
            format: source.format.clone(),
            width: source.width,
            height: source.height,
            bytes: source_bytes,
            thumbhash: source.thumbhash.clone(),
        },
        module: ModuleInfo { sha256: module::WASM_SHA256.to_string() },
        variants,
    };
    tracing::info!(key = %manifest.key, variants = manifest.variants.len(), "stored");
    let mut response = (StatusCode::CREATED, Json(manifest)).into_response();
    response.extensions_mut().insert(StoredBytes(stored));
    Ok(response)
}

async fn get_image(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    keys::validate(&key).map_err(ApiError::InvalidKey)?;
    if let (GetMode::Redirect, Some(direct)) = (state.config.s3_get, state.store.direct()) {
        return Ok(Redirect::temporary(&direct.presigned_get(&key, state.config.presign_ttl).await?).into_response());
    }
    let object = state.store.get(&key).await?.ok_or(ApiError::NotFound(key))?;
    let content_type = object.content_type.clone();
    Ok(cacheable(&headers, &object.sha256, &content_type, object.bytes))
}

async fn wasm(headers: HeaderMap) -> Response {
    cacheable(&headers, module::WASM_SHA256, "application/wasm", module::WASM.to_vec())
}

async fn wasm_js(headers: HeaderMap) -> Response {
    cacheable(&headers, &module::JS_SHA256, "text/javascript; charset=utf-8", module::JS.as_bytes().to_vec())
}

/// Bytes with their sha256 as ETag; 304 when the client has them already.
pub(crate) fn cacheable(request: &HeaderMap, sha256: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{sha256}\"")).expect("hex is a valid header");
    let headers = [(header::ETAG, etag.clone()), (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))];
    if request.get(header::IF_NONE_MATCH) == Some(&etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let content_type =
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (headers, [(header::CONTENT_TYPE, content_type)], bytes).into_response()
}

/// Prometheus scrapes this (the OpenMetrics text format, which it reads natively).
async fn metrics(State(state): State<AppState>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], state.metrics.encode()).into_response()
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "module": { "sha256": module::WASM_SHA256 } }))
}

/// The preset and the allowed options, for clients and the demo.
async fn config(State(state): State<AppState>) -> Json<serde_json::Value> {
    let config = &state.config;
    Json(json!({
        "variants": config.preset,
        "limits": {
            "maxUploadBytes": config.max_upload_bytes,
            "maxInputPixels": config.limits.max_input_pixels,
            "maxInputDimension": config.limits.max_input_dimension,
        },
        "allowed": {
            "fit": config.allowed_fits.iter().map(|f| f.name()).collect::<Vec<_>>(),
            "format": config.allowed_formats.iter().map(|f| f.name()).collect::<Vec<_>>(),
            "position": Position::ALL,
            "quality": { "min": 1, "max": 100 },
            "background": "#rgb, #rrggbb or #rrggbbaa",
        },
        "request": Request::new(config.preset.clone(), config.limits),
        "uploads": {
            "available": state.store.direct().is_some(),
            "maxSourceBytes": config.max_source_bytes,
            "contentTypes": uploads::CONTENT_TYPES,
        },
        "module": {
            "sha256": module::WASM_SHA256,
            "version": module::VERSION,
            "wasm": module::WASM_PATH,
            "js": module::JS_PATH,
        },
        "auth": { "apiKeyRequired": config.api_key_required, "header": API_KEY_HEADER },
    }))
}

async fn not_found() -> Response {
    let body = json!({ "error": { "code": "not_found", "message": "no such route; see GET /config and the README" } });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// Everything but unreserved characters and '/' is escaped in the key's URL.
const KEY_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

/// Where a stored variant is read: under the public base (a CDN over the bucket) when there is
/// one, else through this API's `GET /image/{key}`.
pub fn image_url(public_base: Option<&str>, key: &str) -> String {
    let key = utf8_percent_encode(key, KEY_ESCAPES);
    match public_base {
        Some(base) => format!("{base}/{key}"),
        None => format!("/image/{key}"),
    }
}

fn describe(v: &resize_wasm::Variant) -> String {
    format!("{}x{} {} {} q{}", v.width, v.height, v.fit.name(), v.format.name(), v.quality)
}

/// The `201` body of `POST /image`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub key: String,
    pub source: SourceInfo,
    pub module: ModuleInfo,
    pub variants: Vec<StoredVariant>,
}

#[derive(Debug, Serialize)]
pub struct SourceInfo {
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
    /// A ThumbHash of the source (base64), also stored as each object's `thumbhash` metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbhash: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ModuleInfo {
    pub sha256: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredVariant {
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub content_type: String,
    pub bytes: usize,
    pub sha256: String,
    pub url: String,
    /// The module's quality score, when the form asked for it (`score=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssim: Option<f64>,
}
