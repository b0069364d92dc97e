#!/usr/bin/env bash
# Join-latency benchmark (20 consultations in headless Chromium); writes docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"
step "building the web client"
build_web_client "$ROOT/.state/web-build.log"
step "running ${BENCH_CALLS:-20} consultations (about 10 s each)"
unshare -n bash -c 'ip link set lo up && exec node packages/web-client/e2e/benchJoin.ts'
