#!/usr/bin/env bash
# The attack suites as one run (`make security`): every test file of scripts/attackTable.ts's list,
# inside a loopback-only network namespace, fuzzing at a larger size than `make test`; then the
# table of attacks tried and refused. Exits non-zero if an attack was not refused or a test failed.
#   VISITA_FUZZ_RUNS           fuzzed Socket.IO events, real ids (fuzz.test.ts; make test: 300) default 3000
#   VISITA_API_FUZZ_EXAMPLES   schemathesis cases per operation (apiFuzz.test.ts; make test: 25) default 300
#   VISITA_NO_NETNS=1          without the network namespace (where namespaces are not allowed)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"

# The API fuzzer, installed outside the namespace (the first time it needs PyPI).
VISITA_SCHEMATHESIS="$(bash "$ROOT/scripts/ensure-schemathesis.sh")"
export VISITA_SCHEMATHESIS
export VISITA_FUZZ_RUNS="${VISITA_FUZZ_RUNS:-3000}" VISITA_API_FUZZ_EXAMPLES="${VISITA_API_FUZZ_EXAMPLES:-300}"

run_isolated() { # $@: a command, run in a fresh network namespace where only `lo` exists
  if [ "${VISITA_NO_NETNS:-0}" = 1 ]; then "$@"; else unshare -n bash -c 'ip link set lo up && exec "$@"' netns "$@"; fi
}
if [ "${VISITA_NO_NETNS:-0}" != 1 ] && ! unshare -n true 2>/dev/null; then
  die "cannot create a network namespace (needs root or user namespaces); VISITA_NO_NETNS=1 runs the tests without isolation"
fi

mapfile -t FILES < <(node scripts/attackTable.ts --files)
[ ${#FILES[@]} -gt 0 ] || die "no attack suite found"
if printf '%s\n' "${FILES[@]}" | grep -q '^packages/web-client/'; then
  step "building the web client (its server is attacked)"
  build_web_client "$ROOT/.state/web-build.log"
fi

OUT="$ROOT/.state/security"; rm -rf "$OUT"; mkdir -p "$OUT"
export VISITA_ATTACK_LOG="$OUT/attacks.jsonl"
step "attack suites: ${#FILES[@]} files, $VISITA_FUZZ_RUNS random event payloads, $VISITA_API_FUZZ_EXAMPLES API cases per operation and phase"
rc=0
run_isolated pnpm exec vitest run --project integration "${FILES[@]}" \
  --reporter=default --reporter=json --outputFile.json="$OUT/report.json" || rc=$?

step "attacks tried and refused"
node scripts/attackTable.ts "$VISITA_ATTACK_LOG" "$OUT/report.json" || { [ "$rc" != 0 ] || rc=1; }
[ "$rc" = 0 ] || die "security: an attack was not refused or a test failed (log: $VISITA_ATTACK_LOG)"
step "every attack refused"
