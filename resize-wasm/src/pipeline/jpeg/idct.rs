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
const A: i32 = 2896; // 0.353_553_39
const C1: i32 = 3784; // 0.461_939_77
const C3: i32 = 1567; // 0.191_341_72
const BITS: u32 = 13;
/// Fractional bits kept between the two passes (as libjpeg's reduced transforms do).
const PASS_BITS: u32 = 2;

/// A dequantised coefficient, limited to what 8-bit samples can give (|F| < 2^14 in any real
/// file), so both passes fit in i32: the largest sum a pass forms is 11143 |F| < 2^29 after the
/// first, 2^31 after the second. Only a damaged or hostile file is changed by it.
#[inline(always)]
pub fn clamp(coefficient: i32) -> i32 {
    coefficient.clamp(-(1 << 15), (1 << 15) - 1)
}

/// `coefficients`: the lowest n x n, dequantised, column by column (column u, row v: u * n + v);
/// writes `n` rows of `n` pixels into `out` from `at`, rows `stride` apart. `n` is 1, 2 or 4.
/// `flat` says only the DC coefficient may be non-zero. In the module every transform is
/// inlined into the decoder's loop: a call from it costs wasmtime spills and reloads around it
/// (natively, inlining the 4x4 one made the decode 12% slower).
#[inline(always)]
pub fn reduced(n: usize, coefficients: &[i32; 16], flat: bool, out: &mut [u8], at: usize, stride: usize) {
    if flat || n == 1 {
        flat_block(n, coefficients[0], out, at, stride);
    } else if n == 2 {
        two_by_two(coefficients, out, at, stride);
    } else {
        four_by_four(coefficients, out, at, stride);
    }
}

/// A block with only its DC coefficient: n x n pixels of DC / 8, rounded half up.
#[inline(always)]
fn flat_block(n: usize, dc: i32, out: &mut [u8], at: usize, stride: usize) {
    let value = pixel(dc << (BITS + PASS_BITS - 3));
    // Rows of a constant length: a `fill` of n bytes was a memory.fill, which wasmtime
    // runs as a call into the host, for every flat block.
    match n {
        1 => out[at] = value,
        2 => (0..2).for_each(|y| out[at + y * stride..][..2].copy_from_slice(&[value; 2])),
        _ => (0..4).for_each(|y| out[at + y * stride..][..4].copy_from_slice(&[value; 4])),
    }
}

#[inline(always)]
fn two_by_two(f: &[i32; 16], out: &mut [u8], at: usize, stride: usize) {
    let rows = [two(f[0], f[2]).map(descale), two(f[1], f[3]).map(descale)];
    for x in 0..2 {
        let column = two(rows[0][x], rows[1][x]);
        out[at + x] = pixel(column[0]);
        out[at + stride + x] = pixel(column[1]);
    }
}

