# The images bucket: the variants the service stores, and the originals that
# browsers PUT to presigned URLs under var.upload_prefix until they are resized.
resource "aws_s3_bucket" "images" {
  #checkov:skip=CKV_AWS_18:Server access logs would need a third bucket; CloudTrail data events can be enabled account-wide if audit is needed.
  #checkov:skip=CKV_AWS_144:Cross-region replication of derived images is not worth doubling storage; variants can be regenerated from originals.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; the service is called synchronously through API Gateway.
  bucket = local.images_bucket_name
}

resource "aws_s3_bucket_public_access_block" "images" {
  bucket = aws_s3_bucket.images.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs disabled: the service writes without ACLs and access is by policy only.
resource "aws_s3_bucket_ownership_controls" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # An S3 bucket key cuts KMS requests (and their cost); it has no effect with AES256.
    bucket_key_enabled = var.kms_key_arn != null
  }
}

# Removing this resource (versioning = false after true) suspends versioning.
resource "aws_s3_bucket_versioning" "images" {
  count  = var.versioning ? 1 : 0
  bucket = aws_s3_bucket.images.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Originals the service never turned into variants (failed or abandoned requests).
  rule {
    id     = "expire-uploads"
    status = "Enabled"
    filter {
      prefix = var.upload_prefix
    }

    expiration {
      days = var.upload_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.upload_expiration_days
    }
  }

  # Only acts once versioning has been on; kept when it is off so versions left
  # behind after suspending it still go away.
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.images]
}

# Browsers PUT originals to presigned URLs (Content-Type and Content-Length are
# signed; Content-Length is set by the browser itself) and may read objects back.
resource "aws_s3_bucket_cors_configuration" "images" {
  count  = length(var.demo_origins) > 0 ? 1 : 0
  bucket = aws_s3_bucket.images.id

  cors_rule {
    allowed_origins = var.demo_origins
    allowed_methods = ["PUT", "GET", "HEAD"]
    allowed_headers = ["content-type"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }
}

data "aws_iam_policy_document" "images_bucket" {
  # Refuse plain-HTTP requests, whoever makes them.
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.images.arn, "${aws_s3_bucket.images.arn}/*"]

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

  # With the CDN: CloudFront may read objects, and only for this distribution.
  dynamic "statement" {
    for_each = aws_cloudfront_distribution.images
    content {
      sid       = "AllowCloudFrontRead"
      actions   = ["s3:GetObject"]
      resources = ["${aws_s3_bucket.images.arn}/*"]

      principals {
        type        = "Service"
        identifiers = ["cloudfront.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "AWS:SourceArn"
        values   = [statement.value.arn]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "images" {
  bucket = aws_s3_bucket.images.id
  policy = data.aws_iam_policy_document.images_bucket.json

  # S3 refuses concurrent changes to a bucket's public access settings and policy.
  depends_on = [aws_s3_bucket_public_access_block.images]
}
