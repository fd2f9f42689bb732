# What `terraform plan` of this folder reads on a pull request, and nothing it
# could change: terraform.yml plans with -lock=false, so not even the lock file.

data "aws_iam_policy_document" "github_plan" {
  # The backend lists the state bucket (workspaces) ...
  statement {
    sid       = "StateBucketList"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  # ... and reads the state itself.
  statement {
    sid       = "StateRead"
    actions   = ["s3:GetObject"]
    resources = [local.state_object_arn]
  }

  # Refresh of both buckets and their sub-configurations (HeadBucket needs ListBucket).
  statement {
    sid = "BucketsConfigurationRead"
    actions = [
      "s3:ListBucket",
      "s3:GetBucket*",
      "s3:GetAccelerateConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
    ]
    resources = [local.images_bucket_arn, local.deployment_bucket_arn]
  }

  # Refresh of the SSM parameters.
  statement {
    sid       = "ParametersRead"
    actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:ListTagsForResource"]
    resources = [local.ssm_parameters_arn]
  }

  # Refresh of the distribution, its origin access control and headers policy.
  statement {
    sid = "CloudFrontRead"
    actions = [
      "cloudfront:GetDistribution",
      "cloudfront:ListTagsForResource",
      "cloudfront:GetOriginAccessControl",
      "cloudfront:GetResponseHeadersPolicy",
    ]
    resources = [
      local.cloudfront_distributions_arn,
      local.cloudfront_oacs_arn,
      local.cloudfront_header_policies_arn,
    ]
  }

  # Refresh of the GitHub OIDC provider.
  statement {
    sid       = "OidcProviderRead"
    actions   = ["iam:GetOpenIDConnectProvider"]
    resources = [local.github_oidc_provider_arn_by_name]
  }

  # Refresh of the roles this folder creates, their inline and attached policies.
  statement {
    sid = "RolesRead"
    actions = [
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
    ]
    resources = local.managed_role_arns
  }

  # Refresh of the API Gateway account setting.
  statement {
    sid       = "ApiGatewayAccountRead"
    actions   = ["apigateway:GET"]
    resources = [local.api_gateway_account_arn]
  }

  # Reads AWS allows on "*" only: parameter metadata (aws_ssm_parameter reads
  # it), and the OIDC provider lookup when create_github_oidc_provider = false.
  statement {
    sid       = "UnscopedReads"
    actions   = ["ssm:DescribeParameters", "iam:ListOpenIDConnectProviders"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "github_plan" {
  name   = "terraform-plan"
  role   = aws_iam_role.github_plan.id
  policy = data.aws_iam_policy_document.github_plan.json
}
