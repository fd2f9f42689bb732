//! What a host asks the module to do: the variants to make from one source, and the limits
//! the source must respect. Serialized as JSON across the ABI; names follow sharp's options.

use serde::{Deserialize, Serialize};

/// One call: decode the source once, produce every variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub limits: Limits,
    /// Run the pipeline through this stage and return no variants: for profiling (`cargo xtask
    /// bench`: each stage's cost is a difference of two timings) and for the demo, which asks for
    /// the placeholder before the variants. The server never sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_after: Option<Stage>,
    /// Also measure each variant's quality (the manifest's `ssim`): it costs a decode of each
    /// JPEG variant, so it is asked for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub score: bool,
    /// Keep only this part of the source, then fit every variant to it (sharp's `extract` before
    /// `resize`): left, top, width, height in the pixels of the source as it is seen (oriented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<[u32; 4]>,
    /// The point that `cover` crops keep as near their middle as the picture allows: x, y in the
    /// pixels of the source as it is seen. It replaces each cover variant's `position`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<[u32; 2]>,
}

/// The pipeline's steps, in the order they run (see `pipeline::run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Nothing: the request is parsed and the call returns.
    Start,
    Sniff,
    /// The header read and checked against the limits.
    Header,
    Decode,
    Orient,
    /// The source's ThumbHash computed (the manifest's `source.thumbhash`).
    Placeholder,
    Resample,
    Encode,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Self::Start,
        Self::Sniff,
        Self::Header,
        Self::Decode,
        Self::Orient,
        Self::Placeholder,
        Self::Resample,
        Self::Encode,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Sniff => "sniff",
            Self::Header => "header",
            Self::Decode => "decode",
            Self::Orient => "orient",
            Self::Placeholder => "placeholder",
            Self::Resample => "resample",
            Self::Encode => "encode",
        }
    }
}

/// One output image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variant {
    /// Appended to the storage key by the host ("" for the main image, "_200", ...).
    #[serde(default)]
    pub suffix: String,
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub fit: Fit,
    #[serde(default)]
    pub position: Position,
    #[serde(default)]
    pub format: Format,
    /// JPEG quality, 1..=100.
    #[serde(default = "default_quality")]
    pub quality: u8,
    /// Progressive JPEG.
    #[serde(default)]
    pub progressive: bool,
    /// Fills transparent areas for JPEG and the padding of `contain`.
    #[serde(default)]
    pub background: Background,
    /// Never scale the source up; the output may then be smaller than asked (as in sharp).
    #[serde(default = "default_true")]
    pub without_enlargement: bool,
}

fn default_quality() -> u8 {
    80
}

fn default_true() -> bool {
    true
}

/// How the source is fitted into `width` x `height`, with sharp's meanings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Fill the box, cropping what overflows.
    #[default]
    Cover,
    /// Fit inside the box, padding with the background.
    Contain,
    /// Stretch to the box, ignoring the aspect ratio.
    Fill,
    /// Fit inside the box; the output keeps the source's aspect ratio (no padding).
    Inside,
    /// Cover the box; the output keeps the source's aspect ratio (no cropping).
    Outside,
}

impl Fit {
    pub const ALL: [&str; 5] = ["cover", "contain", "fill", "inside", "outside"];

    pub fn name(self) -> &'static str {
        match self {
            Self::Cover => "cover",
            Self::Contain => "contain",
            Self::Fill => "fill",
            Self::Inside => "inside",
            Self::Outside => "outside",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cover" => Some(Self::Cover),
            "contain" => Some(Self::Contain),
            "fill" => Some(Self::Fill),
            "inside" => Some(Self::Inside),
            "outside" => Some(Self::Outside),
            _ => None,
        }
    }
}

/// Where the kept area sits when `cover` crops or `contain` pads: sharp's positions and gravities,
/// and its two strategies, which choose `cover`'s crop from the pixels (for other fits they mean
/// the centre, as in sharp).
/// Written with the dashed names; read with any of sharp's spellings, in JSON as in forms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum Position {
    #[default]
    Centre,
    Top,
    RightTop,
    Right,
    RightBottom,
    Bottom,
    LeftBottom,
    Left,
    LeftTop,
    /// The busiest part: the highest Shannon entropy of pixel values.
    Entropy,
    /// The part most likely to draw the eye: skin tones, saturated reds, edges.
    Attention,
}

impl Position {
    pub const ALL: [&str; 11] = [
        "centre",
        "top",
        "right-top",
        "right",
        "right-bottom",
        "bottom",
        "left-bottom",
        "left",
        "left-top",
        "entropy",
        "attention",
    ];

    /// Accepts sharp's spellings ("centre", "center", "right top", "north", "southwest", ...).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        Some(match s.as_str() {
            "centre" | "center" | "middle" => Self::Centre,
            "top" | "north" => Self::Top,
            "right-top" | "top-right" | "northeast" => Self::RightTop,
            "right" | "east" => Self::Right,
            "right-bottom" | "bottom-right" | "southeast" => Self::RightBottom,
            "bottom" | "south" => Self::Bottom,
            "left-bottom" | "bottom-left" | "southwest" => Self::LeftBottom,
            "left" | "west" => Self::Left,
            "left-top" | "top-left" | "northwest" => Self::LeftTop,
            "entropy" => Self::Entropy,
            "attention" => Self::Attention,
            _ => return None,
        })
    }

    /// Fractions (x, y) of the slack given to the left and top: 0 = flush left/top, 1 = flush right/bottom.
    pub fn anchor(self) -> (f64, f64) {
        match self {
            Self::Centre | Self::Entropy | Self::Attention => (0.5, 0.5),
            Self::Top => (0.5, 0.0),
            Self::RightTop => (1.0, 0.0),
            Self::Right => (1.0, 0.5),
            Self::RightBottom => (1.0, 1.0),
            Self::Bottom => (0.5, 1.0),
            Self::LeftBottom => (0.0, 1.0),
            Self::Left => (0.0, 0.5),
            Self::LeftTop => (0.0, 0.0),
        }
    }
}

