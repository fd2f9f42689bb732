//! The `POST /image` form: the seed's `file` and `s3Key`, plus optional options that apply to
//! every variant of the request, each checked against what the server allows.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use resize_wasm::{Background, Fit, Format, Position, Request, Variant};

use crate::config::ServiceConfig;
use crate::error::ApiError;

#[derive(Debug)]
pub struct Upload {
    pub source: Source,
    pub key: String,
    pub options: Options,
    /// `overwrite=false`: refuse (409) a key that is stored already.
    pub overwrite: bool,
}

/// The original: in the form, or already in the bucket through `POST /uploads`.
#[derive(Debug)]
pub enum Source {
    File(Vec<u8>),
    Uploaded(String),
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Options {
    pub fit: Option<Fit>,
    pub position: Option<Position>,
    pub format: Option<Format>,
    pub quality: Option<u8>,
    pub progressive: Option<bool>,
    pub background: Option<Background>,
    /// Ask the module for each variant's quality score (`ssim` in the answer).
    pub score: bool,
    /// The part of the source to keep (`crop=x,y,w,h`) or the point to keep in view (`focus=x,y`),
    /// in the source's pixels; checked against the source by the module.
    pub crop: Option<[u32; 4]>,
    pub focus: Option<[u32; 2]>,
}

pub async fn read(mut multipart: Multipart, config: &ServiceConfig) -> Result<Upload, ApiError> {
    let too_large = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit: config.max_upload_bytes }
        } else {
            ApiError::BadForm(format!("the multipart body could not be read: {}", e.body_text()))
        }
    };
    let (mut file, mut source_key, mut key, mut options) = (None, None, None, Options::default());
    let mut overwrite = true;
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let bytes = field.bytes().await.map_err(too_large)?;
            if bytes.len() > config.max_upload_bytes {
                return Err(ApiError::TooLarge { limit: config.max_upload_bytes });
            }
            file = Some(bytes.to_vec());
            continue;
        }
        let value = field.text().await.map_err(too_large)?;
        let invalid =
            |field: &'static str, allowed: String| ApiError::InvalidOption { field, value: value.clone(), allowed };
        let names = |all: &[&str]| all.join(", ");
        match name.as_str() {
            "s3Key" => key = Some(value.clone()),
            "sourceKey" => source_key = Some(value.clone()),
            "fit" => {
                let allowed: Vec<_> = config.allowed_fits.iter().map(|f| f.name()).collect();
                let fit = Fit::parse(&value).filter(|f| config.allowed_fits.contains(f));
                options.fit = Some(fit.ok_or_else(|| invalid("fit", names(&allowed)))?);
            }
            "position" => {
                options.position =
                    Some(Position::parse(&value).ok_or_else(|| invalid("position", names(&Position::ALL)))?)
            }
            "format" => {
                let allowed: Vec<_> = config.allowed_formats.iter().map(|f| f.name()).collect();
                let format = Format::parse(&value).filter(|f| config.allowed_formats.contains(f));
                options.format = Some(format.ok_or_else(|| invalid("format", names(&allowed)))?);
            }
            "quality" => {
                let quality = value.trim().parse::<u8>().ok().filter(|q| (1..=100).contains(q));
                options.quality = Some(quality.ok_or_else(|| invalid("quality", "an integer from 1 to 100".into()))?);
            }
            "progressive" => {
                options.progressive = Some(boolean(&value).ok_or_else(|| invalid("progressive", "true, false".into()))?)
            }
            "overwrite" => overwrite = boolean(&value).ok_or_else(|| invalid("overwrite", "true, false".into()))?,
            "score" => options.score = boolean(&value).ok_or_else(|| invalid("score", "true, false".into()))?,
            "crop" => {
                let crop = integers(&value).filter(|c| c[2] > 0 && c[3] > 0);
                options.crop =
                    Some(crop.ok_or_else(|| invalid("crop", "left,top,width,height in source pixels".into()))?)
            }
            "focus" => {
                options.focus = Some(integers(&value).ok_or_else(|| invalid("focus", "x,y in source pixels".into()))?)
            }
            "background" => {
                let background = Background::parse(&value);
                options.background =
                    Some(background.ok_or_else(|| invalid("background", "#rgb, #rrggbb, #rrggbbaa".into()))?);
            }
            _ => return Err(ApiError::UnknownField(name)),
        }
    }
    let source = match (file, source_key) {
        (Some(file), None) => Source::File(file),
        (None, Some(source_key)) => Source::Uploaded(source_key),
        (None, None) => return Err(ApiError::MissingField("file")),
        (Some(_), Some(_)) => return Err(ApiError::BadForm("send either file or sourceKey, not both".into())),
    };
    let key = key.ok_or(ApiError::MissingField("s3Key"))?;
    Ok(Upload { source, key, options, overwrite })
}

/// `N` comma-separated whole numbers (`10,20` or `10, 20`).
fn integers<const N: usize>(value: &str) -> Option<[u32; N]> {
    let numbers: Vec<u32> = value.split(',').map(|n| n.trim().parse().ok()).collect::<Option<_>>()?;
    numbers.try_into().ok()
}

fn boolean(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

impl Options {
    /// The server's preset with these options applied to every variant.
    pub fn apply(&self, config: &ServiceConfig) -> Request {
        let variants = config
            .preset
            .iter()
            .map(|v| Variant {
                fit: self.fit.unwrap_or(v.fit),
                position: self.position.unwrap_or(v.position),
                format: self.format.unwrap_or(v.format),
                quality: self.quality.unwrap_or(v.quality),
                progressive: self.progressive.unwrap_or(v.progressive),
                background: self.background.unwrap_or(v.background),
                ..v.clone()
            })
            .collect();
        Request { score: self.score, crop: self.crop, focus: self.focus, ..Request::new(variants, config.limits) }
    }
}
