//! Huffman tables built for the symbols one image uses (T.81 Annex K.2): the code lengths from
//! the symbols' frequencies, limited to 16 bits, and the codes they give (Annex C).

/// A table as the DHT segment carries it, and each symbol's code for writing.
pub struct Table {
    /// How many codes of each length 1..=16.
    pub counts: [u8; 16],
    /// The symbols, shortest code first.
    pub symbols: Vec<u8>,
    /// By symbol: code << 8 | length (0 for a symbol the image does not use).
    pub codes: [u32; 256],
}

impl Table {
    /// The optimal table for `frequencies` (of the 256 symbols).
    pub fn optimal(frequencies: &[u32; 256]) -> Self {
        let lengths = code_lengths(frequencies);
        let mut counts = [0u8; 16];
        let mut symbols = Vec::new();
        for length in 1..=16 {
            for (symbol, _) in lengths.iter().enumerate().filter(|&(_, &l)| l == length) {
                symbols.push(symbol as u8);
                counts[length - 1] += 1;
            }
        }
        // Annex C: codes of each length counting up from the previous length's next code, doubled.
        let mut codes = [0u32; 256];
        let (mut code, mut next) = (0u32, 0usize);
        for (length, &count) in counts.iter().enumerate() {
            for &symbol in &symbols[next..next + usize::from(count)] {
                codes[usize::from(symbol)] = code << 8 | (length as u32 + 1);
                code += 1;
            }
            next += usize::from(count);
            code <<= 1;
        }
        Self { counts, symbols, codes }
    }
}

/// Each symbol's code length (0 when unused). Figure K.1 with a reserved symbol of frequency 1,
/// so no code is all ones; then Figure K.3's adjustment down to 16 bits at most.
fn code_lengths(frequencies: &[u32; 256]) -> [usize; 256] {
    const RESERVED: usize = 256;
    let mut frequency: Vec<u64> = frequencies.iter().map(|&f| u64::from(f)).collect();
    frequency.push(1);
    let mut size = [0usize; 257];
    let mut others = [usize::MAX; 257];
    loop {
        // The two least frequent (ties: the larger symbol first) still in play.
        let (mut v1, mut v2) = (None::<usize>, None::<usize>);
        for (v, &f) in frequency.iter().enumerate().filter(|&(_, &f)| f > 0) {
            if v1.is_none_or(|a| f <= frequency[a]) {
                v2 = v1;
                v1 = Some(v);
            } else if v2.is_none_or(|b| f <= frequency[b]) {
                v2 = Some(v);
            }
        }
        let (Some(v1), Some(v2)) = (v1, v2) else { break };
        frequency[v1] += frequency[v2];
        frequency[v2] = 0;
        // Every symbol in either subtree gets one bit longer; v2's chain joins v1's.
        let last = lengthen(&mut size, &others, v1);
        others[last] = v2;
        lengthen(&mut size, &others, v2);
    }
    // Count codes per length (up to the deepest possible tree), then move long codes up.
    let mut bits = [0usize; 258];
    for &s in size.iter().filter(|&&s| s > 0) {
        bits[s] += 1;
    }
    let mut i = 257;
    while i > 16 {
        while bits[i] > 0 {
            let mut j = i - 2;
            while bits[j] == 0 {
                j -= 1;
            }
            bits[i] -= 2;
            bits[i - 1] += 1;
            bits[j + 1] += 2;
            bits[j] -= 1;
        }
        i -= 1;
    }
    // The reserved code goes: it has the longest.
    while bits[i] == 0 {
        i -= 1;
    }
    bits[i] -= 1;
    // Lengths back to the symbols, most frequent (shortest before adjusting) first.
    let mut order: Vec<usize> = (0..RESERVED).filter(|&v| size[v] > 0).collect();
    order.sort_by_key(|&v| (size[v], v));
    let mut lengths = [0usize; 256];
    let mut order = order.into_iter();
    for (length, &count) in bits.iter().enumerate().take(17) {
        for v in order.by_ref().take(count) {
            lengths[v] = length;
        }
    }
    lengths
}

/// One bit more for each symbol in the chain from `v`; the chain's last symbol.
fn lengthen(size: &mut [usize; 257], others: &[usize; 257], mut v: usize) -> usize {
    loop {
        size[v] += 1;
        if others[v] == usize::MAX {
            return v;
        }
        v = others[v];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft(table: &Table) -> f64 {
        table.counts.iter().enumerate().map(|(l, &c)| f64::from(c) / f64::from(1u32 << (l + 1))).sum()
    }

    #[test]
    fn frequent_symbols_get_short_codes_and_no_code_is_all_ones() {
        let mut frequencies = [0u32; 256];
        frequencies[0x01] = 1000;
        frequencies[0x00] = 500;
        frequencies[0x11] = 20;
        frequencies[0xF0] = 1;
        let table = Table::optimal(&frequencies);
        let length = |s: usize| table.codes[s] & 0xFF;
        assert!(length(0x01) <= length(0x00) && length(0x00) < length(0x11) && length(0x11) <= length(0xF0));
        assert_eq!(table.symbols.len(), 4);
        assert!(kraft(&table) < 1.0, "room left for the reserved code");
        for &s in &table.symbols {
            let (code, length) = (table.codes[usize::from(s)] >> 8, table.codes[usize::from(s)] & 0xFF);
            assert_ne!(code, (1 << length) - 1, "symbol {s:#x} is all ones");
        }
    }

    #[test]
    fn lengths_are_limited_to_sixteen_bits() {
        // Fibonacci frequencies make the deepest tree: one more level for each symbol.
        let mut frequencies = [0u32; 256];
        let (mut a, mut b) = (1u32, 1u32);
        for f in frequencies.iter_mut().take(30) {
            *f = a;
            (a, b) = (b, a + b);
        }
        let table = Table::optimal(&frequencies);
        assert_eq!(table.symbols.len(), 30);
        assert!(table.codes.iter().all(|&c| c & 0xFF <= 16));
        assert!(kraft(&table) < 1.0);
        // One used symbol still gets a code (of one bit: the reserved one is the other).
        let mut one = [0u32; 256];
        one[7] = 5;
        assert_eq!(Table::optimal(&one).codes[7], 1);
    }
}
