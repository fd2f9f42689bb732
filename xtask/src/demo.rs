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
    let api = api.replace('&', "&amp;").replace('"', "&quot;");
    std::fs::write(
        out.join("index.html"),
        index.replace(marker, &format!(r#"<meta name="resize-api" content="{api}">"#)),
    )?;
    println!(
        "xtask: static demo in {} calling the API at {}",
        out.display(),
        if api.is_empty() { "its own origin" } else { &api }
    );
    Ok(())
}
