#!/usr/bin/env bash
# Runs the numerics benchmark (Release). Installs what the comparison needs when it is missing:
# Debian's OpenBLAS and numpy/scikit-learn for the system /usr/bin/python3 (needs root for apt).
# Usage: scripts/bench-numerics.sh [--backend auto|openblas|managed|cuda] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0' || need+=(libopenblas0)
if ! /usr/bin/python3 -c 'import numpy, sklearn' 2>/dev/null; then
  need+=(python3-numpy python3-sklearn)
fi
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

dotnet build -c Release bench/Numerics.Bench -v q -nologo
exec dotnet bench/Numerics.Bench/bin/Release/net10.0/OrleansUws.Numerics.Bench.dll "$@"
