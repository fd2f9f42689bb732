//! Step 6: cut the planned area out of the decoded image and resample it with Lanczos3
//! (fast_image_resize; SIMD128 in the module, premultiplied alpha), then place it on its canvas,
//! or, for a smart crop, cut the canvas out of it where smartcrop.rs says.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{Filter, FilterType, IntoImageView, MulDiv, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};

use super::jpeg::Planes;
use super::plan::Plan;
use super::smartcrop;
use super::transpose::transpose;
use crate::{Background, Error};

/// `resized` (from `resize`) placed on its canvas or, for a smart crop, the canvas cut out of it.
pub fn place(resized: DynamicImage, plan: &Plan, background: Background) -> DynamicImage {
    match plan.smart {
        Some(interest) => {
            let (w, h) = plan.canvas;
            let (left, top) = smartcrop::choose(&resized, (w, h), interest);
            resized.crop_imm(left, top, w, h)
        }
        None => place_on_canvas(resized, plan, background),
    }
}

/// The plan's area of `image` resampled to `plan.resized`. `image` holds the oriented source,
/// possibly decoded at 1/`scale` of its full size, in which the plan is expressed (or an
/// earlier variant's pixels, at scale 1: plan::schedule).
pub fn resize(image: &DynamicImage, scale: u32, plan: &Plan) -> Result<DynamicImage, Error> {
    let (width, height) = (image.width(), image.height());
    let alpha = image.color().has_alpha();
    let pixel_type = if alpha { PixelType::U8x4 } else { PixelType::U8x3 };
    let src = ImageRef::new(width, height, image.as_bytes(), pixel_type).map_err(resize_error)?;
    let crop = decoded_crop(plan.crop, scale, (width, height));
    let (w, h) = plan.resized;
    let buffer = if alpha {
        // Premultiplied once around both steps, so the intermediate keeps its precision.
        let mul_div = MulDiv::default();
        let mut premultiplied = Image::new(width, height, pixel_type);
        mul_div.multiply_alpha(&src, &mut premultiplied).map_err(resize_error)?;
        let mut dst = lanczos3(&premultiplied, crop, (w, h))?;
        mul_div.divide_alpha_inplace(&mut dst).map_err(resize_error)?;
        dst.into_vec()
    } else {
        lanczos3(&src, crop, (w, h))?.into_vec()
    };
    Ok(match pixel_type {
        PixelType::U8x4 => DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, buffer).expect("sized by Image::new")),
        _ => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, buffer).expect("sized by Image::new")),
    })
}

/// The YCbCr path (mod.rs): luma and chroma (Cb and Cr as one two-channel image) of a 4:2:0
/// picture resampled on their own, chroma to half the size (rounded up), over the same part of
/// the picture. Lanczos3 is linear, so this is the RGB path's resampling up to rounding, on
/// half the samples. `planes` are the decoded source's, at 1/`scale`, or an earlier variant's.
pub fn resize_planes(planes: &Planes, scale: u32, plan: &Plan) -> Result<Planes, Error> {
    let (width, height) = (planes.width as u32, planes.height as u32);
    let crop = decoded_crop(plan.crop, scale, (width, height));
    let (w, h) = plan.resized;
    let luma = ImageRef::new(width, height, &planes.y, PixelType::U8).map_err(resize_error)?;
    let y = lanczos3(&luma, crop, (w, h))?.into_vec();
    // An output chroma sample stands for two luma samples a side (the last one perhaps for one
    // and the encoder's padding): its source is what those two luma samples' was.
    let (cw, ch) = planes.chroma();
    let (ow, oh) = (w.div_ceil(2), h.div_ceil(2));
    let [left, top, crop_w, crop_h] = crop;
    let (left, top) = (left / 2.0, top / 2.0);
    let chroma_crop = [
        left,
        top,
        (crop_w * f64::from(ow) / f64::from(w)).min(cw as f64 - left),
        (crop_h * f64::from(oh) / f64::from(h)).min(ch as f64 - top),
    ];
    let src = ImageRef::new(cw as u32, ch as u32, &planes.cbcr, PixelType::U8x2).map_err(resize_error)?;
    let cbcr = lanczos3(&src, chroma_crop, (ow, oh))?.into_vec();
    Ok(Planes { width: w as usize, height: h as usize, y, cbcr })
}

/// The pixels `resize_planes` reads for `plan` from planes of `size` decoded at 1/`scale`: left,
/// top, right and bottom (the last two exclusive), in luma pixels. The crop widened on each
/// side by more than the most either plane reads past it: Lanczos3's support at the factor
/// (three pixels times the factor; a box step reads less), doubled for chroma, whose pixels
/// are twice as large, plus chroma's crop reaching a factor further for an odd output side,
/// and rounding. tests/pipeline.rs holds variants from planes decoded this far to those from
/// whole planes.
pub fn reads(plan: &Plan, scale: u32, (width, height): (usize, usize)) -> [usize; 4] {
    let [left, top, crop_w, crop_h] = decoded_crop(plan.crop, scale, (width as u32, height as u32));
    let (w, h) = plan.resized;
    let margin = |crop: f64, out: u32| (2.0 * LANCZOS3_SUPPORT + 2.0) * (crop / f64::from(out)).max(1.0) + 4.0;
    let (x, y) = (margin(crop_w, w), margin(crop_h, h));
    let low = |start: f64, margin: f64| (start - margin).floor().max(0.0) as usize;
    let high = |end: f64, margin: f64, side: usize| ((end + margin).ceil().max(0.0) as usize).min(side);
    [low(left, x), low(top, y), high(left + crop_w, x, width), high(top + crop_h, y, height)]
}

