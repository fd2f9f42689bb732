//! Chroma back to luma's resolution and YCbCr to RGB, a row at a time, in integers.
//!
//! Upsampling by two is the triangle ("fancy") filter libjpeg and jpeg-decoder use: each output
//! sample weighs its nearest chroma sample 3/4 and the next one 1/4, in each direction.

/// One component's decoded plane: `width` x `height` valid samples, rows `stride` apart.
pub struct Plane<'a> {
    pub samples: &'a [u8],
    pub stride: usize,
    pub width: usize,
    pub height: usize,
}

impl Plane<'_> {
    fn row(&self, y: usize) -> &[u8] {
        let y = y.min(self.height - 1);
        &self.samples[y * self.stride..y * self.stride + self.width]
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
    const HALF: i32 = 1 << 15;
    let n = rgb.len() / 3;
    let (y, cb, cr) = (&y[..n], &cb[..n], &cr[..n]);
    for (i, out) in rgb.chunks_exact_mut(3).enumerate() {
        let (y, cb, cr) = (i32::from(y[i]), i32::from(cb[i]) - 128, i32::from(cr[i]) - 128);
        out[0] = (y + ((91_881 * cr + HALF) >> 16)).clamp(0, 255) as u8;
        out[1] = (y + ((-22_554 * cb - 46_802 * cr + HALF) >> 16)).clamp(0, 255) as u8;
        out[2] = (y + ((116_130 * cb + HALF) >> 16)).clamp(0, 255) as u8;
    }
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
        let plane = Plane { samples: &samples, stride: 2, width: 2, height: 2 };
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
