#!/usr/bin/env bash
# Print the path of a mediasoup-worker binary for MS_VERSION, provisioning it if needed:
#   1. a cached binary (prebuilt or built) under $VISITA_CACHE/mediasoup-worker/;
#   2. mediasoup's official prebuilt download (what `npm install mediasoup` would do), checked
#      to run on this host (it exits with 41 when started without MEDIASOUP_VERSION);
#   3. a build from the npm tarball's own worker sources against Debian packages
#      (infra/mediasoup-worker/, ~5-10 minutes cold on 2 cores; cached by version and recipe hash).
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
: "${MS_VERSION:?MS_VERSION is required}"
CACHE="${VISITA_CACHE:-$HOME/.cache/visita}/mediasoup-worker"

KERNEL="$(uname -r | cut -d. -f1)"
ARCH="$(uname -m)"; case "$ARCH" in x86_64) ARCH=x64 ;; aarch64) ARCH=arm64 ;; esac
TAR="mediasoup-worker-$MS_VERSION-linux-$ARCH-kernel$KERNEL.tgz"
PREBUILT_DIR="$CACHE/prebuilt/$MS_VERSION-linux-$ARCH-kernel$KERNEL"
if [ -x "$PREBUILT_DIR/mediasoup-worker" ]; then echo "$PREBUILT_DIR/mediasoup-worker"; exit 0; fi

runs_here() { # the worker exits 41 when MEDIASOUP_VERSION is missing: proof that it loads and runs
  local rc=0; env -i "$1" >/dev/null 2>&1 || rc=$?; [ "$rc" = 41 ]
}

if [ "${VISITA_NO_PREBUILT:-0}" != 1 ]; then
  BASE="${MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL:-https://github.com/versatica/mediasoup/releases/download}"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  if curl -fsSL --connect-timeout 5 --max-time 120 -o "$tmp/w.tgz" "$BASE/$MS_VERSION/$TAR" 2>/dev/null \
     && tar xzf "$tmp/w.tgz" -C "$tmp" && runs_here "$tmp/mediasoup-worker"; then
    mkdir -p "$PREBUILT_DIR"
    install -m 0755 "$tmp/mediasoup-worker" "$PREBUILT_DIR/mediasoup-worker"
    step "mediasoup-worker $MS_VERSION: official prebuilt binary"
    echo "$PREBUILT_DIR/mediasoup-worker"; exit 0
  fi
fi

# The build script answers in ~0.2 s from its cache; cold, it shows its progress on stderr.
if ! ls "$CACHE"/bin/"$MS_VERSION"-*/mediasoup-worker >/dev/null 2>&1; then
  step "no prebuilt mediasoup-worker reachable: building $MS_VERSION from source (about 5-10 minutes on 2 cores)"
fi
bin="$(MS_VERSION="$MS_VERSION" MSW_CACHE="$CACHE" bash "$ROOT/infra/mediasoup-worker/build-mediasoup-worker.sh")" \
  || die "building mediasoup-worker failed (see the output above)"
runs_here "$bin" || die "the built mediasoup-worker does not run on this host: $bin"
echo "$bin"