/// The 4x4 transform four lanes at a time: down the columns of coefficients (a column per
/// lane), a transpose, then along the rows. In the module each step is one simd128
/// instruction (plain Rust left LLVM half-vectorising it, slower than scalar code); natively
/// the same integer arithmetic lane by lane, so the same pixels.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn four_by_four(f: &[i32; 16], out: &mut [u8], at: usize, stride: usize) {
    use core::arch::wasm32::*;
    let four = |[f0, f1, f2, f3]: [v128; 4]| {
        let (a, c1, c3) = (i32x4_splat(A), i32x4_splat(C1), i32x4_splat(C3));
        let (even0, even1) = (i32x4_mul(a, i32x4_add(f0, f2)), i32x4_mul(a, i32x4_sub(f0, f2)));
        let odd0 = i32x4_add(i32x4_mul(c1, f1), i32x4_mul(c3, f3));
        let odd1 = i32x4_sub(i32x4_mul(c3, f1), i32x4_mul(c1, f3));
        [i32x4_add(even0, odd0), i32x4_add(even1, odd1), i32x4_sub(even1, odd1), i32x4_sub(even0, odd0)]
    };
    // SAFETY: four i32s (16 bytes) of the 16; v128_load takes any alignment. (Built from four
    // scalars, each column was four loads and inserts in the compiled module.)
    let column = |u: usize| unsafe { v128_load(f[u * 4..u * 4 + 4].as_ptr().cast()) };
    let rounded = |value: v128, bits: u32| i32x4_shr(i32x4_add(value, i32x4_splat(1 << (bits - 1))), bits);
    // by_x[x]: lane v holds row v at horizontal position x.
    let by_x = four([column(0), column(1), column(2), column(3)]).map(|x| rounded(x, BITS - PASS_BITS));
    let (low01, high01) =
        (i32x4_shuffle::<0, 4, 1, 5>(by_x[0], by_x[1]), i32x4_shuffle::<2, 6, 3, 7>(by_x[0], by_x[1]));
    let (low23, high23) =
        (i32x4_shuffle::<0, 4, 1, 5>(by_x[2], by_x[3]), i32x4_shuffle::<2, 6, 3, 7>(by_x[2], by_x[3]));
    let rows = [
        i64x2_shuffle::<0, 2>(low01, low23),
        i64x2_shuffle::<1, 3>(low01, low23),
        i64x2_shuffle::<0, 2>(high01, high23),
        i64x2_shuffle::<1, 3>(high01, high23),
    ];
    let [y0, y1, y2, y3] = four(rows).map(|y| i32x4_add(rounded(y, BITS + PASS_BITS), i32x4_splat(128)));
    // The saturating narrows clamp to 0..=255 as `pixel` does.
    let bytes = u8x16_narrow_i16x8(i16x8_narrow_i32x4(y0, y1), i16x8_narrow_i32x4(y2, y3));
    let lanes = [
        u32x4_extract_lane::<0>(bytes),
        u32x4_extract_lane::<1>(bytes),
        u32x4_extract_lane::<2>(bytes),
        u32x4_extract_lane::<3>(bytes),
    ];
    for (y, lane) in lanes.iter().enumerate() {
        out[at + y * stride..at + y * stride + 4].copy_from_slice(&lane.to_le_bytes());
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(never)]
fn four_by_four(f: &[i32; 16], out: &mut [u8], at: usize, stride: usize) {
    type Lanes = [i32; 4];
    fn four([f0, f1, f2, f3]: [Lanes; 4]) -> [Lanes; 4] {
        use std::array::from_fn;
        let (even0, even1): (Lanes, Lanes) = (from_fn(|i| A * (f0[i] + f2[i])), from_fn(|i| A * (f0[i] - f2[i])));
        let odd0: Lanes = from_fn(|i| C1 * f1[i] + C3 * f3[i]);
        let odd1: Lanes = from_fn(|i| C3 * f1[i] - C1 * f3[i]);
        [
            from_fn(|i| even0[i] + odd0[i]),
            from_fn(|i| even1[i] + odd1[i]),
            from_fn(|i| even1[i] - odd1[i]),
            from_fn(|i| even0[i] - odd0[i]),
        ]
    }
    let column = |u: usize| [f[u * 4], f[u * 4 + 1], f[u * 4 + 2], f[u * 4 + 3]];
    let by_x = four([column(0), column(1), column(2), column(3)]).map(|x| x.map(descale));
    let rows: [Lanes; 4] = std::array::from_fn(|v| std::array::from_fn(|x| by_x[x][v]));
    for (y, row) in four(rows).iter().enumerate() {
        out[at + y * stride..at + y * stride + 4].copy_from_slice(&row.map(pixel));
    }
}

/// The 2-point transform; the result carries BITS more fractional bits than the input.
#[inline(always)]
fn two(f0: i32, f1: i32) -> [i32; 2] {
    [A * (f0 + f1), A * (f0 - f1)]
}

/// After the first pass: down to PASS_BITS fractional bits, rounded.
#[inline(always)]
fn descale(value: i32) -> i32 {
    (value + (1 << (BITS - PASS_BITS - 1))) >> (BITS - PASS_BITS)
}

/// From BITS + PASS_BITS fractional bits: level shift, round half up, clamp.
#[inline(always)]
fn pixel(value: i32) -> u8 {
    (((value + (1 << (BITS + PASS_BITS - 1))) >> (BITS + PASS_BITS)) + 128).clamp(0, 255) as u8
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
        block[4] = 200; // column 1 of row 0: the lowest horizontal frequency
        let mut out = vec![0u8; 16];
        reduced(4, &block, false, &mut out, 0, 4);
        let first = &out[..4];
        assert!(first.windows(2).all(|w| w[0] > w[1]), "{first:?}");
        assert!(out.chunks(4).all(|row| row == first));
    }
}
