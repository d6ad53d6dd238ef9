#!/usr/bin/env bash
# The main job in one command: generates a planted Mistral-shaped LoRA fleet (unless --fleet is given),
# ingests it into an embedded Orleans silo and writes per-layer bases, the convergence CSV and plot to
# ./uws-output of the directory you run it from (override with --out). Extra arguments go to `uws run`
# (see `uws run --help`). Installs what a fresh Debian machine lacks first (libopenblas0, only when absent).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh" runtime
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Published for this machine's runtime with its dependencies precompiled (ReadyToRun; Directory.Build.targets leaves
# this repository's assemblies to the JIT): a job does not compile Orleans and ASP.NET Core method by method while it
# starts and the models arrive. Long-running processes (the silo and gateway images) keep the plain publish.
rid="$(dotnet --info | awk '$1 == "RID:" { print $2; exit }')"
[[ -n "$rid" ]] || { echo "run.sh: 'dotnet --info' names no runtime identifier (RID)" >&2; exit 1; }
dotnet publish "$root/src/Coordinator/OrleansUws.Coordinator.csproj" -c Release -r "$rid" --self-contained false \
  -p:PublishReadyToRun=true -o "$root/publish/uws" -nologo -v q
# Run the published program from the caller's directory, so relative --out/--fleet paths mean what they say.
exec dotnet "$root/publish/uws/uws.dll" run "$@"
