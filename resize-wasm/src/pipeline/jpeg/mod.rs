//! Our own decoder for the JPEGs people upload most (baseline Huffman, 8-bit, grey or YCbCr with
//! 4:4:4, 4:2:2, 4:4:0 or 4:2:0 chroma, one interleaved scan), at 1/2, 1/4 or 1/8 scale only.
//! Everything else, and any file this one finds fault with, goes to jpeg-decoder (decode.rs).
//!
//! Why: in the stage profile (docs/benchmarks.md) jpeg-decoder's scaled decode was more than half
//! of the seed's job in wasmtime, most of it in its Huffman decoding and in full-block work for
//! pixels a scaled decode throws away. Here the scan is unstuffed once so the bit reader loads
//! whole words (entropy.rs), only the coefficients the reduced IDCT reads are kept, each block
//! goes straight into its component's plane, and the IDCT and colour conversion are simd128 in
//! the module (idct.rs, ycc.rs). The colour profile is the header's (limits.rs).

mod entropy;
mod idct;
mod markers;
mod ycc;

use entropy::{Bits, Huffman, Segments};
use markers::Parsed;
use ycc::Plane;

pub struct Decoded {
    pub width: u32,
    pub height: u32,
    /// One byte per pixel when true, else RGB.
    pub grey: bool,
    pub pixels: Vec<u8>,
}

/// Zigzag position k -> natural position (row * 8 + column).
pub const NATURAL: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63,
];

/// `bytes` decoded at 1/`denominator` (2, 4 or 8) of each side, rounded up; `None` when the file
/// is not one this decoder handles or anything in it is amiss.
pub fn decode(bytes: &[u8], denominator: u32) -> Option<Decoded> {
    let n = block_side(denominator)?;
    let parsed = markers::parse(bytes)?;
    let mut output = Output::new(&parsed, n);
    decode_scan(&parsed, n, n, &Wanted::ALL, |band, planes| output.convert(band, planes))?;
    let Output { width, height, grey, pixels, .. } = output;
    Some(Decoded { width: width as u32, height: height as u32, grey, pixels })
}

/// The pixels of a picture decoded at a reduced scale that anything will read, in decoded luma
/// pixels (chroma's counted in the luma pixels they cover). Blocks holding none of them skip
/// the inverse transform; their entropy-coded data is read all the same. The YCbCr path's
/// crops leave out up to a third of a landscape photo's blocks (T2: about 12%).
pub struct Wanted {
    /// Left, top, right and bottom (the last two exclusive).
    pub area: [usize; 4],
    /// And every `every`-th pixel of every `every`-th row from the first: the placeholder's
    /// samples (placeholder.rs).
    pub every: usize,
}

impl Wanted {
    pub const ALL: Wanted = Wanted { area: [0, 0, usize::MAX, usize::MAX], every: 1 };

    /// For each of `count` MCUs of `side` pixels along the axis `[from, to)` lies on: whether it
    /// holds a pixel of that span, and whether it holds a multiple of `every`.
    fn along(&self, count: usize, side: usize, [from, to]: [usize; 2]) -> Vec<(bool, bool)> {
        let every = self.every.max(1);
        (0..count)
            .map(|i| {
                let (first, end) = (i * side, (i + 1) * side);
                (first < to && end > from, first.div_ceil(every) * every < end)
            })
            .collect()
    }
}

/// A YCbCr file's planes as 4:2:0: luma `width` x `height`; chroma half that, rounded up, with
/// Cb and Cr interleaved (fast_image_resize resamples them as one two-channel image, computing
/// the taps once: T2 3% faster than two planes, same bytes).
#[derive(Clone)]
pub struct Planes {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u8>,
    pub cbcr: Vec<u8>,
}

impl Planes {
    pub fn chroma(&self) -> (usize, usize) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    /// Cb and Cr as planes of their own, as the encoders take them.
    pub fn split_chroma(&self) -> (Vec<u8>, Vec<u8>) {
        (self.cbcr.iter().step_by(2).copied().collect(), self.cbcr.iter().skip(1).step_by(2).copied().collect())
    }
}

