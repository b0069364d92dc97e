#!/usr/bin/env bash
# Print the directory of Artillery 2 (MPL-2.0) and its Socket.IO v3 engine, installing them the first
# time (about 2 min, ~480 MB) under ~/.cache/visita, keyed by versions. Kept out of `make start`:
# only the load targets and the test suite's surge smoke need it. Telemetry stays off
# (ARTILLERY_DISABLE_TELEMETRY is exported by every caller), and Playwright's browser download is
# skipped (Debian's Chromium is used). Progress goes to stderr; stdout carries only the path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"

ARTILLERY=2.0.34 SOCKETIO_ENGINE=1.2.0
DIR="${VISITA_CACHE:-$HOME/.cache/visita}/artillery-$ARTILLERY-socketio$SOCKETIO_ENGINE"
if [ -f "$DIR/.complete" ]; then echo "$DIR"; exit 0; fi
step "installing Artillery $ARTILLERY and artillery-engine-socketio-v3 $SOCKETIO_ENGINE into $DIR (about 2 min, once)"
TMP="$DIR.tmp"; rm -rf "$TMP"; mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
echo '{"name":"visita-artillery","private":true}' > "$TMP/package.json"
( cd "$TMP" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ARTILLERY_DISABLE_TELEMETRY=true npm install --no-audit --no-fund \
    --loglevel=error "artillery@$ARTILLERY" "artillery-engine-socketio-v3@$SOCKETIO_ENGINE" >&2 ) \
  || die "npm install artillery@$ARTILLERY failed"
[ -x "$TMP/node_modules/.bin/artillery" ] || die "the Artillery install has no bin/artillery"
rm -rf "$DIR"; mv "$TMP" "$DIR"; trap - EXIT
touch "$DIR/.complete"
echo "$DIR"
