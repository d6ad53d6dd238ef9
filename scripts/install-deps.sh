#!/usr/bin/env bash
# Installs the Debian packages OrleansUws uses at run or test time, only those that are missing.
#   scripts/install-deps.sh runtime   -> libopenblas0 (the CPU BLAS backend; the managed backend is the fallback)
#   scripts/install-deps.sh test      -> runtime + redis-server (real Redis in tests) + numpy/scikit-learn
#                                        for the system /usr/bin/python3 (interop tests and benchmark comparisons)
#                                        + prometheus (the dashboard test scrapes a real uws serve; promtool checks the rules)
#   scripts/install-deps.sh deploy    -> redis-server, wget + Go, sprig, semver, yaml.v2 and yaml.v3 sources (tools/chart-render, offline)
set -euo pipefail
profile="${1:-runtime}"
packages=(libopenblas0)
if [ "$profile" = "deploy" ]; then
  packages=(redis-server wget golang-go golang-github-masterminds-sprig-dev golang-github-masterminds-semver-dev golang-gopkg-yaml.v2-dev golang-gopkg-yaml.v3-dev)
fi
if [ "$profile" = "test" ]; then
  packages+=(redis-server python3-numpy python3-sklearn prometheus)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