/// A 4:2:0 file's planes decoded at 1/`denominator` (2, 4 or 8), as they are: no upsampling, no
/// conversion. A 4:4:4 file's too at 1/2 and 1/4, its chroma decoded at half luma's scale: the
/// encoder keeps chroma at 4:2:0, and a reduced transform gives that size at a fraction of the
/// cost of decoding it at luma's and averaging it away. Only the blocks holding a pixel of
/// `wanted` are transformed; the others' pixels are left as whatever the buffer held. `None`
/// for any other layout or fault.
pub fn decode_planes(bytes: &[u8], denominator: u32, wanted: &Wanted) -> Option<Planes> {
    let n = block_side(denominator)?;
    let parsed = markers::parse(bytes)?;
    let layout: Vec<_> = parsed.components.iter().map(|c| (c.h, c.v)).collect();
    let chroma_n = match layout[..] {
        [(2, 2), (1, 1), (1, 1)] => n,
        [(1, 1), (1, 1), (1, 1)] if n >= 2 => n / 2,
        _ => return None,
    };
    let ((width, height), chroma) = (sides(&parsed, n, 0), sides(&parsed, chroma_n, 1));
    let (mut y, mut cbcr) = (Vec::with_capacity(width * height), Vec::with_capacity(2 * chroma.0 * chroma.1));
    decode_scan(&parsed, n, chroma_n, wanted, |band, planes| {
        let luma = plane(&parsed, n, planes, 0);
        for row in band * planes[0].band..((band + 1) * planes[0].band).min(luma.height) {
            y.extend_from_slice(luma.row(row));
        }
        let (cb, cr) = (plane(&parsed, chroma_n, planes, 1), plane(&parsed, chroma_n, planes, 2));
        for row in band * planes[1].band..((band + 1) * planes[1].band).min(cb.height) {
            interleave(&mut cbcr, cb.row(row), cr.row(row));
        }
    })?;
    let planes = Planes { width, height, y, cbcr };
    (planes.chroma() == chroma && planes.y.len() == width * height).then_some(planes)
}

/// `a` and `b` appended to `out` a byte of each in turn (`a` as long as `b`): Cb and Cr as
/// `Planes` keeps them, or a chroma row with itself, each sample twice. Written in place: an
/// iterator's flat_map was a call per byte in the module.
pub fn interleave(out: &mut Vec<u8>, a: &[u8], b: &[u8]) {
    let start = out.len();
    out.resize(start + 2 * a.len(), 0);
    for ((pair, &x), &y) in out[start..].chunks_exact_mut(2).zip(a).zip(b) {
        pair.copy_from_slice(&[x, y]);
    }
}

/// Pixels a block side keeps decoded at 1/`denominator` (2, 4 or 8).
fn block_side(denominator: u32) -> Option<usize> {
    match denominator {
        2 => Some(4),
        4 => Some(2),
        8 => Some(1),
        _ => None,
    }
}

/// One pixel's RGB from its Y, Cb and Cr, as the decoder converts them.
pub fn rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    ycc::one_pixel(y, cb, cr)
}

/// A side of `side` pixels at full size, decoded with `n` x `n` pixels a block: partial blocks
/// give a pixel of their own.
fn scaled(side: usize, n: usize) -> usize {
    side.div_ceil(8 / n)
}

/// Block rows a component keeps: the one being converted and the rows either side of it, which
/// chroma upsampling reads.
const KEPT: usize = 3;

/// A component's samples for KEPT rows of MCUs: `stride` columns (whole blocks), `band` rows
/// an MCU row; MCU row `r` at `r % KEPT`. Converted a row of MCUs after it is decoded, the
/// samples are still in cache (whole planes were 2.3 MB for the photo at 1/2, written out to
/// memory and read back).
struct Samples {
    data: Vec<u8>,
    stride: usize,
    band: usize,
}

