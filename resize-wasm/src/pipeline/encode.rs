//! Step 7: encode. JPEG with jpeg-encoder (4:2:0 like sharp, optimised Huffman tables), alpha
//! flattened onto the background; PNG and lossless WebP with the `image` crate. Nothing from
//! the source's metadata is written.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ExtendedColorType, ImageEncoder, RgbImage};

use crate::{Background, Error, Format, Variant};

pub fn encode(image: &DynamicImage, variant: &Variant) -> Result<Vec<u8>, Error> {
    let (width, height) = (image.width(), image.height());
    let mut out = Vec::new();
    let failed = |e: &dyn std::fmt::Display| Error::Encode { format: variant.format.name(), reason: e.to_string() };
    match variant.format {
        Format::Jpeg => {
            let rgb = flatten(image, variant.background);
            let mut encoder = jpeg_encoder::Encoder::new(&mut out, variant.quality);
            encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
            encoder.set_progressive(variant.progressive);
            encoder.set_optimized_huffman_tables(true);
            let (w, h) =
                (u16::try_from(width).map_err(|e| failed(&e))?, u16::try_from(height).map_err(|e| failed(&e))?);
            encoder.encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb).map_err(|e| failed(&e))?;
        }
        Format::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
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

fn color_type(image: &DynamicImage) -> ExtendedColorType {
    if image.color().has_alpha() { ExtendedColorType::Rgba8 } else { ExtendedColorType::Rgb8 }
}

/// Composites RGBA over an opaque background colour; RGB passes through.
pub(crate) fn flatten(image: &DynamicImage, background: Background) -> RgbImage {
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
