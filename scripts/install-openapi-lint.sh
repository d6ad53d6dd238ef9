#!/usr/bin/env bash
# Installs what scripts/lint-openapi.sh needs when missing: Node.js and npm (Debian packages, root), then the pinned
# Redocly CLI into tools/openapi-lint/node_modules from its lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-openapi-lint: node and npm are missing; run as root or install them with apt-get (nodejs npm)" >&2
    exit 1
  fi
  echo "install-openapi-lint: installing nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -x tools/openapi-lint/node_modules/.bin/redocly ]; then
  npm ci --prefix tools/openapi-lint --no-audit --no-fund --loglevel=error >/dev/null
fi
