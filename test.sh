#!/usr/bin/env bash
# Runs every test of CustomLabels. On a fresh Debian machine it first installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# awscli (botocore models), AWS's cfn-lint, and the pinned npm tools: s3rver, dynalite, asl-validator.
.ci/install-test-tools.sh

# The deployment: the CloudFormation template and the one state machine definition.
.ci/validate-infra.sh

# The browser tests drive Debian's chromium through Playwright's bundled driver; Playwright never downloads a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "Installing chromium for the browser tests..."
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

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
