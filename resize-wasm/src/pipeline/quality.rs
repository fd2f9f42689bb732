//! Step 7b, when the request asks (`score`): how much of the picture each variant's encoding
//! kept. The score is SSIM (Wang et al. 2004) of luma between the variant as stored, decoded
//! again, and the pixels the encoder was given: the source seen at the variant's size. SSIM
//! because it is cheap enough to run in the browser on every preview, is well known (0.95 and
//! up looks like the original to most people; JPEG's blocking and ringing pull it down), and is
//! the figure `cargo xtask bench` already reports, computed by these same functions.
//! PNG and WebP are lossless here: 1 without decoding.

use image::DynamicImage;

use super::encode::flatten;
use crate::{Error, Format, Variant};

/// The SSIM of `encoded` (what `variant` stored) against `pixels` (what it was encoded from).
pub fn score(pixels: &DynamicImage, variant: &Variant, encoded: &[u8]) -> Result<f64, Error> {
    match variant.format {
        Format::Png | Format::Webp => Ok(1.0),
        Format::Jpeg => {
            let reference = flatten(pixels, variant.background);
            let mut decoder = jpeg_decoder::Decoder::new(encoded);
            let decoded = decoder.decode().map_err(|e| Error::Encode { format: "jpeg", reason: e.to_string() })?;
            let luma_of = |rgb: &[u8]| rgb.chunks_exact(3).map(|p| luma([p[0], p[1], p[2]])).collect::<Vec<_>>();
            let (w, h) = (reference.width() as usize, reference.height() as usize);
            Ok(ssim(&luma_of(reference.as_raw()), &luma_of(&decoded), w, h))
        }
    }
}

/// BT.601 luma, as JPEG uses.
pub fn luma([r, g, b]: [u8; 3]) -> f64 {
    0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b)
}

/// Mean SSIM over 8x8 windows stepped by 4 (constants K1 = 0.01, K2 = 0.03); smaller images
/// are one window. 1 is identical.
pub fn ssim(a: &[f64], b: &[f64], w: usize, h: usize) -> f64 {
    const WINDOW: usize = 8;
    const STEP: usize = 4;
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let window = |x0: usize, y0: usize, ww: usize, wh: usize| {
        let n = (ww * wh) as f64;
        let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for y in y0..y0 + wh {
            for x in x0..x0 + ww {
                let (p, q) = (a[y * w + x], b[y * w + x]);
                (sa, sb, saa, sbb, sab) = (sa + p, sb + q, saa + p * p, sbb + q * q, sab + p * q);
            }
        }
        let (ma, mb) = (sa / n, sb / n);
        let (va, vb, cov) = (saa / n - ma * ma, sbb / n - mb * mb, sab / n - ma * mb);
        ((2.0 * ma * mb + c1) * (2.0 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    };
    let (ww, wh) = (WINDOW.min(w), WINDOW.min(h));
    let (mut total, mut count) = (0.0, 0usize);
    for y in (0..=h - wh).step_by(STEP) {
        for x in (0..=w - ww).step_by(STEP) {
            total += window(x, y, ww, wh);
            count += 1;
        }
    }
    total / count as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;
    use image::{Rgb, RgbImage};

    #[test]
    fn identical_images_score_one_and_noise_scores_less() {
        let a: Vec<f64> = (0..64 * 48).map(|i| ((i * 37) % 251) as f64).collect();
        assert!((ssim(&a, &a, 64, 48) - 1.0).abs() < 1e-12);
        let b: Vec<f64> = a.iter().enumerate().map(|(i, v)| v + if i % 3 == 0 { 20.0 } else { -10.0 }).collect();
        assert!(ssim(&a, &b, 64, 48) < 0.99);
        assert!((ssim(&a[..12], &a[..12], 4, 3) - 1.0).abs() < 1e-12, "one window smaller than 8x8");
    }

    #[test]
    fn a_lower_jpeg_quality_scores_lower() {
        let pixels = DynamicImage::ImageRgb8(RgbImage::from_fn(96, 64, |x, y| {
            Rgb([(x * 5 % 256) as u8, (y * 9 % 256) as u8, ((x * y) % 256) as u8])
        }));
        let at = |quality| {
            let variant = Variant { quality, ..Request::seed().variants[0].clone() };
            let bytes = super::super::encode::encode(&pixels, &variant).unwrap();
            score(&pixels, &variant, &bytes).unwrap()
        };
        let (low, high) = (at(20), at(95));
        assert!(low < high && high < 1.0 && low > 0.3, "q20 {low}, q95 {high}");
        let png = Variant { format: Format::Png, ..Request::seed().variants[0].clone() };
        assert_eq!(score(&pixels, &png, &[]).unwrap(), 1.0);
    }
}
