#!/usr/bin/env bash
# Signaling capacity benchmark (1k, 5k, 10k, 19k waiting patients); writes docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"
command -v taskset >/dev/null || die "taskset (util-linux) is required"
step "signaling capacity for ${BENCH_SIZES:-1000,5000,10000,19000} waiting patients (a few minutes)"
unshare -n bash -c 'ip link set lo up && { ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"; } && exec node packages/signaling/bench/capacity.ts'
