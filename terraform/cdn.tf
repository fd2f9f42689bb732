# CloudFront in front of the images bucket, on its *.cloudfront.net domain and
# default certificate. A custom domain (aliases + an ACM certificate in
# us-east-1) is optional and out of scope here.

locals {
  # AWS-managed cache policy "CachingOptimized": long TTLs, no cookies, headers
  # or query strings in the cache key, gzip and brotli. Its ID is fixed by AWS.
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"

  images_origin_id = "images-bucket"
}

# CloudFront signs every request to the bucket, which is never public.
resource "aws_cloudfront_origin_access_control" "images" {
  count = var.cdn_enabled ? 1 : 0

  name                              = "${var.project}-images"
  description                       = "CloudFront access to the ${var.project} images bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "images" {
  count = var.cdn_enabled ? 1 : 0

  name    = "${var.project}-images-security-headers"
  comment = "Security headers for the ${var.project} images"

  # The demo, served by the API on another origin, fetches stored variants to
  # compare their sha256 with its preview. The objects are public through the
  # CDN anyway, so any origin may read them.
  cors_config {
    access_control_allow_credentials = false
    access_control_max_age_sec       = 86400
    origin_override                  = true

    access_control_allow_headers {
      items = ["*"]
    }

    access_control_allow_methods {
      items = ["GET", "HEAD"]
    }

    access_control_allow_origins {
      items = ["*"]
    }
  }

  security_headers_config {
    # preload only matters once a custom domain is submitted to the browsers'
    # preload list; *.cloudfront.net cannot be.
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    # The objects are images: nothing they return may run scripts or load anything.
    content_security_policy {
      content_security_policy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
      override                = true
    }
  }
}

resource "aws_cloudfront_distribution" "images" {
  #checkov:skip=CKV_AWS_68:No WAF web ACL: the distribution only serves GETs of images from a private bucket, and a web ACL has a fixed monthly cost; add one if abuse shows up.
  #checkov:skip=CKV2_AWS_47:No WAF web ACL (see CKV_AWS_68), so no Log4j rule set; nothing behind this origin runs Java.
  #checkov:skip=CKV_AWS_86:Standard logs need a log bucket or delivery destination; CloudFront's CloudWatch metrics are enough for this service.
  #checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate cannot take a minimum TLS version; a custom domain with ACM (out of scope) would set TLSv1.2_2021.
  #checkov:skip=CKV2_AWS_42:A custom domain and ACM certificate are optional and out of scope; the default *.cloudfront.net certificate is used.
  #checkov:skip=CKV_AWS_310:Single S3 origin; failover would need a replicated second bucket, which is deliberately not created.
  #checkov:skip=CKV_AWS_374:The images are meant for every country; there is no legal or business reason to geo-restrict.
  #checkov:skip=CKV_AWS_305:There is no index document: the distribution only serves image keys, and / is a 403 from the private bucket.
  count = var.cdn_enabled ? 1 : 0

  enabled         = true
  comment         = "${var.project} images"
  is_ipv6_enabled = true
  http_version    = "http2and3"
  price_class     = var.cdn_price_class

  origin {
    origin_id                = local.images_origin_id
    domain_name              = aws_s3_bucket.images.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.images[0].id
  }

  default_cache_behavior {
    target_origin_id           = local.images_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.images[0].id
    compress                   = true
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
