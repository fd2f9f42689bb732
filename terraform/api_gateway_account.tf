# API Gateway writes REST API execution and access logs to CloudWatch Logs with
# one role per account and region, set in the account settings. The Serverless
# Framework would otherwise set it through a custom resource on first deploy.
# Turn manage_api_gateway_account off when another stack already owns it.

data "aws_iam_policy_document" "api_gateway_assume" {
  # Only the API Gateway service may assume the role.
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  name               = local.api_gateway_role_name
  description        = "Lets API Gateway write REST API logs to CloudWatch Logs in ${var.region}"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume.json
}

# AWS's policy for exactly this purpose (create log groups and streams, put events).
resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  role       = aws_iam_role.api_gateway_cloudwatch[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

# Destroying this resource resets the account setting (AWS provider 6).
resource "aws_api_gateway_account" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn

  # API Gateway checks the role's permissions when the setting is saved.
  depends_on = [aws_iam_role_policy_attachment.api_gateway_cloudwatch]
}
