//! `lambda-host package --out DIR`: the module as an npm package, so any web app can show the
//! exact preview its backend will store. The files are the ones this binary embeds and serves
//! (`module.rs`): the same .wasm bytes, so the package's sha256 is the server's `/config` one.

use std::path::Path;

use serde_json::json;

use crate::module;

pub const NAME: &str = "resize-image-module";

pub fn write(out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("resize_wasm_bg.wasm"), module::WASM)?;
    std::fs::write(out.join("resize_wasm.js"), module::JS)?;
    std::fs::write(out.join("resize_wasm.d.ts"), module::TYPES)?;
    std::fs::write(out.join("package.json"), serde_json::to_string_pretty(&manifest())? + "\n")?;
    std::fs::write(out.join("README.md"), readme())
}

fn manifest() -> serde_json::Value {
    json!({
        "name": NAME,
        "version": module::VERSION,
        "description": "The resize-image module: the exact variants a resize-image server stores, computed in the browser.",
        "license": "MIT OR Apache-2.0",
        "type": "module",
        "main": "resize_wasm.js",
        "types": "resize_wasm.d.ts",
        "files": ["resize_wasm_bg.wasm", "resize_wasm.js", "resize_wasm.d.ts", "README.md"],
        "sideEffects": false,
        "resizeImage": { "moduleSha256": module::WASM_SHA256, "abiVersion": resize_wasm::ABI_VERSION },
    })
}

fn readme() -> String {
    format!(
        r#"# {NAME} {version}

The resize-image module (sha256 `{sha}`) for the browser: run it on a file before uploading and
you get, byte for byte, the variants a resize-image server running this module will store.

```js
import init, {{ process }} from '{NAME}';
await init(); // fetches resize_wasm_bg.wasm from beside resize_wasm.js
const {{ request, module }} = await (await fetch('https://your-api.example/config')).json();
if (module.sha256 !== '{sha}') throw new Error('the server runs another module');
const packed = process(new Uint8Array(await file.arrayBuffer()), JSON.stringify({{ ...request, score: true }}));
```

`packed` is a little-endian u32 (the manifest's length), the manifest as JSON (`source` with its
`thumbhash`, and `variants` with `width`, `height`, `contentType`, `bytes` and `ssim`), then each
variant's bytes in the manifest's order. A refused file throws a JSON string
`{{"code": ..., "message": ...}}` with the server's own words. `thumbhashPng(source.thumbhash)`
draws the placeholder as PNG bytes. Pass `{{ module_or_path }}` to `init` to load the `.wasm` from
elsewhere (or `initSync({{ module: bytes }})` in Node).

Check `package.json`'s `resizeImage.moduleSha256` against the server's `GET /config`
(`module.sha256`): equal hashes mean equal bytes.
"#,
        version = module::VERSION,
        sha = module::WASM_SHA256,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_carries_the_served_module_and_its_hash() {
        let dir = std::env::temp_dir().join(format!("resize-package-{}", std::process::id()));
        write(&dir).unwrap();
        assert_eq!(std::fs::read(dir.join("resize_wasm_bg.wasm")).unwrap(), module::WASM);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("package.json")).unwrap()).unwrap();
        assert_eq!(manifest["resizeImage"]["moduleSha256"], module::WASM_SHA256);
        assert_eq!(manifest["version"], module::VERSION);
        let types = std::fs::read_to_string(dir.join("resize_wasm.d.ts")).unwrap();
        assert!(
            types.contains("export function process(input: Uint8Array | number[], request_json: string): Uint8Array"),
            "{types}"
        );
        assert!(std::fs::read_to_string(dir.join("README.md")).unwrap().contains(module::WASM_SHA256));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
