#!/usr/bin/env bash
# SFU capacity benchmark: consultations through one mediasoup worker pinned to one core, stepping up
# until a receiver loses more than 1 %; writes docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"
command -v taskset >/dev/null || die "taskset (util-linux) is required"
command -v tcpdump >/dev/null || die "tcpdump is required (make install adds it)"
[ "$(nproc)" -ge 2 ] || die "the benchmark pins the worker and the bots to two different cores"
step "SFU capacity: ${BENCH_SFU_STEPS:-50,100,150,200,250,300,350,400} consultations, ${BENCH_SFU_SECONDS:-8} s each (a few minutes)"
unshare -n bash -c 'ip link set lo up && { ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; } && exec node packages/sfu/bench/capacity.ts'
