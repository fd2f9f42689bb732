//! The forward DCT of an 8x8 block and its quantisation, in f32: the scaled 8-point transform
//! of Arai, Agui and Nakajima (5 multiplications a pass), whose output scale factors are folded
//! into the quantisation, which then is one multiplication by a reciprocal and a rounding.
//!
//! Deterministic everywhere: IEEE f32 addition, subtraction and multiplication round the same on
//! every engine and CPU, nothing is fused, the constants are written out (no `cos` at run time,
//! whose last bit differs between libms), and rounding is to nearest, ties to even. In the module
//! the transform runs on four columns a lane each (simd128); natively the same operations one
//! column at a time, so the same coefficients.

use std::ops::{Add, Mul, Sub};

/// cos(k pi / 16) * sqrt(2) for k = 1..=7 (1 for k = 0): the scale of output k of the scaled
/// transform.
const SCALE: [f64; 8] =
    [1.0, 1.387_039_845, 1.306_562_965, 1.175_875_602, 1.0, 0.785_694_958, 0.541_196_100, 0.275_899_379];
/// The transform's multipliers, as f32s: cos(pi/4), cos(3pi/8), cos(pi/8) - cos(3pi/8),
/// cos(pi/8) + cos(3pi/8).
const M1: f32 = std::f32::consts::FRAC_1_SQRT_2;
const M2: f32 = 0.382_683_43;
const M3: f32 = 0.541_196_1;
const M4: f32 = 1.306_563;

/// The largest magnitude a baseline AC coefficient may code (10 bits).
pub const LIMIT: i32 = 1023;

/// The scaled 8-point transform of `d`: output k is the DCT's times SCALE[k] * sqrt(8) (two
/// passes: times 8 in all), which the quantisation divides out.
#[inline(always)]
fn eight<T: Copy + Add<Output = T> + Sub<Output = T> + Mul<f32, Output = T>>(d: [T; 8]) -> [T; 8] {
    let (t0, t7) = (d[0] + d[7], d[0] - d[7]);
    let (t1, t6) = (d[1] + d[6], d[1] - d[6]);
    let (t2, t5) = (d[2] + d[5], d[2] - d[5]);
    let (t3, t4) = (d[3] + d[4], d[3] - d[4]);
    let (e0, e3, e1, e2) = (t0 + t3, t0 - t3, t1 + t2, t1 - t2);
    let z1 = (e2 + e3) * M1;
    let (o0, o1, o2) = (t4 + t5, t5 + t6, t6 + t7);
    let z5 = (o0 - o2) * M2;
    let z2 = o0 * M3 + z5;
    let z4 = o2 * M4 + z5;
    let z3 = o1 * M1;
    let (z11, z13) = (t7 + z3, t7 - z3);
    [e0 + e1, z11 + z4, e3 + z1, z13 - z2, e0 - e1, z13 + z2, e3 - z1, z11 - z4]
}

/// Multipliers that turn the transform's output into quantised coefficients, in the order
/// `quantised` writes them (horizontal frequency major: index v * 8 + u for vertical frequency
/// u, horizontal v).
pub struct Divisors([f32; 64]);

impl Divisors {
    /// From a quantisation table in natural order (row u, column v: u * 8 + v).
    pub fn new(table: &[u16; 64]) -> Self {
        Self(std::array::from_fn(|i| {
            let (v, u) = (i / 8, i % 8);
            (1.0 / (f64::from(table[u * 8 + v]) * SCALE[u] * SCALE[v] * 8.0)) as f32
        }))
    }
}

