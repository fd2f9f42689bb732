//! Every setting: a CLI flag with an environment variable (the README's configuration table).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use resize_wasm::{Background, Fit, Format, Limits, Position, Variant};

use crate::auth::ApiKeys;
use crate::sandbox::SandboxLimits;
use crate::telemetry::logs::LogFormat;

#[derive(Debug, Parser)]
#[command(name = "lambda-host", version, about = "Image resize service: one WebAssembly module, run by wasmtime.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Log format: `auto` (text on a terminal, JSON otherwise and in Lambda), `json`, `text`.
    #[arg(long, global = true, env = "RESIZE_LOG_FORMAT", default_value = "auto", value_enum)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// API keys: `keys new` prints a fresh key and the hash to configure for it.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Serve the HTTP API and the demo locally, storing in a directory.
    Serve {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Apply the variant preset to files on disk: FILE -> DIR/FILE, DIR/FILE_200, ...
    Resize {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Directory to write the variants to.
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Write the module as an npm package into DIR: the same .wasm this binary runs, its
    /// JavaScript glue and TypeScript types, package.json (version, sha256) and a README.
    Package {
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Run two modules over every file in a folder with the preset and report, per file and
    /// variant, whether their bytes are identical, with each one's quality score.
    #[cfg(feature = "compiler")]
    DiffModules {
        old: PathBuf,
        new: PathBuf,
        /// The folder of source images (not recursive).
        #[arg(long)]
        corpus: PathBuf,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Compile the module for this machine into DIR/resize-<sha>.cwasm, for fast cold starts.
    #[cfg(feature = "compiler")]
    Precompile {
        #[arg(long, short)]
        out: PathBuf,
        /// Compile for this target triple instead of this machine (e.g. aarch64-unknown-linux-gnu).
        #[arg(long)]
        target: Option<String>,
        #[command(flatten)]
        service: ServiceArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Print a new random key (give it to the client) and its SHA-256 (give it to the server).
    New,
}

#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "RESIZE_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Serve a non-loopback address without API keys (anyone who can reach it may write).
    #[arg(
        long,
        env = "RESIZE_ALLOW_ANONYMOUS",
        default_value_t = false,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub allow_anonymous: bool,
    /// Directory the local store writes to.
    #[arg(long, env = "RESIZE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Store in this S3 bucket instead of the data directory (the seed's variable).
    #[arg(long, env = "S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// Path-style S3 URLs, for S3-compatible servers addressed by IP or localhost.
    #[arg(long, env = "RESIZE_S3_FORCE_PATH_STYLE", default_value_t = false, action = clap::ArgAction::Set)]
    pub s3_force_path_style: bool,
    /// Cache-Control written on every S3 object.
    #[arg(long, env = "RESIZE_S3_CACHE_CONTROL", default_value = "public, max-age=86400")]
    pub s3_cache_control: String,
    /// Write objects with the public-read ACL (only buckets that still allow ACLs accept it).
    #[arg(long, env = "RESIZE_S3_PUBLIC_READ", default_value_t = false, action = clap::ArgAction::Set)]
    pub s3_public_read: bool,
    /// Longest one S3 operation may take, retries included, in milliseconds.
    #[arg(long, env = "RESIZE_S3_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=120_000))]
    pub s3_timeout_ms: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    /// Variant preset: comma-separated SIZE or WxH, each optionally :SUFFIX. The first has no
    /// suffix by default, the others _W (the seed's keys: img.jpg, img.jpg_200, img.jpg_75).
    #[arg(long, env = "RESIZE_VARIANTS", default_value = "456,200,75")]
    pub variants: String,
    /// Default fit: cover, contain, fill, inside, outside.
    #[arg(long, env = "RESIZE_FIT", default_value = "cover", value_parser = parse_fit)]
    pub fit: Fit,
    /// Default position (sharp's names: centre, top, right-top, ..., or north, northeast, ...; or
    /// its strategies for cover: entropy, attention).
    #[arg(long, env = "RESIZE_POSITION", default_value = "centre", value_parser = parse_position)]
    pub position: Position,
    /// Default output format: jpeg, png, webp.
    #[arg(long, env = "RESIZE_FORMAT", default_value = "jpeg", value_parser = parse_format)]
    pub format: Format,
    /// Default JPEG quality, 1-100.
    #[arg(long, env = "RESIZE_QUALITY", default_value_t = 80, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: u8,
    /// Write progressive JPEGs by default.
    #[arg(long, env = "RESIZE_PROGRESSIVE", default_value_t = false, action = clap::ArgAction::Set)]
    pub progressive: bool,
    /// Default background for alpha flattening and contain padding: #rgb, #rrggbb, #rrggbbaa.
    #[arg(long, env = "RESIZE_BACKGROUND", default_value = "#ffffff", value_parser = parse_background)]
    pub background: Background,
    /// Never scale images up.
    #[arg(long, env = "RESIZE_WITHOUT_ENLARGEMENT", default_value_t = true, action = clap::ArgAction::Set)]
    pub without_enlargement: bool,
    /// Output formats a request may ask for with the `format` field.
    #[arg(long, env = "RESIZE_ALLOWED_FORMATS", default_value = "jpeg,png,webp", value_delimiter = ',', value_parser = parse_format)]
    pub allowed_formats: Vec<Format>,
    /// Fits a request may ask for with the `fit` field.
    #[arg(long, env = "RESIZE_ALLOWED_FITS", default_value = "cover,contain,fill,inside,outside", value_delimiter = ',', value_parser = parse_fit)]
    pub allowed_fits: Vec<Fit>,
    /// Largest upload accepted, in bytes (413 above).
    #[arg(long, env = "RESIZE_MAX_UPLOAD_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// Largest source accepted, in pixels, checked from the header before decoding (422 above).
    #[arg(long, env = "RESIZE_MAX_INPUT_PIXELS", default_value_t = 50_000_000)]
    pub max_input_pixels: u64,
    /// Longest side of a source accepted, in pixels.
    #[arg(long, env = "RESIZE_MAX_INPUT_DIMENSION", default_value_t = 16_384)]
    pub max_input_dimension: u32,
    /// Memory one resize may use inside the sandbox, in MiB.
    #[arg(long, env = "RESIZE_MEMORY_LIMIT_MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(16..=4095))]
    pub memory_limit_mib: u64,
    /// Longest one resize may run, in milliseconds.
    #[arg(long, env = "RESIZE_DEADLINE_MS", default_value_t = 10_000)]
    pub deadline_ms: u64,
    /// Memory each sandbox slot keeps resident between resizes, in MiB: zeroed for the next call
    /// instead of faulted in again (faster; RSS keeps up to this per slot).
    #[arg(long, env = "RESIZE_KEEP_RESIDENT_MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(0..=4095))]
    pub keep_resident_mib: u64,
    /// Resizes that run at once (default: the number of CPUs).
    #[arg(long, env = "RESIZE_CONCURRENCY")]
    pub concurrency: Option<u32>,
    /// Requests that may wait for a free slot; more get 429.
    #[arg(long, env = "RESIZE_QUEUE", default_value_t = 32)]
    pub queue: u32,
    /// Longest a request body may take to arrive, in milliseconds (408 `body_timeout` after).
    #[arg(long, env = "RESIZE_BODY_TIMEOUT_MS", default_value_t = 30_000)]
    pub body_timeout_ms: u64,
    /// Largest request target plus headers, in bytes (431 `headers_too_large` above).
    #[arg(long, env = "RESIZE_MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,
    /// How long a request waits while another stores the same key, in milliseconds (409 `key_busy` after).
    #[arg(long, env = "RESIZE_KEY_LOCK_WAIT_MS", default_value_t = 10_000)]
    pub key_lock_wait_ms: u64,
    /// Origins whose pages may call the API from a browser (the static demo elsewhere); `*` for any.
    #[arg(long, env = "RESIZE_CORS_ALLOW_ORIGIN", value_delimiter = ',')]
    pub cors_allow_origin: Vec<String>,
    /// A candidate module (.wasm) run beside the built-in one on `--candidate-share` of requests,
    /// after the answer: both modules' output hashes are logged; only the built-in one's are stored.
    #[arg(long, env = "RESIZE_CANDIDATE_MODULE")]
    pub candidate_module: Option<PathBuf>,
    /// Share of requests the candidate module also runs, 0 to 1.
    #[arg(long, env = "RESIZE_CANDIDATE_SHARE", default_value_t = 0.0, value_parser = parse_share)]
    pub candidate_share: f64,
    /// Where to look for a precompiled module (resize-<sha>.cwasm); default: beside the executable.
    #[arg(long, env = "RESIZE_CWASM_DIR")]
    pub cwasm_dir: Option<PathBuf>,
    /// How `GET /image/{key}` answers from S3: `stream` the bytes, or `redirect` (307) to a presigned URL.
    #[arg(long, env = "RESIZE_S3_GET", default_value = "stream", value_parser = parse_get_mode)]
    pub s3_get: GetMode,
    /// Lifetime of presigned URLs (redirects and uploads), in seconds.
    #[arg(long, env = "RESIZE_PRESIGN_TTL_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub presign_ttl_secs: u64,
    /// Largest original accepted through `POST /uploads` (presigned PUT to S3), in bytes.
    #[arg(long, env = "RESIZE_MAX_SOURCE_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_source_bytes: usize,
    /// Key prefix for originals uploaded through `POST /uploads`; `s3Key` may not start with it.
    #[arg(long, env = "RESIZE_UPLOAD_PREFIX", default_value = "uploads/")]
    pub upload_prefix: String,
    /// Base URL (a CDN in front of the bucket) for each variant's `url` in the manifest, instead
    /// of `/image/{key}`; empty or `none` means unset (how Terraform's SSM parameter says "no CDN").
    #[arg(long, env = "RESIZE_PUBLIC_BASE_URL", value_parser = parse_base_url)]
    pub public_base_url: Option<BaseUrl>,
    /// Tell clients (`GET /config`, the demo) that writing routes need an `x-api-key` header. The
    /// key is checked in front of the host: by API Gateway's usage plan in AWS.
    #[arg(long, env = "RESIZE_API_KEY_REQUIRED", default_value_t = false, action = clap::ArgAction::Set)]
    pub api_key_required: bool,
    /// API keys the host checks itself on the writing routes: SHA-256 hashes (hex) of the keys,
    /// comma-separated (`lambda-host keys new` makes a key and its hash).
    #[arg(long, env = "RESIZE_API_KEYS", default_value = "")]
    pub api_keys: String,
    /// A file of such hashes, one per line (`#` comments), read at start.
    #[arg(long, env = "RESIZE_API_KEYS_FILE")]
    pub api_keys_file: Option<PathBuf>,
}

/// `--public-base-url`: an http(s) URL without a trailing slash, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(Option<String>);

impl BaseUrl {
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// How stored images are read back in S3 mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetMode {
    Stream,
    Redirect,
}

/// The settings resolved and checked, as the service uses them.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub preset: Vec<Variant>,
    pub limits: Limits,
    pub allowed_formats: Vec<Format>,
    pub allowed_fits: Vec<Fit>,
    pub max_upload_bytes: usize,
    pub sandbox: SandboxLimits,
    pub queue: u32,
    pub key_lock_wait: Duration,
    pub body_timeout: Duration,
    pub max_header_bytes: usize,
    pub cwasm_dir: Option<PathBuf>,
    /// The candidate module's path and the share of requests it also runs (`--candidate-*`).
    pub candidate: Option<(PathBuf, f64)>,
    pub cors_allow_origin: Vec<String>,
    pub s3_get: GetMode,
    pub presign_ttl: Duration,
    pub max_source_bytes: usize,
    pub upload_prefix: String,
    pub public_base_url: Option<String>,
    pub api_key_required: bool,
    pub api_keys: ApiKeys,
    /// Write CloudWatch Embedded Metric Format lines (set in Lambda, not a setting).
    pub emf: bool,
}

impl ServiceArgs {
    pub fn resolve(&self) -> anyhow::Result<ServiceConfig> {
        let template = Variant {
            suffix: String::new(),
            width: 1,
            height: 1,
            fit: self.fit,
            position: self.position,
            format: self.format,
            quality: self.quality,
            progressive: self.progressive,
            background: self.background,
            without_enlargement: self.without_enlargement,
        };
        let preset = parse_variants(&self.variants, &template)
            .map_err(|e| anyhow::anyhow!("--variants {:?}: {e}", self.variants))?;
        let concurrency = self
            .concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get() as u32))
            .max(1);
        let limits = Limits {
            max_input_pixels: self.max_input_pixels,
            max_input_dimension: self.max_input_dimension,
            ..Limits::default()
        };
        let cwasm_dir = self.cwasm_dir.clone().or_else(|| std::env::current_exe().ok()?.parent().map(PathBuf::from));
        let mut api_keys = ApiKeys::parse(&self.api_keys).map_err(|e| anyhow::anyhow!("--api-keys: {e}"))?;
        if let Some(file) = &self.api_keys_file {
            let list = std::fs::read_to_string(file).with_context(|| format!("--api-keys-file {}", file.display()))?;
            api_keys
                .extend(ApiKeys::parse(&list).map_err(|e| anyhow::anyhow!("--api-keys-file {}: {e}", file.display()))?);
        }
        Ok(ServiceConfig {
            preset,
            limits,
            allowed_formats: self.allowed_formats.clone(),
            allowed_fits: self.allowed_fits.clone(),
            max_upload_bytes: self.max_upload_bytes,
            sandbox: SandboxLimits {
                memory_bytes: (self.memory_limit_mib as usize) << 20,
                deadline: Duration::from_millis(self.deadline_ms),
                concurrency,
                keep_resident_bytes: (self.keep_resident_mib as usize) << 20,
            },
            queue: self.queue,
            key_lock_wait: Duration::from_millis(self.key_lock_wait_ms),
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            max_header_bytes: self.max_header_bytes,
            cwasm_dir,
            candidate: self.candidate_module.clone().map(|module| (module, self.candidate_share)),
            cors_allow_origin: self.cors_allow_origin.clone(),
            s3_get: self.s3_get,
            presign_ttl: Duration::from_secs(self.presign_ttl_secs),
            max_source_bytes: self.max_source_bytes,
            upload_prefix: self.upload_prefix.clone(),
            public_base_url: self.public_base_url.as_ref().and_then(|b| b.as_str().map(String::from)),
            // Clients need to know a key is needed whoever checks it.
            api_key_required: self.api_key_required || !api_keys.is_empty(),
            api_keys,
            emf: false,
        })
    }
}

