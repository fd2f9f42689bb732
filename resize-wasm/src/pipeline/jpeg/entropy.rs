//! The entropy-coded segment: its bits without stuffing, split at restart markers, and Huffman
//! tables with an 11-bit lookup for the common short codes.

/// Codes up to this many bits decode with one table lookup; longer ones walk the code lengths.
const LOOKUP_BITS: u32 = 11;

/// The largest AC value size 8-bit samples need (T.81 F.1.2.2: 10).
const MAX_AC_SIZE: u32 = 10;

/// The scan's entropy-coded data without its stuffing, one restart interval after another, each
/// starting on a fresh 32-bit word: the bit reader then loads a whole word at a time, with no
/// marker to look out for. Kept back to front (the data's byte i at `len - 1 - i`), so that a
/// word is one little-endian load, which is wasm's, and reads the bytes first to last, as the
/// bits go: a byte swap is a dozen instructions in wasm.
pub struct Segments {
    reversed: Vec<u8>,
    /// Each interval's first bit and the bit after its last.
    bounds: Vec<(usize, usize)>,
}

impl Segments {
    /// Splits at RST0..RST7 (in their cyclic order) and stops at any other marker or the end.
    /// Sixteen bytes at a time, each chunk stored whole and counted up to its first 0xFF (most
    /// chunks have none), then byte by byte over the 0xFF and what it starts.
    pub fn new(scan: &[u8]) -> Self {
        // Room for a whole chunk past what is kept; restarts' padding can outgrow the markers
        // it replaces (up to 3 bytes for 2), so the room is checked again at each one.
        let room = |len: usize, pos: usize| len + (scan.len() - pos) + 20;
        let mut bytes = vec![0; room(0, 0)];
        let mut bounds = Vec::new();
        let (mut start, mut pos, mut len) = (0, 0, 0);
        loop {
            while let Some(sixteen) = scan.get(pos..).and_then(|rest| rest.first_chunk::<16>()) {
                bytes[len..len + 16].copy_from_slice(sixteen);
                let clean = before_ff(sixteen);
                (len, pos) = (len + clean, pos + clean);
                if clean < 16 {
                    break;
                }
            }
            let marker = match scan.get(pos..) {
                Some([0xFF, 0x00, ..]) => {
                    bytes[len] = 0xFF;
                    (len, pos) = (len + 1, pos + 2);
                    continue;
                }
                Some([0xFF, 0xFF, ..]) => {
                    pos += 1;
                    continue;
                }
                Some([0xFF, marker, ..]) => Some(*marker),
                Some([byte, ..]) if *byte != 0xFF => {
                    bytes[len] = *byte;
                    (len, pos) = (len + 1, pos + 1);
                    continue;
                }
                _ => None,
            };
            bounds.push((start * 8, len * 8));
            let expected = 0xD0 + (bounds.len() - 1) as u8 % 8;
            len = pad(&mut bytes, len);
            if marker != Some(expected) {
                break;
            }
            pos += 2;
            if bytes.len() < room(len, pos) {
                bytes.resize(room(len, pos), 0);
            }
            start = len;
        }
        bytes.truncate(len);
        bytes.reverse();
        Self { reversed: bytes, bounds }
    }

    /// Restart interval `i`'s bits, if the scan has that many.
    pub fn interval(&self, i: usize) -> Option<Bits<'_>> {
        let &(start, end) = self.bounds.get(i)?;
        Some(Bits { reversed: &self.reversed, next: start / 32, acc: 0, count: 0, end })
    }
}

/// `len` bytes of `bytes` kept, zeros after them to a whole 32-bit word: the new length.
fn pad(bytes: &mut [u8], len: usize) -> usize {
    bytes[len..len + 4].copy_from_slice(&[0; 4]);
    len.next_multiple_of(4)
}

/// How many of the sixteen bytes come before the first 0xFF (16 if none): one comparison of a
/// vector in the module (`position` was a loop of sixteen, `contains` a call to a scalar
/// memchr there).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn before_ff(sixteen: &[u8; 16]) -> usize {
    use core::arch::wasm32::*;
    // SAFETY: sixteen bytes; v128_load takes any alignment.
    let v = unsafe { v128_load(sixteen.as_ptr().cast()) };
    (u32::from(u8x16_bitmask(u8x16_eq(v, u8x16_splat(0xFF)))) | 1 << 16).trailing_zeros() as usize
}