/// The block at `at` in `samples` (rows `stride` apart), transformed and quantised into `out`,
/// horizontal frequency major (see `Divisors`), each limited to +-LIMIT.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub fn quantised(samples: &[u8], at: usize, stride: usize, divisors: &Divisors, out: &mut [i16; 64]) {
    use core::arch::wasm32::*;
    #[derive(Clone, Copy)]
    struct F4(v128);
    impl Add for F4 {
        type Output = F4;
        fn add(self, o: F4) -> F4 {
            F4(f32x4_add(self.0, o.0))
        }
    }
    impl Sub for F4 {
        type Output = F4;
        fn sub(self, o: F4) -> F4 {
            F4(f32x4_sub(self.0, o.0))
        }
    }
    impl Mul<f32> for F4 {
        type Output = F4;
        fn mul(self, m: f32) -> F4 {
            F4(f32x4_mul(self.0, f32x4_splat(m)))
        }
    }
    let rows = &samples[at..at + 7 * stride + 8];
    let shift = f32x4_splat(128.0);
    // halves[h][y]: row y's columns 4h..4h+4, level-shifted.
    let mut halves = [[F4(f32x4_splat(0.0)); 8]; 2];
    for y in 0..8 {
        let row: [u8; 8] = rows[y * stride..y * stride + 8].try_into().expect("8 bytes");
        let wide = u16x8_extend_low_u8x16(u64x2(u64::from_le_bytes(row), 0));
        halves[0][y] = F4(f32x4_sub(f32x4_convert_i32x4(u32x4_extend_low_u16x8(wide)), shift));
        halves[1][y] = F4(f32x4_sub(f32x4_convert_i32x4(u32x4_extend_high_u16x8(wide)), shift));
    }
    // Down the columns: by_u[h][u] holds vertical frequency u of columns 4h..4h+4.
    let by_u = halves.map(eight);
    // Transposed: along[x] holds column x's vertical frequencies, u 0..4 and 4..8.
    let transpose = |a: [F4; 4]| {
        let (l01, h01) = (i32x4_shuffle::<0, 4, 1, 5>(a[0].0, a[1].0), i32x4_shuffle::<2, 6, 3, 7>(a[0].0, a[1].0));
        let (l23, h23) = (i32x4_shuffle::<0, 4, 1, 5>(a[2].0, a[3].0), i32x4_shuffle::<2, 6, 3, 7>(a[2].0, a[3].0));
        [
            F4(i64x2_shuffle::<0, 2>(l01, l23)),
            F4(i64x2_shuffle::<1, 3>(l01, l23)),
            F4(i64x2_shuffle::<0, 2>(h01, h23)),
            F4(i64x2_shuffle::<1, 3>(h01, h23)),
        ]
    };
    let quarter = |h: usize, lo: usize| transpose([by_u[h][lo], by_u[h][lo + 1], by_u[h][lo + 2], by_u[h][lo + 3]]);
    // low[x]: column x's u 0..4; high[x]: its u 4..8.
    let (low_left, high_left, low_right, high_right) = (quarter(0, 0), quarter(0, 4), quarter(1, 0), quarter(1, 4));
    let low: [F4; 8] = std::array::from_fn(|x| if x < 4 { low_left[x] } else { low_right[x - 4] });
    let high: [F4; 8] = std::array::from_fn(|x| if x < 4 { high_left[x] } else { high_right[x - 4] });
    // Along the rows: [v] holds horizontal frequency v for u 0..4 and 4..8.
    let (low, high) = (eight(low), eight(high));
    let limit = (i32x4_splat(-LIMIT), i32x4_splat(LIMIT));
    let quantise = |value: F4, at: usize| {
        // SAFETY: four f32s (16 bytes) from `at`; v128_load takes any alignment.
        let divisor = unsafe { v128_load(divisors.0[at..at + 4].as_ptr().cast()) };
        let rounded = i32x4_trunc_sat_f32x4(f32x4_nearest(f32x4_mul(value.0, divisor)));
        i32x4_min(i32x4_max(rounded, limit.0), limit.1)
    };
    for v in 0..8 {
        let row = i16x8_narrow_i32x4(quantise(low[v], v * 8), quantise(high[v], v * 8 + 4));
        // SAFETY: out has 64 i16s; v * 8 + 8 <= 64, and v128_store takes any alignment.
        unsafe { v128_store(out[v * 8..v * 8 + 8].as_mut_ptr().cast(), row) };
    }
}

