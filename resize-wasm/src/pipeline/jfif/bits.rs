//! The entropy-coded segment's bit writer: codes MSB first into a 64-bit accumulator, written
//! out four bytes at a time, each 0xFF byte followed by a stuffed 0x00 (T.81 F.1.2.3).

pub struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// `count` pending bits, in the low bits.
    acc: u64,
    count: u32,
}

impl<'a> BitWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, acc: 0, count: 0 }
    }

    /// The low `n` (at most 32) bits of `bits`.
    #[inline(always)]
    pub fn put(&mut self, bits: u32, n: u32) {
        self.acc = self.acc << n | u64::from(bits) & ((1 << n) - 1);
        self.count += n;
        if self.count >= 32 {
            self.count -= 32;
            let word = (self.acc >> self.count) as u32;
            self.word(word);
        }
    }

    #[inline(always)]
    fn word(&mut self, word: u32) {
        // No byte is 0xFF (the usual case): all four at once.
        let inverted = !word;
        if (inverted.wrapping_sub(0x0101_0101) & !inverted & 0x8080_8080) == 0 {
            self.out.extend_from_slice(&word.to_be_bytes());
        } else {
            for byte in word.to_be_bytes() {
                self.byte(byte);
            }
        }
    }

    fn byte(&mut self, byte: u8) {
        self.out.push(byte);
        if byte == 0xFF {
            self.out.push(0);
        }
    }

    /// Pads the last byte with ones (F.1.2.3) and writes what is pending.
    pub fn finish(mut self) {
        let pad = (8 - self.count % 8) % 8;
        self.put((1 << pad) - 1, pad);
        while self.count >= 8 {
            self.count -= 8;
            self.byte((self.acc >> self.count) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffing_and_padding() {
        let mut out = Vec::new();
        let mut bits = BitWriter::new(&mut out);
        bits.put(0xFF, 8);
        bits.put(0x12, 8);
        bits.put(0x3FF, 10); // eight ones, then 11
        bits.put(0, 2);
        bits.put(0xABCD_EF01, 32);
        bits.put(0b101, 3);
        bits.finish();
        assert_eq!(out, [0xFF, 0x00, 0x12, 0xFF, 0x00, 0xCA, 0xBC, 0xDE, 0xF0, 0x1B]);
    }
}
