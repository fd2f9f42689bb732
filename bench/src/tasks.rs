//! The jobs every contender runs, defined once here and named the same in the peers' scripts
//! (`peers/sharp.mjs`, `peers/peers.py`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use resize_wasm::{Fit, Format, Request, Variant};

/// What a contender is asked to do with one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// JPEG -> fit inside 720x588, Lanczos3, JPEG q80 (the task sharp publishes figures for).
    T1,
    /// The seed's job: 456, 200 and 75 px centred squares, JPEG q80.
    T2,
    /// RGBA PNG -> fit inside 720x540, Lanczos3 with premultiplied alpha, PNG.
    T3,
}

impl Job {
    pub fn from_id(id: &str) -> Option<Self> {
        [Self::T1, Self::T2, Self::T3].into_iter().find(|job| job.id() == id)
    }

    /// The name the workers' protocol uses.
    pub fn id(self) -> &'static str {
        match self {
            Self::T1 => "t1",
            Self::T2 => "t2",
            Self::T3 => "t3",
        }
    }

    pub fn request(self) -> Request {
        let one = |width, height, format| {
            let mut request = Request::seed();
            let template = request.variants[0].clone();
            request.variants = vec![Variant { width, height, fit: Fit::Inside, format, ..template }];
            request
        };
        match self {
            Self::T1 => one(720, 588, Format::Jpeg),
            Self::T2 => Request::seed(),
            Self::T3 => one(720, 540, Format::Png),
        }
    }
}

/// A job on a given input: a row of the table.
#[derive(Debug, Clone)]
pub struct Task {
    pub label: &'static str,
    pub what: &'static str,
    pub job: Job,
    pub input: PathBuf,
}

pub const PHOTO: &str = "photo-2725x2225.jpg";
pub const ALPHA: &str = "alpha-2048x1536.png";

/// T1, T2, T3 on the shared corpus, and T2 on a 24 Mpx JPEG generated into `work`.
pub fn all(corpus: &Path, work: &Path) -> anyhow::Result<Vec<Task>> {
    let photo = corpus.join(PHOTO);
    let alpha = corpus.join(ALPHA);
    for file in [&photo, &alpha] {
        anyhow::ensure!(file.exists(), "{} is needed (the shared corpus beside the clone)", file.display());
    }
    let big = big_photo(&photo, work)?;
    Ok(vec![
        Task { label: "T1", what: "2725x2225 JPEG -> 720x588 JPEG q80", job: Job::T1, input: photo.clone() },
        Task { label: "T2", what: "2725x2225 JPEG -> 456/200/75 squares", job: Job::T2, input: photo },
        Task { label: "T3", what: "2048x1536 RGBA PNG -> 720x540 PNG", job: Job::T3, input: alpha },
        Task { label: "T2-24Mpx", what: "6000x4000 JPEG -> 456/200/75 squares", job: Job::T2, input: big },
    ])
}

/// The photo enlarged to 6000x4000 (24 Mpx, a phone camera's size), JPEG q90, made once.
fn big_photo(photo: &Path, work: &Path) -> anyhow::Result<PathBuf> {
    let path = work.join("photo-6000x4000.jpg");
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(work)?;
    let source = image::open(photo).with_context(|| format!("decoding {}", photo.display()))?.to_rgb8();
    let big = image::imageops::resize(&source, 6000, 4000, image::imageops::FilterType::Triangle);
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&big)?;
    let partial = path.with_extension("part");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}