impl Default for ServiceArgs {
    /// Every default, as if no flag or variable were set (tests start from this).
    fn default() -> Self {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            service: ServiceArgs,
        }
        Defaults::parse_from(["defaults"]).service
    }
}

/// `456,200,75` or `800x600:_large,200` -> variants, suffixes defaulting as the seed's.
pub fn parse_variants(spec: &str, template: &Variant) -> Result<Vec<Variant>, String> {
    let mut variants = Vec::new();
    for (i, item) in spec.split(',').map(str::trim).enumerate() {
        let (size, suffix) = match item.split_once(':') {
            Some((size, suffix)) => (size, Some(suffix.to_string())),
            None => (item, None),
        };
        let number = |s: &str| s.trim().parse::<u32>().ok().filter(|n| (1..=8192).contains(n));
        let (width, height) = match size.split_once(['x', 'X']) {
            Some((w, h)) => (number(w), number(h)),
            None => (number(size), number(size)),
        };
        let (Some(width), Some(height)) = (width, height) else {
            return Err(format!("{item:?} is not SIZE or WxH with sides 1..=8192"));
        };
        let suffix = suffix.unwrap_or_else(|| match (i, width == height) {
            (0, _) => String::new(),
            (_, true) => format!("_{width}"),
            (_, false) => format!("_{width}x{height}"),
        });
        variants.push(Variant { suffix, width, height, ..template.clone() });
    }
    let mut suffixes: Vec<_> = variants.iter().map(|v| v.suffix.as_str()).collect();
    suffixes.sort_unstable();
    if suffixes.windows(2).any(|w| w[0] == w[1]) {
        return Err("two variants would share a key suffix".into());
    }
    Ok(variants)
}

