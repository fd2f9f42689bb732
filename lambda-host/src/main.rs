//! `lambda-host`: serve the API locally (`serve`), resize files on disk (`resize`), write the
//! module as an npm package (`package`) or precompile it (`precompile`); under AWS Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves
//! the same API to the Lambda runtime, configured from the environment alone. Everything
//! image-related happens inside the module.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{CommandFactory, Parser};
use lambda_host::api::{self, AppState};
use lambda_host::config::{Cli, Command, KeysAction, ServerArgs, ServiceConfig};
use lambda_host::diff::Candidate;
use lambda_host::sandbox::{LoadedFrom, Sandbox};
use lambda_host::storage::Store;
use lambda_host::storage::fs::FsStore;
use lambda_host::storage::s3::{S3Options, S3Store};
use lambda_host::{lambda, module};
use resize_wasm::Request;

/// lambda_http prefixes API Gateway stage names to paths unless this is set.
const IGNORE_STAGE: &str = "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH";

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let in_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    if in_lambda && std::env::var_os(IGNORE_STAGE).is_none() {
        // SAFETY: no other thread exists yet. Routes are /image, not /<stage>/image.
        unsafe { std::env::set_var(IGNORE_STAGE, "1") };
    }
    let cli = if in_lambda { Cli::parse_from(["bootstrap", "serve"]) } else { Cli::parse() };
    lambda_host::telemetry::logs::init(cli.log_format, in_lambda);
    match cli.command {
        Some(Command::Keys { action: KeysAction::New }) => {
            let (key, hash) = lambda_host::auth::new_key()?;
            println!("key:  {key}\nhash: {hash}");
            println!("Give the key to the client; configure the server with the hash (--api-keys / RESIZE_API_KEYS).");
            Ok(())
        }
        Some(Command::Serve { server, service }) => {
            let mut config = service.resolve()?;
            config.emf = in_lambda;
            if !in_lambda {
                check_exposure(&server, &config)?;
            } else if !config.api_key_required {
                tracing::warn!("no API key is required: anyone who can reach this function can write to the bucket");
            }
            let sandbox = load_sandbox(&config)?;
            let candidate = load_candidate(&config)?;
            tokio::runtime::Runtime::new()?.block_on(async {
                let store = open_store(&server, &config).await?;
                let stored_in = store.describe();
                let mut state = AppState::new(sandbox, store, config);
                if let Some(candidate) = candidate {
                    state = state.with_candidate(candidate);
                }
                let app = api::router(state);
                if in_lambda {
                    tracing::info!(storage = stored_in, "serving the Lambda runtime API");
                    return lambda::run(app, started).await;
                }
                let listener = tokio::net::TcpListener::bind(server.listen)
                    .await
                    .with_context(|| format!("listening on {}", server.listen))?;
                println!("resize-image listening on http://{}  (demo at /, API at /image)", listener.local_addr()?);
                println!("storing in {stored_in}");
                axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
                anyhow::Ok(())
            })
        }
        Some(Command::Resize { files, out, service }) => resize_files(&files, &out, &service.resolve()?),
        Some(Command::Package { out }) => {
            lambda_host::package::write(&out)?;
            println!("{}", out.display());
            Ok(())
        }
        #[cfg(feature = "compiler")]
        Some(Command::DiffModules { old, new, corpus, service }) => {
            let config = service.resolve()?;
            let load = |path: &Path| -> anyhow::Result<(Sandbox, String)> {
                let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                let (sandbox, _) = Sandbox::new(&wasm, None, config.sandbox)
                    .with_context(|| format!("{} is not a resize module", path.display()))?;
                Ok((sandbox, module::sha256_hex(&wasm)))
            };
            let ((old, old_sha), (new, new_sha)) = (load(&old)?, load(&new)?);
            let request = Request::new(config.preset.clone(), config.limits);
            let rows = lambda_host::diff::diff(&old, &new, &corpus, &request)?;
            print!("{}", lambda_host::diff::render(&rows, &old_sha, &new_sha));
            Ok(())
        }
        #[cfg(feature = "compiler")]
        Some(Command::Precompile { out, target, service }) => {
            let config = service.resolve()?;
            let path = Sandbox::precompile_into(&out, module::WASM, config.sandbox, target.as_deref())?;
            println!("{}", path.display());
            Ok(())
        }
        None => {
            Cli::command().print_help()?;
            std::process::exit(2);
        }
    }
}

