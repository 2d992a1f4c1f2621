#!/usr/bin/env bash
# Validates infra/: the CloudFormation template with AWS's cfn-lint (current resource specifications and rules)
# and the state machine with asl-validator.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.ci/tools/node_modules/.bin

cfn-lint infra/customlabels.yaml
echo "infra/customlabels.yaml: valid ($(cfn-lint --version))"
"$bin/asl-validator" --json-path infra/statemachine.asl.json
