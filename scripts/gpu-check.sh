#!/usr/bin/env bash
# GPU check of the CUDA backend (issue 5), in two steps on two machines.
#
#   scripts/gpu-check.sh --publish   on a machine with the .NET SDK: publishes the numerics test suite and the
#                                    numerics benchmark self-contained for linux-x64 into one folder (one shared
#                                    runtime), packs it as publish/gpu/uws-gpu.tar.xz (must stay <= 60 MB).
#   scripts/gpu-check.sh --run       on the GPU machine (NVIDIA driver + CUDA 12/13 libraries, no dotnet, no
#                                    network): unpacks the archive, finds the CUDA libraries, runs the test suite
#                                    against cuda and the CPU backends, then the benchmark. Logs go to $OUT (the
#                                    device tool's folder) or to the work folder.
#
# Through the device tool (docs/cuda.md): carry ["publish"], command "bash scripts/gpu-check.sh --run".
# Options for --run (environment): UWS_GPU_PARTS, a list of "tests gpu planted" (default: all three; split
# them over two calls if one would pass the device tool's 10 minutes); UWS_GPU_QUICK=1 smaller benchmark
# sizes; UWS_GPU_WORK (default /tmp/uws-gpu); UWS_GPU_CPU_BACKEND (default openblas, falling back to managed
# when libopenblas is absent there).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
publish_dir="$root/publish/gpu"
archive="$publish_dir/uws-gpu.tar.xz"
limit_bytes=$((60 * 1000 * 1000))

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

publish() {
  command -v dotnet >/dev/null || { echo "gpu-check: --publish needs the .NET SDK (dotnet) on PATH" >&2; exit 1; }
  local stage="$root/artifacts/gpu-stage"
  rm -rf "$stage" "$publish_dir"
  mkdir -p "$stage" "$publish_dir"
  local common=(-c Release -r linux-x64 --self-contained -p:SatelliteResourceLanguages=en -p:DebugType=none -p:GenerateDocumentationFile=false --nologo)
  dotnet publish "$root/tests/Numerics.Tests" "${common[@]}" -o "$stage/tests"
  dotnet publish "$root/bench/Numerics.Bench" "${common[@]}" -o "$stage/bench"

  # One folder, one runtime: the two apps must agree on every file they share.
  mkdir -p "$stage/app"
  cp -a "$stage/tests/." "$stage/app/"
  local clash=0
  while IFS= read -r -d '' file; do
    local rel="${file#"$stage/bench/"}"
    if [[ -e "$stage/app/$rel" ]] && ! cmp -s "$file" "$stage/app/$rel"; then
      echo "gpu-check: the test suite and the benchmark ship different copies of $rel" >&2
      clash=1
    fi
  done < <(find "$stage/bench" -type f -print0)
  [[ $clash -eq 0 ]] || exit 1
  cp -a "$stage/bench/." "$stage/app/"

  git -C "$root" rev-parse HEAD > "$stage/app/uws-commit.txt" 2>/dev/null || echo unknown > "$stage/app/uws-commit.txt"
  tar -C "$stage" -cf - app | xz -9 -T2 > "$archive"
  local unpacked packed
  unpacked=$(du -sb "$stage/app" | cut -f1)
  packed=$(stat -c %s "$archive")
  awk -v a="${archive#"$root/"}" -v f="$(find "$stage/app" -type f | wc -l)" -v u="$unpacked" -v p="$packed" \
    'BEGIN { printf "gpu-check: published %s (%d files, %.1f MB unpacked, %.1f MB packed)\n", a, f, u / 1e6, p / 1e6 }'
  if (( packed > limit_bytes )); then
    echo "gpu-check: the archive is over the 60 MB limit" >&2
    exit 1
  fi
}

