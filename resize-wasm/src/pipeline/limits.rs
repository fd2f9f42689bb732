//! Step 2: read only the header and refuse what is too big, before a single pixel is decoded.
//! This is where decompression bombs stop.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{ImageDecoder, ImageFormat, ImageReader};

use super::sniff::SourceFormat;
use crate::{Error, Limits};

/// What the header says, before decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Stored dimensions, before EXIF orientation.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
    /// The raw EXIF block, read here once for metadata.rs (a TIFF file is its own block).
    pub exif: Option<Vec<u8>>,
    /// The embedded colour profile, read here once for decode.rs (whichever decoder it uses).
    pub icc: Option<Vec<u8>>,
}

impl Header {
    /// Dimensions as displayed, after EXIF orientation.
    pub fn oriented(&self) -> (u32, u32) {
        if super::orient::swaps_axes(self.orientation) { (self.height, self.width) } else { (self.width, self.height) }
    }
}

pub fn read_header(bytes: &[u8], format: SourceFormat, limits: &Limits) -> Result<Header, Error> {
    let header = match format {
        SourceFormat::Jpeg => {
            let mut decoder = jpeg_decoder::Decoder::new(bytes);
            decoder.read_info().map_err(|e| Error::corrupt("jpeg", e))?;
            let info = decoder.info().ok_or_else(|| Error::corrupt("jpeg", "no frame header"))?;
            let exif = decoder.exif_data().map(<[u8]>::to_vec);
            let orientation =
                exif.as_deref().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
            let icc = decoder.icc_profile();
            Header { width: info.width.into(), height: info.height.into(), orientation, exif, icc }
        }
        _ => {
            let mut decoder = image_decoder(bytes, format, limits)?;
            let (width, height) = decoder.dimensions();
            // A broken EXIF block must not sink an otherwise good image.
            let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
            let exif = match format {
                SourceFormat::Tiff => Some(bytes.to_vec()),
                _ => decoder.exif_metadata().ok().flatten(),
            };
            // A profile the decoder cannot even hand over is ignored like an unreadable one.
            let icc = decoder.icc_profile().ok().flatten();
            Header { width, height, orientation, exif, icc }
        }
    };
    check(&header, limits)?;
    Ok(header)
}

fn check(header: &Header, limits: &Limits) -> Result<(), Error> {
    let (width, height) = (header.width, header.height);
    if width == 0 || height == 0 {
        return Err(Error::corrupt("image", format!("the header declares {width}x{height}")));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_input_pixels {
        return Err(Error::TooManyPixels { width, height, pixels, limit: limits.max_input_pixels });
    }
    if width.max(height) > limits.max_input_dimension {
        return Err(Error::DimensionTooLarge { width, height, limit: limits.max_input_dimension });
    }
    Ok(())
}

/// The `image` crate's decoder for the non-JPEG formats, with its own allocation guard as a
/// second line of defence behind the header check.
pub(crate) fn image_decoder<'a>(
    bytes: &'a [u8],
    format: SourceFormat,
    limits: &Limits,
) -> Result<Box<dyn ImageDecoder + 'a>, Error> {
    let image_format = match format {
        SourceFormat::Png => ImageFormat::Png,
        SourceFormat::Webp => ImageFormat::WebP,
        SourceFormat::Gif => ImageFormat::Gif,
        SourceFormat::Bmp => ImageFormat::Bmp,
        SourceFormat::Tiff => ImageFormat::Tiff,
        SourceFormat::Jpeg => unreachable!("JPEG is decoded by jpeg-decoder"),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut image_limits = image::Limits::default();
    // 16-bit RGBA is the widest layout any decoder allocates.
    image_limits.max_alloc = Some(limits.max_input_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(image_limits);
    let decoder = reader.into_decoder().map_err(|e| crate::pipeline::decode::image_error(format, e))?;
    Ok(Box::new(decoder))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(width: u32, height: u32) -> Header {
        Header { width, height, orientation: Orientation::NoTransforms, exif: None, icc: None }
    }

    #[test]
    fn pixel_limit_is_checked_from_the_header() {
        let limits = Limits::default();
        assert!(check(&header(7000, 7000), &limits).is_ok());
        assert!(matches!(check(&header(20_000, 20_000), &limits), Err(Error::TooManyPixels { .. })));
    }

    #[test]
    fn dimension_limit_catches_thin_images() {
        let limits = Limits::default();
        assert!(matches!(check(&header(60_000, 10), &limits), Err(Error::DimensionTooLarge { .. })));
    }

    #[test]
    fn zero_sized_headers_are_corrupt() {
        assert!(matches!(check(&header(0, 10), &Limits::default()), Err(Error::Corrupt { .. })));
    }
}
