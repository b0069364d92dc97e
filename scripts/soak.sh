#!/usr/bin/env bash
# Soak: consultations cycling in headless Chromium for SOAK_MINUTES (30) while every resource is
# sampled; fails on leftovers or growth that does not level off; writes docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"
step "building the web client"
build_web_client "$ROOT/.state/web-build.log"
step "soak: consultations for ${SOAK_MINUTES:-30} minutes (progress every 10 calls)"
unshare -n bash -c 'ip link set lo up && exec node --expose-gc packages/web-client/e2e/soak.ts'
