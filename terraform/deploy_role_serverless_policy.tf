# The deploy role's first part: `serverless deploy` of the stacks
# <project>-<stage> (stage dev or master), and reading a stage's API key for the
# smoke test. Names are matched by the <project>- prefix, as the framework names
# stacks, functions, roles and log groups after the service and the stage.
# The second part, for `terraform apply`, is in deploy_role_terraform_policy.tf.

locals {
  stacks_arn = "${local.arn_prefix}:cloudformation:${var.region}:${local.account_id}:stack/${var.project}-*/*"

  functions_arn = "${local.arn_prefix}:lambda:${var.region}:${local.account_id}:function:${var.project}-*"

  # This also matches the roles of this folder: see deploy_role_terraform_policy.tf.
  project_roles_arn = "${local.arn_prefix}:iam::${local.account_id}:role/${var.project}-*"

  log_groups_arns = [
    "${local.arn_prefix}:logs:${var.region}:${local.account_id}:log-group:/aws/lambda/${var.project}-*",
    "${local.arn_prefix}:logs:${var.region}:${local.account_id}:log-group:/aws/api-gateway/${var.project}-*",
  ]

  api_gateway_arn_prefix = "${local.arn_prefix}:apigateway:${var.region}::"
}

data "aws_iam_policy_document" "github_deploy_serverless" {
  # The framework creates, updates (directly or through change sets), describes
  # and removes the stage's stack.
  statement {
    sid = "Stacks"
    actions = [
      "cloudformation:CreateStack",
      "cloudformation:UpdateStack",
      "cloudformation:DeleteStack",
      "cloudformation:DescribeStacks",
      "cloudformation:DescribeStackEvents",
      "cloudformation:DescribeStackResource",
      "cloudformation:DescribeStackResources",
      "cloudformation:ListStackResources",
      "cloudformation:GetTemplate",
      "cloudformation:CreateChangeSet",
      "cloudformation:DescribeChangeSet",
      "cloudformation:ExecuteChangeSet",
      "cloudformation:DeleteChangeSet",
      "cloudformation:ListChangeSets",
      "cloudformation:TagResource",
      "cloudformation:UntagResource",
    ]
    resources = [local.stacks_arn]
  }

  # The framework checks the deployment bucket and lists previous artifacts ...
  statement {
    sid       = "DeploymentBucketList"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.deployment_bucket_arn]
  }

  # ... uploads the new ones (a zip over 5 MiB in parts, whose upload the SDK
  # aborts when it fails), prunes old ones; CloudFormation reads the template
  # and Lambda the zip with the caller's credentials.
  statement {
    sid       = "DeploymentArtifacts"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${local.deployment_bucket_arn}/*"]
  }

  # CloudFormation manages the functions, their versions and the permissions
  # that let API Gateway invoke them.
  statement {
    sid = "Functions"
    actions = [
      "lambda:Get*",
      "lambda:ListTags",
      "lambda:ListVersionsByFunction",
      "lambda:CreateFunction",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:DeleteFunction",
      "lambda:PublishVersion",
      "lambda:AddPermission",
      "lambda:RemovePermission",
      "lambda:PutFunctionConcurrency",
      "lambda:DeleteFunctionConcurrency",
      "lambda:TagResource",
      "lambda:UntagResource",
    ]
    resources = [local.functions_arn]
  }

  # CloudFormation manages the functions' execution roles, their inline
  # policies and tags (the framework attaches no managed policy: logs and X-Ray
  # rights are inline, and the API Gateway logs role belongs to terraform/).
  statement {
    sid = "FunctionRoles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:ListRoleTags",
      "iam:PutRolePolicy",
      "iam:GetRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
    ]
    resources = [local.project_roles_arn]
  }

  # CloudFormation hands the execution roles to Lambda, and to nothing else.
  statement {
    sid       = "PassFunctionRoles"
    actions   = ["iam:PassRole"]
    resources = [local.project_roles_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  # CloudFormation manages the functions' and the REST API's log groups; its
  # log group handler also reads (and on delete removes) a data protection policy.
  statement {
    sid = "LogGroups"
    actions = [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:PutRetentionPolicy",
      "logs:DeleteRetentionPolicy",
      "logs:GetDataProtectionPolicy",
      "logs:DeleteDataProtectionPolicy",
      "logs:TagResource",
      "logs:UntagResource",
      "logs:ListTagsForResource",
      "logs:TagLogGroup",
      "logs:UntagLogGroup",
      "logs:ListTagsLogGroup",
    ]
    resources = local.log_groups_arns
  }

  # CloudFormation manages the REST API, its stage, API keys and usage plans;
  # `serverless info` and the smoke test read a stage's API key value through
  # GET /apikeys/<id>?includeValue=true, covered here.
  statement {
    sid     = "RestApis"
    actions = ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
    resources = [
      "${local.api_gateway_arn_prefix}/restapis*",
      "${local.api_gateway_arn_prefix}/apikeys*",
      "${local.api_gateway_arn_prefix}/usageplans*",
      "${local.api_gateway_arn_prefix}/tags/*",
    ]
  }

  # The framework always writes a (blank) Policy on the REST API, which
  # CloudFormation sets on create and update: a separate API Gateway action.
  statement {
    sid       = "RestApiPolicy"
    actions   = ["apigateway:UpdateRestApiPolicy"]
    resources = ["${local.api_gateway_arn_prefix}/restapis*"]
  }

  # The framework resolves ${ssm:/<project>/...} in serverless.yml.
  statement {
    sid       = "ParametersRead"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = [local.ssm_parameters_arn]
  }

  # The framework validates its template before deploying; AWS allows this on "*" only.
  statement {
    sid       = "ValidateTemplate"
    actions   = ["cloudformation:ValidateTemplate"]
    resources = ["*"]
  }

  # CloudFormation's log group handler looks log groups up by name prefix and
  # reads index and resource policies; AWS allows these reads on "*" only.
  statement {
    sid = "LogGroupsUnscopedReads"
    actions = [
      "logs:DescribeLogGroups",
      "logs:DescribeIndexPolicies",
      "logs:DescribeResourcePolicies",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "github_deploy_serverless" {
  name   = "serverless-deploy"
  role   = aws_iam_role.github_deploy.id
  policy = data.aws_iam_policy_document.github_deploy_serverless.json
}
