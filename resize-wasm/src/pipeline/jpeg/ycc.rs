//! Chroma back to luma's resolution and YCbCr to RGB, a row at a time, in integers.
//!
//! Upsampling by two is the triangle ("fancy") filter libjpeg and jpeg-decoder use: each output
//! sample weighs its nearest chroma sample 3/4 and the next one 1/4, in each direction.

/// One component's decoded samples: `width` x `height` valid, rows `stride` apart, and only
/// `rows` of them kept at a time (row `y` at `y % rows`: the decoder keeps a few block rows).
pub struct Plane<'a> {
    pub samples: &'a [u8],
    pub stride: usize,
    pub rows: usize,
    pub width: usize,
    pub height: usize,
}

impl Plane<'_> {
    /// Row `y`, or the last one past the bottom.
    pub fn row(&self, y: usize) -> &[u8] {
        let at = y.min(self.height - 1) % self.rows * self.stride;
        &self.samples[at..at + self.width]
    }
}

/// Row `y` of luma's grid from `plane`, subsampled by `factor` (1 or 2) in each direction, into
/// `out`, which holds `factor.0 * plane.width` samples (luma's width, or one more). `sums` is
/// scratch space.
pub fn upsample_row(plane: &Plane, factor: (usize, usize), y: usize, out: &mut [u8], sums: &mut Vec<u16>) {
    let near = |cy: usize| if y.is_multiple_of(2) { cy.saturating_sub(1) } else { cy + 1 };
    let width = plane.width;
    match factor {
        (1, 1) => out[..width].copy_from_slice(plane.row(y)),
        (2, 1) => horizontal(plane.row(y), &mut out[..2 * width]),
        (1, 2) => {
            let (current, other) = (plane.row(y / 2), plane.row(near(y / 2)));
            let bias = if y.is_multiple_of(2) { 1 } else { 2 };
            for ((o, &c), &n) in out[..width].iter_mut().zip(current).zip(other) {
                *o = ((3 * u16::from(c) + u16::from(n) + bias) >> 2) as u8;
            }
        }
        _ => {
            let (current, other) = (plane.row(y / 2), plane.row(near(y / 2)));
            sums.clear();
            sums.extend(current.iter().zip(other).map(|(&c, &n)| 3 * u16::from(c) + u16::from(n)));
            let out = &mut out[..2 * width];
            out[0] = ((4 * sums[0] + 8) >> 4) as u8;
            for (pair, s) in out[1..2 * width - 1].chunks_exact_mut(2).zip(sums.windows(2)) {
                pair[0] = ((3 * s[0] + s[1] + 7) >> 4) as u8;
                pair[1] = ((3 * s[1] + s[0] + 8) >> 4) as u8;
            }
            out[2 * width - 1] = ((4 * sums[width - 1] + 7) >> 4) as u8;
        }
    }
}

fn horizontal(row: &[u8], out: &mut [u8]) {
    let width = row.len();
    out[0] = row[0];
    for (pair, s) in out[1..2 * width - 1].chunks_exact_mut(2).zip(row.windows(2)) {
        let (left, right) = (u16::from(s[0]), u16::from(s[1]));
        pair[0] = ((3 * left + right + 2) >> 2) as u8;
        pair[1] = ((3 * right + left + 1) >> 2) as u8;
    }
    out[2 * width - 1] = row[width - 1];
}

/// JFIF's YCbCr to RGB (ITU-R BT.601, full range), 16-bit fixed point.
pub fn to_rgb(y: &[u8], cb: &[u8], cr: &[u8], rgb: &mut [u8]) {
    let n = rgb.len() / 3;
    let (y, cb, cr) = (&y[..n], &cb[..n], &cr[..n]);
    let done = sixteen_at_a_time(y, cb, cr, rgb);
    for i in done..n {
        rgb[3 * i..3 * i + 3].copy_from_slice(&one_pixel(y[i], cb[i], cr[i]));
    }
}

/// One pixel, as `to_rgb` converts each.
pub fn one_pixel(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    pixel(i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128).map(|c| c.clamp(0, 255) as u8)
}

const HALF: i32 = 1 << 15;

/// One pixel's R, G and B before the clamp; `cb` and `cr` centred on 0.
#[inline(always)]
fn pixel(y: i32, cb: i32, cr: i32) -> [i32; 3] {
    [
        y + ((91_881 * cr + HALF) >> 16),
        y + ((-22_554 * cb - 46_802 * cr + HALF) >> 16),
        y + ((116_130 * cb + HALF) >> 16),
    ]
}

