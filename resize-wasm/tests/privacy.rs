//! No metadata from a source reaches any variant: photos carrying a camera name, a GPS position,
//! XMP and comments (tests/fixtures/private.*, made by make_fixtures.py with Pillow) in every input
//! format that can hold them, written out in every output format, and each output parsed.

use std::path::PathBuf;

use resize_wasm::{Fit, Format, Request, Variant, process};

const SECRET: &[u8] = b"PRIVATE-";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The markers before the first scan: only JFIF's APP0, tables, the frame and the scan.
fn jpeg_segments(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(&bytes[..2], [0xFF, 0xD8]);
    let (mut pos, mut markers) = (2, Vec::new());
    while pos + 4 <= bytes.len() && bytes[pos] == 0xFF {
        let marker = bytes[pos + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        pos += 2 + usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
    }
    markers
}

fn png_chunks(bytes: &[u8]) -> Vec<String> {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (mut pos, mut chunks) = (8, Vec::new());
    while pos + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&bytes[pos + 4..pos + 8]).into_owned());
        pos += 12 + length;
    }
    chunks
}

fn webp_chunks(bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP");
    let (mut pos, mut chunks) = (12, Vec::new());
    while pos + 8 <= bytes.len() {
        let length = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&bytes[pos..pos + 4]).into_owned());
        pos += 8 + length + length % 2;
    }
    chunks
}

/// The parsers below see the metadata where it is: in the inputs.
#[test]
fn the_parsers_find_the_inputs_metadata() {
    let jpeg = jpeg_segments(&fixture("private.jpg"));
    assert!(jpeg.contains(&0xE1) && jpeg.contains(&0xFE), "APP1 (EXIF, XMP) and COM: {jpeg:X?}");
    let png = png_chunks(&fixture("private.png"));
    assert!(["eXIf", "tEXt", "iTXt"].iter().all(|c| png.iter().any(|p| p == c)), "{png:?}");
    let webp = webp_chunks(&fixture("private.webp"));
    assert!(["VP8X", "EXIF", "XMP "].iter().all(|c| webp.iter().any(|p| p == c)), "{webp:?}");
}

#[test]
fn no_camera_gps_xmp_or_comment_reaches_any_output() {
    for input in ["private.jpg", "private.png", "private.webp", "private.tiff"] {
        let bytes = fixture(input);
        assert!(contains(&bytes, b"PRIVATE-CAMERA"), "{input} carries the camera in its EXIF");
        // The GPS directory pointer (tag 0x8825) in either byte order.
        assert!(contains(&bytes, &[0x88, 0x25]) || contains(&bytes, &[0x25, 0x88]), "{input} carries GPS");
        for format in [Format::Jpeg, Format::Png, Format::Webp] {
            let mut request = Request::seed();
            let template = request.variants[0].clone();
            request.variants = [(32, ""), (16, "_16")]
                .map(|(size, suffix)| Variant {
                    width: size,
                    height: size,
                    fit: Fit::Cover,
                    format,
                    suffix: suffix.into(),
                    ..template.clone()
                })
                .to_vec();
            for variant in process(&bytes, &request).unwrap().variants {
                let out = &variant.bytes;
                let what = format!("{input} -> {format:?}");
                assert!(!contains(out, SECRET), "{what}: a private string survived");
                assert!(!contains(out, b"Exif\0\0") && !contains(out, b"<x:xmpmeta"), "{what}: EXIF or XMP survived");
                match format {
                    Format::Jpeg => {
                        let markers = jpeg_segments(out);
                        assert!(
                            markers.iter().all(|m| matches!(m, 0xE0 | 0xDB | 0xC0 | 0xC2 | 0xC4 | 0xDD | 0xDA)),
                            "{what}: segments {markers:X?}"
                        );
                    }
                    Format::Png => {
                        let chunks = png_chunks(out);
                        assert!(
                            chunks.iter().all(|c| ["IHDR", "PLTE", "tRNS", "IDAT", "IEND"].contains(&c.as_str())),
                            "{what}: chunks {chunks:?}"
                        );
                    }
                    Format::Webp => {
                        let chunks = webp_chunks(out);
                        assert!(
                            chunks.iter().all(|c| ["VP8L", "VP8 ", "ALPH"].contains(&c.as_str())),
                            "{what}: chunks {chunks:?}"
                        );
                    }
                }
            }
        }
    }
}

/// What is stripped is first listed: the camera, the date and the GPS position each private
/// fixture carries are in the manifest (`source.metadata`), read the same way in every format
/// that holds EXIF; a source without EXIF lists nothing.
#[test]
fn the_metadata_found_is_listed() {
    for name in ["private.jpg", "private.png", "private.webp", "private.tiff"] {
        let output = process(&fixture(name), &Request::seed()).unwrap();
        let found = output.source.metadata.unwrap_or_else(|| panic!("{name}: no metadata listed"));
        assert_eq!(found.camera.as_deref(), Some("PRIVATE-CAMERA"), "{name}");
        // 52° 31' 12.5" N, 13° 24' 3.25" E, as make_fixtures.py writes it.
        let [lat, lon] = found.gps.unwrap_or_else(|| panic!("{name}: no GPS listed"));
        assert!((lat - 52.520139).abs() < 1e-6 && (lon - 13.400903).abs() < 1e-6, "{name}: {lat}, {lon}");
        assert!(found.fields >= 5, "{name}: {found:?}");
    }
    let photo = process(&fixture("exif/Landscape_6.jpg"), &Request::seed()).unwrap().source.metadata;
    assert!(photo.is_some_and(|m| m.fields >= 1), "the orientation tag is metadata too");
    assert_eq!(process(&fixture("plain.bmp"), &Request::seed()).unwrap().source.metadata, None);
}