/// The scan, MCU by MCU, each block's reduced IDCT (`n` x `n` pixels for luma, `chroma_n` for
/// chroma) written into its component's samples; after each row of MCUs, `convert` gets the row
/// before it (whose neighbours are now decoded), and at the end the last.
fn decode_scan(
    parsed: &Parsed,
    n: usize,
    chroma_n: usize,
    wanted: &Wanted,
    mut convert: impl FnMut(usize, &[Samples]),
) -> Option<()> {
    let components = &parsed.components;
    let single = components.len() == 1;
    let h_max = components.iter().map(|c| c.h).max()?;
    let v_max = components.iter().map(|c| c.v).max()?;
    // One component is never interleaved: its MCU is one block, whatever its sampling says.
    let (mcu_w, mcu_h) = if single { (8, 8) } else { (8 * h_max, 8 * v_max) };
    let (mcus_x, mcus_y) = (parsed.width.div_ceil(mcu_w), parsed.height.div_ceil(mcu_h));
    let blocks = |c: &markers::Component| if single { (1, 1) } else { (c.h, c.v) };
    let side = |c: usize| if c == 0 { n } else { chroma_n };
    let mut planes: Vec<Samples> = components
        .iter()
        .enumerate()
        .map(|(c, component)| {
            let ((h, v), n) = (blocks(component), side(c));
            let stride = mcus_x * h * n;
            Samples { data: vec![0; stride * KEPT * v * n], stride, band: v * n }
        })
        .collect();
    let slot_tables = [slots(n), slots(chroma_n)];
    // An MCU's blocks in scan order, as one list: one loop a block rather than three nested.
    let mut order = Vec::new();
    for (c, component) in components.iter().enumerate() {
        let (dc, ac) = (parsed.dc[component.dc].as_ref()?, parsed.ac[component.ac].as_ref()?);
        let quant = &parsed.quant[component.quant];
        let ((h, v), stride, n) = (blocks(component), planes[c].stride, side(c));
        let slots = &slot_tables[usize::from(c > 0)];
        for by in 0..v {
            for bx in 0..h {
                let (offset, mcu, band) = (by * n * stride + bx * n, h * n, v * n * stride);
                order.push(Block { c, n, slots, dc, ac, quant, offset, mcu, band });
            }
        }
    }
    // Luma's pixels an MCU covers at this scale, a side.
    let (luma_h, luma_v) = blocks(&components[0]);
    let [left, top, right, bottom] = wanted.area;
    let columns = wanted.along(mcus_x, luma_h * n, [left, right]);
    let rows = wanted.along(mcus_y, luma_v * n, [top, bottom]);
    let segments = Segments::new(parsed.scan);
    let mut bits = segments.interval(0)?;
    let mut predictions = [0i32; 3];
    let interval = parsed.restart_interval;
    for (my, &(y_in, y_sampled)) in rows.iter().enumerate() {
        for (mx, &(x_in, x_sampled)) in columns.iter().enumerate() {
            let mcu = my * mcus_x + mx;
            if interval > 0 && mcu > 0 && mcu % interval == 0 {
                if !bits.intact() {
                    return None;
                }
                bits = segments.interval(mcu / interval)?;
                predictions = [0; 3];
            }
            let transform = (x_in && y_in) || (x_sampled && y_sampled);
            for block in &order {
                let c = block.c;
                let plane = &mut planes[c];
                let mut coefficients = [0; DROPPED + 1];
                let (dc, ac, quant) = (block.dc, block.ac, block.quant);
                let flat = decode_block(&mut bits, dc, ac, quant, block.slots, &mut predictions[c], &mut coefficients)?;
                let at = (my % KEPT) * block.band + mx * block.mcu + block.offset;
                if transform {
                    let kept = coefficients.first_chunk().expect("17 > 16");
                    idct::reduced(block.n, kept, flat, &mut plane.data, at, plane.stride);
                }
            }
        }
        if my > 0 {
            convert(my - 1, &planes);
        }
    }
    convert(mcus_y - 1, &planes);
    bits.intact().then_some(())
}

/// Where each zigzag position goes among the n x n coefficients the reduced IDCT reads (column
/// by column, idct.rs), or past them when it is not read.
fn slots(n: usize) -> [usize; 64] {
    std::array::from_fn(|k| {
        let (v, u) = (NATURAL[k] / 8, NATURAL[k] % 8);
        if v < n && u < n { u * n + v } else { DROPPED }
    })
}