/// The same: the complement's lowest zero byte, whose flag the borrow cannot have set falsely
/// (flags above it may be).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn before_ff(sixteen: &[u8; 16]) -> usize {
    let inverted = !u128::from_le_bytes(*sixteen);
    let flags = inverted.wrapping_sub(0x0101_0101_0101_0101_0101_0101_0101_0101)
        & !inverted
        & (0x80 * 0x0101_0101_0101_0101_0101_0101_0101_0101);
    (flags.trailing_zeros() / 8) as usize
}

/// A 64-bit accumulator topped up a word at a time: in compiled wasm a peek is one shift of a
/// register, where reading two words at a bit position for every code cost a dozen instructions.
pub struct Bits<'a> {
    reversed: &'a [u8],
    /// The next word (four bytes) to load.
    next: usize,
    /// The bits not yet read, from the most significant; `count` of them are loaded.
    acc: u64,
    count: u32,
    end: usize,
}

impl Bits<'_> {
    /// At least 32 bits loaded: enough for any code and the value after it. Past the data's end
    /// the bits are zeros (`intact` tells).
    #[inline(always)]
    fn refill(&mut self) {
        if self.count < 32 {
            let at = self.reversed.len().wrapping_sub(4 * (self.next + 1));
            let four = self.reversed.get(at..).and_then(|rest| rest.first_chunk::<4>());
            let word = u64::from(four.map_or(0, |four| u32::from_le_bytes(*four)));
            self.acc |= word << (32 - self.count);
            self.next += 1;
            self.count += 32;
        }
    }

    /// The next `n` (1..=32) bits; refilled first by whoever reads a code.
    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// `n` (1..=10) bits just consumed, `raw`, given back: the reader is as before it took them.
    #[inline(always)]
    fn unconsume(&mut self, raw: u32, n: u32) {
        self.acc = self.acc >> n | u64::from(raw) << (64 - n);
        self.count += n;
    }

    /// `n` (1..=16) bits as the signed value they code.
    #[inline(always)]
    pub fn signed(&mut self, n: u32) -> i32 {
        self.refill();
        self.signed_loaded(n)
    }

    /// `signed` when at least `n` bits are loaded: after a code read from a refill (16 bits
    /// at most of the 32) for a value of up to 16 bits.
    #[inline(always)]
    pub fn signed_loaded(&mut self, n: u32) -> i32 {
        let raw = self.peek(n);
        self.consume(n);
        extend(raw, n)
    }

    /// True while every bit read was the interval's own (a scan cut short reads past its end).
    pub fn intact(&self) -> bool {
        self.next * 32 - self.count as usize <= self.end
    }
}

/// `size` bits read as the signed value they code (T.81 F.2.2.1, EXTEND); `raw` itself for
/// size 0.
#[inline(always)]
fn extend(raw: u32, size: u32) -> i32 {
    if raw < (1 << size) >> 1 { raw as i32 - (1 << size) + 1 } else { raw as i32 }
}

pub struct Huffman {
    /// Indexed by the next LOOKUP_BITS bits: code length << 8 | symbol, or 0 for a longer code.
    lookup: Box<[u16; 1 << LOOKUP_BITS]>,
    /// For lengths 1..=16: the largest code of that length (-1 if none) and where its symbols
    /// start in `symbols`, minus the first code.
    max_code: [i32; 17],
    offset: [i32; 17],
    symbols: Vec<u8>,
    /// By the same LOOKUP_BITS bits, for AC codes: the bits a code and its value take together
    /// << 16 | the code's length << 8 | its symbol, or 0 for a longer code (or a value too
    /// large for 8-bit samples). The next code's position is then one lookup away, the value
    /// read beside it: that chain of lookups is the decoder's bound, not the instructions.
    coefficient: Box<[u32; 1 << LOOKUP_BITS]>,
    /// By the same bits again, for AC codes: up to two codes and their values when all of them
    /// lie within those bits (`Pair`), or 0. Two coefficients for one lookup where the bits
    /// allow it (two short codes with small values, or one and the end of block): the lookups'
    /// chain is what bounds the decoder.
    pairs: Box<[u64; 1 << LOOKUP_BITS]>,
}

/// Up to two AC codes with their values, read from one lookup (`Huffman::pairs`).
#[derive(Clone, Copy)]
pub struct Pair(u64);

