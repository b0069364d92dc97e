#!/usr/bin/env bash
# Print the path of moto's S3-compatible server (Apache-2.0), the object store the backup tests
# copy backups to (packages/signaling/test/objectStore.test.ts), installing it from PyPI into a
# cached venv the first time (about 30 s, ~320 MB); warm: instant. Progress to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
MOTO_VERSION=5.2.6
BIN="$(ensure_pip_venv "moto (an S3-compatible server for the backup tests)" "moto-$MOTO_VERSION" "moto[server]==$MOTO_VERSION" moto_server)"
"$BIN" --help >/dev/null || die "moto did not install correctly"
echo "$BIN"
