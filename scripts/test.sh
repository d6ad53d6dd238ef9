#!/usr/bin/env bash
# The whole test suite: installs what a fresh machine lacks, builds the solution (warnings are errors),
# runs every test project one after another and prints one closing line "Tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build OrleansUws.sln -c Release -nologo -v q || { echo "build failed"; exit 1; }
passed=0; failed=0; skipped=0; status=0; failures=$(mktemp)
# The numerics suite runs a second time with AVX-512 switched off in the runtime, so that the paths a CPU without it
# takes (the backend's GEMM for the rotation, the tiled factor Gram, the 256-bit factor product) are tested here too.
for run in tests/*/*.csproj "DOTNET_EnableAVX512=0 tests/Numerics.Tests/OrleansUws.Numerics.Tests.csproj"; do
  proj=${run##* }; env=(); [ "$proj" = "$run" ] || env=("${run% *}")
  log=$(mktemp)
  echo "== ${env[*]:-}${env:+ }$proj"
  env "${env[@]}" dotnet test --project "$proj" -c Release --no-build 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(grep -E '^\s*succeeded:' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  f=$(grep -E '^\s*failed:' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  s=$(grep -E '^\s*skipped:' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ]; then
    status=1; [ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
    # Each failed test's name and the first lines of its message, repeated at the end where a log's tail shows them.
    { echo "-- $proj (exit $rc)"; grep -A8 -E '^(failed|error) ' "$log" | cut -c1-300; } >>"$failures"
  fi
  rm -f "$log"
done
# The OpenAPI document `uws serve` serves, linted by Redocly CLI (recommended rules as errors); one test in the count.
echo "== OpenAPI lint (scripts/lint-openapi.sh)"
if scripts/lint-openapi.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; echo "-- OpenAPI lint" >>"$failures"; fi
# The deployment checks: node's test runner, whose closing "# pass N / # fail N / # skipped N" lines are counted.
log=$(mktemp); echo "== scripts/test-deploy.sh"; scripts/test-deploy.sh 2>&1 | tee "$log"; rc=${PIPESTATUS[0]}
count() { grep -E "^# $1 [0-9]+$" "$log" | tail -1 | grep -oE '[0-9]+' || echo 0; }
passed=$((passed + $(count pass))); failed=$((failed + $(count fail))); skipped=$((skipped + $(count skipped)))
if [ "$rc" -ne 0 ]; then
  status=1; [ "$(count fail)" -eq 0 ] && failed=$((failed + 1))
  { echo "-- scripts/test-deploy.sh (exit $rc)"; grep -A8 -E '^not ok ' "$log" | cut -c1-300; } >>"$failures"
fi; rm -f "$log"
if [ -s "$failures" ]; then echo "== What failed"; cat "$failures"; fi; rm -f "$failures"
echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit $status