/// The plan's crop (in source pixels) in pixels decoded at 1/`scale`. A pixel decoded at
/// 1/scale covers exactly `scale` source pixels a side (the last one fewer). Mapping by
/// decoded/full size instead (1363/2725) stretched the picture by half a decoded pixel: T1
/// decoded at 1/2 scored SSIM 0.949 that way and 0.962 this way.
fn decoded_crop(crop: [f64; 4], scale: u32, (width, height): (u32, u32)) -> [f64; 4] {
    let s = 1.0 / f64::from(scale);
    let [left, top, crop_w, crop_h] = crop.map(|v| v * s);
    // Float rounding must never push the box outside the decoded pixels.
    [left, top, crop_w.min(f64::from(width) - left), crop_h.min(f64::from(height) - top)]
}

/// `crop` of `src` resampled to `out` with Lanczos3. For large factors in two steps, as libvips
/// does: a box average by a whole factor, then Lanczos3 over what is left (at least 2x). The
/// box costs a tap per source pixel where Lanczos3 costs six per output pixel and factor.
/// Alpha, if any, is premultiplied by the caller.
fn lanczos3(src: &impl IntoImageView, crop: [f64; 4], (w, h): (u32, u32)) -> Result<Image<'static>, Error> {
    let pixel_type = src.pixel_type().ok_or_else(|| resize_error("unsupported pixel type"))?;
    let [left, top, crop_w, crop_h] = crop;
    let mut resizer = Resizer::new();
    let lanczos = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(lanczos3_filter())).use_alpha(false);
    let shrink = (box_shrink(crop_w, w), box_shrink(crop_h, h));
    if shrink == (1, 1) {
        return lanczos_step(&mut resizer, &lanczos, src, crop, (w, h));
    }
    let shrunk_side = |side: f64, by: u32, at_least: u32| ((side / f64::from(by)).round() as u32).max(at_least);
    let mut shrunk = Image::new(shrunk_side(crop_w, shrink.0, w), shrunk_side(crop_h, shrink.1, h), pixel_type);
    let boxed = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Box)).use_alpha(false);
    resizer.resize(src, &mut shrunk, &boxed.crop(left, top, crop_w, crop_h)).map_err(resize_error)?;
    let whole = [0.0, 0.0, f64::from(shrunk.width()), f64::from(shrunk.height())];
    lanczos_step(&mut resizer, &lanczos, &shrunk, whole, (w, h))
}

/// Lanczos3 from `crop` of `src` to `w` x `h`: `by_columns` for the one- and two-channel
/// planes, fast_image_resize's own two passes for the rest.
fn lanczos_step(
    resizer: &mut Resizer,
    lanczos: &ResizeOptions,
    src: &impl IntoImageView,
    crop: [f64; 4],
    (w, h): (u32, u32),
) -> Result<Image<'static>, Error> {
    let pixel_type = src.pixel_type().ok_or_else(|| resize_error("unsupported pixel type"))?;
    if matches!(pixel_type, PixelType::U8 | PixelType::U8x2) {
        return by_columns(resizer, lanczos, src, pixel_type, crop, (w, h));
    }
    let mut dst = Image::new(w, h, pixel_type);
    resizer.resize(src, &mut dst, &lanczos.crop(crop[0], crop[1], crop[2], crop[3])).map_err(resize_error)?;
    Ok(dst)
}

/// A one- or two-channel `crop` of `src` (the YCbCr path's luma and chroma) resampled to `w` x
/// `h` with both passes run down columns, the horizontal one over the transposed image.
/// fast_image_resize's horizontal pass for these sums each output pixel's taps across a
/// vector and then through memory, a few instructions a tap, where its vertical pass sums 16
/// output samples in a vector; so the columns of the vertical pass's result are made rows and
/// resampled vertically too. Its passes do the same integer arithmetic with the same taps, so
/// the bytes are the same as one call's. The first pass keeps only the columns the second
/// reads (Lanczos3's support).
fn by_columns(
    resizer: &mut Resizer,
    lanczos: &ResizeOptions,
    src: &impl IntoImageView,
    pixel_type: PixelType,
    [left, top, crop_w, crop_h]: [f64; 4],
    (w, h): (u32, u32),
) -> Result<Image<'static>, Error> {
    let size = pixel_type.size();
    let radius = LANCZOS3_SUPPORT * (crop_w / f64::from(w)).max(1.0);
    let first = ((left - radius).floor().max(0.0) as u32).min(src.width().saturating_sub(1));
    let last = ((left + crop_w + radius).ceil() as u32).clamp(first + 1, src.width());
    let columns = last - first;
    let mut tall = Image::new(columns, h, pixel_type);
    let vertical = lanczos.crop(f64::from(first), top, f64::from(columns), crop_h);
    resizer.resize(src, &mut tall, &vertical).map_err(resize_error)?;
    let turned = transpose(tall.buffer(), columns as usize, h as usize, size);
    let turned = Image::from_vec_u8(h, columns, turned, pixel_type).map_err(resize_error)?;
    let mut wide = Image::new(h, w, pixel_type);
    let horizontal = lanczos.crop(0.0, left - f64::from(first), f64::from(h), crop_w);
    resizer.resize(&turned, &mut wide, &horizontal).map_err(resize_error)?;
    Image::from_vec_u8(w, h, transpose(wide.buffer(), h as usize, w as usize, size), pixel_type).map_err(resize_error)
}

