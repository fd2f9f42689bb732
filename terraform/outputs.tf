output "images_bucket_name" {
  description = "Name of the images bucket (S3_BUCKET of the service)."
  value       = aws_s3_bucket.images.id
}

output "images_bucket_arn" {
  description = "ARN of the images bucket, for the function role's policy."
  value       = aws_s3_bucket.images.arn
}

output "deployment_bucket_name" {
  description = "Name of the Serverless deployment bucket (provider.deploymentBucket.name)."
  value       = aws_s3_bucket.deployment.id
}

output "ssm_parameter_names" {
  description = "Names of the SSM parameters that serverless.yml reads."
  value = {
    images_bucket     = aws_ssm_parameter.images_bucket.name
    deployment_bucket = aws_ssm_parameter.deployment_bucket.name
    cdn_url           = aws_ssm_parameter.cdn_url.name
  }
}

output "cdn_domain_name" {
  description = "CloudFront domain of the images, null without the CDN."
  value       = one(aws_cloudfront_distribution.images[*].domain_name)
}

output "cdn_url" {
  description = "https:// URL of the images CDN, null without the CDN."
  value       = var.cdn_enabled ? "https://${aws_cloudfront_distribution.images[0].domain_name}" : null
}

output "github_oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider for GitHub Actions (created here or found)."
  value       = local.github_oidc_provider_arn
}

output "plan_role_arn" {
  description = "Role for terraform plan on pull requests."
  value       = aws_iam_role.github_plan.arn
}

output "deploy_role_arn" {
  description = "Role for serverless deploy and terraform apply from master and dev."
  value       = aws_iam_role.github_deploy.arn
}

output "github_repository_variables" {
  description = "Repository variables (Settings > Secrets and variables > Actions > Variables) the workflows read."
  value = {
    AWS_REGION          = var.region
    AWS_PLAN_ROLE_ARN   = aws_iam_role.github_plan.arn
    AWS_DEPLOY_ROLE_ARN = aws_iam_role.github_deploy.arn
    TF_STATE_BUCKET     = var.state_bucket
    TF_STATE_KEY        = var.state_key
  }
}
