#!/usr/bin/env bash
# The deployment checks (docs/deploy.md): renders helm/orleans-uws with tools/chart-render (helm template's contract,
# built offline from Debian's Go packages) and k8s/ overlays with `kubectl kustomize`, schema-checks every object with
# kubernetes-models, checks the Orleans settings and the Dockerfiles, and runs the chart's Redis, silo and gateway pods
# on loopback through their probes. Needs the Release build of src/Silo and src/Coordinator (scripts/test.sh builds
# them first). Ends with node's test summary ("# pass N", "# fail N", "# skipped N"); exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh deploy
(cd tools/chart-render && mkdir -p bin && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="${GOCACHE:-$PWD/bin/.gocache}" go build -o bin/chart-render .)
cd tools/k8s-validate
npm ci --no-audit --no-fund --loglevel=error
exec node --test --test-reporter=tap