fn parse_fit(s: &str) -> Result<Fit, String> {
    Fit::parse(s).ok_or_else(|| format!("one of {}", Fit::ALL.join(", ")))
}

fn parse_position(s: &str) -> Result<Position, String> {
    Position::parse(s).ok_or_else(|| format!("one of {}", Position::ALL.join(", ")))
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("one of {}", Format::ALL.join(", ")))
}

fn parse_share(value: &str) -> Result<f64, String> {
    value.parse::<f64>().ok().filter(|share| (0.0..=1.0).contains(share)).ok_or_else(|| "a number from 0 to 1".into())
}

fn parse_get_mode(s: &str) -> Result<GetMode, String> {
    match s {
        "stream" => Ok(GetMode::Stream),
        "redirect" => Ok(GetMode::Redirect),
        _ => Err("stream or redirect".into()),
    }
}

pub fn parse_base_url(s: &str) -> Result<BaseUrl, String> {
    let s = s.trim();
    if s.is_empty() || s == "none" {
        return Ok(BaseUrl(None));
    }
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !s.contains(['?', '#']) && !s.chars().any(char::is_whitespace) => {
            Ok(BaseUrl(Some(s.trim_end_matches('/').to_string())))
        }
        _ => Err("an http:// or https:// URL without query or fragment, or `none`".into()),
    }
}