/// Natively: the same operations on rows of eight lanes, which LLVM turns into SSE; rounding to
/// nearest even by adding and subtracting 1.5 * 2^23 (exact for |x| < 2^22, far beyond any
/// coefficient), as a baseline x86_64 has no rounding instruction and `round_ties_even` is a
/// libm call.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub fn quantised(samples: &[u8], at: usize, stride: usize, divisors: &Divisors, out: &mut [i16; 64]) {
    use std::array::from_fn;
    #[derive(Clone, Copy)]
    struct Row([f32; 8]);
    impl Add for Row {
        type Output = Row;
        fn add(self, o: Row) -> Row {
            Row(from_fn(|i| self.0[i] + o.0[i]))
        }
    }
    impl Sub for Row {
        type Output = Row;
        fn sub(self, o: Row) -> Row {
            Row(from_fn(|i| self.0[i] - o.0[i]))
        }
    }
    impl Mul<f32> for Row {
        type Output = Row;
        fn mul(self, m: f32) -> Row {
            Row(self.0.map(|v| v * m))
        }
    }
    let rows = &samples[at..at + 7 * stride + 8];
    let rows: [Row; 8] = from_fn(|y| Row(from_fn(|x| f32::from(rows[y * stride + x]) - 128.0)));
    // Down the columns, then along the rows of the transposed result: by_v[v] holds
    // horizontal frequency v for each vertical frequency u.
    let by_u = eight(rows);
    let by_v = eight(from_fn(|x| Row(from_fn(|u| by_u[u].0[x]))));
    const MAGIC: f32 = 12_582_912.0;
    for (v, row) in by_v.iter().enumerate() {
        for (u, &value) in row.0.iter().enumerate() {
            let rounded = ((value * divisors.0[v * 8 + u] + MAGIC) - MAGIC) as i32;
            out[v * 8 + u] = rounded.clamp(-LIMIT, LIMIT) as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DCT's definition in f64, quantised by `table` and rounded.
    fn reference(block: &[u8; 64], table: &[u16; 64]) -> [i32; 64] {
        let c = |k: usize| if k == 0 { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
        std::array::from_fn(|i| {
            let (u, v) = (i / 8, i % 8);
            let mut sum = 0.0;
            for y in 0..8 {
                for x in 0..8 {
                    let s = f64::from(block[y * 8 + x]) - 128.0;
                    let pi = std::f64::consts::PI;
                    sum += s
                        * ((2 * y + 1) as f64 * u as f64 * pi / 16.0).cos()
                        * ((2 * x + 1) as f64 * v as f64 * pi / 16.0).cos();
                }
            }
            (0.25 * c(u) * c(v) * sum / f64::from(table[i])).round() as i32
        })
    }

    #[test]
    fn agrees_with_the_definition() {
        let ones = [1u16; 64];
        let steps: [u16; 64] = std::array::from_fn(|i| 1 + i as u16 * 3);
        let noisy: [u8; 64] = std::array::from_fn(|i| ((i * 7919 + 13) % 256) as u8);
        let ramp: [u8; 64] = std::array::from_fn(|i| (i % 8 * 30 + i / 8 * 4) as u8);
        for block in [noisy, ramp, [255; 64], [0; 64]] {
            for table in [ones, steps] {
                let mut out = [0i16; 64];
                quantised(&block, 0, 8, &Divisors::new(&table), &mut out);
                let expected = reference(&block, &table);
                for (i, &e) in expected.iter().enumerate() {
                    let got = i32::from(out[i % 8 * 8 + i / 8]);
                    // Rounding a value within a float's error of .5 may go either way.
                    assert!((got - e.clamp(-LIMIT, LIMIT)).abs() <= 1, "coefficient {i}: {got} vs {e}");
                }
            }
        }
    }
}
