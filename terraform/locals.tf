data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Bucket names are global, so the defaults carry the account and the region.
  images_bucket_name     = coalesce(var.bucket_name, "${var.project}-${local.account_id}-${var.region}")
  deployment_bucket_name = coalesce(var.deployment_bucket_name, "${var.project}-deploy-${local.account_id}-${var.region}")

  plan_role_name        = "${var.project}-github-plan"
  deploy_role_name      = "${var.project}-github-deploy"
  api_gateway_role_name = "${var.project}-apigateway-cloudwatch"

  github_oidc_host = "token.actions.githubusercontent.com"

  # The S3 backend's native locking writes this object next to the state.
  state_lock_key = "${var.state_key}.tflock"
}

# ARNs the GitHub roles' policies are scoped to, built from names so that a
# policy never waits for the resource it is about.
locals {
  arn_prefix = "arn:${local.partition}"

  state_bucket_arn = "${local.arn_prefix}:s3:::${var.state_bucket}"
  state_object_arn = "${local.state_bucket_arn}/${var.state_key}"
  state_lock_arn   = "${local.state_bucket_arn}/${local.state_lock_key}"

  images_bucket_arn     = "${local.arn_prefix}:s3:::${local.images_bucket_name}"
  deployment_bucket_arn = "${local.arn_prefix}:s3:::${local.deployment_bucket_name}"

  # The roles this folder creates (whether or not the API Gateway one is on).
  managed_role_arns = [
    for name in [local.plan_role_name, local.deploy_role_name, local.api_gateway_role_name] :
    "${local.arn_prefix}:iam::${local.account_id}:role/${name}"
  ]
  github_oidc_provider_arn_by_name = "${local.arn_prefix}:iam::${local.account_id}:oidc-provider/${local.github_oidc_host}"

  ssm_parameters_arn = "${local.arn_prefix}:ssm:${var.region}:${local.account_id}:parameter/${var.project}/*"

  # CloudFront IDs are generated, so these cover the account's distributions,
  # origin access controls and response headers policies.
  cloudfront_distributions_arn   = "${local.arn_prefix}:cloudfront::${local.account_id}:distribution/*"
  cloudfront_oacs_arn            = "${local.arn_prefix}:cloudfront::${local.account_id}:origin-access-control/*"
  cloudfront_header_policies_arn = "${local.arn_prefix}:cloudfront::${local.account_id}:response-headers-policy/*"

  api_gateway_account_arn = "${local.arn_prefix}:apigateway:${var.region}::/account"
}
