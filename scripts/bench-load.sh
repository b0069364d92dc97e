#!/usr/bin/env bash
# Patient page on a slow phone network (DevTools' Slow 4G, iPhone 13 emulation, 5 runs): time to an
# interactive device check and bytes received; writes docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"
step "building the web client"
build_web_client "$ROOT/.state/web-build.log"
step "opening the patient link ${BENCH_RUNS:-5} times over Slow 4G (about 10 s each)"
unshare -n bash -c 'ip link set lo up && exec node packages/web-client/e2e/benchLoad.ts'
