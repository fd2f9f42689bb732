//! The module's errors. Each has a stable `code` the host maps to an HTTP status.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    #[error("the file is empty")]
    Empty,
    #[error("unsupported image format{}; send JPEG, PNG, WebP, GIF, BMP or TIFF", detected.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    UnsupportedFormat { detected: Option<String> },
    #[error("the {format} image could not be decoded: {reason}")]
    Corrupt { format: &'static str, reason: String },
    #[error("the image is {width}x{height} = {pixels} pixels; the limit is {limit} pixels")]
    TooManyPixels { width: u32, height: u32, pixels: u64, limit: u64 },
    #[error("the image is {width}x{height}; no side may exceed {limit} pixels")]
    DimensionTooLarge { width: u32, height: u32, limit: u32 },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("encoding {format} failed: {reason}")]
    Encode { format: &'static str, reason: String },
}

impl Error {
    /// Stable machine-readable name, part of the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::UnsupportedFormat { .. } => "unsupported_format",
            Self::Corrupt { .. } => "corrupt_image",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::DimensionTooLarge { .. } => "dimension_too_large",
            Self::InvalidRequest(_) => "invalid_request",
            Self::Encode { .. } => "encode_failed",
        }
    }

    #[cfg(feature = "pipeline")]
    pub(crate) fn corrupt(format: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt { format, reason: reason.to_string() }
    }
}
