//! An image of one- or two-byte pixels transposed (rows become columns), for resample.rs's
//! `by_columns`. In the module, tiles of 16 bytes a row (16x16 one-byte pixels, 8x8 two-byte)
//! go through simd128 shuffles (an image narrower or shorter than a tile pixel by pixel);
//! natively every pixel is copied on its own. A transpose moves bytes and computes nothing, so
//! both give the same bytes.

/// `src` (`width` x `height` pixels of `size` bytes, 1 or 2) transposed: `height` x `width`.
pub fn transpose(src: &[u8], width: usize, height: usize, size: usize) -> Vec<u8> {
    assert!(size == 1 || size == 2, "{size}-byte pixels");
    assert_eq!(src.len(), width * height * size, "a {width}x{height} image");
    let mut dst = vec![0; src.len()];
    if !tiles(src, width, height, size, &mut dst) {
        for y in 0..height {
            for x in 0..width {
                let (from, to) = ((y * width + x) * size, (x * height + y) * size);
                dst[to..to + size].copy_from_slice(&src[from..from + size]);
            }
        }
    }
    dst
}

/// `src` transposed into `dst` by tiles; false, with nothing written, when a side is shorter
/// than a tile. Where a side is not a whole number of tiles its last tile overlaps the one
/// before it, writing some bytes twice, the same both times (pixel by pixel, each a copy of
/// variable length, which wasmtime runs as a call into the host, the edges had cost 3.0M of
/// T2's 212M instructions).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn tiles(src: &[u8], width: usize, height: usize, size: usize, dst: &mut [u8]) -> bool {
    let side = 16 / size;
    if width < side || height < side {
        return false;
    }
    let starts = |extent: usize| (0..extent - side).step_by(side).chain([extent - side]);
    let (src_row, dst_row) = (width * size, height * size);
    for y in starts(height) {
        for x in starts(width) {
            let (from, to) = ((y * width + x) * size, (x * height + y) * size);
            if size == 1 {
                tile_of_bytes(&src[from..], src_row, &mut dst[to..], dst_row);
            } else {
                tile_of_pairs(&src[from..], src_row, &mut dst[to..], dst_row);
            }
        }
    }
    true
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn tiles(_: &[u8], _: usize, _: usize, _: usize, _: &mut [u8]) -> bool {
    false
}

/// A tile of 16 rows of 16 bytes from `src` (rows `src_row` bytes apart) to `dst`, transposed.
/// Each round interleaves row i with row i + 8, the bytes of their low halves into row 2i and
/// of their high halves into row 2i + 1: a byte's row and column bits (r3 r2 r1 r0 c3 c2 c1 c0)
/// turn left by one, so four rounds swap row and column.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn tile_of_bytes(src: &[u8], src_row: usize, dst: &mut [u8], dst_row: usize) {
    use core::arch::wasm32::*;
    // Written out so that the rows stay in registers (as an array built by a closure in a loop
    // they went through the stack in linear memory, and the transpose cost twice as much).
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
    store(round(round(round(round(load(src, src_row))))), dst, dst_row);
}

/// The same for 8 rows of 8 two-byte pixels: three rounds, interleaving pixels instead of bytes.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn tile_of_pairs(src: &[u8], src_row: usize, dst: &mut [u8], dst_row: usize) {
    use core::arch::wasm32::*;
    #[inline(always)]
    fn round(r: [v128; 8]) -> [v128; 8] {
        let low = |a, b| i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(a, b);
        let high = |a, b| i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(a, b);
        [
            low(r[0], r[4]),
            high(r[0], r[4]),
            low(r[1], r[5]),
            high(r[1], r[5]),
            low(r[2], r[6]),
            high(r[2], r[6]),
            low(r[3], r[7]),
            high(r[3], r[7]),
        ]
    }
    store(round(round(round(load(src, src_row)))), dst, dst_row);
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn load<const N: usize>(src: &[u8], row: usize) -> [core::arch::wasm32::v128; N] {
    // SAFETY: 16 bytes inside the slice (checked by the slicing); v128_load takes any alignment.
    std::array::from_fn(|i| unsafe { core::arch::wasm32::v128_load(src[i * row..][..16].as_ptr().cast()) })
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn store<const N: usize>(rows: [core::arch::wasm32::v128; N], dst: &mut [u8], row: usize) {
    for (i, r) in rows.into_iter().enumerate() {
        // SAFETY: as in `load`.
        unsafe { core::arch::wasm32::v128_store(dst[i * row..][..16].as_mut_ptr().cast(), r) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pixel_lands_at_its_mirrored_place() {
        for size in [1, 2] {
            for (width, height) in [(1, 1), (16, 16), (37, 50), (50, 37), (48, 17), (3, 33)] {
                let src: Vec<u8> = (0..width * height * size).map(|i| (i * 7 % 251) as u8).collect();
                let dst = transpose(&src, width, height, size);
                for y in 0..height {
                    for x in 0..width {
                        let (at, from) = ((x * height + y) * size, (y * width + x) * size);
                        assert_eq!(dst[at..at + size], src[from..from + size], "{size} {width}x{height} at {x},{y}");
                    }
                }
                assert_eq!(transpose(&dst, height, width, size), src);
            }
        }
    }
}
