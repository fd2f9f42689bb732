# Artifacts of the Serverless Framework (provider.deploymentBucket.name): the
# zipped function and the CloudFormation templates of each deployment.
resource "aws_s3_bucket" "deployment" {
  #checkov:skip=CKV_AWS_18:Server access logs would need a third bucket; the only writer is the deploy role, whose calls CloudTrail already records.
  #checkov:skip=CKV_AWS_144:Artifacts are rebuilt by every deployment; replicating them to another region protects nothing.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of deployment artifacts.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) keeps the deploy role free of KMS permissions; the artifacts hold no secrets.
  bucket = local.deployment_bucket_name

  lifecycle {
    precondition {
      condition     = length(local.deployment_bucket_name) <= 63
      error_message = "The derived deployment bucket name is longer than 63 characters: shorten project or set deployment_bucket_name."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "deployment" {
  bucket = aws_s3_bucket.deployment.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "deployment" {
  bucket = aws_s3_bucket.deployment.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "deployment" {
  bucket = aws_s3_bucket.deployment.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Previous artifacts stay recoverable for a while after the framework prunes them.
resource "aws_s3_bucket_versioning" "deployment" {
  bucket = aws_s3_bucket.deployment.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "deployment" {
  bucket = aws_s3_bucket.deployment.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.deployment]
}

data "aws_iam_policy_document" "deployment_bucket" {
  # Refuse plain-HTTP requests, whoever makes them.
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.deployment.arn, "${aws_s3_bucket.deployment.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "deployment" {
  bucket = aws_s3_bucket.deployment.id
  policy = data.aws_iam_policy_document.deployment_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.deployment]
}
