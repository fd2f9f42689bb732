//! Step 3: decode to 8-bit RGB or RGBA. A JPEG decodes at 1/2, 1/4 or 1/8 scale in the DCT
//! domain when every variant is much smaller than the source (libvips' shrink-on-load): most of
//! a thumbnail job's time is saved here. Scaled baseline JPEGs go through our own decoder
//! (jpeg/), everything else through jpeg-decoder. Pixels with an embedded colour profile leave
//! this step in sRGB (colour.rs). For the YCbCr path (mod.rs), `planes` gives a 4:2:0 (or 4:4:4)
//! JPEG's luma and chroma planes as they are (4:4:4 chroma decoded at half luma's scale).

use image::{DynamicImage, ImageError, RgbImage, RgbaImage};

use super::colour::{self, Channels};
use super::jpeg;

use super::limits::{Header, image_decoder};
use super::sniff::SourceFormat;
use crate::{Error, Limits};

/// Decodes `bytes`; `at_least` is the smallest stored-orientation size the variants need, so a
/// JPEG may decode at 1/2, 1/4 or 1/8 of its size: the second value is that denominator. Other
/// formats decode at full size.
pub fn decode(
    bytes: &[u8],
    format: SourceFormat,
    header: &Header,
    at_least: (u32, u32),
    limits: &Limits,
) -> Result<(DynamicImage, u32), Error> {
    match format {
        SourceFormat::Jpeg => {
            let denominator = dct_scale(header.width, header.height, at_least);
            Ok((decode_jpeg(bytes, header, denominator)?, denominator))
        }
        _ => {
            let decoder = image_decoder(bytes, format, limits)?;
            let image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(format, e))?;
            Ok((in_srgb(image, header.icc.as_deref()), 1))
        }
    }
}

/// A JPEG's YCbCr planes, for the pipeline's YCbCr path (mod.rs): only a 4:2:0 or 4:4:4
/// baseline file our decoder takes, decoded at a reduced scale, without a colour profile to
/// convert from. `wanted` says, given the denominator and the decoded size, which pixels will
/// be read (jpeg::Wanted). `None` sends the file down the RGB path.
pub fn planes(
    bytes: &[u8],
    format: SourceFormat,
    header: &Header,
    at_least: (u32, u32),
    wanted: impl FnOnce(u32, (usize, usize)) -> jpeg::Wanted,
) -> Option<(jpeg::Planes, u32)> {
    if format != SourceFormat::Jpeg || header.icc.is_some() {
        return None;
    }
    let denominator = dct_scale(header.width, header.height, at_least);
    let (width, height) = scaled(header, denominator);
    let planes = jpeg::decode_planes(bytes, denominator, &wanted(denominator, (width as usize, height as usize)))?;
    ((planes.width, planes.height) == (width as usize, height as usize)).then_some((planes, denominator))
}

/// The header's size decoded at 1/`denominator`, rounded up.
fn scaled(header: &Header, denominator: u32) -> (u32, u32) {
    (header.width.div_ceil(denominator), header.height.div_ceil(denominator))
}

/// 8-bit RGB or RGBA in sRGB. A grey source is converted through its own (grey) profile before
/// it gains its colour channels; one without a profile is expanded as it is.
fn in_srgb(image: DynamicImage, icc: Option<&[u8]>) -> DynamicImage {
    let alpha = image.color().has_alpha();
    let converted = icc.and_then(|icc| {
        let (width, height) = (image.width(), image.height());
        let (channels, pixels) = match (image.color().has_color(), alpha) {
            (false, false) => (Channels::Gray, image.to_luma8().into_raw()),
            (false, true) => (Channels::GrayAlpha, image.to_luma_alpha8().into_raw()),
            (true, false) => (Channels::Rgb, image.to_rgb8().into_raw()),
            (true, true) => (Channels::Rgba, image.to_rgba8().into_raw()),
        };
        let srgb = colour::to_srgb(icc, channels, &pixels)?;
        Some(if alpha {
            DynamicImage::ImageRgba8(RgbaImage::from_raw(width, height, srgb)?)
        } else {
            DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, srgb)?)
        })
    });
    match converted {
        Some(image) => image,
        None if alpha => DynamicImage::ImageRgba8(image.into_rgba8()),
        None => DynamicImage::ImageRgb8(image.into_rgb8()),
    }
}

