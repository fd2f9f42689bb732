variable "project" {
  description = "Name prefix of everything created here, and of the Serverless stacks, functions, roles and log groups the deploy role may manage."
  type        = string
  default     = "resize-image"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "project must be 3 to 32 characters of a-z, 0-9 and '-', not starting or ending with '-'."
  }
}

variable "region" {
  description = "AWS region of the buckets, the SSM parameters, the API Gateway account setting and the application stacks."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like an AWS region code, e.g. eu-west-1."
  }
}

variable "github_repository" {
  description = "GitHub repository, as owner/name, whose workflows may assume the plan and deploy roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. octo-org/resize-image."
  }
}

variable "state_bucket" {
  description = "Existing S3 bucket holding this folder's Terraform state (the bucket given to -backend-config). The roles get access to the state object and its lock file only."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name."
  }
}

variable "state_key" {
  description = "Key of the Terraform state object in state_bucket (the key given to -backend-config)."
  type        = string
  default     = "resize-image/terraform.tfstate"

  validation {
    condition     = can(regex("^[^/].*[^/]$", var.state_key))
    error_message = "state_key must be an object key that neither starts nor ends with '/'."
  }
}

variable "bucket_name" {
  description = "Name of the images bucket. null derives <project>-<account id>-<region>."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be null or a valid S3 bucket name."
  }
}

variable "deployment_bucket_name" {
  description = "Name of the bucket for Serverless Framework deployment artifacts. null derives <project>-deploy-<account id>-<region>."
  type        = string
  default     = null

  validation {
    condition     = var.deployment_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.deployment_bucket_name))
    error_message = "deployment_bucket_name must be null or a valid S3 bucket name."
  }
}

variable "demo_origins" {
  description = "Origins (scheme://host[:port], no path) of pages that PUT originals to presigned upload URLs and read objects from the images bucket. Empty: no CORS rule."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for origin in var.demo_origins :
      can(regex("^(https://[a-z0-9.-]+(:[0-9]{1,5})?|http://(localhost|127\\.0\\.0\\.1)(:[0-9]{1,5})?)$", origin))
    ])
    error_message = "Each demo origin must be https://host[:port], or http://localhost[:port] / http://127.0.0.1[:port], without a trailing slash."
  }
}

variable "upload_prefix" {
  description = "Key prefix of originals uploaded through presigned URLs (the service's --upload-prefix); objects under it expire after upload_expiration_days."
  type        = string
  default     = "uploads/"

  validation {
    condition     = can(regex("^[^/].*/$", var.upload_prefix))
    error_message = "upload_prefix must end with '/' and not start with '/'."
  }
}

variable "upload_expiration_days" {
  description = "Days after which leftover originals under upload_prefix are deleted."
  type        = number
  default     = 1

  validation {
    condition     = var.upload_expiration_days >= 1 && floor(var.upload_expiration_days) == var.upload_expiration_days
    error_message = "upload_expiration_days must be a whole number of at least 1."
  }
}

variable "versioning" {
  description = "Keep previous versions of objects in the images bucket."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "With versioning on, days after which a replaced or deleted object's previous version is removed from the images bucket."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for default encryption (aws:kms) of the images bucket; null uses SSE-S3 (AES256). With a key, its key policy must let the Lambda role and, with the CDN, CloudFront use it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "cdn_enabled" {
  description = "Serve the images bucket through a CloudFront distribution."
  type        = bool
  default     = true
}

variable "cdn_price_class" {
  description = "CloudFront price class: which edge locations serve the images."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cdn_price_class)
    error_message = "cdn_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's IAM OIDC provider for GitHub Actions. false looks up the existing one (there can be only one per account)."
  type        = bool
  default     = true
}

variable "manage_api_gateway_account" {
  description = "Set the region's API Gateway CloudWatch logs role (one setting per account and region). false if something else already manages it."
  type        = bool
  default     = true
}
