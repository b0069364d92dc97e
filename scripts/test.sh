#!/usr/bin/env bash
# Run every test: typecheck, unit, integration (real worker, real redis-server, real Socket.IO),
# browser end-to-end (Debian Chromium). The test processes run inside a loopback-only network
# namespace, so no media or server ever touches a real interface.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"

step "typecheck"
pnpm -r --reporter=append-only typecheck >/dev/null || { pnpm -r typecheck; die "typecheck failed"; }
step "format and lint (Biome; \`pnpm format\` rewrites the files)"
pnpm exec biome check . >"$ROOT/.state/biome.log" 2>&1 || { cat "$ROOT/.state/biome.log"; die "format or lint check failed (pnpm format fixes the formatting)"; }
step "building the web client"
build_web_client "$ROOT/.state/web-build.log"

run_isolated() { # $@: a command, run in a fresh network namespace where only `lo` exists
  if [ "${VISITA_NO_NETNS:-0}" = 1 ]; then "$@"; else unshare -n bash -c 'ip link set lo up && exec "$@"' netns "$@"; fi
}
if [ "${VISITA_NO_NETNS:-0}" != 1 ] && ! unshare -n true 2>/dev/null; then
  die "cannot create a network namespace (needs root or user namespaces); VISITA_NO_NETNS=1 runs the tests without isolation"
fi

REPORTS="$ROOT/.state/test-reports"; rm -rf "$REPORTS"; mkdir -p "$REPORTS"
summary() { # one plain closing line over every vitest run: "tests: N passed, N failed"
  node -e '
    const fs = require("fs"), dir = process.argv[1]; let p = 0, f = 0, s = 0;
    for (const n of fs.readdirSync(dir)) { const r = JSON.parse(fs.readFileSync(dir + "/" + n, "utf8"));
      p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests ?? 0); }
    console.log(`tests: ${p} passed, ${f} failed, ${s} skipped`);' "$REPORTS" 2>/dev/null || true
}
vitest_run() { # name, projects...
  local name="$1"; shift
  run_isolated pnpm exec vitest run "$@" --reporter=default --reporter=json --outputFile.json="$REPORTS/$name.json"
}
# The attack suites record what they try (packages/signaling/test/support/attackLog.ts); the table
# of attacks tried and refused is printed at the end, before the closing line. `make security` runs
# them alone, at a larger size.
ATTACKS="$ROOT/.state/test-attacks.jsonl"; rm -f "$ATTACKS"
attack_table() { [ -s "$ATTACKS" ] || return 0; step "attacks tried and refused"; node scripts/attackTable.ts "$ATTACKS" "$REPORTS/unit-integration.json" 2>/dev/null || true; }
trap 'rc=$?; attack_table; summary; exit $rc' EXIT
VISITA_SCHEMATHESIS="$(bash "$ROOT/scripts/ensure-schemathesis.sh")"; export VISITA_SCHEMATHESIS # the API fuzzer (apiFuzz.test.ts)
VISITA_K8S_TOOLS="$(bash "$ROOT/scripts/ensure-k8s-tools.sh")"; export VISITA_K8S_TOOLS # infra/k8s validation (k8s.test.ts)
VISITA_MOTO="$(bash "$ROOT/scripts/ensure-moto.sh")"; export VISITA_MOTO # an S3-compatible server (objectStore.test.ts)
bash "$ROOT/scripts/ensure-artillery.sh" >/dev/null # the surge smoke (loadtests/surgeSmoke.test.ts) runs Artillery 2
export ARTILLERY_DISABLE_TELEMETRY=true

step "unit and integration tests"
VISITA_ATTACK_LOG="$ATTACKS" vitest_run unit-integration --project unit --project integration
step "browser end-to-end tests (headless Chromium, fake camera and microphone) and the surge smoke (Artillery)"
vitest_run e2e --project e2e
step "all tests passed"
