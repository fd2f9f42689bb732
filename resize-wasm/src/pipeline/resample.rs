//! Step 6: cut the planned area out of the decoded image and resample it with Lanczos3
//! (fast_image_resize; SIMD128 in the module, premultiplied alpha), then place it on its canvas.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};

use super::plan::Plan;
use crate::{Background, Error};

/// `image` holds the oriented source, possibly decoded smaller than `source` (its full size),
/// in which the plan is expressed.
pub fn resample(
    image: &DynamicImage,
    source: (u32, u32),
    plan: &Plan,
    background: Background,
) -> Result<DynamicImage, Error> {
    let resized = resize(image, source, plan)?;
    Ok(place_on_canvas(resized, plan, background))
}

fn resize(image: &DynamicImage, source: (u32, u32), plan: &Plan) -> Result<DynamicImage, Error> {
    let (width, height) = (image.width(), image.height());
    let pixel_type = if image.color().has_alpha() { PixelType::U8x4 } else { PixelType::U8x3 };
    let src = ImageRef::new(width, height, image.as_bytes(), pixel_type).map_err(resize_error)?;
    let mut dst = Image::new(plan.resized.0, plan.resized.1, pixel_type);

    let (sx, sy) = (f64::from(width) / f64::from(source.0), f64::from(height) / f64::from(source.1));
    let [left, top, crop_w, crop_h] = plan.crop;
    let (left, top) = (left * sx, top * sy);
    // Float rounding must never push the box outside the decoded pixels.
    let crop_w = (crop_w * sx).min(f64::from(width) - left);
    let crop_h = (crop_h * sy).min(f64::from(height) - top);
    let options =
        ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)).crop(left, top, crop_w, crop_h);
    Resizer::new().resize(&src, &mut dst, &options).map_err(resize_error)?;

    let (w, h) = plan.resized;
    let buffer = dst.into_vec();
    Ok(match pixel_type {
        PixelType::U8x4 => DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, buffer).expect("sized by Image::new")),
        _ => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, buffer).expect("sized by Image::new")),
    })
}

/// `contain` pads the resampled image out to the box with the background colour.
fn place_on_canvas(resized: DynamicImage, plan: &Plan, background: Background) -> DynamicImage {
    if plan.canvas == plan.resized {
        return resized;
    }
    let (w, h) = plan.canvas;
    let (x, y) = (i64::from(plan.offset.0), i64::from(plan.offset.1));
    let [r, g, b, a] = background.0;
    if resized.color().has_alpha() || a < 255 {
        let mut canvas = RgbaImage::from_pixel(w, h, Rgba([r, g, b, a]));
        image::imageops::replace(&mut canvas, &resized.into_rgba8(), x, y);
        DynamicImage::ImageRgba8(canvas)
    } else {
        let mut canvas = RgbImage::from_pixel(w, h, Rgb([r, g, b]));
        image::imageops::replace(&mut canvas, &resized.into_rgb8(), x, y);
        DynamicImage::ImageRgb8(canvas)
    }
}

fn resize_error(e: impl std::fmt::Display) -> Error {
    Error::InvalidRequest(format!("resampling failed: {e}"))
}
