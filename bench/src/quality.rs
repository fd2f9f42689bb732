//! The quality figure, computed the same way for every contender: SSIM of the output's luma
//! against a reference made here from the full-resolution source (centre crop to the output's
//! aspect ratio, then a floating-point Lanczos3 resize to the output's size). Alpha sources are
//! composited over white first, on both sides (for premultiplied resampling the two orders agree).
//! The SSIM itself is the module's (`pipeline::quality`), the figure its manifest reports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, RgbImage};
use resize_wasm::pipeline::quality;

#[derive(Default)]
pub struct Judge {
    sources: HashMap<PathBuf, RgbImage>,
    references: HashMap<(PathBuf, u32, u32), Vec<f64>>,
}

impl Judge {
    /// SSIM (1 = identical) of `output`, an encoded image, against the reference of `source`.
    pub fn ssim(&mut self, source: &Path, output: &Path) -> anyhow::Result<f64> {
        let out = open(output)?;
        let (w, h) = out.dimensions();
        let key = (source.to_path_buf(), w, h);
        if !self.references.contains_key(&key) {
            let reference = self.reference(source, w, h)?;
            self.references.insert(key.clone(), reference);
        }
        Ok(quality::ssim(&self.references[&key], &luma(&over_white(&out)), w as usize, h as usize))
    }

    fn reference(&mut self, source: &Path, w: u32, h: u32) -> anyhow::Result<Vec<f64>> {
        if !self.sources.contains_key(source) {
            let decoded = open(source)?;
            self.sources.insert(source.to_path_buf(), over_white(&decoded));
        }
        let full = &self.sources[source];
        let (sw, sh) = full.dimensions();
        // The largest centred area with the output's aspect ratio.
        let (cw, ch) = if sw as u64 * h as u64 > sh as u64 * w as u64 {
            (((sh as u64 * w as u64) / h as u64) as u32, sh)
        } else {
            (sw, ((sw as u64 * h as u64) / w as u64) as u32)
        };
        let crop = image::imageops::crop_imm(full, (sw - cw) / 2, (sh - ch) / 2, cw, ch).to_image();
        Ok(luma(&image::imageops::resize(&crop, w, h, FilterType::Lanczos3)))
    }
}

/// JPEG through jpeg-decoder (see Cargo.toml for why), everything else through `image`.
fn open(path: &Path) -> anyhow::Result<DynamicImage> {
    let context = || format!("decoding {}", path.display());
    let bytes = std::fs::read(path).with_context(context)?;
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return image::load_from_memory(&bytes).with_context(context);
    }
    let mut decoder = jpeg_decoder::Decoder::new(bytes.as_slice());
    let pixels = decoder.decode().with_context(context)?;
    let info = decoder.info().context("no JPEG frame")?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8),
        jpeg_decoder::PixelFormat::L8 => image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8),
        other => anyhow::bail!("{}: {other:?} JPEGs are not compared", path.display()),
    };
    image.with_context(context)
}

fn over_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    // The module's own compositing (it flattens alpha this way for JPEG).
    let white = resize_wasm::Background([255, 255, 255, 255]);
    resize_wasm::pipeline::encode::flatten(&DynamicImage::ImageRgba8(image.to_rgba8()), white)
}

fn luma(image: &RgbImage) -> Vec<f64> {
    image.pixels().map(|p| quality::luma(p.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resize_of_a_smooth_image_is_close_to_its_reference() {
        let dir = std::env::temp_dir().join(format!("resize-bench-quality-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = RgbImage::from_fn(400, 300, |x, y| image::Rgb([(x / 2) as u8, (y / 2) as u8, 128]));
        source.save(dir.join("source.png")).unwrap();
        let small = image::imageops::resize(&source, 100, 75, FilterType::Triangle);
        small.save(dir.join("small.png")).unwrap();
        let score = Judge::default().ssim(&dir.join("source.png"), &dir.join("small.png")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(score > 0.98, "{score}");
    }
}
