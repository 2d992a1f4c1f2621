#!/usr/bin/env bash
# Deploys CustomLabels to AWS: builds the Lambda package (a self-contained linux-x64 "bootstrap" for the
# provided.al2023 runtime), uploads it with the state machine definition to an artefact bucket, deploys the
# CloudFormation stack (infra/customlabels.yaml) and prints the dashboard's settings from the stack's outputs.
#
# Usage: infra/deploy.sh --stack NAME --artifact-bucket BUCKET [--region REGION] [--workteam-arn ARN]
#                        [--operator-email EMAIL] [--memory MB]
# Needs: the .NET SDK, the AWS CLI v2 with credentials allowed to deploy the stack (IAM roles included), zip.
set -euo pipefail

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

stack=""
artifact_bucket=""
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
workteam_arn=""
operator_email=""
memory=1024
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) stack="${2:?--stack needs a name}"; shift 2 ;;
    --artifact-bucket) artifact_bucket="${2:?--artifact-bucket needs a bucket}"; shift 2 ;;
    --region) region="${2:?--region needs a region}"; shift 2 ;;
    --workteam-arn) workteam_arn="${2:?--workteam-arn needs an ARN}"; shift 2 ;;
    --operator-email) operator_email="${2:?--operator-email needs an address}"; shift 2 ;;
    --memory) memory="${2:?--memory needs megabytes}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "Unknown argument: $1" >&2; usage 2 ;;
  esac
done

if [ -z "$stack" ] || [ -z "$artifact_bucket" ]; then
  echo "--stack and --artifact-bucket are required." >&2
  usage 2
fi
# Function names (<stack>-<handler>, at most 64 characters), the flow definition and the Cognito domain
# take lower-case names only.
if ! [[ "$stack" =~ ^[a-z][a-z0-9-]{0,30}$ ]]; then
  echo "The stack name must be 1 to 31 lower-case letters, digits and hyphens, starting with a letter: '$stack' is not." >&2
  exit 2
fi
for tool in dotnet aws zip; do
  command -v "$tool" >/dev/null || { echo "$tool is needed to deploy." >&2; exit 2; }
done

region_args=()
if [ -n "$region" ]; then
  region_args=(--region "$region")
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "Building the Lambda package..."
dotnet publish "$root/infra/CustomLabels.Lambda/CustomLabels.Lambda.csproj" \
  -c Release -r linux-x64 --self-contained true -o "$work/publish" -p:TreatWarningsAsErrors=true >/dev/null
chmod +x "$work/publish/bootstrap"
unzipped_mb="$(du -sm "$work/publish" | cut -f1)"
if [ "$unzipped_mb" -ge 250 ]; then
  echo "The Lambda package is ${unzipped_mb} MB unzipped; Lambda takes at most 250 MB." >&2
  exit 1
fi
(cd "$work/publish" && zip -qr -X "$work/lambda.zip" .)

# Content-addressed keys: CloudFormation updates the functions and the state machine only when a key changes.
package_hash="$(sha256sum "$work/lambda.zip" | cut -c1-16)"
definition_hash="$(sha256sum "$root/infra/statemachine.asl.json" | cut -c1-16)"
package_key="customlabels/$stack/lambda-$package_hash.zip"
definition_key="customlabels/$stack/statemachine-$definition_hash.asl.json"

echo "Uploading to s3://$artifact_bucket/customlabels/$stack/ ..."
aws s3 cp "${region_args[@]}" --only-show-errors "$work/lambda.zip" "s3://$artifact_bucket/$package_key"
aws s3 cp "${region_args[@]}" --only-show-errors "$root/infra/statemachine.asl.json" "s3://$artifact_bucket/$definition_key"

echo "Deploying the stack $stack..."
aws cloudformation deploy "${region_args[@]}" \
  --stack-name "$stack" \
  --template-file "$root/infra/customlabels.yaml" \
  --capabilities CAPABILITY_IAM \
  --no-fail-on-empty-changeset \
  --parameter-overrides \
    "ArtifactBucket=$artifact_bucket" \
    "LambdaPackageKey=$package_key" \
    "DefinitionKey=$definition_key" \
    "WorkteamArn=$workteam_arn" \
    "OperatorEmail=$operator_email" \
    "LambdaMemorySize=$memory"

deployed_region="$(aws configure get region 2>/dev/null || true)"
deployed_region="${region:-$deployed_region}"
echo
echo "Deployed. Run the dashboard against it with these settings (environment variables):"
echo "  CustomLabels__Backend=Aws"
echo "  CustomLabels__Aws__Region=$deployed_region"
aws cloudformation describe-stacks "${region_args[@]}" --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey!='DashboardPolicyArn'].[OutputKey,OutputValue]" --output text |
  while read -r key value; do
    echo "  CustomLabels__Aws__${key}=${value}"
  done
echo "Attach the managed policy $(aws cloudformation describe-stacks "${region_args[@]}" --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='DashboardPolicyArn'].OutputValue" --output text) to the dashboard's role or user."
