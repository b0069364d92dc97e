#!/usr/bin/env bash
# Print the path of the schemathesis CLI (the API fuzzer of packages/signaling/test/apiFuzz.test.ts),
# installing it from PyPI into a cached venv the first time (about 10 s, 93 MB); warm: instant.
# Needs the network on the first run, so it runs before the tests' network namespace is entered.
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
SCHEMATHESIS_VERSION=4.32.5
BIN="$(ensure_pip_venv schemathesis "schemathesis-$SCHEMATHESIS_VERSION" "schemathesis==$SCHEMATHESIS_VERSION" schemathesis)"
"$BIN" --version >/dev/null || die "schemathesis did not install correctly"
echo "$BIN"
