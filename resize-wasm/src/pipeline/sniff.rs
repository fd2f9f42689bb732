//! Step 1: tell the format from the first bytes, never from a file name or a declared type.

use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
    Bmp,
    Tiff,
}

impl SourceFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Gif => "gif",
            Self::Bmp => "bmp",
            Self::Tiff => "tiff",
        }
    }
}

pub fn sniff(bytes: &[u8]) -> Result<SourceFormat, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let format = if starts(b"\xFF\xD8\xFF") {
        SourceFormat::Jpeg
    } else if starts(b"\x89PNG\r\n\x1A\n") {
        SourceFormat::Png
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        SourceFormat::Gif
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        SourceFormat::Webp
    } else if starts(b"BM") && bytes.len() >= 26 {
        SourceFormat::Bmp
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        SourceFormat::Tiff
    } else {
        return Err(Error::UnsupportedFormat { detected: describe_unsupported(bytes) });
    };
    Ok(format)
}

/// A name for the commonest things people upload by mistake, so the error can say what was seen.
fn describe_unsupported(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let name = if head.starts_with(b"%PDF") {
        "pdf"
    } else if text.contains("<svg") {
        "svg"
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        match &head[8..12] {
            b"avif" | b"avis" => "avif",
            b"heic" | b"heix" | b"mif1" | b"msf1" => "heif",
            _ => "iso media",
        }
    } else if head.starts_with(b"\x00\x00\x01\x00") {
        "ico"
    } else if text.trim_start().starts_with('<') {
        "html or xml"
    } else if head.iter().all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace()) {
        "text"
    } else {
        return None;
    };
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_magic_numbers_are_recognised() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Ok(SourceFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1A\nrest"), Ok(SourceFormat::Png));
        assert_eq!(sniff(b"GIF89a...."), Ok(SourceFormat::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Ok(SourceFormat::Webp));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Ok(SourceFormat::Tiff));
    }

    #[test]
    fn empty_input_is_its_own_error() {
        assert_eq!(sniff(b""), Err(Error::Empty));
    }

    #[test]
    fn svg_pdf_and_text_are_named_in_the_error() {
        let named = |b: &[u8]| match sniff(b) {
            Err(Error::UnsupportedFormat { detected }) => detected,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            named(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>").as_deref(),
            Some("svg")
        );
        assert_eq!(named(b"%PDF-1.7\n").as_deref(), Some("pdf"));
        assert_eq!(named(b"hello world\n").as_deref(), Some("text"));
        assert_eq!(named(&[0u8, 1, 2, 3, 250, 251]), None);
    }
}
