#!/usr/bin/env bash
# Runs every test of CustomLabels. On a fresh Debian machine it first installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The workflow definition must be valid Amazon States Language: asl-validator (npm, pinned) checks it.
ASL_VALIDATOR_VERSION=4.0.0
if [ "$(node -p "require('./.ci/tools/node_modules/asl-validator/package.json').version" 2>/dev/null)" != "$ASL_VALIDATOR_VERSION" ]; then
  if ! command -v npm >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  npm install --prefix .ci/tools --no-save --no-audit --no-fund --silent "asl-validator@$ASL_VALIDATOR_VERSION"
fi
.ci/tools/node_modules/.bin/asl-validator --json-path infra/statemachine.asl.json

dotnet build CustomLabels.slnx -c Release

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test CustomLabels.slnx -c Release --no-build --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# One closing line for the whole run, summed over the test assemblies.
awk '/^ +Passed: +[0-9]+ *$/ { p += $2 }
     /^ +Failed: +[0-9]+ *$/ { f += $2 }
     /^ +Skipped: +[0-9]+ *$/ { s += $2 }
     END { printf "%d passed, %d failed", p, f; if (s) printf ", %d skipped", s; printf "\n" }' "$log"
exit "$status"
