//! Changing the algorithm safely: compare what two modules make of the same files
//! (`lambda-host diff-modules`), and try a candidate module on a share of real traffic beside
//! the one that serves it (`--candidate-module`, `--candidate-share`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use resize_wasm::Request;

use crate::module::sha256_hex;
use crate::sandbox::{Processed, Sandbox, SandboxError};

/// One variant of one file, as each module made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub file: String,
    pub suffix: String,
    pub old: Side,
    pub new: Side,
}

/// What one module gave for a variant: its bytes' sha256, size and quality score, or its error.
#[derive(Debug, Clone, PartialEq)]
pub enum Side {
    Made { sha256: String, bytes: usize, width: u32, height: u32, ssim: Option<f64> },
    Failed(String),
}

impl Row {
    pub fn identical(&self) -> bool {
        match (&self.old, &self.new) {
            (Side::Made { sha256: a, .. }, Side::Made { sha256: b, .. }) => a == b,
            (Side::Failed(a), Side::Failed(b)) => a == b,
            _ => false,
        }
    }
}

/// Every file of `corpus` (sorted; not recursive) through both modules with `request`, scored.
pub fn diff(old: &Sandbox, new: &Sandbox, corpus: &Path, request: &Request) -> anyhow::Result<Vec<Row>> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(corpus)?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.retain(|path| path.is_file());
    files.sort();
    let request = Request { score: true, ..request.clone() };
    let mut rows = Vec::new();
    for path in files {
        let input = std::fs::read(&path)?;
        let file = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let (old, new) = (sides(old.process(&input, &request)), sides(new.process(&input, &request)));
        for (i, variant) in request.variants.iter().enumerate() {
            let pick = |sides: &Result<Vec<Side>, String>| match sides {
                Ok(made) => made.get(i).cloned().unwrap_or_else(|| Side::Failed("no such variant".into())),
                Err(e) => Side::Failed(e.clone()),
            };
            rows.push(Row { file: file.clone(), suffix: variant.suffix.clone(), old: pick(&old), new: pick(&new) });
        }
    }
    Ok(rows)
}

fn sides(result: Result<Processed, SandboxError>) -> Result<Vec<Side>, String> {
    let processed = result.map_err(|e| match e {
        SandboxError::Module(info) => info.code,
        other => other.to_string(),
    })?;
    Ok(processed
        .manifest
        .variants
        .iter()
        .zip(&processed.variants)
        .map(|(info, bytes)| Side::Made {
            sha256: sha256_hex(bytes),
            bytes: bytes.len(),
            width: info.width,
            height: info.height,
            ssim: info.ssim,
        })
        .collect())
}

/// The report: a markdown table, a row per file and variant, then the counts.
pub fn render(rows: &[Row], old_sha256: &str, new_sha256: &str) -> String {
    let side = |side: &Side| match side {
        Side::Made { sha256, bytes, width, height, ssim } => {
            let ssim = ssim.map_or("-".into(), |s| format!("{s:.4}"));
            format!("{width}x{height} {bytes} B {} ssim {ssim}", &sha256[..12])
        }
        Side::Failed(error) => format!("error: {error}"),
    };
    let mut out = format!("old module {old_sha256}\nnew module {new_sha256}\n\n");
    out.push_str("| file | variant | old | new | result |\n|---|---|---|---|---|\n");
    for row in rows {
        let result = if row.identical() { "identical" } else { "DIFFERENT" };
        out.push_str(&format!(
            "| {} | {:?} | {} | {} | {result} |\n",
            row.file,
            row.suffix,
            side(&row.old),
            side(&row.new)
        ));
    }
    let same = rows.iter().filter(|r| r.identical()).count();
    out.push_str(&format!("\n{} variants: {same} identical, {} different\n", rows.len(), rows.len() - same));
    out
}

/// A module tried beside the serving one on a share of requests: it runs on the same input and
/// request after the answer is stored, and only its hashes are logged; what is stored and served
/// is always the serving module's (the demo previews with that one, and must match).
pub struct Candidate {
    pub sandbox: Sandbox,
    pub sha256: String,
    /// Of every request, this share is also run by the candidate (0..=1).
    pub share: f64,
    seen: AtomicU64,
}

impl Candidate {
    pub fn new(sandbox: Sandbox, wasm: &[u8], share: f64) -> Arc<Self> {
        Arc::new(Self { sandbox, sha256: sha256_hex(wasm), share, seen: AtomicU64::new(0) })
    }

    /// Whether this request is one of the share: exactly `share` of them, evenly spread
    /// (request n is taken when floor((n+1) share) passes floor(n share)).
    pub fn takes_next(&self) -> bool {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) as f64;
        ((n + 1.0) * self.share).floor() > (n * self.share).floor()
    }
}