/// In the module, 16 pixels at a time in simd128 with the same integer arithmetic as `pixel`
/// (LLVM's own vectorising of the loop above came out as lane inserts and extracts, slow in
/// wasmtime); the saturating narrows are the clamp. Returns how many pixels it did.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn sixteen_at_a_time(y: &[u8], cb: &[u8], cr: &[u8], rgb: &mut [u8]) -> usize {
    use core::arch::wasm32::*;
    let load = |bytes: &[u8]| {
        let half = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        u64x2(half(0), half(8))
    };
    let (half, c128) = (i32x4_splat(HALF), i16x8_splat(128));
    let mut done = 0;
    let chunks = y.chunks_exact(16).zip(cb.chunks_exact(16)).zip(cr.chunks_exact(16)).zip(rgb.chunks_exact_mut(48));
    for (((y, cb), cr), out) in chunks {
        let (y, cb, cr) = (load(y), load(cb), load(cr));
        // Eight pixels as i16 lanes, centred chroma, then four at a time as i32.
        let wide = |v: v128, low: bool| if low { u16x8_extend_low_u8x16(v) } else { u16x8_extend_high_u8x16(v) };
        let channels = |low: bool| {
            let (y, cb, cr) = (wide(y, low), i16x8_sub(wide(cb, low), c128), i16x8_sub(wide(cr, low), c128));
            let quarter = |four: fn(v128) -> v128| {
                let (y, cb, cr) = (four(y), four(cb), four(cr));
                let scaled = |sum: v128| i32x4_add(y, i32x4_shr(i32x4_add(sum, half), 16));
                let r = scaled(i32x4_mul(cr, i32x4_splat(91_881)));
                let g = scaled(i32x4_sub(i32x4_mul(cb, i32x4_splat(-22_554)), i32x4_mul(cr, i32x4_splat(46_802))));
                let b = scaled(i32x4_mul(cb, i32x4_splat(116_130)));
                [r, g, b]
            };
            let (first, second) = (quarter(i32x4_extend_low_i16x8), quarter(i32x4_extend_high_i16x8));
            [0, 1, 2].map(|c| i16x8_narrow_i32x4(first[c], second[c]))
        };
        let (first, second) = (channels(true), channels(false));
        let [r, g, b] = [0, 1, 2].map(|c| u8x16_narrow_i16x8(first[c], second[c]));
        // Interleave: R G pairs first, then B dropped into every third byte.
        let rg_low = i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(r, g);
        let rg_high = i8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(r, g);
        let first = i8x16_shuffle::<0, 1, 16, 2, 3, 17, 4, 5, 18, 6, 7, 19, 8, 9, 20, 10>(rg_low, b);
        let middle = i8x16_shuffle::<11, 0, 12, 13, 0, 14, 15, 0, 16, 17, 0, 18, 19, 0, 20, 21>(rg_low, rg_high);
        let middle = i8x16_shuffle::<0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15>(middle, b);
        let last = i8x16_shuffle::<26, 6, 7, 27, 8, 9, 28, 10, 11, 29, 12, 13, 30, 14, 15, 31>(rg_high, b);
        for (at, v) in [first, middle, last].into_iter().enumerate() {
            out[16 * at..16 * at + 8].copy_from_slice(&u64x2_extract_lane::<0>(v).to_le_bytes());
            out[16 * at + 8..16 * at + 16].copy_from_slice(&u64x2_extract_lane::<1>(v).to_le_bytes());
        }
        done += 16;
    }
    done
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn sixteen_at_a_time(_: &[u8], _: &[u8], _: &[u8], _: &mut [u8]) -> usize {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_stays_grey_and_primaries_land() {
        let mut rgb = [0u8; 9];
        to_rgb(&[128, 76, 29], &[128, 85, 255], &[128, 255, 107], &mut rgb);
        assert_eq!(rgb[..3], [128, 128, 128]);
        assert!(rgb[3] > 250 && rgb[4] < 5 && rgb[5] < 5, "red {:?}", &rgb[3..6]);
        assert!(rgb[6] < 5 && rgb[7] < 5 && rgb[8] > 250, "blue {:?}", &rgb[6..]);
    }

    #[test]
    fn the_triangle_filter_weighs_three_to_one() {
        let samples = [0u8, 160, 0, 160];
        let plane = Plane { samples: &samples, stride: 2, rows: 2, width: 2, height: 2 };
        let mut out = [0u8; 4];
        let mut sums = Vec::new();
        // Edge samples: (4 * s + 8) >> 4, i.e. the sample itself.
        // Row 0 of 4: chroma rows 0 and (clamped) 0: horizontally 0 -> (0, 40), 160 -> (120, 160).
        upsample_row(&plane, (2, 2), 0, &mut out, &mut sums);
        assert_eq!(out, [0, 40, 120, 160]);
        upsample_row(&plane, (2, 1), 1, &mut out, &mut sums);
        assert_eq!(out, [0, 40, 120, 160]);
    }
}
