//! What the soak uploads, in a fixed repeating order: real photos (the corpus photo and alpha
//! PNG), the 16 EXIF orientation photos, and hostile files the server must refuse.

use std::path::Path;

use anyhow::Context;

pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Whether the server must store it (201) when storage is up.
    pub valid: bool,
}

pub fn load(corpus: &Path) -> anyhow::Result<Vec<Input>> {
    let read = |name: &str| std::fs::read(corpus.join(name)).with_context(|| format!("{}/{name}", corpus.display()));
    let photo = read("photo-2725x2225.jpg")?;
    let mut inputs = vec![
        Input { name: "photo.jpg".into(), bytes: photo.clone(), valid: true },
        Input { name: "alpha.png".into(), bytes: read("alpha-2048x1536.png")?, valid: true },
    ];
    for orientation in 1..=8 {
        for shape in ["Landscape", "Portrait"] {
            let name = format!("{shape}_{orientation}.jpg");
            inputs.push(Input { bytes: read(&format!("exif/{name}"))?, name, valid: true });
        }
    }
    let hostile = [
        ("truncated.jpg", photo[..photo.len() / 3].to_vec()),
        ("random.jpg", pseudo_random(50_000)),
        ("text.jpg", b"just some text, not an image\n".repeat(100)),
        ("empty.jpg", Vec::new()),
        ("huge-claim.jpg", claims_65500(&photo)),
        ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>".to_vec()),
    ];
    inputs.extend(hostile.into_iter().map(|(name, bytes)| Input { name: name.into(), bytes, valid: false }));
    Ok(inputs)
}

/// The photo with its frame header claiming 65500x65500 pixels.
fn claims_65500(photo: &[u8]) -> Vec<u8> {
    let mut jpeg = photo.to_vec();
    if let Some(sof) = jpeg.windows(2).position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2]) {
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xDC, 0xFF, 0xDC]);
    }
    jpeg
}

fn pseudo_random(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}
