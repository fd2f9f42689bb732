//! Step 3b: convert decoded pixels that carry an ICC profile to sRGB, as sharp does by default
//! (perceptual intent, profile dropped from the output). moxcms does the work: pure Rust, and in
//! wasm it runs the same scalar code on every engine, so the bytes stay identical everywhere.
//!
//! A profile that cannot be read, or describes other channels than the decoded ones (a CMYK
//! profile on an RGB PNG), is ignored and the pixels are taken as sRGB: sharp warns and goes on
//! the same way, and a picture with a broken profile is still a picture.

use moxcms::{ColorProfile, DataColorSpace, Layout, ParsingOptions, RenderingIntent, TransformOptions};

/// The channels of decoded 8-bit pixels. CMYK is jpeg-decoder's: 0 means no ink, the ICC
/// convention, so it goes to the profile as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
    Cmyk,
}

impl Channels {
    fn layouts(self) -> (Layout, Layout, DataColorSpace) {
        match self {
            Self::Gray => (Layout::Gray, Layout::Rgb, DataColorSpace::Gray),
            Self::GrayAlpha => (Layout::GrayAlpha, Layout::Rgba, DataColorSpace::Gray),
            Self::Rgb => (Layout::Rgb, Layout::Rgb, DataColorSpace::Rgb),
            Self::Rgba => (Layout::Rgba, Layout::Rgba, DataColorSpace::Rgb),
            // moxcms takes 8-bit CMYK in its four-channel layout.
            Self::Cmyk => (Layout::Rgba, Layout::Rgb, DataColorSpace::Cmyk),
        }
    }

    /// Bytes per pixel in sRGB after the conversion: alpha is kept, ink becomes three channels.
    pub fn srgb_channels(self) -> usize {
        match self {
            Self::Gray | Self::Rgb | Self::Cmyk => 3,
            Self::GrayAlpha | Self::Rgba => 4,
        }
    }
}

/// `pixels` (8 bits a channel, laid out as `channels`) converted from `icc` to sRGB: RGB, or
/// RGBA when the source has alpha. `None` when the profile is unusable for these pixels.
pub fn to_srgb(icc: &[u8], channels: Channels, pixels: &[u8]) -> Option<Vec<u8>> {
    let profile = ColorProfile::new_from_slice_with_options(icc, parsing_options()).ok()?;
    let (from, to, space) = channels.layouts();
    if profile.color_space != space || is_srgb(&profile) {
        return None;
    }
    let srgb = ColorProfile::new_srgb();
    // moxcms has no fallback when a LUT profile lacks the perceptual table; lcms (libvips, so
    // sharp) uses the profile's own intent then, and relative colorimetric is always there.
    let transform = [RenderingIntent::Perceptual, profile.rendering_intent, RenderingIntent::RelativeColorimetric]
        .into_iter()
        .find_map(|rendering_intent| {
            let options = TransformOptions { rendering_intent, ..TransformOptions::default() };
            profile.create_transform_8bit(from, &srgb, to, options).ok()
        })?;
    let in_channels = match channels {
        Channels::Gray => 1,
        Channels::GrayAlpha => 2,
        Channels::Rgb => 3,
        Channels::Rgba | Channels::Cmyk => 4,
    };
    let mut out = vec![0; pixels.len() / in_channels * channels.srgb_channels()];
    transform.transform(pixels, &mut out).ok()?;
    Some(out)
}

/// Whether converting would leave the pixels as they are: an RGB matrix profile with sRGB's
/// primaries and curves, the profile most tagged files carry. Converting it anyway costs ~5 ms
/// on a 1.5-megapixel decode in wasm for values that stay within a level of where they were.
fn is_srgb(profile: &ColorProfile) -> bool {
    let srgb = ColorProfile::new_srgb();
    let near =
        |a: moxcms::Xyzd, b: moxcms::Xyzd| (a.x - b.x).abs().max((a.y - b.y).abs()).max((a.z - b.z).abs()) < 2e-3;
    let same_primaries = profile.is_matrix_shaper()
        && profile.lut_a_to_b_perceptual.is_none()
        && profile.lut_a_to_b_colorimetric.is_none()
        && near(profile.red_colorant, srgb.red_colorant)
        && near(profile.green_colorant, srgb.green_colorant)
        && near(profile.blue_colorant, srgb.blue_colorant);
    // Each curve must bring every 8-bit level back to itself through sRGB's own curve.
    let srgb_curve = |trc: &Option<moxcms::ToneReprCurve>| {
        let Some(linear) = trc.as_ref().and_then(|t| t.make_linear_evaluator().ok()) else { return false };
        (0..=255u8).all(|level| {
            let v = f32::from(level) / 255.0;
            (srgb_encode(linear.evaluate_value(v)) - v).abs() < 0.5 / 255.0
        })
    };
    same_primaries && srgb_curve(&profile.red_trc) && srgb_curve(&profile.green_trc) && srgb_curve(&profile.blue_trc)
}

fn srgb_encode(linear: f32) -> f32 {
    let v = linear.clamp(0.0, 1.0);
    if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
}

/// moxcms' defaults allow a 10 MiB profile with a 10-million-entry table; a hostile one of that
/// size would spend the sandbox's memory on tables before a pixel is touched. The largest real
/// profiles (press CMYK, 33-point grids) are under 2 MiB.
fn parsing_options() -> ParsingOptions {
    ParsingOptions { max_profile_size: 4 << 20, max_allowed_clut_size: 2_000_000, ..ParsingOptions::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srgb_is_recognised_and_wider_spaces_are_not() {
        assert!(is_srgb(&ColorProfile::new_srgb()));
        assert!(!is_srgb(&ColorProfile::new_display_p3()), "sRGB's curve, other primaries");
        assert!(!is_srgb(&ColorProfile::new_adobe_rgb()));
        let mut gamma_22 = ColorProfile::new_srgb();
        gamma_22.red_trc = Some(moxcms::curve_from_gamma(2.2));
        assert!(!is_srgb(&gamma_22), "sRGB's primaries, another curve");
    }

    #[test]
    fn an_srgb_profile_leaves_the_pixels_alone() {
        let icc = ColorProfile::new_srgb().encode().unwrap();
        assert_eq!(to_srgb(&icc, Channels::Rgb, &[10, 20, 30]), None);
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        assert!(to_srgb(&p3, Channels::Rgb, &[10, 200, 30]).is_some_and(|rgb| rgb != [10, 200, 30]));
    }
}
