//! Step 6b: sharp's smart crops for `cover` (`position` entropy or attention). As in sharp, the
//! source has been resized so the box fits inside it with one side equal (resample.rs); this
//! picks which box-sized window of that picture to keep, from its pixels. Both follow libvips'
//! smartcrop (what sharp calls), written here from its description:
//!
//! - entropy: trim the picture towards the box in at most eight steps a side, each step dropping
//!   whichever edge strip (left or right, then top or bottom) has the lower Shannon entropy of its
//!   pixel values: the busiest part stays.
//! - attention: on a 32x32 thumbnail, score every cell for edges (a Laplacian of luminance), skin
//!   tones and red-green saturation (Lab a*), blur the scores, and centre the box on the best cell.
//!
//! Pure arithmetic on the pixels: in wasm every engine computes the same crop.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Entropy,
    Attention,
}

/// The left and top of the `size` window of `image` that `interest` keeps.
pub fn choose(image: &DynamicImage, size: (u32, u32), interest: Interest) -> (u32, u32) {
    let view = View::of(image);
    let size = (size.0.min(view.width), size.1.min(view.height));
    match interest {
        Interest::Entropy => entropy_crop(&view, size),
        Interest::Attention => attention_crop(&view, size),
    }
}

/// 8-bit pixels, alpha premultiplied as libvips analyses them.
struct View {
    width: u32,
    height: u32,
    channels: usize,
    data: Vec<u8>,
}

impl View {
    fn of(image: &DynamicImage) -> Self {
        let (width, height) = (image.width(), image.height());
        match image {
            DynamicImage::ImageRgba8(rgba) => {
                let mut data = rgba.as_raw().clone();
                for p in data.chunks_exact_mut(4) {
                    let a = u32::from(p[3]);
                    for c in &mut p[..3] {
                        *c = ((u32::from(*c) * a + 127) / 255) as u8;
                    }
                }
                Self { width, height, channels: 4, data }
            }
            other => Self { width, height, channels: 3, data: other.to_rgb8().into_raw() },
        }
    }

    fn rgb(&self) -> Vec<u8> {
        self.data.chunks_exact(self.channels).flat_map(|p| [p[0], p[1], p[2]]).collect()
    }
}

fn entropy_crop(view: &View, (w, h): (u32, u32)) -> (u32, u32) {
    let (mut left, mut top, mut width, mut height) = (0, 0, view.width, view.height);
    let max_slice = (view.width - w).div_ceil(8).max((view.height - h).div_ceil(8));
    while width > w || height > h {
        let slice = (width - w).min(max_slice);
        if slice > 0 {
            let left_score = entropy(view, [left, top, slice, height]);
            let right_score = entropy(view, [left + width - slice, top, slice, height]);
            width -= slice;
            if left_score < right_score {
                left += slice;
            }
        }
        let slice = (height - h).min(max_slice);
        if slice > 0 {
            let top_score = entropy(view, [left, top, width, slice]);
            let bottom_score = entropy(view, [left, top + height - slice, width, slice]);
            height -= slice;
            if top_score < bottom_score {
                top += slice;
            }
        }
    }
    (left, top)
}

/// Shannon entropy, in bits, of the values of every channel of a rectangle, pooled into one
/// histogram per channel and normalised by one total, as libvips' hist_entropy does.
fn entropy(view: &View, [x, y, w, h]: [u32; 4]) -> f64 {
    let channels = view.channels;
    let mut histogram = vec![0u32; 256 * channels];
    for row in y..y + h {
        let start = (row as usize * view.width as usize + x as usize) * channels;
        for pixel in view.data[start..start + w as usize * channels].chunks_exact(channels) {
            for (c, &v) in pixel.iter().enumerate() {
                histogram[c * 256 + usize::from(v)] += 1;
            }
        }
    }
    let total = f64::from(w) * f64::from(h) * channels as f64;
    -histogram
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / total;
            p * p.log2()
        })
        .sum::<f64>()
}

/// The thumbnail attention is scored on.
const CELLS: u32 = 32;

fn attention_crop(view: &View, (w, h): (u32, u32)) -> (u32, u32) {
    let (width, height) = (view.width, view.height);
    let hscale = f64::from(CELLS) / f64::from(width);
    let vscale = f64::from(CELLS) / f64::from(height);
    let sigma = ((f64::from(w) * hscale).hypot(f64::from(h) * vscale) / 10.0).max(1.0);

    let n = CELLS as usize;
    let xyz: Vec<[f64; 3]> = thumbnail(view).chunks_exact(3).map(srgb_to_xyz).collect();
    let at = |x: usize, y: usize| xyz[y * n + x][1];
    let mut score = vec![0.0; n * n];
    for y in 0..n {
        for x in 0..n {
            let [cx, cy, cz] = xyz[y * n + x];
            // Edges: the Laplacian of luminance, edges of the thumbnail repeated.
            let laplacian = 4.0 * at(x, y)
                - at(x.saturating_sub(1), y)
                - at((x + 1).min(n - 1), y)
                - at(x, y.saturating_sub(1))
                - at(x, (y + 1).min(n - 1));
            let edges = (5.0 * laplacian).abs();
            let (skin, saturation) = if cy > 5.0 {
                // Skin: how close the colour's direction in XYZ is to a skin tone's.
                let norm = (cx * cx + cy * cy + cz * cz).sqrt();
                let [nx, ny, nz] = [cx, cy, cz].map(|v| v / norm);
                let distance = ((nx - 0.78).powi(2) + (ny - 0.57).powi(2) + (nz - 0.44).powi(2)).sqrt();
                (100.0 - 100.0 * distance, lab_a(cx, cy))
            } else {
                (0.0, 0.0)
            };
            score[y * n + x] = edges + skin + saturation;
        }
    }
    let score = gaussian_blur(&score, n, sigma);
    let best = score.iter().enumerate().fold(0, |best, (i, &s)| if s > score[best] { i } else { best });
    let (cell_x, cell_y) = (best % n, best / n);
    let focus_x = (cell_x as f64 / hscale) as u32;
    let focus_y = (cell_y as f64 / vscale) as u32;
    (focus_x.saturating_sub(w / 2).min(width - w), focus_y.saturating_sub(h / 2).min(height - h))
}

