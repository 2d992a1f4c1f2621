#!/usr/bin/env bash
# Validates infra/: the CloudFormation template with cfn-lint and the state machine with asl-validator.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.ci/tools/node_modules/.bin

node .ci/cfn-lint.js infra/customlabels.yaml infra/cfn-lint-spec-additions.json
"$bin/asl-validator" --json-path infra/statemachine.asl.json
