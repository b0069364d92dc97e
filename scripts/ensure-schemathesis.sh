#!/usr/bin/env bash
# Print the path of the schemathesis CLI (the API fuzzer of packages/signaling/test/apiFuzz.test.ts),
# installing it from PyPI into a cached venv the first time (about 10 s, 93 MB); warm: instant.
# Needs the network on the first run, so it runs before the tests' network namespace is entered.
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"

SCHEMATHESIS_VERSION=4.32.5
VENV="${VISITA_CACHE:-$HOME/.cache/visita}/schemathesis-$SCHEMATHESIS_VERSION"
BIN="$VENV/bin/schemathesis"
if [ ! -x "$BIN" ] || [ ! -f "$VENV/.complete" ]; then
  # Debian's Python (python3 and python3-venv come from bootstrap.sh), whatever else is on PATH.
  PY=/usr/bin/python3; [ -x "$PY" ] || PY="$(command -v python3)" || die "python3 is needed for schemathesis"
  step "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" >&2 || die "python3 -m venv failed (apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2 \
    || { rm -rf "$VENV"; die "pip install schemathesis==$SCHEMATHESIS_VERSION failed"; }
  "$BIN" --version >/dev/null || die "schemathesis did not install correctly"
  touch "$VENV/.complete"
fi
echo "$BIN"
