#!/usr/bin/env bash
# Quick start, one command on a fresh Debian 12 machine (as root): set everything up, build, and
# start the server; it prints its URL with the access token. Extra arguments go to `nslab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm build
exec node --optimize-for-size dist/nslab.mjs serve "$@"
