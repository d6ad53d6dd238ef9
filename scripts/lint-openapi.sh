#!/usr/bin/env bash
# Lints the OpenAPI document that `uws serve` serves (GET /openapi/v1.json) with Redocly CLI, every recommended rule an
# error (tools/openapi-lint/redocly.yaml). Needs the Release build of src/Coordinator (scripts/test.sh builds it first).
# Exit status: the linter's (0 = the document is clean).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-openapi-lint.sh
uws=src/Coordinator/bin/Release/net10.0/uws
[ -x "$uws" ] || { echo "lint-openapi: $uws is missing: dotnet build src/Coordinator -c Release" >&2; exit 1; }
work=$(mktemp -d)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port); silo=$(free_port); gateway=$(free_port)
"$uws" serve --urls "http://127.0.0.1:$port" --silo-port "$silo" --gateway-port "$gateway" --upload-dir "$work/uploads" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "lint-openapi: uws serve exited:"; cat "$work/serve.log"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/openapi/v1.json" -o "$work/openapi.json"
NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off tools/openapi-lint/node_modules/.bin/redocly lint \
  --config tools/openapi-lint/redocly.yaml "$work/openapi.json" 2>&1 | grep -v '[║╔╚]'
exit "${PIPESTATUS[0]}"
