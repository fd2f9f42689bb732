# The deploy role's second part: `terraform apply` of this folder from the
# push-to-master workflow. It manages exactly what this folder creates.
#
# This includes the deploy role and its own policies: a role that can rewrite
# its own policy can grant itself anything (the serverless part's
# iam:PutRolePolicy on <project>-* roles can too). That is why the role's trust
# is limited to the protected master and dev branches and their environments.

data "aws_iam_policy_document" "github_deploy_terraform" {
  # The backend lists the state bucket (workspaces) ...
  statement {
    sid       = "StateBucketList"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  # ... reads and writes the state and its lock file, and removes the lock.
  statement {
    sid       = "StateReadWrite"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.state_object_arn, local.state_lock_arn]
  }

  statement {
    sid       = "StateUnlock"
    actions   = ["s3:DeleteObject"]
    resources = [local.state_lock_arn]
  }

  # Both buckets and their sub-configurations: public access block, ownership,
  # encryption, versioning, lifecycle, CORS, policy, tags. No object access.
  statement {
    sid = "Buckets"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:ListBucket",
      "s3:GetBucket*",
      "s3:GetAccelerateConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketOwnershipControls",
      "s3:PutEncryptionConfiguration",
      "s3:PutBucketVersioning",
      "s3:PutLifecycleConfiguration",
      "s3:PutBucketCORS",
      "s3:PutBucketPolicy",
      "s3:DeleteBucketPolicy",
      "s3:PutBucketTagging",
    ]
    resources = [local.images_bucket_arn, local.deployment_bucket_arn]
  }

  # The SSM parameters under /<project>/.
  statement {
    sid = "Parameters"
    actions = [
      "ssm:PutParameter",
      "ssm:DeleteParameter",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:AddTagsToResource",
      "ssm:RemoveTagsFromResource",
      "ssm:ListTagsForResource",
    ]
    resources = [local.ssm_parameters_arn]
  }

  # The distribution (creating one with tags also needs TagResource).
  statement {
    sid = "CloudFrontDistribution"
    actions = [
      "cloudfront:CreateDistribution",
      "cloudfront:UpdateDistribution",
      "cloudfront:DeleteDistribution",
      "cloudfront:GetDistribution",
      "cloudfront:GetDistributionConfig",
      "cloudfront:TagResource",
      "cloudfront:UntagResource",
      "cloudfront:ListTagsForResource",
    ]
    resources = [local.cloudfront_distributions_arn]
  }

  # The origin access control and the response headers policy.
  statement {
    sid = "CloudFrontPolicies"
    actions = [
      "cloudfront:GetOriginAccessControl",
      "cloudfront:UpdateOriginAccessControl",
      "cloudfront:DeleteOriginAccessControl",
      "cloudfront:CreateResponseHeadersPolicy",
      "cloudfront:GetResponseHeadersPolicy",
      "cloudfront:UpdateResponseHeadersPolicy",
      "cloudfront:DeleteResponseHeadersPolicy",
    ]
    resources = [local.cloudfront_oacs_arn, local.cloudfront_header_policies_arn]
  }

  # The GitHub OIDC provider.
  statement {
    sid = "OidcProvider"
    actions = [
      "iam:CreateOpenIDConnectProvider",
      "iam:DeleteOpenIDConnectProvider",
      "iam:GetOpenIDConnectProvider",
      "iam:AddClientIDToOpenIDConnectProvider",
      "iam:RemoveClientIDFromOpenIDConnectProvider",
      "iam:UpdateOpenIDConnectProviderThumbprint",
      "iam:TagOpenIDConnectProvider",
      "iam:UntagOpenIDConnectProvider",
    ]
    resources = [local.github_oidc_provider_arn_by_name]
  }

  # The plan, deploy and API Gateway roles and their inline policies.
  statement {
    sid = "Roles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:PutRolePolicy",
      "iam:GetRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
    ]
    resources = local.managed_role_arns
  }

  # The API Gateway role gets AWS's AmazonAPIGatewayPushToCloudWatchLogs, only.
  statement {
    sid       = "ApiGatewayRoleManagedPolicy"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = local.managed_role_arns

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["${local.arn_prefix}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
    }
  }

  # Setting the account's CloudWatch role hands that role to API Gateway.
  statement {
    sid       = "PassApiGatewayRole"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${local.api_gateway_role_name}"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["apigateway.amazonaws.com"]
    }
  }

  # The region's API Gateway account setting (CloudWatch logs role).
  statement {
    sid       = "ApiGatewayAccount"
    actions   = ["apigateway:GET", "apigateway:PATCH"]
    resources = [local.api_gateway_account_arn]
  }

  # Actions AWS allows on "*" only: reading parameter metadata, looking up the
  # OIDC provider by URL, creating an origin access control (no ID before it exists).
  statement {
    sid = "UnscopedActions"
    actions = [
      "ssm:DescribeParameters",
      "iam:ListOpenIDConnectProviders",
      "cloudfront:CreateOriginAccessControl",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "github_deploy_terraform" {
  name   = "terraform-apply"
  role   = aws_iam_role.github_deploy.id
  policy = data.aws_iam_policy_document.github_deploy_terraform.json
}