/// The picture squeezed to 32x32 RGB (Lanczos3, as libvips' resize).
fn thumbnail(view: &View) -> Vec<u8> {
    let rgb = view.rgb();
    let src = ImageRef::new(view.width, view.height, &rgb, PixelType::U8x3).expect("sized from the image");
    let mut dst = Image::new(CELLS, CELLS, PixelType::U8x3);
    let lanczos = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(super::resample::lanczos3_filter()));
    Resizer::new().resize(&src, &mut dst, &lanczos).expect("both images are RGB");
    dst.into_vec()
}

/// sRGB to CIE XYZ with Y from 0 to 100 (D65).
fn srgb_to_xyz(rgb: &[u8]) -> [f64; 3] {
    let [r, g, b] = [rgb[0], rgb[1], rgb[2]].map(|v| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    });
    [
        100.0 * (0.4124 * r + 0.3576 * g + 0.1805 * b),
        100.0 * (0.2126 * r + 0.7152 * g + 0.0722 * b),
        100.0 * (0.0193 * r + 0.1192 * g + 0.9505 * b),
    ]
}

/// CIE Lab's a* (green to red) of an XYZ colour, D65 white.
fn lab_a(x: f64, y: f64) -> f64 {
    let f = |t: f64| if t > 216.0 / 24389.0 { t.cbrt() } else { (24389.0 / 27.0 * t + 16.0) / 116.0 };
    500.0 * (f(x / 95.047) - f(y / 100.0))
}

/// libvips' integer Gaussian: taps of 20·exp(-d²/2σ²) rounded, out to where the curve drops
/// under 0.2, normalised by their sum; rows then columns, edges repeated.
fn gaussian_blur(values: &[f64], n: usize, sigma: f64) -> Vec<f64> {
    let curve = |d: f64| (-(d * d) / (2.0 * sigma * sigma)).exp();
    let reach = (0..).find(|&x| curve(f64::from(x)) < 0.2).unwrap_or(1).max(1) - 1;
    let taps: Vec<f64> = (-reach..=reach).map(|d| (20.0 * curve(f64::from(d))).round()).collect();
    let sum: f64 = taps.iter().sum();
    let reach = reach as isize;
    let pass = |input: &[f64], step: (usize, usize)| -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for y in 0..n {
            for x in 0..n {
                let mut total = 0.0;
                for (k, tap) in taps.iter().enumerate() {
                    let d = k as isize - reach;
                    let (sx, sy) = (x as isize + d * step.0 as isize, y as isize + d * step.1 as isize);
                    let (sx, sy) = (sx.clamp(0, n as isize - 1) as usize, sy.clamp(0, n as isize - 1) as usize);
                    total += tap * input[sy * n + sx];
                }
                out[y * n + x] = total / sum;
            }
        }
        out
    };
    pass(&pass(values, (1, 0)), (0, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// Flat grey with a noisy square whose top-left corner is at `at`.
    fn busy_corner(at: (u32, u32)) -> DynamicImage {
        let mut image = RgbImage::from_pixel(300, 200, Rgb([128, 128, 128]));
        let mut seed = 12345u32;
        for y in at.1..at.1 + 60 {
            for x in at.0..at.0 + 60 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let v = (seed >> 16) as u8;
                image.put_pixel(x, y, Rgb([v, v.wrapping_mul(3), v.wrapping_mul(7)]));
            }
        }
        DynamicImage::ImageRgb8(image)
    }

    #[test]
    fn entropy_keeps_the_busy_part() {
        let (left, top) = choose(&busy_corner((230, 130)), (100, 100), Interest::Entropy);
        assert!(left + 100 >= 290 && top + 100 >= 190, "the crop at ({left}, {top}) misses the noise");
        let (left, _) = choose(&busy_corner((10, 70)), (100, 200), Interest::Entropy);
        assert!(left <= 10, "the crop at {left} misses the noise at 10..70");
    }

    #[test]
    fn attention_finds_a_face_coloured_patch() {
        let mut image = RgbImage::from_pixel(400, 200, Rgb([60, 90, 60]));
        for y in 60..120 {
            for x in 300..360 {
                image.put_pixel(x, y, Rgb([224, 172, 140]));
            }
        }
        let (left, top) = choose(&DynamicImage::ImageRgb8(image), (200, 200), Interest::Attention);
        assert_eq!(top, 0);
        assert!(left >= 160, "the crop at {left} does not hold the patch at 300..360");
    }

    #[test]
    fn a_picture_the_size_of_the_box_stays_whole() {
        for interest in [Interest::Entropy, Interest::Attention] {
            assert_eq!(choose(&busy_corner((0, 0)), (300, 200), interest), (0, 0));
        }
    }

    #[test]
    fn gaussian_taps_are_normalised() {
        let flat = vec![3.0; 32 * 32];
        assert!(gaussian_blur(&flat, 32, 2.5).iter().all(|v| (v - 3.0).abs() < 1e-9));
    }
}