fn parse_background(s: &str) -> Result<Background, String> {
    Background::parse(s).ok_or_else(|| "#rgb, #rrggbb or #rrggbbaa".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_preset_is_the_seeds() {
        let config = ServiceArgs::default().resolve().unwrap();
        assert_eq!(config.preset, resize_wasm::Request::seed().variants);
    }

    #[test]
    fn public_base_url_parses() {
        let parsed = |s: &str| parse_base_url(s).map(|b| b.as_str().map(String::from));
        assert_eq!(parsed("https://d1.cloudfront.net/").unwrap().as_deref(), Some("https://d1.cloudfront.net"));
        assert_eq!(parsed("http://127.0.0.1:9000/bucket").unwrap().as_deref(), Some("http://127.0.0.1:9000/bucket"));
        assert_eq!(parsed("none").unwrap(), None);
        assert_eq!(parsed("").unwrap(), None);
        for bad in ["d1.cloudfront.net", "ftp://x", "https://", "https://x/?a=1", "https://a b"] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn variant_specs_parse() {
        let t = resize_wasm::Request::seed().variants[0].clone();
        let v = parse_variants("800x600:_large, 200, 100x50", &t).unwrap();
        let got: Vec<_> = v.iter().map(|v| (v.suffix.as_str(), v.width, v.height)).collect();
        assert_eq!(got, [("_large", 800, 600), ("_200", 200, 200), ("_100x50", 100, 50)]);
        assert!(parse_variants("0", &t).is_err());
        assert!(parse_variants("100,abc", &t).is_err());
        assert!(parse_variants("100,200:,300:", &t).is_err(), "duplicate suffixes");
    }
}