impl Pair {
    /// Bits taken (0 for none: the codes are longer than the lookup, read them one at a time).
    #[inline(always)]
    fn total(self) -> u32 {
        self.0 as u32 & 15
    }

    #[inline(always)]
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The first code's symbol and value.
    #[inline(always)]
    pub fn first(self) -> (u8, i32) {
        ((self.0 >> 8) as u8, ((self.0 << 19) as i64 >> 53) as i32)
    }

    /// Whether a second code was read (only ever after a coefficient).
    #[inline(always)]
    pub fn has_second(self) -> bool {
        self.second_bits() > 0
    }

    /// The second code's symbol and value; without one, (1, 0): a zero in the next place,
    /// which the caller can store without a branch, and not count.
    #[inline(always)]
    pub fn second(self) -> (u8, i32) {
        ((self.0 >> 16) as u8, ((self.0 << 8) as i64 >> 53) as i32)
    }

    #[inline(always)]
    fn second_bits(self) -> u32 {
        (self.0 >> 4) as u32 & 15
    }

    /// The second code and its value given back: a block's 63rd coefficient ends it, and the
    /// bits after it begin the next block.
    #[inline(always)]
    pub fn give_back_second(self, bits: &mut Bits) {
        bits.unconsume((self.0 >> 24) as u32 & 0x3FF, self.second_bits());
    }

    /// Packed: total bits, the second's bits, first symbol, second symbol, the second's raw
    /// bits (10), the first value and the second (11 bits each, signed).
    fn new(total: u32, first: (u8, i32), second: Option<(u8, i32, u32, u32)>) -> Self {
        let (symbol2, value2, raw2, bits2) = second.unwrap_or((1, 0, 0, 0));
        let field = |value: i32| u64::from(value as u32 & 0x7FF);
        Self(
            u64::from(total)
                | u64::from(bits2) << 4
                | u64::from(first.0) << 8
                | u64::from(symbol2) << 16
                | u64::from(raw2) << 24
                | field(first.1) << 34
                | field(value2) << 45,
        )
    }
}