/// One block of an MCU: its component, transform size and tables, and where its samples go:
/// `offset` from its MCU's first sample, MCUs `mcu` samples apart in a row of them, rows of MCUs
/// `band` apart.
struct Block<'a> {
    c: usize,
    n: usize,
    slots: &'a [usize; 64],
    dc: &'a Huffman,
    ac: &'a Huffman,
    quant: &'a [u16; 64],
    offset: usize,
    mcu: usize,
    band: usize,
}

/// The slot of a zigzag position the reduced IDCT does not read: past the 16 it does.
const DROPPED: usize = 16;

/// One block's DC difference and AC run-lengths (T.81 F.2.2), dequantised into their `slots`,
/// the ones not kept all into the last. True when no kept AC coefficient is non-zero (a flat
/// block). Storing without asking whether the slot is kept leaves the processor no branch to
/// mispredict on every coefficient. The AC codes come two at a time where the bits allow
/// (`Huffman::pair`): the chain of lookups is the loop's bound.
#[inline(always)]
fn decode_block(
    bits: &mut Bits,
    dc: &Huffman,
    ac: &Huffman,
    quant: &[u16; 64],
    slots: &[usize; 64],
    prediction: &mut i32,
    coefficients: &mut [i32; DROPPED + 1],
) -> Option<bool> {
    let size = u32::from(dc.decode(bits)?);
    if size > 11 {
        return None;
    }
    if size > 0 {
        *prediction = prediction.wrapping_add(bits.signed_loaded(size));
    }
    coefficients[0] = idct::clamp(prediction.wrapping_mul(i32::from(quant[0])));
    let mut flat = true;
    let mut k = 1;
    // One code and its value: the end of block, a run of 16 zeros or a coefficient; one not
    // `counted` is the zero a lookup without a second code gives, stored where nothing is yet.
    macro_rules! take {
        ($symbol:expr, $value:expr, $counted:expr) => {{
            let (symbol, value, counted): (u8, i32, bool) = ($symbol, $value, $counted);
            let run = usize::from(symbol >> 4);
            if symbol & 15 == 0 {
                if run != 15 {
                    break;
                }
                k += 16;
                continue;
            }
            k += run;
            if k > 63 {
                return None;
            }
            coefficients[slots[k]] = idct::clamp(value.wrapping_mul(i32::from(quant[k])));
            flat &= slots[k] == DROPPED || !counted;
            k += usize::from(counted);
        }};
    }
    while k < 64 {
        let pair = ac.pair(bits);
        if pair.is_none() {
            let (symbol, value) = ac.coefficient(bits)?;
            take!(symbol, value, true);
            continue;
        }
        let (symbol, value) = pair.first();
        take!(symbol, value, true);
        if k == 64 {
            // The first ended the block: a second code read with it begins the next.
            if pair.has_second() {
                pair.give_back_second(bits);
            }
            break;
        }
        // No branch on whether there was a second code.
        let (symbol, value) = pair.second();
        take!(symbol, value, pair.has_second());
    }
    Some(flat)
}

/// The decoded pixels, filled a row of MCUs at a time: grey copied, colour upsampled and
/// converted to RGB.
struct Output<'a> {
    parsed: &'a Parsed<'a>,
    n: usize,
    width: usize,
    height: usize,
    grey: bool,
    pixels: Vec<u8>,
    /// Upsampled chroma rows (they can be a sample wider than the image) and scratch space.
    cb: Vec<u8>,
    cr: Vec<u8>,
    sums: Vec<u16>,
}

impl<'a> Output<'a> {
    fn new(parsed: &'a Parsed<'a>, n: usize) -> Self {
        let (width, height) = (scaled(parsed.width, n), scaled(parsed.height, n));
        let grey = parsed.components.len() == 1;
        let pixels = vec![0; width * height * if grey { 1 } else { 3 }];
        let wide = if grey { Vec::new() } else { vec![0; sides(parsed, n, 1).0 * parsed.components[0].h] };
        Self { parsed, n, width, height, grey, pixels, cb: wide.clone(), cr: wide, sums: Vec::new() }
    }

