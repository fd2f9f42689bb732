terraform {
  # 1.10 is the first release whose S3 backend locks with a lock file
  # (use_lockfile) instead of a DynamoDB table.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Bucket, key and region are given at init time, never here:
  #   terraform init -backend-config="bucket=..." -backend-config="key=..." -backend-config="region=..."
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
