#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK, idempotently and quietly:
#  - Debian's awscli, whose bundled botocore service models check the hand-written AWS clients' requests;
#  - AWS's cfn-lint (Python), which validates the template and parses it for the tests;
#  - npm tools, pinned, in .ci/tools (git-ignored): s3rver (S3), dynalite (DynamoDB), asl-validator (the state
#    machine).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
dpkg -s awscli >/dev/null 2>&1 || missing+=(awscli)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cfn_lint=1.51.0
if [ "$(cfn-lint --version 2>/dev/null)" != "cfn-lint $cfn_lint" ]; then
  python3 -m pip install --quiet --disable-pip-version-check "cfn-lint==$cfn_lint"
fi

tools=.ci/tools
wanted="s3rver@3.7.1 dynalite@4.0.0 asl-validator@4.0.0"
if [ "$(cat "$tools/.installed" 2>/dev/null)" != "$wanted" ]; then
  mkdir -p "$tools"
  # One install for every tool: npm prunes what a later install does not name.
  # shellcheck disable=SC2086 # the list is meant to split into package specs
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error $wanted >/dev/null
  echo "$wanted" > "$tools/.installed"
fi
