#!/usr/bin/env bash
# `make fuzz`: the event fuzzer at full size — 10,000 cases per client event (VISITA_FUZZ_PER_EVENT),
# aimed at real consultations in every state, by their practitioner, their patients, another
# practitioner and another consultation's patient (packages/signaling/test/fuzz.test.ts), inside a
# loopback-only network namespace. `make test` runs the same test with 300 cases in all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"
PER_EVENT="${VISITA_FUZZ_PER_EVENT:-10000}"
EVENTS="$(node --input-type=module -e "const p = await import('./packages/protocol/src/index.ts'); console.log(Object.keys(p.clientRequestSchemas).length)")"
export VISITA_FUZZ_RUNS=$((PER_EVENT * EVENTS))
step "fuzzing $EVENTS client events, $PER_EVENT cases each ($VISITA_FUZZ_RUNS in all; a few minutes)"
run_isolated() { if [ "${VISITA_NO_NETNS:-0}" = 1 ]; then "$@"; else unshare -n bash -c 'ip link set lo up && exec "$@"' netns "$@"; fi; }
run_isolated pnpm exec vitest run --project integration packages/signaling/test/fuzz.test.ts --testTimeout=3600000
step "every case answered with a typed ack, nothing changed but what its actor was allowed to change"
