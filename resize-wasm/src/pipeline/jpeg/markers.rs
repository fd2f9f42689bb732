//! The segments before the first scan: frame, tables, restart interval and colour hints. Anything
//! outside the baseline subset we decode makes `parse` return `None`.

use super::entropy::Huffman;

pub struct Component {
    pub h: usize,
    pub v: usize,
    pub quant: usize,
    pub dc: usize,
    pub ac: usize,
}

pub struct Parsed<'a> {
    pub width: usize,
    pub height: usize,
    /// In scan order, which is required to be frame order.
    pub components: Vec<Component>,
    /// Quantisation tables in zigzag order.
    pub quant: [[u16; 64]; 4],
    pub dc: [Option<Huffman>; 4],
    pub ac: [Option<Huffman>; 4],
    pub restart_interval: usize,
    /// The bytes after the first scan's header: its entropy-coded data, then whatever follows.
    pub scan: &'a [u8],
}

struct Frame {
    width: usize,
    height: usize,
    /// Identifier, sampling and quantisation table of each component.
    components: Vec<(u8, usize, usize, usize)>,
}

pub fn parse(bytes: &[u8]) -> Option<Parsed<'_>> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut pos = 2;
    let mut frame = None;
    let mut quant = [[0u16; 64]; 4];
    let (mut dc, mut ac): ([Option<Huffman>; 4], [Option<Huffman>; 4]) = Default::default();
    let mut restart_interval = 0;
    let mut adobe_transform = None;
    loop {
        // Fill bytes may precede a marker.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(pos + 1)?;
        let length = usize::from(u16::from_be_bytes([*bytes.get(pos + 2)?, *bytes.get(pos + 3)?]));
        // Markers without a segment (RSTn, SOI, TEM) have no business here.
        if length < 2 || matches!(marker, 0xD0..=0xD8 | 0x01) {
            return None;
        }
        let body = bytes.get(pos + 4..pos + 2 + length)?;
        match marker {
            0xC0 | 0xC1 => frame = Some(read_frame(body)?),
            0xDB => read_quant(body, &mut quant)?,
            0xC4 => read_huffman(body, &mut dc, &mut ac)?,
            0xDD => restart_interval = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?])),
            0xEE if body.starts_with(b"Adobe") => adobe_transform = Some(*body.get(11)?),
            0xDA => {
                let frame = frame?;
                let components = read_scan(body, &frame)?;
                let rgb = adobe_transform == Some(0) || frame.components.iter().map(|c| c.0).eq([b'R', b'G', b'B']);
                if rgb && frame.components.len() == 3 {
                    return None;
                }
                let tables_present = components.iter().all(|c| dc[c.dc].is_some() && ac[c.ac].is_some());
                if !tables_present {
                    return None;
                }
                return Some(Parsed {
                    width: frame.width,
                    height: frame.height,
                    components,
                    quant,
                    dc,
                    ac,
                    restart_interval,
                    scan: bytes.get(pos + 2 + length..)?,
                });
            }
            // Other frame types (progressive, lossless, arithmetic), DNL, EOI before a scan.
            0xC2..=0xCF | 0xDC | 0xD9 => return None,
            _ => {}
        }
        pos += 2 + length;
    }
}

fn read_frame(body: &[u8]) -> Option<Frame> {
    let [precision, h0, h1, w0, w1, count, ..] = *body else { return None };
    let (height, width) = (usize::from(u16::from_be_bytes([h0, h1])), usize::from(u16::from_be_bytes([w0, w1])));
    if precision != 8 || width == 0 || height == 0 || !(count == 1 || count == 3) {
        return None;
    }
    let components = body
        .get(6..6 + 3 * usize::from(count))?
        .chunks_exact(3)
        .map(|c| (c[0], usize::from(c[1] >> 4), usize::from(c[1] & 15), usize::from(c[2])))
        .collect::<Vec<_>>();
    let valid = components.iter().all(|&(_, h, v, q)| (1..=2).contains(&h) && (1..=2).contains(&v) && q < 4);
    // Colour: luma carries the finest sampling, both chroma components are 1x1.
    let sampling_ok = count == 1 || components[1..].iter().all(|&(_, h, v, _)| h == 1 && v == 1);
    (valid && sampling_ok).then_some(Frame { width, height, components })
}

fn read_quant(mut body: &[u8], quant: &mut [[u16; 64]; 4]) -> Option<()> {
    while let [info, rest @ ..] = body {
        let (wide, id) = (info >> 4, usize::from(info & 15));
        let table = quant.get_mut(id)?;
        let size = if wide == 1 { 128 } else { 64 };
        let values = rest.get(..size)?;
        for (k, value) in table.iter_mut().enumerate() {
            *value =
                if wide == 1 { u16::from_be_bytes([values[2 * k], values[2 * k + 1]]) } else { u16::from(values[k]) };
        }
        body = &rest[size..];
    }
    Some(())
}

fn read_huffman(mut body: &[u8], dc: &mut [Option<Huffman>; 4], ac: &mut [Option<Huffman>; 4]) -> Option<()> {
    while let [info, rest @ ..] = body {
        let counts: [u8; 16] = rest.get(..16)?.try_into().ok()?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = rest.get(16..16 + total)?;
        let table = Huffman::new(&counts, symbols)?;
        let id = usize::from(info & 15);
        match info >> 4 {
            0 => *dc.get_mut(id)? = Some(table),
            1 => *ac.get_mut(id)? = Some(table),
            _ => return None,
        }
        body = &rest[16 + total..];
    }
    Some(())
}

/// The first scan must hold every component, in frame order, with a baseline spectral range.
fn read_scan(body: &[u8], frame: &Frame) -> Option<Vec<Component>> {
    let count = usize::from(*body.first()?);
    let selectors = body.get(1..1 + 2 * count)?;
    let [start, end, approximation] = *body.get(1 + 2 * count..4 + 2 * count)? else { return None };
    if count != frame.components.len() || start != 0 || end != 63 || approximation != 0 {
        return None;
    }
    selectors
        .chunks_exact(2)
        .zip(&frame.components)
        .map(|(s, &(id, h, v, quant))| {
            let (dc, ac) = (usize::from(s[1] >> 4), usize::from(s[1] & 15));
            (s[0] == id && dc < 4 && ac < 4).then_some(Component { h, v, quant, dc, ac })
        })
        .collect()
}