    /// The image rows of MCU row `band`.
    fn convert(&mut self, band: usize, planes: &[Samples]) {
        let width = self.width;
        let luma = plane(self.parsed, self.n, planes, 0);
        let rows = band * planes[0].band..((band + 1) * planes[0].band).min(self.height);
        if self.grey {
            for y in rows {
                self.pixels[y * width..(y + 1) * width].copy_from_slice(luma.row(y));
            }
            return;
        }
        // Chroma is 1x1 (markers.rs), so luma's sampling is the factor.
        let factor = (self.parsed.components[0].h, self.parsed.components[0].v);
        let (cb, cr) = (plane(self.parsed, self.n, planes, 1), plane(self.parsed, self.n, planes, 2));
        for y in rows {
            ycc::upsample_row(&cb, factor, y, &mut self.cb, &mut self.sums);
            ycc::upsample_row(&cr, factor, y, &mut self.cr, &mut self.sums);
            ycc::to_rgb(luma.row(y), &self.cb, &self.cr, &mut self.pixels[y * width * 3..(y + 1) * width * 3]);
        }
    }
}

/// Component `c`'s samples, with its valid width and height at this scale.
fn plane<'p>(parsed: &Parsed, n: usize, planes: &'p [Samples], c: usize) -> Plane<'p> {
    let (width, height) = sides(parsed, n, c);
    Plane { samples: &planes[c].data, stride: planes[c].stride, rows: KEPT * planes[c].band, width, height }
}

