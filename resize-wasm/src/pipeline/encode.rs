//! Step 7: encode. JPEG 4:2:0 like sharp with optimised Huffman tables, alpha flattened onto
//! the background: baseline with our own encoder (jfif), progressive with jpeg-encoder; PNG and
//! lossless WebP with the `image` crate. Nothing from the source's metadata is written.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ExtendedColorType, ImageEncoder, RgbImage};

use super::{jfif, jpeg};
use crate::{Background, Error, Format, Variant};

pub fn encode(image: &DynamicImage, variant: &Variant) -> Result<Vec<u8>, Error> {
    let (width, height) = (image.width(), image.height());
    let mut out = Vec::new();
    let failed = |e: &dyn std::fmt::Display| Error::Encode { format: variant.format.name(), reason: e.to_string() };
    match variant.format {
        Format::Jpeg => {
            let rgb = flatten(image, variant.background);
            let (w, h) =
                (u16::try_from(width).map_err(|e| failed(&e))?, u16::try_from(height).map_err(|e| failed(&e))?);
            if variant.progressive {
                jpeg(&mut out, variant)
                    .encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
                    .map_err(|e| failed(&e))?;
            } else {
                let (width, height) = (usize::from(w), usize::from(h));
                let [y, cb, cr] = jfif::planes_from_rgb(rgb.as_raw(), width, height);
                out = jfif::encode(&jfif::Planes { width, height, y: &y, cb: &cb, cr: &cr }, variant.quality);
            }
        }
        Format::Png => {
            // zlib level 6 (zlib-rs, zlib-ng's algorithms: libvips' deflate), with the row filter
            // that compresses a sample of the rows better: none (libvips' default) wins on
            // graphics and cut-outs with large flat or transparent areas (T3: 126 KB vs 147 KB
            // adaptive), adaptive on photographs (45% smaller than none).
            let filter = png_filter(image).map_err(|e| failed(&e))?;
            PngEncoder::new_with_quality(&mut out, CompressionType::Level(6), filter)
                .write_image(image.as_bytes(), width, height, color_type(image))
                .map_err(|e| failed(&e))?;
        }
        Format::Webp => {
            WebPEncoder::new_lossless(&mut out)
                .encode(image.as_bytes(), width, height, color_type(image))
                .map_err(|e| failed(&e))?;
        }
    }
    Ok(out)
}

/// The YCbCr path's JPEG (mod.rs): luma `width` x `height` and chroma planes half that, rounded
/// up, which jfif takes as they are. jpeg-encoder (progressive) takes full-size rows and
/// averages chroma 2x2 for 4:2:0: each chroma sample given four times comes back as itself.
pub fn encode_planes(planes: &jpeg::Planes, variant: &Variant) -> Result<Vec<u8>, Error> {
    let failed = |e: &dyn std::fmt::Display| Error::Encode { format: variant.format.name(), reason: e.to_string() };
    let size = |v: usize| u16::try_from(v).map_err(|e| failed(&e));
    let (w, h) = (size(planes.width)?, size(planes.height)?);
    let (cb, cr) = planes.split_chroma();
    let planes = [planes.y.as_slice(), &cb, &cr];
    if !variant.progressive {
        let (width, height) = (usize::from(w), usize::from(h));
        let [y, cb, cr] = planes;
        return Ok(jfif::encode(&jfif::Planes { width, height, y, cb, cr }, variant.quality));
    }
    let mut out = Vec::new();
    jpeg(&mut out, variant).encode_image(PlaneRows { planes, width: w, height: h }).map_err(|e| failed(&e))?;
    Ok(out)
}

/// 4:2:0 like sharp, optimised Huffman tables.
fn jpeg<'a>(out: &'a mut Vec<u8>, variant: &Variant) -> jpeg_encoder::Encoder<&'a mut Vec<u8>> {
    let mut encoder = jpeg_encoder::Encoder::new(out, variant.quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder.set_progressive(variant.progressive);
    encoder.set_optimized_huffman_tables(true);
    encoder
}

struct PlaneRows<'a> {
    planes: [&'a [u8]; 3],
    width: u16,
    height: u16,
}

impl jpeg_encoder::ImageBuffer for PlaneRows<'_> {
    fn get_jpeg_color_type(&self) -> jpeg_encoder::JpegColorType {
        jpeg_encoder::JpegColorType::Ycbcr
    }

    fn width(&self) -> u16 {
        self.width
    }

    fn height(&self) -> u16 {
        self.height
    }

    fn fill_buffers(&self, y: u16, buffers: &mut [Vec<u8>; 4]) {
        let (width, y) = (usize::from(self.width), usize::from(y));
        let chroma_width = width.div_ceil(2);
        buffers[0].extend_from_slice(&self.planes[0][y * width..][..width]);
        for c in [1, 2] {
            let row = &self.planes[c][y / 2 * chroma_width..][..chroma_width];
            // Each sample twice, the last perhaps once.
            let start = buffers[c].len();
            jpeg::interleave(&mut buffers[c], row, row);
            buffers[c].truncate(start + width);
        }
    }
}