/// fast_image_resize's Lanczos3 with its kernel computed here. Its own calls `sin` twice a tap,
/// and computing the taps was 8% of T2 in wasmtime (the libm `sin` compiled into the module
/// reduces its argument the general way). Here sin(pi x) is sin(3 t) = s (3 - 4 s^2) for
/// s = sin(t), t = pi x / 3 (one sine), and that sine a Taylor polynomial over [0, pi/2]
/// (error below 1e-11; the coefficients are rounded to 1/2^14 or so for 8-bit images).
pub fn lanczos3_filter() -> FilterType {
    FilterType::Custom(Filter::new("Lanczos3", lanczos3_kernel, LANCZOS3_SUPPORT).expect("a finite support"))
}

/// Lanczos3's support: three source pixels each side, times the factor when reducing.
const LANCZOS3_SUPPORT: f64 = 3.0;

fn lanczos3_kernel(x: f64) -> f64 {
    use std::f64::consts::PI;
    let x = x.abs();
    if x >= 3.0 {
        return 0.0;
    }
    if x < 1e-8 {
        return 1.0;
    }
    // sin(pi x / 3) = sin(pi (3 - x) / 3): the argument within [0, pi/2].
    let t = x.min(3.0 - x) * (PI / 3.0);
    let t2 = t * t;
    // t - t^3/3! + t^5/5! - ... - t^15/15!, Horner's rule.
    let s = t
        * (1.0
            + t2 * (-1.0 / 6.0
                + t2 * (1.0 / 120.0
                    + t2 * (-1.0 / 5040.0
                        + t2 * (1.0 / 362_880.0
                            + t2 * (-1.0 / 39_916_800.0
                                + t2 * (1.0 / 6_227_020_800.0 + t2 * (-1.0 / 1_307_674_368_000.0))))))));
    let s2 = s * s;
    let px = PI * x;
    3.0 * s2 * (3.0 - 4.0 * s2) / (px * px)
}

/// The whole factor a side may be box-averaged by first, leaving Lanczos3 at least 2x to do
/// (libvips' reducing gap of 2); 1 below a factor of 4.
fn box_shrink(from: f64, to: u32) -> u32 {
    ((from / f64::from(to) / 2.0).floor() as u32).max(1)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_is_lanczos3() {
        let sinc = |x: f64| if x == 0.0 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) };
        for i in -320..=320 {
            let x = f64::from(i) / 100.0;
            let expected = if x.abs() < 3.0 { sinc(x) * sinc(x / 3.0) } else { 0.0 };
            assert!((lanczos3_kernel(x) - expected).abs() < 1e-11, "{x}: {} vs {expected}", lanczos3_kernel(x));
        }
    }

    #[test]
    fn the_box_leaves_lanczos_at_least_a_factor_of_two() {
        assert_eq!(box_shrink(1113.0, 456), 1);
        assert_eq!(box_shrink(1113.0, 278), 2);
        assert_eq!(box_shrink(1113.0, 200), 2);
        assert_eq!(box_shrink(1113.0, 75), 7);
        assert_eq!(box_shrink(10.0, 20), 1);
    }

    #[test]
    fn two_steps_keep_a_flat_colour_as_one_step_does() {
        let flat = DynamicImage::ImageRgba8(RgbaImage::from_pixel(900, 700, Rgba([200, 100, 50, 128])));
        let plan = |w, h| Plan {
            crop: [0.0, 0.0, 900.0, 700.0],
            resized: (w, h),
            canvas: (w, h),
            offset: (0, 0),
            smart: None,
        };
        let one_step = resize(&flat, 1, &plan(450, 350)).unwrap().into_rgba8();
        let two_steps = resize(&flat, 1, &plan(90, 70)).unwrap().into_rgba8();
        assert_eq!(two_steps.dimensions(), (90, 70));
        // Premultiplied 8-bit alpha rounds 200 at alpha 128 to 199, in one step as in two.
        let expected = one_step.get_pixel(0, 0);
        assert!(one_step.pixels().chain(two_steps.pixels()).all(|p| p == expected), "{expected:?}");
    }
}