impl Huffman {
    /// From a DHT segment's 16 counts and its symbols; `None` if they do not form a code.
    pub fn new(counts: &[u8; 16], symbols: &[u8]) -> Option<Self> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total != symbols.len() || total > 256 {
            return None;
        }
        let mut lookup = Box::new([0u16; 1 << LOOKUP_BITS]);
        let mut max_code = [-1i32; 17];
        let mut offset = [0i32; 17];
        let (mut code, mut index) = (0i32, 0usize);
        for len in 1..=16u32 {
            let count = usize::from(counts[len as usize - 1]);
            offset[len as usize] = index as i32 - code;
            for &symbol in &symbols[index..index + count] {
                if code >= 1 << len {
                    return None;
                }
                if len <= LOOKUP_BITS {
                    let shift = LOOKUP_BITS - len;
                    let first = (code as usize) << shift;
                    lookup[first..first + (1 << shift)].fill((len as u16) << 8 | u16::from(symbol));
                }
                code += 1;
            }
            index += count;
            if count > 0 {
                max_code[len as usize] = code - 1;
            }
            code <<= 1;
        }
        let coefficient = Box::new(std::array::from_fn(|bits| {
            let (len, symbol) = (u32::from(lookup[bits] >> 8), u32::from(lookup[bits] & 0xFF));
            let size = symbol & 15;
            if len == 0 || size > MAX_AC_SIZE {
                return 0;
            }
            (len + size) << 16 | len << 8 | symbol
        }));
        let pairs = Box::new(std::array::from_fn(|bits| Self::pair_at(&lookup, bits as u32).0));
        Some(Self { lookup, max_code, offset, symbols: symbols.to_vec(), coefficient, pairs })
    }

    /// What the next LOOKUP_BITS bits, `bits`, hold in full: one AC code and its value, and a
    /// second after it when the first is a coefficient (not the end of block or a run of 16).
    fn pair_at(lookup: &[u16; 1 << LOOKUP_BITS], bits: u32) -> Pair {
        // A code and its value starting `at` bits in: symbol, value, bits taken, raw bits.
        let read = |at: u32| {
            let entry = lookup[(bits << at) as usize & ((1 << LOOKUP_BITS) - 1)];
            let (len, symbol) = (u32::from(entry >> 8), entry as u8);
            let size = u32::from(symbol & 15);
            let taken = len + size;
            if len == 0 || size > MAX_AC_SIZE || at + taken > LOOKUP_BITS {
                return None;
            }
            let raw = (bits >> (LOOKUP_BITS - at - taken)) & ((1 << taken) - 1);
            Some((symbol, extend(raw & ((1 << size) - 1), size), taken, raw))
        };
        let Some((symbol, value, first, _)) = read(0) else { return Pair(0) };
        let second = if symbol & 15 > 0 { read(first) } else { None };
        let total = first + second.map_or(0, |(_, _, taken, _)| taken);
        Pair::new(total, (symbol, value), second.map(|(symbol, value, taken, raw)| (symbol, value, raw, taken)))
    }

    /// One or two AC codes with their values from one lookup, consumed; `Pair::is_none` when
    /// the next code or its value reaches past the lookup (then `coefficient`).
    #[inline(always)]
    pub fn pair(&self, bits: &mut Bits) -> Pair {
        bits.refill();
        let pair = Pair(self.pairs[bits.peek(LOOKUP_BITS) as usize]);
        bits.consume(pair.total());
        pair
    }

    /// An AC code and the value after it: (its symbol, the value; any for size 0).
    #[inline(always)]
    pub fn coefficient(&self, bits: &mut Bits) -> Option<(u8, i32)> {
        bits.refill();
        let entry = self.coefficient[bits.peek(LOOKUP_BITS) as usize];
        if entry == 0 {
            let symbol = self.decode(bits)?;
            let size = u32::from(symbol & 15);
            if size > MAX_AC_SIZE {
                return None;
            }
            return Some((symbol, if size > 0 { bits.signed(size) } else { 0 }));
        }
        let (len, size) = ((entry >> 8) & 31, entry & 15);
        let raw = (bits.acc << len).wrapping_shr(64 - size) as u32;
        bits.consume(entry >> 16);
        Some((entry as u8, extend(raw, size)))
    }

    #[inline(always)]
    pub fn decode(&self, bits: &mut Bits) -> Option<u8> {
        bits.refill();
        let entry = self.lookup[bits.peek(LOOKUP_BITS) as usize];
        if entry != 0 {
            bits.consume(u32::from(entry >> 8));
            return Some(entry as u8);
        }
        for len in LOOKUP_BITS + 1..=16 {
            let code = bits.peek(len) as i32;
            if code <= self.max_code[len as usize] {
                bits.consume(len);
                return self.symbols.get((self.offset[len as usize] + code) as usize).copied();
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffing_restarts_and_the_end() {
        // 0xFF 0x00 is one 0xFF byte; RST0 starts the next interval; EOI ends the data.
        let segments = Segments::new(&[0xFF, 0x00, 0x81, 0xFF, 0xD0, 0x42, 0xFF, 0xD9]);
        let mut bits = segments.interval(0).unwrap();
        bits.refill();
        assert_eq!(bits.peek(16), 0xFF81);
        bits.consume(16);
        assert!(bits.intact());
        bits.consume(1);
        assert!(!bits.intact(), "past the interval's end");
        let mut second = segments.interval(1).unwrap();
        second.refill();
        assert_eq!(second.peek(8), 0x42);
        second.consume(8);
        assert!(second.intact());
        assert!(segments.interval(2).is_none());
        // RST1 where RST0 belongs: the data stops there.
        assert!(Segments::new(&[0x12, 0xFF, 0xD1, 0x34]).interval(1).is_none());
    }

    #[test]
    fn long_runs_between_stuffed_bytes() {
        // Twenty bytes, a stuffed 0xFF, twelve more, RST0, then seventeen: the sixteen-byte
        // path, the byte path and a restart, read back in order.
        let first: Vec<u8> = (1..=20).chain([0xFF]).chain(21..=32).collect();
        let second: Vec<u8> = (100..117).collect();
        let mut scan: Vec<u8> = (1..=20).chain([0xFF, 0x00]).chain(21..=32).collect();
        scan.extend([0xFF, 0xD0]);
        scan.extend(&second);
        let segments = Segments::new(&scan);
        for (i, expected) in [first, second].iter().enumerate() {
            let mut bits = segments.interval(i).unwrap();
            for &byte in expected {
                bits.refill();
                assert_eq!(bits.peek(8), u32::from(byte), "interval {i}");
                bits.consume(8);
            }
            assert!(bits.intact());
        }
        for at in 0..16 {
            let mut sixteen = [0x12; 16];
            assert_eq!(before_ff(&sixteen), 16);
            sixteen[at] = 0xFF;
            assert_eq!(before_ff(&sixteen), at);
            sixteen[15] = 0xFF;
            sixteen[at..].iter_mut().step_by(2).for_each(|b| *b = 0xFF);
            assert_eq!(before_ff(&sixteen), at, "0xFF at {at} and after it");
        }
    }

    #[test]
    fn signed_values() {
        let segments = Segments::new(&[0b0110_1000, 0]);
        let mut bits = segments.interval(0).unwrap();
        assert_eq!(bits.signed(3), -4, "011 in three bits");
        assert_eq!(bits.signed(2), -2, "01 in two bits");
        assert_eq!(bits.signed(1), -1);
    }

    #[test]
    fn codes_short_and_long() {
        // Two 2-bit codes (00 -> 7, 01 -> 9), then one of 12 bits (100000000000 -> 42).
        let mut counts = [0u8; 16];
        counts[1] = 2;
        counts[11] = 1;
        let table = Huffman::new(&counts, &[7, 9, 42]).unwrap();
        let segments = Segments::new(&[0b0001_1000, 0b0000_0000, 0b0100_0000]);
        let mut bits = segments.interval(0).unwrap();
        assert_eq!(table.decode(&mut bits), Some(7));
        assert_eq!(table.decode(&mut bits), Some(9));
        assert_eq!(table.decode(&mut bits), Some(42));
        assert_eq!(table.decode(&mut bits), Some(9));
        // Too many codes for their lengths is not a code.
        assert!(Huffman::new(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[1, 2, 3]).is_none());
    }

    #[test]
    fn coefficients_in_the_lookup_and_past_it() {
        // 00 -> end of block, 01 -> run 2 size 10, 10 -> run 0 size 1, and a 12-bit code
        // (110000000000) -> sixteen zeros.
        let mut counts = [0u8; 16];
        counts[1] = 3;
        counts[11] = 1;
        let table = Huffman::new(&counts, &[0x00, 0x2A, 0x01, 0xF0]).unwrap();
        // 01 1000000001 (+513: code and value take 12 bits, past the lookup), 01 0111111110
        // (-513), 10 0 (-1), 110000000000, 00.
        let segments = Segments::new(&[0b0110_0000, 0b0001_0101, 0b1111_1110, 0b1001_1000, 0b0000_0000, 0]);
        let mut bits = segments.interval(0).unwrap();
        assert_eq!(table.coefficient(&mut bits), Some((0x2A, 513)));
        assert_eq!(table.coefficient(&mut bits), Some((0x2A, -513)));
        assert_eq!(table.coefficient(&mut bits), Some((0x01, -1)));
        assert_eq!(table.coefficient(&mut bits).map(|(symbol, _)| symbol), Some(0xF0));
        assert_eq!(table.coefficient(&mut bits).map(|(symbol, _)| symbol), Some(0x00));
        // Two codes with their values in one lookup, then the end of block alone: 10 0 (-1),
        // 10 1 (+1), 00. A second code given back reads again.
        let segments = Segments::new(&[0b1001_0100, 0, 0]);
        let mut bits = segments.interval(0).unwrap();
        let pair = table.pair(&mut bits);
        assert_eq!((pair.first(), pair.has_second(), pair.second()), ((0x01, -1), true, (0x01, 1)));
        let end = table.pair(&mut bits);
        assert_eq!((end.first().0, end.has_second()), (0x00, false));
        let mut bits = segments.interval(0).unwrap();
        table.pair(&mut bits).give_back_second(&mut bits);
        assert_eq!(table.coefficient(&mut bits), Some((0x01, 1)));
        assert_eq!(table.coefficient(&mut bits).map(|(symbol, _)| symbol), Some(0x00));
        // A code whose value reaches past the lookup is left to `coefficient`.
        let long = Segments::new(&[0b0110_0000, 0b0001_0000]);
        let mut bits = long.interval(0).unwrap();
        assert!(table.pair(&mut bits).is_none());
        assert_eq!(table.coefficient(&mut bits), Some((0x2A, 513)));
        // Values of more than ten bits do not occur with 8-bit samples.
        let wide = Huffman::new(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[0x0B]).unwrap();
        assert_eq!(wide.coefficient(&mut Segments::new(&[0, 0, 0]).interval(0).unwrap()), None);
    }
}
