//! Step 2b: the EXIF metadata found in the source (camera, date taken, GPS position), reported
//! so a person sees what the variants leave out. Nothing here changes the pixels, and no
//! metadata is ever copied to a variant (encode.rs writes none).

use exif::{Exif, Field, In, Tag, Value};

use crate::Metadata;

/// The source's EXIF block (limits.rs reads it with the header) as a [`Metadata`]; `None`
/// without one. A block that does not parse is as good as none: it is never copied anyway.
pub fn read(raw: Option<&[u8]>) -> Option<Metadata> {
    let exif = exif::Reader::new().read_raw(raw?.to_vec()).ok()?;
    let text = |tag| ascii(exif.get_field(tag, In::PRIMARY)?);
    let camera = match (text(Tag::Make), text(Tag::Model)) {
        (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (make, model) => make.or(model),
    };
    Some(Metadata {
        camera,
        taken: text(Tag::DateTimeOriginal).or_else(|| text(Tag::DateTime)),
        gps: gps(&exif),
        software: text(Tag::Software),
        fields: exif.fields().len(),
    })
}

fn ascii(field: &Field) -> Option<String> {
    let Value::Ascii(parts) = &field.value else { return None };
    let text = String::from_utf8_lossy(parts.first()?).trim().trim_end_matches('\0').to_string();
    (!text.is_empty()).then_some(text)
}

/// Degrees, minutes and seconds with their N/S, E/W references, as signed degrees.
fn gps(exif: &Exif) -> Option<[f64; 2]> {
    let coordinate = |value: Tag, reference: Tag, negative: u8| {
        let Value::Rational(dms) = &exif.get_field(value, In::PRIMARY)?.value else { return None };
        let [d, m, s] = [dms.first()?, dms.get(1)?, dms.get(2)?].map(|r| r.to_f64());
        let degrees = d + m / 60.0 + s / 3600.0;
        let sign = match &exif.get_field(reference, In::PRIMARY)?.value {
            Value::Ascii(r) if r.first()?.first() == Some(&negative) => -1.0,
            _ => 1.0,
        };
        degrees.is_finite().then_some(sign * degrees)
    };
    Some([
        coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?,
        coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?,
    ])
}