impl TryFrom<String> for Position {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        Self::parse(&name).ok_or_else(|| format!("unknown position {name:?}; one of {}", Self::ALL.join(", ")))
    }
}

/// Output encoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Jpeg,
    Png,
    /// Lossless WebP (the pure-Rust encoder has no lossy mode).
    Webp,
}

impl Format {
    pub const ALL: [&str; 3] = ["jpeg", "png", "webp"];

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }
}

/// An sRGB colour with alpha, written `#rgb`, `#rrggbb` or `#rrggbbaa` (alpha only matters for PNG/WebP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Background(pub [u8; 4]);

impl Default for Background {
    fn default() -> Self {
        Self([255, 255, 255, 255])
    }
}

impl Background {
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.trim().strip_prefix('#').unwrap_or(s.trim());
        if !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        let nibble = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).ok().map(|v| v * 17);
        match hex.len() {
            3 => Some(Self([nibble(0)?, nibble(1)?, nibble(2)?, 255])),
            6 => Some(Self([byte(0)?, byte(2)?, byte(4)?, 255])),
            8 => Some(Self([byte(0)?, byte(2)?, byte(4)?, byte(6)?])),
            _ => None,
        }
    }
}

impl TryFrom<String> for Background {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("background {s:?} is not #rgb, #rrggbb or #rrggbbaa"))
    }
}

impl From<Background> for String {
    fn from(b: Background) -> String {
        let [r, g, bl, a] = b.0;
        if a == 255 { format!("#{r:02x}{g:02x}{bl:02x}") } else { format!("#{r:02x}{g:02x}{bl:02x}{a:02x}") }
    }
}

/// Checked against the source's header before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    pub max_input_pixels: u64,
    pub max_input_dimension: u32,
    pub max_output_dimension: u32,
    pub max_variants: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_pixels: 50_000_000,
            max_input_dimension: 16_384,
            max_output_dimension: 8_192,
            max_variants: 16,
        }
    }
}

impl Request {
    /// The seed service's job: 456, 200 and 75 px squares, JPEG, cover, centred.
    pub fn seed() -> Self {
        let square = |suffix: &str, size: u32| Variant {
            suffix: suffix.into(),
            width: size,
            height: size,
            fit: Fit::Cover,
            position: Position::Centre,
            format: Format::Jpeg,
            quality: default_quality(),
            progressive: false,
            background: Background::default(),
            without_enlargement: true,
        };
        Self::new(vec![square("", 456), square("_200", 200), square("_75", 75)], Limits::default())
    }

    pub fn new(variants: Vec<Variant>, limits: Limits) -> Self {
        Self { variants, limits, stop_after: None, score: false, crop: None, focus: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_request_round_trips_as_json() {
        let json = serde_json::to_string(&Request::seed()).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), Request::seed());
    }

    #[test]
    fn minimal_variant_json_takes_seed_defaults() {
        let r: Request = serde_json::from_str(r#"{"variants":[{"width":10,"height":20}]}"#).unwrap();
        let v = &r.variants[0];
        assert_eq!((v.fit, v.position, v.format, v.quality), (Fit::Cover, Position::Centre, Format::Jpeg, 80));
        assert!(v.without_enlargement);
    }

    #[test]
    fn positions_accept_sharp_spellings() {
        assert_eq!(Position::parse("right top"), Some(Position::RightTop));
        assert_eq!(Position::parse("center"), Some(Position::Centre));
        assert_eq!(Position::parse("southwest"), Some(Position::LeftBottom));
        assert_eq!(Position::parse("attention"), Some(Position::Attention));
        assert_eq!(Position::parse("entropy-ish"), None);
        for p in Position::ALL {
            assert!(Position::parse(p).is_some(), "{p}");
        }
        // In the module's JSON too, and written back with the dashed name.
        let v: Variant = serde_json::from_str(r#"{"width": 1, "height": 1, "position": "top right"}"#).unwrap();
        assert_eq!(v.position, Position::RightTop);
        assert!(serde_json::to_string(&v).unwrap().contains(r#""position":"right-top""#));
        let refused = serde_json::from_str::<Variant>(r#"{"width": 1, "height": 1, "position": "up"}"#).unwrap_err();
        assert!(refused.to_string().contains("unknown position \"up\""), "{refused}");
    }

    #[test]
    fn backgrounds_parse_and_print() {
        assert_eq!(Background::parse("#fff"), Some(Background([255, 255, 255, 255])));
        assert_eq!(Background::parse("00000080"), Some(Background([0, 0, 0, 128])));
        assert_eq!(Background::parse("#12345"), None);
        assert_eq!(Background::parse("#ééé"), None);
        assert_eq!(String::from(Background([1, 2, 3, 255])), "#010203");
    }

    #[test]
    fn fits_and_formats_parse() {
        for f in Fit::ALL {
            assert!(Fit::parse(f).is_some());
        }
        assert_eq!(Fit::parse("stretch"), None);
        assert_eq!(Format::parse("JPG"), Some(Format::Jpeg));
        assert_eq!(Format::parse("avif"), None);
    }
}
