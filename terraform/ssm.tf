# Names the application stacks read through ${ssm:...} in serverless.yml.
# Plain String parameters: none of these values is secret.

resource "aws_ssm_parameter" "images_bucket" {
  #checkov:skip=CKV2_AWS_34:A bucket name is not a secret; SecureString would only add a KMS dependency to every deployment.
  name        = "/${var.project}/s3/name"
  description = "Name of the ${var.project} images bucket"
  type        = "String"
  value       = aws_s3_bucket.images.id
}

resource "aws_ssm_parameter" "deployment_bucket" {
  #checkov:skip=CKV2_AWS_34:A bucket name is not a secret; SecureString would only add a KMS dependency to every deployment.
  name        = "/${var.project}/deploy/bucket"
  description = "Name of the ${var.project} Serverless deployment bucket"
  type        = "String"
  value       = aws_s3_bucket.deployment.id
}

# SSM refuses empty values, so "no CDN" is the literal string "none", which
# the application treats as unset.
resource "aws_ssm_parameter" "cdn_url" {
  #checkov:skip=CKV2_AWS_34:A public CloudFront URL is not a secret; SecureString would only add a KMS dependency to every deployment.
  name        = "/${var.project}/cdn/url"
  description = "https:// URL of the ${var.project} images CDN, or none"
  type        = "String"
  value       = var.cdn_enabled ? "https://${aws_cloudfront_distribution.images[0].domain_name}" : "none"
}
