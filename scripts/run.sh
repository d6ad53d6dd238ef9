#!/usr/bin/env bash
# The main job in one command: generates a planted Mistral-shaped LoRA fleet (unless --fleet is given),
# ingests it into an embedded Orleans silo and writes per-layer bases, the convergence CSV and plot to
# ./uws-output (override with --out). Extra arguments go to `uws run` (see `uws run --help`).
# Installs what a fresh Debian machine lacks first (libopenblas0, only when absent; needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh runtime
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
exec dotnet run -c Release --project src/Coordinator -- run "$@"