/// Refuses to serve writes to a network without keys unless told to; warns whenever it runs open.
fn check_exposure(server: &ServerArgs, config: &ServiceConfig) -> anyhow::Result<()> {
    if !config.api_keys.is_empty() {
        return Ok(());
    }
    if !server.listen.ip().is_loopback() && !server.allow_anonymous {
        anyhow::bail!(
            "refusing to listen on {} without API keys: anyone who can reach it could write. Configure \
             --api-keys (see `lambda-host keys new`), or pass --allow-anonymous if something in front \
             of the server checks clients",
            server.listen
        );
    }
    tracing::warn!(listen = %server.listen, "no API keys configured: writing routes are open");
    Ok(())
}

/// S3 when a bucket is named, else the data directory.
async fn open_store(server: &ServerArgs, config: &ServiceConfig) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &server.s3_bucket {
        Some(bucket) => Arc::new(
            S3Store::connect(S3Options {
                bucket: bucket.clone(),
                force_path_style: server.s3_force_path_style,
                cache_control: server.s3_cache_control.clone(),
                public_read: server.s3_public_read,
                timeout: std::time::Duration::from_millis(server.s3_timeout_ms),
                lock_prefix: format!("{}locks/", config.upload_prefix),
            })
            .await,
        ),
        None => {
            Arc::new(FsStore::open(&server.data_dir).with_context(|| format!("opening {}", server.data_dir.display()))?)
        }
    })
}

fn load_sandbox(config: &ServiceConfig) -> anyhow::Result<Arc<Sandbox>> {
    let started = Instant::now();
    let (sandbox, from) = Sandbox::new(module::WASM, config.cwasm_dir.as_deref(), config.sandbox)?;
    let how = match from {
        LoadedFrom::Precompiled(path) => format!("precompiled {}", path.display()),
        LoadedFrom::Compiled => "compiled".into(),
    };
    tracing::info!(module_sha256 = %module::WASM_SHA256, how, ms = started.elapsed().as_millis() as u64, "module ready");
    Ok(Arc::new(sandbox))
}

/// `--candidate-module`: compiled (or precompiled in `--cwasm-dir`) and checked like the module.
fn load_candidate(config: &ServiceConfig) -> anyhow::Result<Option<Arc<Candidate>>> {
    let Some((path, share)) = &config.candidate else { return Ok(None) };
    let wasm = std::fs::read(path).with_context(|| format!("--candidate-module {}", path.display()))?;
    let (sandbox, _) = Sandbox::new(&wasm, config.cwasm_dir.as_deref(), config.sandbox)
        .with_context(|| format!("--candidate-module {} is not a resize module", path.display()))?;
    let candidate = Candidate::new(sandbox, &wasm, *share);
    tracing::info!(candidate_sha256 = %candidate.sha256, share, "candidate module ready");
    Ok(Some(candidate))
}

/// FILE -> OUT/FILE<suffix> for each variant, as `POST /image` with s3Key = the file's name.
fn resize_files(files: &[std::path::PathBuf], out: &Path, config: &ServiceConfig) -> anyhow::Result<()> {
    let sandbox = load_sandbox(config)?;
    let request = Request::new(config.preset.clone(), config.limits);
    std::fs::create_dir_all(out)?;
    let mut failures = 0;
    for file in files {
        let name = file.file_name().with_context(|| format!("{} has no file name", file.display()))?.to_string_lossy();
        let input = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        match sandbox.process(&input, &request) {
            Ok(processed) => {
                for (info, bytes) in processed.manifest.variants.iter().zip(&processed.variants) {
                    let path = out.join(format!("{name}{}", info.suffix));
                    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
                    println!(
                        "{}  {}x{} {} {} bytes",
                        path.display(),
                        info.width,
                        info.height,
                        info.format.name(),
                        bytes.len()
                    );
                }
            }
            Err(e) => {
                failures += 1;
                eprintln!("{}: {e}", file.display());
            }
        }
    }
    anyhow::ensure!(failures == 0, "{failures} of {} files failed", files.len());
    Ok(())
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
