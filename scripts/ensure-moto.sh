#!/usr/bin/env bash
# Print the path of moto's S3-compatible server (Apache-2.0), the object store the backup tests
# copy backups to (packages/signaling/test/objectStore.test.ts), installing it from PyPI into a
# cached venv the first time (about 30 s, ~320 MB); warm: instant. Progress to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"

MOTO_VERSION=5.2.6
VENV="${VISITA_CACHE:-$HOME/.cache/visita}/moto-$MOTO_VERSION"
BIN="$VENV/bin/moto_server"
if [ ! -x "$BIN" ] || [ ! -f "$VENV/.complete" ]; then
  PY=/usr/bin/python3; [ -x "$PY" ] || PY="$(command -v python3)" || die "python3 is needed for moto"
  step "installing moto $MOTO_VERSION (an S3-compatible server for the backup tests) into $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" >&2 || die "python3 -m venv failed (apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2 \
    || { rm -rf "$VENV"; die "pip install moto[server]==$MOTO_VERSION failed"; }
  "$BIN" --help >/dev/null || die "moto did not install correctly"
  touch "$VENV/.complete"
fi
echo "$BIN"
