//! What the module gives back: the encoded variants and a JSON manifest describing them.

use serde::{Deserialize, Serialize};

use crate::Format;

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub source: Source,
    pub variants: Vec<Encoded>,
}

/// The source as decoded, dimensions after EXIF orientation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub format: String,
    pub width: u32,
    pub height: u32,
    /// Its ThumbHash in standard base64: a placeholder to paint before the variants load.
    /// Absent when the call stopped before it (`Request::stop_after`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbhash: Option<String>,
    /// The EXIF metadata the source carries, none of which is copied to the variants: listed so
    /// a person sees what is stripped. Absent when the source has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// What a person may not want to publish: who made the picture with what, when, and where.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Make and model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// When it was taken, as EXIF writes it (`2008:10:22 16:29:49`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken: Option<String>,
    /// Latitude and longitude in degrees (south and west negative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// Every EXIF field found, these included.
    pub fields: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub suffix: String,
    pub width: u32,
    pub height: u32,
    pub format: Format,
    /// The quality score (`pipeline::quality`), when the request asked for it.
    pub ssim: Option<f64>,
    pub bytes: Vec<u8>,
}

/// The output without its pixels: what crosses the ABI as JSON ahead of the variants' bytes,
/// which follow in the same order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub source: Source,
    pub variants: Vec<VariantInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantInfo {
    pub suffix: String,
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub content_type: String,
    pub bytes: usize,
    /// SSIM of the stored variant against the source at its size (1 = identical), when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssim: Option<f64>,
}

impl Output {
    pub fn manifest(&self) -> Manifest {
        Manifest {
            source: self.source.clone(),
            variants: self
                .variants
                .iter()
                .map(|v| VariantInfo {
                    suffix: v.suffix.clone(),
                    width: v.width,
                    height: v.height,
                    format: v.format,
                    content_type: v.format.content_type().into(),
                    bytes: v.bytes.len(),
                    ssim: v.ssim,
                })
                .collect(),
        }
    }
}

/// The error as it crosses the ABI and reaches JavaScript: `{"code": ..., "message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
}

impl From<&crate::Error> for ErrorInfo {
    fn from(e: &crate::Error) -> Self {
        Self { code: e.code().into(), message: e.to_string() }
    }
}
