//! Step 4b: the source's placeholder, a ThumbHash (~25 bytes: a blurred picture of the source,
//! its aspect ratio and alpha), sent as base64 in the manifest and S3 metadata, so a page can
//! paint something the shape and colours of the picture before its variants load.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

use super::jpeg::{self, Planes};

/// The picture ThumbHash's encoder sees, at most this many pixels a side (it takes up to 100).
/// It keeps at most 7 frequencies a side, which 32 samples carry; its encoder evaluates a
/// cosine per pixel per frequency, so at 100 it cost 7.1 ms of the photo's T2 natively and 6% of
/// T2's instructions in wasmtime, at 32 a tenth of that.
const MAX_SIDE: u32 = 32;

/// The ThumbHash of the oriented, decoded source, in standard base64.
pub fn thumbhash(image: &DynamicImage) -> String {
    let (width, height) = (image.width(), image.height());
    let alpha = image.color().has_alpha();
    let channels = if alpha { 4 } else { 3 };
    let step = step(width, height);
    let row = width as usize * channels;
    let sampled: Vec<u8> = image
        .as_bytes()
        .chunks_exact(row)
        .step_by(step)
        .flat_map(|line| line.chunks_exact(channels).step_by(step).flatten().copied())
        .collect();
    hash(&sampled, (width, height), alpha)
}

/// The same from a 4:2:0 picture's planes (the pipeline's YCbCr path): each sampled pixel takes
/// the chroma sample it lies in, converted to RGB as the decoder would.
pub fn thumbhash_of_planes(planes: &Planes) -> String {
    let (width, height) = (planes.width, planes.height);
    let step = step(width as u32, height as u32);
    let chroma_width = planes.chroma().0;
    // Loops rather than nested flat_maps: those were a call a byte in the module.
    let mut sampled = Vec::with_capacity(3 * width.div_ceil(step) * height.div_ceil(step));
    for y in (0..height).step_by(step) {
        for x in (0..width).step_by(step) {
            let c = 2 * (y / 2 * chroma_width + x / 2);
            sampled.extend_from_slice(&jpeg::rgb(planes.y[y * width + x], planes.cbcr[c], planes.cbcr[c + 1]));
        }
    }
    hash(&sampled, (width as u32, height as u32), false)
}

/// Every step-th pixel of every step-th row, leaving at least twice MAX_SIDE pixels a side:
/// ThumbHash keeps only the lowest frequencies, and reading the whole decoded source cost
/// 7.4 ms of T1's 80 in wasmtime (1363x1113, box-averaged).
pub fn step(width: u32, height: u32) -> usize {
    (width.max(height) / (2 * MAX_SIDE)).max(1) as usize
}

/// `sampled` (RGB or RGBA, every `step` pixels of a `width` x `height` source) box-averaged to at
/// most MAX_SIDE a side, then hashed.
fn hash(sampled: &[u8], (width, height): (u32, u32), alpha: bool) -> String {
    let scale = (f64::from(MAX_SIDE) / f64::from(width.max(height))).min(1.0);
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, MAX_SIDE);
    let (w, h) = (side(width), side(height));
    let pixel_type = if alpha { PixelType::U8x4 } else { PixelType::U8x3 };
    let step = step(width, height) as u32;
    let (sampled_w, sampled_h) = (width.div_ceil(step), height.div_ceil(step));
    let src = ImageRef::new(sampled_w, sampled_h, sampled, pixel_type).expect("sized from the sample");
    let mut small = Image::new(w, h, pixel_type);
    // Then a box average: the blur ThumbHash keeps needs nothing finer, and alpha is averaged as
    // it is (ThumbHash weights colours by alpha itself).
    let boxed = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Box)).use_alpha(false);
    Resizer::new().resize(&src, &mut small, &boxed).expect("both images have the same pixel type");
    let rgba: Vec<u8> = match pixel_type {
        PixelType::U8x4 => small.into_vec(),
        _ => small.buffer().chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
    };
    STANDARD.encode(thumbhash::rgba_to_thumb_hash(w as usize, h as usize, &rgba))
}

/// The placeholder a ThumbHash stands for, as a PNG (for the demo, which shows it while the
/// variants are computed). `None` if `hash` is not a ThumbHash in base64.
pub fn thumbhash_png(hash: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD.decode(hash).ok()?;
    let (w, h, rgba) = thumbhash::thumb_hash_to_rgba(&bytes).ok()?;
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, w as u32, h as u32);
    encoder.set_color(png::ColorType::Rgba);
    encoder.write_header().ok()?.write_image_data(&rgba).ok()?;
    Some(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    #[test]
    fn the_hash_keeps_the_shape_and_colour() {
        let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(400, 200, Rgb([200, 40, 40])));
        let hash = STANDARD.decode(thumbhash(&image)).unwrap();
        let ratio = thumbhash::thumb_hash_to_approximate_aspect_ratio(&hash).unwrap();
        // ThumbHash keeps the ratio coarsely (7:4 here: its grid of luminance terms).
        assert!((ratio - 2.0).abs() < 0.3, "aspect ratio {ratio}");
        let (r, g, b, a) = thumbhash::thumb_hash_to_average_rgba(&hash).unwrap();
        assert!((r - 200.0 / 255.0).abs() < 0.05 && g < 0.25 && b < 0.25 && a == 1.0, "{r} {g} {b} {a}");
    }

    #[test]
    fn alpha_is_kept_and_tiny_images_work() {
        let image = DynamicImage::ImageRgba8(RgbaImage::from_pixel(1, 3, Rgba([0, 0, 255, 0])));
        let hash = STANDARD.decode(thumbhash(&image)).unwrap();
        assert!(thumbhash::thumb_hash_to_average_rgba(&hash).unwrap().3 < 0.1);
    }

    #[test]
    fn the_png_decodes_and_garbage_is_refused() {
        let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 100, Rgb([10, 120, 200])));
        let png = thumbhash_png(&thumbhash(&image)).unwrap();
        let decoded = image::load_from_memory(&png).unwrap();
        assert!(decoded.width() > decoded.height());
        assert_eq!(thumbhash_png("not base64!"), None);
        assert_eq!(thumbhash_png(""), None);
    }
}
