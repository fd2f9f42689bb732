# GitHub Actions exchanges its OIDC token for short-lived credentials of one of
# two roles: a read-only one for `terraform plan` on pull requests, and one that
# deploys from the protected branches.

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

# An account has one provider per URL: reuse it when it exists already.
data "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 0 : 1

  url = "https://${local.github_oidc_host}"
}

locals {
  github_oidc_provider_arn = (var.create_github_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : data.aws_iam_openid_connect_provider.github[0].arn
  )
}

data "aws_iam_policy_document" "github_plan_assume" {
  # Jobs of pull requests in the repository. GitHub gives no OIDC token to
  # pull_request workflows started from forks.
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.github_oidc_host}:sub"
      values   = ["repo:${var.github_repository}:pull_request"]
    }
  }
}

data "aws_iam_policy_document" "github_deploy_assume" {
  # Jobs on the master and dev branches. A job that names a GitHub environment
  # gets an environment:<name> subject instead of ref:..., so the environments
  # are listed too: restrict each environment's deployment branches to its own
  # branch (Settings > Environments), or any branch could use it.
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values = [
        "repo:${var.github_repository}:ref:refs/heads/master",
        "repo:${var.github_repository}:ref:refs/heads/dev",
        "repo:${var.github_repository}:environment:master",
        "repo:${var.github_repository}:environment:dev",
      ]
    }
  }
}

resource "aws_iam_role" "github_plan" {
  name                 = local.plan_role_name
  description          = "GitHub Actions, pull requests of ${var.github_repository}: terraform plan (read-only)"
  assume_role_policy   = data.aws_iam_policy_document.github_plan_assume.json
  max_session_duration = 3600
}

resource "aws_iam_role" "github_deploy" {
  name                 = local.deploy_role_name
  description          = "GitHub Actions, master and dev of ${var.github_repository}: serverless deploy and terraform apply"
  assume_role_policy   = data.aws_iam_policy_document.github_deploy_assume.json
  max_session_duration = 3600
}
