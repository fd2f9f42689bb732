//! A one-channel image transposed (rows become columns), for resample.rs's one-channel path.
//! In the module 16x16 tiles go through simd128 byte shuffles; natively (and at the edges)
//! byte by byte. A transpose moves bytes and computes nothing, so both give the same bytes.

/// `src` (`width` x `height`, one byte a pixel) transposed: `height` x `width`.
pub fn transpose(src: &[u8], width: usize, height: usize) -> Vec<u8> {
    assert_eq!(src.len(), width * height, "a {width}x{height} plane");
    let mut dst = vec![0; src.len()];
    let (tiled_w, tiled_h) = (width - width % 16, height - height % 16);
    for y in (0..tiled_h).step_by(16) {
        for x in (0..tiled_w).step_by(16) {
            tile(src, width, &mut dst, height, x, y);
        }
    }
    let mut by_byte = |xs: std::ops::Range<usize>, ys: std::ops::Range<usize>| {
        for y in ys {
            for x in xs.clone() {
                dst[x * height + y] = src[y * width + x];
            }
        }
    };
    by_byte(tiled_w..width, 0..height);
    by_byte(0..tiled_w, tiled_h..height);
    dst
}

/// The 16x16 tile at (`x`, `y`) of `src` (rows `width` apart) to (`y`, `x`) of `dst` (rows
/// `height` apart). Each round interleaves row i with row i + 8, bytes from their low halves
/// into row 2i and from their high halves into row 2i + 1: a byte's row and column bits
/// (r3 r2 r1 r0 c3 c2 c1 c0) turn left by one, so four rounds swap row and column.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn tile(src: &[u8], width: usize, dst: &mut [u8], height: usize, x: usize, y: usize) {
    use core::arch::wasm32::*;
    // SAFETY: every load and store is of 16 bytes inside its slice (checked by the slicing).
    let rows: [v128; 16] =
        std::array::from_fn(|i| unsafe { v128_load(src[(y + i) * width + x..][..16].as_ptr().cast()) });
    // Written out so that the rows stay in registers (as an array built by a closure in a
    // loop they went through the stack in linear memory).
    #[inline(always)]
    fn round(r: [v128; 16]) -> [v128; 16] {
        let low = |a, b| u8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(a, b);
        let high = |a, b| u8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(a, b);
        [
            low(r[0], r[8]),
            high(r[0], r[8]),
            low(r[1], r[9]),
            high(r[1], r[9]),
            low(r[2], r[10]),
            high(r[2], r[10]),
            low(r[3], r[11]),
            high(r[3], r[11]),
            low(r[4], r[12]),
            high(r[4], r[12]),
            low(r[5], r[13]),
            high(r[5], r[13]),
            low(r[6], r[14]),
            high(r[6], r[14]),
            low(r[7], r[15]),
            high(r[7], r[15]),
        ]
    }
    let rows = round(round(round(round(rows))));
    for (i, row) in rows.iter().enumerate() {
        unsafe { v128_store(dst[(x + i) * height + y..][..16].as_mut_ptr().cast(), *row) };
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn tile(src: &[u8], width: usize, dst: &mut [u8], height: usize, x: usize, y: usize) {
    for i in 0..16 {
        for j in 0..16 {
            dst[(x + j) * height + y + i] = src[(y + i) * width + x + j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_lands_at_its_mirrored_place() {
        for (width, height) in [(1, 1), (16, 16), (37, 50), (50, 37), (48, 17), (3, 33)] {
            let src: Vec<u8> = (0..width * height).map(|i| (i * 7 % 251) as u8).collect();
            let dst = transpose(&src, width, height);
            for y in 0..height {
                for x in 0..width {
                    assert_eq!(dst[x * height + y], src[y * width + x], "{width}x{height} at {x},{y}");
                }
            }
            assert_eq!(transpose(&dst, height, width), src);
        }
    }
}
