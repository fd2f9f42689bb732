//! Build orchestration, no product logic.
//! `cargo xtask test`: the README's test command. Installs what is missing, then runs every check
//! and test; a missing tool is an error with the fix in the message, never a skip.
//! `cargo xtask lambda`: the deployment zips. `cargo xtask demo`: the demo as a static site.
//! `cargo xtask stack`: the application stack packaged offline (CloudFormation templates).
//! `cargo xtask bench [--quick]`: the module against sharp, pyvips and Pillow (docs/benchmarks.md).
//! `cargo xtask soak [ARGS]`: uploads under load with S3 killed part-way (docs/security.md).
//! `cargo xtask fuzz [--quick] [--seconds N] [TARGET...]`: the cargo-fuzz targets (docs/security.md).
//! `cargo xtask pkg [--out DIR]`: the module as an npm package, the server's exact bytes.

mod bench;
mod demo;
mod fuzz;
mod infra;
mod lambda;
mod pkg;
mod run;
mod soak;
mod test;
mod tools;

use std::path::Path;

use anyhow::bail;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let task = std::env::args().nth(1).unwrap_or_default();
    let args: Vec<String> = std::env::args().skip(2).collect();
    let result = match task.as_str() {
        "test" => test::all(&root),
        "demo" => demo::build(&root, &args),
        "lambda" => lambda::package(&root),
        "stack" => infra::package_stacks(&root),
        "bench" => bench::run(&root, &args),
        "soak" => soak::run(&root, &args),
        "fuzz" => fuzz::run(&root, &args),
        "pkg" => pkg::run(&root, &args),
        _ => bail!(
            "usage: cargo xtask test | lambda | stack | bench [--quick] | soak [ARGS] | fuzz [--quick] [--seconds N] [TARGET...] | demo --out DIR [--api URL] | pkg [--out DIR]"
        ),
    };
    run::print_times();
    result
}