fn decode_jpeg(bytes: &[u8], header: &Header, denominator: u32) -> Result<DynamicImage, Error> {
    // The header read first (limits.rs) and this decoder's frame must agree on the size.
    let ours = jpeg::decode(bytes, denominator).filter(|ours| (ours.width, ours.height) == scaled(header, denominator));
    let Pixels { width, height, channels, pixels } = match ours {
        Some(ours) => {
            let channels = if ours.grey { Channels::Gray } else { Channels::Rgb };
            Pixels { width: ours.width, height: ours.height, channels, pixels: ours.pixels }
        }
        None => with_jpeg_decoder(bytes, header, denominator)?,
    };
    let rgb = match header.icc.as_deref().and_then(|icc| colour::to_srgb(icc, channels, &pixels)) {
        Some(srgb) => srgb,
        None => match channels {
            Channels::Gray => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
            Channels::Cmyk => pixels.chunks_exact(4).flat_map(cmyk_to_rgb).collect(),
            _ => pixels,
        },
    };
    let image = RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| Error::corrupt("jpeg", "decoded fewer pixels than the header declares"))?;
    Ok(DynamicImage::ImageRgb8(image))
}

struct Pixels {
    width: u32,
    height: u32,
    channels: Channels,
    pixels: Vec<u8>,
}

/// What our own decoder (jpeg/) does not take: full size, progressive, CMYK, 12-bit, files it
/// finds fault with, and the rest.
fn with_jpeg_decoder(bytes: &[u8], header: &Header, denominator: u32) -> Result<Pixels, Error> {
    let corrupt = |e: jpeg_decoder::Error| Error::corrupt("jpeg", e);
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    if denominator > 1 {
        let scaled = |side: u32| side.div_ceil(denominator) as u16;
        decoder.scale(scaled(header.width), scaled(header.height)).map_err(corrupt)?;
    }
    let pixels = decoder.decode().map_err(corrupt)?;
    let info = decoder.info().ok_or_else(|| Error::corrupt("jpeg", "no frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let (channels, pixels) = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => (Channels::Rgb, pixels),
        jpeg_decoder::PixelFormat::L8 => (Channels::Gray, pixels),
        // 16-bit samples come big-endian; keep the high byte.
        jpeg_decoder::PixelFormat::L16 => (Channels::Gray, pixels.chunks_exact(2).map(|l| l[0]).collect()),
        jpeg_decoder::PixelFormat::CMYK32 => (Channels::Cmyk, pixels),
    };
    Ok(Pixels { width, height, channels, pixels })
}

/// CMYK without a profile, by formula. sharp would use libvips' built-in press profile (1 MB,
/// too big to ship in the module for this case). jpeg-decoder hands back CMYK with Adobe's
/// inversion already undone (0 = no ink).
fn cmyk_to_rgb(cmyk: &[u8]) -> [u8; 3] {
    let k = 255 - u32::from(cmyk[3]);
    let channel = |c: u8| ((255 - u32::from(c)) * k / 255) as u8;
    [channel(cmyk[0]), channel(cmyk[1]), channel(cmyk[2])]
}

/// sharp's shrink-on-load (its default, `fastShrinkOnLoad`): the largest of 2, 4, 8 that the
/// smaller shrink factor reaches, halved when the factor is less than one more than it; else 1.
/// With the resampler mapping decoded pixels exactly (resample.rs), T1 at 1/2 scores SSIM 0.9623
/// against sharp's 0.9600 (full size: 0.9624).
pub(crate) fn dct_scale(width: u32, height: u32, at_least: (u32, u32)) -> u32 {
    let shrink =
        (f64::from(width) / f64::from(at_least.0.max(1))).min(f64::from(height) / f64::from(at_least.1.max(1)));
    match [8, 4, 2].into_iter().find(|&d| shrink >= f64::from(d)) {
        Some(d) if shrink < f64::from(d + 1) => d / 2,
        Some(d) => d,
        None => 1,
    }
}

pub(crate) fn image_error(format: SourceFormat, error: ImageError) -> Error {
    match error {
        ImageError::Unsupported(e) => Error::UnsupportedFormat { detected: Some(format!("{}: {e}", format.name())) },
        ImageError::Limits(e) => Error::corrupt(format.name(), format!("decoder limit: {e}")),
        e => Error::corrupt(format.name(), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_scale_is_sharps() {
        assert_eq!(dct_scale(2725, 2225, (720, 588)), 2, "T1: 3.78");
        assert_eq!(dct_scale(2725, 2225, (559, 456)), 2, "the seed's 456: 4.88");
        assert_eq!(dct_scale(2725, 2225, (245, 200)), 8, "11.1");
        assert_eq!(dct_scale(2725, 2225, (320, 261)), 4, "8.5");
        assert_eq!(dct_scale(6000, 4000, (1200, 800)), 4, "5.0");
        assert_eq!(dct_scale(2725, 2225, (1200, 1000)), 1, "2.2");
        assert_eq!(dct_scale(2725, 2225, (2725, 2225)), 1);
        assert_eq!(dct_scale(100, 10, (50, 6)), 1);
    }

    #[test]
    fn cmyk_white_and_black() {
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 0]), [255, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 255]), [0, 0, 0]);
        assert_eq!(cmyk_to_rgb(&[255, 0, 0, 0]), [0, 255, 255]);
    }
}