/// A sample of the image, bands of 16 rows out of every 128 (row filters look at the row above),
/// compressed with each candidate filter: the smaller wins. The sample is compressed at level 1:
/// on T3, the EXIF photos and the seed's squares the winner was the same as at level 6, and the
/// choice costs a sixteenth of the encode instead of a quarter (T3: 15.2 -> 12.8 ms native).
fn png_filter(image: &DynamicImage) -> Result<FilterType, image::ImageError> {
    let (width, height) = (image.width(), image.height());
    let row = image.as_bytes().len() / height as usize;
    let sample: Vec<u8> =
        image.as_bytes().chunks(row * 128).flat_map(|band| &band[..band.len().min(row * 16)]).copied().collect();
    let rows = (sample.len() / row) as u32;
    let size = |filter| -> Result<usize, image::ImageError> {
        let mut out = Vec::new();
        PngEncoder::new_with_quality(&mut out, CompressionType::Level(1), filter).write_image(
            &sample,
            width,
            rows,
            color_type(image),
        )?;
        Ok(out.len())
    };
    Ok(if size(FilterType::NoFilter)? <= size(FilterType::Adaptive)? {
        FilterType::NoFilter
    } else {
        FilterType::Adaptive
    })
}

fn color_type(image: &DynamicImage) -> ExtendedColorType {
    if image.color().has_alpha() { ExtendedColorType::Rgba8 } else { ExtendedColorType::Rgb8 }
}

/// Composites RGBA over an opaque background colour; RGB passes through.
pub fn flatten(image: &DynamicImage, background: Background) -> RgbImage {
    match image {
        DynamicImage::ImageRgba8(rgba) => {
            let [br, bg, bb, _] = background.0;
            let mut rgb = RgbImage::new(rgba.width(), rgba.height());
            for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
                let a = u32::from(px[3]);
                let mix = |c: u8, b: u8| ((u32::from(c) * a + u32::from(b) * (255 - a) + 127) / 255) as u8;
                out.0 = [mix(px[0], br), mix(px[1], bg), mix(px[2], bb)];
            }
            rgb
        }
        other => other.to_rgb8(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    fn png_len(image: &DynamicImage, filter: FilterType) -> usize {
        let mut out = Vec::new();
        PngEncoder::new_with_quality(&mut out, CompressionType::Level(6), filter)
            .write_image(image.as_bytes(), image.width(), image.height(), color_type(image))
            .unwrap();
        out.len()
    }

    #[test]
    fn png_filter_is_the_one_that_compresses_better() {
        // A smooth, noisy "photograph": filters predict it well.
        let photo = RgbaImage::from_fn(256, 256, |x, y| {
            let noise = ((x * 7919 + y * 104_729) % 13) as u8;
            Rgba([(x as u8).wrapping_add(noise), (y as u8).wrapping_add(noise), ((x + y) / 2) as u8, 255])
        });
        // A cut-out: mostly transparent, a hard-edged opaque shape with texture.
        let cutout = RgbaImage::from_fn(256, 256, |x, y| {
            let inside = (x as i32 - 128).pow(2) + (y as i32 - 128).pow(2) < 60 * 60;
            if inside { Rgba([(x * y % 251) as u8, (x ^ y) as u8, 90, 255]) } else { Rgba([0, 0, 0, 0]) }
        });
        for image in [DynamicImage::ImageRgba8(photo), DynamicImage::ImageRgba8(cutout)] {
            let chosen = png_len(&image, png_filter(&image).unwrap());
            let best = png_len(&image, FilterType::NoFilter).min(png_len(&image, FilterType::Adaptive));
            assert!(chosen as f64 <= best as f64 * 1.02, "chosen {chosen}, best {best}");
        }
    }

    #[test]
    fn alpha_is_flattened_onto_the_background() {
        let mut rgba = RgbaImage::new(3, 1);
        rgba.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, Rgba([0, 0, 0, 255]));
        rgba.put_pixel(2, 0, Rgba([255, 0, 0, 128]));
        let rgb = flatten(&DynamicImage::ImageRgba8(rgba), Background([255, 255, 255, 255]));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [0, 0, 0]);
        assert_eq!(rgb.get_pixel(2, 0).0, [255, 127, 127]);
        let on_green = flatten(&DynamicImage::ImageRgba8(RgbaImage::new(1, 1)), Background([0, 255, 0, 255]));
        assert_eq!(on_green.get_pixel(0, 0).0, [0, 255, 0]);
    }
}
