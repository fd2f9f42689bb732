//! The inverse DCT straight to 4x4, 2x2 or 1x1 pixels per block (decoding at 1/2, 1/4, 1/8).
//!
//! An output pixel stands for a 2x2 (4x4, 8x8) group of full-size pixels, so it takes the
//! 8-point inverse DCT's value at the group's centre: at those points the cosines of the 8-point
//! transform are the N-point ones, so the lowest NxN coefficients go through an N-point inverse
//! DCT (even and odd halves) and the rest, which alias there, are left out. Integer arithmetic
//! with written-out constants (no `cos` at run time, whose last bit differs between libms; no
//! float to integer conversions, which cost ten instructions each in wasmtime): every engine
//! computes the same pixels.

/// `0.5 * c(u) * cos(k pi / 8)` in 13-bit fixed point (c(0) = 1/sqrt(2)): the weight of DC and
/// of frequency 2, and the odd frequencies' two weights. Output m = sum over u of
/// F(u) * 0.5 c(u) cos((2m+1) u pi / 8), computed as even and odd halves.
const A: i64 = 2896; // 0.353_553_39
const C1: i64 = 3784; // 0.461_939_77
const C3: i64 = 1567; // 0.191_341_72
const BITS: u32 = 13;

/// `coefficients`: the lowest n x n, dequantised, row-major (row v, column u: v * n + u); writes
/// `n` rows of `n` pixels into `out` from `at`, rows `stride` apart. `n` is 1, 2 or 4. `flat`
/// says only the DC coefficient may be non-zero.
pub fn reduced(n: usize, coefficients: &[i32; 16], flat: bool, out: &mut [u8], at: usize, stride: usize) {
    if flat || n == 1 {
        // DC / 8, rounded half up.
        let value = pixel((i64::from(coefficients[0]) << (2 * BITS)) / 8);
        for y in 0..n {
            out[at + y * stride..at + y * stride + n].fill(value);
        }
        return;
    }
    let f = coefficients.map(i64::from);
    if n == 4 {
        // Rows of coefficients to horizontal positions, then down the columns.
        let rows: [[i64; 4]; 4] = std::array::from_fn(|v| four([f[v * 4], f[v * 4 + 1], f[v * 4 + 2], f[v * 4 + 3]]));
        let columns: [[i64; 4]; 4] = std::array::from_fn(|x| four([rows[0][x], rows[1][x], rows[2][x], rows[3][x]]));
        for y in 0..4 {
            let line = [pixel(columns[0][y]), pixel(columns[1][y]), pixel(columns[2][y]), pixel(columns[3][y])];
            out[at + y * stride..at + y * stride + 4].copy_from_slice(&line);
        }
    } else {
        let rows = [two([f[0], f[1]]), two([f[2], f[3]])];
        for x in 0..2 {
            let column = two([rows[0][x], rows[1][x]]);
            out[at + x] = pixel(column[0]);
            out[at + stride + x] = pixel(column[1]);
        }
    }
}

/// The 4-point transform; the result carries BITS more fractional bits than the input. i64, so
/// no coefficient a file can hold overflows it in two passes.
#[inline(always)]
fn four([f0, f1, f2, f3]: [i64; 4]) -> [i64; 4] {
    let (even0, even1) = (A * (f0 + f2), A * (f0 - f2));
    let (odd0, odd1) = (C1 * f1 + C3 * f3, C3 * f1 - C1 * f3);
    [even0 + odd0, even1 + odd1, even1 - odd1, even0 - odd0]
}

#[inline(always)]
fn two([f0, f1]: [i64; 2]) -> [i64; 2] {
    [A * (f0 + f1), A * (f0 - f1)]
}

/// From 2 * BITS fractional bits: level shift, round half up, clamp.
#[inline(always)]
fn pixel(value: i64) -> u8 {
    (((value + (1 << (2 * BITS - 1))) >> (2 * BITS)) + 128).clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_block_stays_flat_at_every_size() {
        let mut block = [0i32; 16];
        block[0] = 80; // DC 80: every pixel 128 + 80 / 8 = 138.
        for n in [1, 2, 4] {
            let mut out = vec![0u8; 16];
            reduced(n, &block, false, &mut out, 0, 4);
            assert!(out.chunks(4).take(n).all(|row| row[..n].iter().all(|&p| p == 138)), "{n}: {out:?}");
        }
    }

    #[test]
    fn a_horizontal_ramp_falls_left_to_right_and_is_the_same_on_every_row() {
        let mut block = [0i32; 16];
        block[1] = 200;
        let mut out = vec![0u8; 16];
        reduced(4, &block, false, &mut out, 0, 4);
        let first = &out[..4];
        assert!(first.windows(2).all(|w| w[0] > w[1]), "{first:?}");
        assert!(out.chunks(4).all(|row| row == first));
    }
}