/// Component `c`'s valid width and height, decoded with `n` x `n` pixels a block.
fn sides(parsed: &Parsed, n: usize, c: usize) -> (usize, usize) {
    let components = &parsed.components;
    let (h, v) = (components[0].h / components[c].h, components[0].v / components[c].v);
    (scaled(parsed.width.div_ceil(h), n), scaled(parsed.height.div_ceil(v), n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    use std::path::PathBuf;

    /// Gradients, hard edges and saturated colour; odd sizes, so the last MCUs are partial.
    fn picture(width: u16, height: u16) -> Vec<u8> {
        let (w, h) = (u32::from(width), u32::from(height));
        (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .flat_map(|(x, y)| {
                let edge = if (x / 13 + y / 17) % 2 == 0 { 200 } else { 30 };
                [(x * 255 / w) as u8, edge, ((x * y) % 256) as u8]
            })
            .collect()
    }

    fn encode(width: u16, height: u16, sampling: SamplingFactor, restart: u16, grey: bool) -> Vec<u8> {
        let rgb = picture(width, height);
        let mut out = Vec::new();
        let mut encoder = Encoder::new(&mut out, 85);
        encoder.set_sampling_factor(sampling);
        encoder.set_restart_interval(restart);
        if grey {
            let luma: Vec<u8> = rgb.chunks(3).map(|p| p[1]).collect();
            encoder.encode(&luma, width, height, ColorType::Luma).unwrap();
        } else {
            encoder.encode(&rgb, width, height, ColorType::Rgb).unwrap();
        }
        out
    }

    /// jpeg-decoder's own scaled decode of the same file, grey expanded to RGB like ours is later.
    fn reference(bytes: &[u8], denominator: u32) -> (u32, u32, Vec<u8>) {
        let mut decoder = jpeg_decoder::Decoder::new(bytes);
        decoder.read_info().unwrap();
        let info = decoder.info().unwrap();
        let scaled = |side: u16| u32::from(side).div_ceil(denominator) as u16;
        decoder.scale(scaled(info.width), scaled(info.height)).unwrap();
        let pixels = decoder.decode().unwrap();
        let info = decoder.info().unwrap();
        (u32::from(info.width), u32::from(info.height), pixels)
    }

    /// Mean and largest absolute difference, in levels of 255.
    fn difference(bytes: &[u8], denominator: u32) -> (f64, u8) {
        let ours = decode(bytes, denominator).expect("a file our decoder takes");
        let (width, height, theirs) = reference(bytes, denominator);
        assert_eq!((ours.width, ours.height), (width, height));
        assert_eq!(ours.pixels.len(), theirs.len());
        let diffs = ours.pixels.iter().zip(&theirs).map(|(&a, &b)| a.abs_diff(b));
        let max = diffs.clone().max().unwrap();
        (diffs.map(f64::from).sum::<f64>() / theirs.len() as f64, max)
    }

    #[test]
    fn agrees_with_jpeg_decoder_on_every_layout_it_takes() {
        use SamplingFactor::{F_1_1, F_1_2, F_2_1, F_2_2};
        for (sampling, grey) in [(F_1_1, false), (F_2_1, false), (F_1_2, false), (F_2_2, false), (F_1_1, true)] {
            for restart in [0, 3] {
                let bytes = encode(203, 101, sampling, restart, grey);
                for denominator in [2, 4, 8] {
                    let (mean, max) = difference(&bytes, denominator);
                    let case = format!("{sampling:?} grey {grey} restart {restart} 1/{denominator}");
                    within(&case, denominator, mean, max);
                }
            }
        }
    }

    /// Noise at quality 100: nearly every block has a coefficient at zigzag 63 and ends without
    /// an end-of-block code, so the lookup that reads its last code often holds the next
    /// block's first too (`Pair::give_back_second`). Read wrong, the rest of the scan is garbage.
    #[test]
    fn blocks_that_end_at_the_last_coefficient() {
        let (width, height) = (96u16, 64u16);
        let noise: Vec<u8> = (0..u32::from(width) * u32::from(height) * 3)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut bytes = Vec::new();
        Encoder::new(&mut bytes, 100).encode(&noise, width, height, ColorType::Rgb).unwrap();
        for denominator in [2, 4, 8] {
            let (mean, max) = difference(&bytes, denominator);
            assert!(mean < 1.0, "1/{denominator}: mean {mean:.3}, max {max}");
        }
    }

    /// Measured: at 1/2 and 1/4 a mean of 0.30 at most, every pixel within 5. The difference is
    /// mostly rounding: where a flat block's value is exactly half-way between two levels
    /// jpeg-decoder rounds down, this rounds up (as libjpeg's 1x1 reduced IDCT does), and the
    /// colour conversion can widen a chroma level into two of blue (5 on Portrait_7 at 1/4).
    fn within(case: &str, denominator: u32, mean: f64, max: u8) {
        let mean_bound = if denominator == 8 { 1.1 } else { 0.35 };
        assert!(mean <= mean_bound && max <= 5, "{case}: mean {mean:.3}, max {max}");
    }

    #[test]
    fn agrees_with_jpeg_decoder_on_the_corpus() {
        let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
        let mut files = vec![corpus.join("photo-2725x2225.jpg")];
        files.extend(std::fs::read_dir(corpus.join("exif")).expect("the shared corpus").map(|e| e.unwrap().path()));
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            for denominator in [2, 4, 8] {
                let (mean, max) = difference(&bytes, denominator);
                within(&format!("{} 1/{denominator}", file.display()), denominator, mean, max);
            }
        }
    }

    #[test]
    fn damaged_files_give_an_answer_not_a_panic() {
        // Every byte of a small file with restarts, flipped in turn, then cut at every length:
        // each must decode or be declined, never panic or overflow (debug builds check). To
        // pixels, and to planes (4:4:4 chroma at half scale included).
        for sampling in [SamplingFactor::F_2_2, SamplingFactor::F_1_1] {
            let original = encode(40, 24, sampling, 2, false);
            let mut declined = 0;
            for i in 0..original.len() {
                for flip in [0x01, 0x80, 0xFF] {
                    let mut damaged = original.clone();
                    damaged[i] ^= flip;
                    declined += usize::from(decode(&damaged, 2).is_none());
                    declined += usize::from(decode_planes(&damaged, 4, &Wanted::ALL).is_none());
                }
            }
            for end in 0..original.len() {
                declined += usize::from(decode(&original[..end], 4).is_none());
                declined += usize::from(decode_planes(&original[..end], 2, &Wanted::ALL).is_none());
            }
            assert!(declined > 2 * original.len(), "{sampling:?}: truncations at least are declined ({declined})");
        }
    }

    /// A 4:4:4 file's planes, chroma decoded at half luma's scale, line up with the 4:2:0
    /// planes of the same picture: shifting the chroma a sample either way only adds difference.
    #[test]
    fn four_four_four_planes_line_up_with_four_two_zero() {
        use SamplingFactor::{F_1_1, F_2_2};
        let (full, half) = (encode(403, 301, F_1_1, 0, false), encode(403, 301, F_2_2, 0, false));
        for denominator in [2, 4] {
            let (a, b) = (
                decode_planes(&full, denominator, &Wanted::ALL).unwrap(),
                decode_planes(&half, denominator, &Wanted::ALL).unwrap(),
            );
            assert_eq!((a.width, a.height, a.cbcr.len()), (b.width, b.height, b.cbcr.len()));
            let luma = a.y.iter().zip(&b.y).map(|(&p, &q)| f64::from(p.abs_diff(q))).sum::<f64>() / a.y.len() as f64;
            let (cw, ch) = a.chroma();
            // Mean difference of Cb and Cr with b's moved (dx, dy) samples, over the inside.
            let chroma = |dx: isize, dy: isize| {
                let at = |x: usize, y: usize, c: usize| 2 * (y * cw + x) + c;
                let (mut sum, mut count) = (0.0, 0.0);
                for y in 2..ch - 2 {
                    for x in 2..cw - 2 {
                        let (sx, sy) = (x.wrapping_add_signed(dx), y.wrapping_add_signed(dy));
                        for c in 0..2 {
                            sum += f64::from(a.cbcr[at(x, y, c)].abs_diff(b.cbcr[at(sx, sy, c)]));
                            count += 1.0;
                        }
                    }
                }
                sum / count
            };
            let centred = chroma(0, 0);
            assert!(luma < 0.5, "1/{denominator}: luma {luma:.2}");
            for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                let moved = chroma(dx, dy);
                assert!(moved > 1.5 * centred, "1/{denominator}: chroma {centred:.2}, moved ({dx}, {dy}) {moved:.2}");
            }
        }
        assert!(decode_planes(&full, 8, &Wanted::ALL).is_none(), "1/8 would need chroma at 1/16");
    }

    #[test]
    fn leaves_the_rest_to_jpeg_decoder() {
        let baseline = encode(64, 48, SamplingFactor::F_2_2, 0, false);
        assert!(decode(&baseline, 2).is_some());
        assert!(decode(&baseline, 1).is_none(), "full size");
        let mut progressive = Vec::new();
        let mut encoder = Encoder::new(&mut progressive, 85);
        encoder.set_progressive(true);
        encoder.encode(&picture(64, 48), 64, 48, ColorType::Rgb).unwrap();
        assert!(decode(&progressive, 2).is_none(), "progressive");
        let four_one = encode(64, 48, SamplingFactor::F_4_1, 0, false);
        assert!(decode(&four_one, 2).is_none(), "4:1:1");
        let mut cmyk = Vec::new();
        Encoder::new(&mut cmyk, 85).encode(&[0; 64 * 48 * 4], 64, 48, ColorType::Cmyk).unwrap();
        assert!(decode(&cmyk, 2).is_none(), "CMYK");
        // Cut short: jpeg-decoder decides what a truncated file gives.
        assert!(decode(&baseline[..baseline.len() - 40], 2).is_none(), "truncated");
        // A restart marker out of sequence.
        let restarts = encode(64, 48, SamplingFactor::F_2_2, 1, false);
        let mut swapped = restarts.clone();
        let first = swapped.windows(2).position(|w| w == [0xFF, 0xD0]).unwrap();
        swapped[first + 1] = 0xD3;
        assert!(decode(&restarts, 2).is_some());
        assert!(decode(&swapped, 2).is_none(), "RST3 where RST0 belongs");
    }
}