find_cuda_libraries() {
  # Directories holding libcublas.so.13/.12: the toolkit's, then Python wheels' (nvidia-cublas, nvidia-cusolver, ...).
  local dirs=() dir
  for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu; do
    [[ -d "$dir" ]] && dirs+=("$dir")
  done
  while IFS= read -r lib; do
    dirs+=("$(dirname "$lib")")
  done < <(find /usr/local /opt /usr/lib -maxdepth 9 \( -name 'libcublas.so.1[23]' -o -name 'libcusolver.so.1[12]' -o -name 'libcudart.so.1[23]' -o -name 'libnvJitLink.so.1[23]' -o -name 'libcusparse.so.12' \) 2>/dev/null | sort -u)
  local joined
  joined=$(printf '%s\n' "${dirs[@]}" | awk '!seen[$0]++' | paste -sd:)
  export LD_LIBRARY_PATH="${joined}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export UWS_CUDA_LIBRARY_PATH="$joined"
  echo "gpu-check: CUDA library path: $joined"
}

unpack() {
  local target="$1"
  rm -rf "$target" && mkdir -p "$target"
  if command -v xz >/dev/null; then
    xz -dc "$archive" | tar -C "$target" -xf -
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$archive" "$target"
  fi
}

run() {
  [[ -f "$archive" ]] || { echo "gpu-check: $archive is missing: run scripts/gpu-check.sh --publish first and carry publish/" >&2; exit 1; }
  local work="${UWS_GPU_WORK:-/tmp/uws-gpu}"
  local logs="${OUT:-$work/logs}"
  mkdir -p "$logs"
  unpack "$work"
  local app="$work/app"
  echo "gpu-check: build $(cat "$app/uws-commit.txt")"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || echo "gpu-check: nvidia-smi not available"
  find_cuda_libraries

  local cpu="${UWS_GPU_CPU_BACKEND:-openblas}"
  # grep reads all of ldconfig's output (no -q): an early exit would fail the pipeline under pipefail.
  if [[ "$cpu" == openblas ]] && ! ldconfig -p 2>/dev/null | grep 'libopenblas.so.0' >/dev/null; then
    echo "gpu-check: libopenblas.so.0 not found here; the CPU comparison uses the managed backend"
    cpu=managed
  fi

  local status=0 parts=" ${UWS_GPU_PARTS:-tests gpu planted} "
  local quick=()
  [[ "${UWS_GPU_QUICK:-0}" == 1 ]] && quick=(--quick)
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  if [[ "$parts" == *" tests "* ]]; then
    echo "gpu-check: numerics test suite, backends cuda,$cpu,managed"
    local started=$SECONDS
    set +e
    UWS_TEST_BACKENDS="cuda,$cpu,managed" "$app/OrleansUws.Numerics.Tests" -noColor 2>&1 | tee "$logs/tests.log"
    status=${PIPESTATUS[0]}
    set -e
    echo "gpu-check: test suite exit code $status ($((SECONDS - started)) s)"
  fi

  if [[ "$parts" == *" gpu "* ]]; then
    echo "gpu-check: GPU benchmark cases (CPU comparison: $cpu)"
    local started=$SECONDS
    UWS_BLAS= "$app/OrleansUws.Numerics.Bench" gpu --cpu "$cpu" "${quick[@]}" 2>&1 | tee "$logs/bench-gpu.log" || status=1
    echo "gpu-check: GPU benchmark cases took $((SECONDS - started)) s"
  fi

  if [[ "$parts" == *" planted "* ]]; then
    local python
    python="$(command -v python3 || echo /usr/bin/python3)"
    for backend in cuda "$cpu"; do
      echo "gpu-check: numerics benchmark (planted fleet), --backend $backend"
      local started=$SECONDS
      UWS_BLAS= "$app/OrleansUws.Numerics.Bench" --backend "$backend" --python "$python" "${quick[@]}" 2>&1 | tee "$logs/bench-$backend.log" || status=1
      echo "gpu-check: --backend $backend took $((SECONDS - started)) s"
    done
  fi
  return "$status"
}

case "${1:-}" in
  --publish) publish ;;
  --run) run ;;
  *) usage ;;
esac
