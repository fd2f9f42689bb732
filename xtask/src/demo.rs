//! `cargo xtask demo --out DIR [--api URL]`: the demo as a static site for any web server.

use std::path::Path;

use anyhow::Context;

pub fn build(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let out = value("--out").context("--out DIR is required")?;
    let api = value("--api").unwrap_or_default();
    let out = Path::new(&out);
    std::fs::create_dir_all(out)?;
    for file in ["app.js", "worker.js", "style.css"] {
        std::fs::copy(root.join("web-demo").join(file), out.join(file))?;
    }
    let index = std::fs::read_to_string(root.join("web-demo/index.html"))?;
    let marker = r#"<meta name="resize-api" content="">"#;
    anyhow::ensure!(index.contains(marker), "web-demo/index.html lost its resize-api meta tag");
    // The static host's headers are not ours to set, so the page carries its policy: its own
    // origin and the API's (the glue script, the module, the API's answers, stored variants
    // fetched and shown), and any https origin for originals PUT to S3 through `POST /uploads`
    // (the bucket's name is S3's to choose).
    let api_origin = origin(&api).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self' {api_origin} 'wasm-unsafe-eval'; connect-src 'self' {api_origin} https:; \
         img-src 'self' {api_origin} blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
    );
    let api = api.replace('&', "&amp;").replace('"', "&quot;");
    let policy = policy.replace('&', "&amp;").replace('"', "&quot;");
    std::fs::write(
        out.join("index.html"),
        index.replace(
            marker,
            &format!(
                r#"<meta name="resize-api" content="{api}">
  <meta http-equiv="Content-Security-Policy" content="{policy}">"#
            ),
        ),
    )?;
    println!(
        "xtask: static demo in {} calling the API at {}",
        out.display(),
        if api.is_empty() { "its own origin" } else { &api }
    );
    Ok(())
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    let end = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
    Some(&url[..end]).filter(|o| o.len() > after_scheme)
}
