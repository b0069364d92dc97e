#!/usr/bin/env bash
# Install whatever Visita needs that is missing, idempotently, and write .state/env.sh.
# Warm run: about one second. Everything expensive is cached under ~/.cache/visita/.
#   VISITA_CACHE     cache dir (default ~/.cache/visita)
#   VISITA_SKIP_APT  1 = never call apt-get (fail with a message if a package is missing)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

NODE_VERSION=24.21.0
PNPM_VERSION=10.34.8
CACHE="${VISITA_CACHE:-$HOME/.cache/visita}"
STATE="$ROOT/.state"
mkdir -p "$CACHE" "$STATE"

# 1. System packages (Debian). redis-server: presence and state; chromium: browser tests;
#    iproute2 (ip) and util-linux (unshare): loopback-only test namespace; openssl: certificates;
#    python3-venv: the API fuzzer's venv (scripts/ensure-schemathesis.sh); prometheus: promtool checks
#    and unit-tests the alert rules in infra/prometheus; tcpdump: the forwarding delay in make bench-sfu;
#    coturn: the TURN server make start runs; nftables: the firewalls of the relay and ICE-TCP e2e tests;
#    redis-sentinel: VISITA_REDIS_HA=1 (a primary, a replica and three sentinels); firefox-esr: the
#    Firefox end-to-end test (a Firefox patient, a Firefox practitioner).
APT_PKGS=(redis-server redis-sentinel chromium firefox-esr iproute2 util-linux openssl ca-certificates curl python3 python3-venv prometheus tcpdump coturn nftables)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "${VISITA_SKIP_APT:-0}" = 1 ] && die "missing Debian packages: ${missing[*]} (VISITA_SKIP_APT=1 forbids installing them)"
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: this script supports Debian/Ubuntu"
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}"
  step "apt-get install ${missing[*]} (about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >"$STATE/apt.log" 2>&1 \
    || { tail -20 "$STATE/apt.log" >&2; die "apt-get install failed (full log: $STATE/apt.log)"; }
fi

# 2. Node 24 from the npm package node@24, in the cache; the system Node stays as it is.
NODE_DIR="$CACHE/node-$NODE_VERSION"
NODE_BIN="$NODE_DIR/node_modules/.bin/node"
if [ ! -x "$NODE_BIN" ] || [ "$("$NODE_BIN" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  command -v npm >/dev/null || die "npm is needed once to fetch Node $NODE_VERSION (apt-get install npm)"
  step "installing Node $NODE_VERSION into $NODE_DIR"
  rm -rf "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2
  [ "$("$NODE_BIN" --version)" = "v$NODE_VERSION" ] || die "Node $NODE_VERSION did not install correctly"
fi

# 3. pnpm, run by that Node.
PNPM_DIR="$CACHE/pnpm-$PNPM_VERSION"
PNPM_JS="$PNPM_DIR/node_modules/pnpm/bin/pnpm.cjs"
if [ ! -f "$PNPM_JS" ]; then
  step "installing pnpm $PNPM_VERSION into $PNPM_DIR"
  npm install --prefix "$PNPM_DIR" --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
fi
BIN="$CACHE/bin-$NODE_VERSION-$PNPM_VERSION"
mkdir -p "$BIN"
ln -sf "$(readlink -f "$NODE_BIN")" "$BIN/node"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$BIN/node" "$PNPM_JS" > "$BIN/pnpm"
chmod +x "$BIN/pnpm"
export PATH="$BIN:$PATH"

# 4. The mediasoup worker (prebuilt download first, else built from the npm tarball's sources).
MS_VERSION="$(sed -n 's/.*"mediasoup": *"\([0-9.]*\)".*/\1/p' "$ROOT/packages/sfu/package.json")"
[ -n "$MS_VERSION" ] || die "cannot read the pinned mediasoup version from packages/sfu/package.json"
WORKER_BIN="$(MS_VERSION="$MS_VERSION" VISITA_CACHE="$CACHE" bash "$ROOT/scripts/ensure-worker.sh")"
export MEDIASOUP_WORKER_BIN="$WORKER_BIN"

# 5. node_modules (the lockfile decides; a warm install is skipped by its stamp).
stamp="$STATE/install.stamp"
deps_hash() { (cat "$ROOT/pnpm-lock.yaml" "$ROOT"/package.json "$ROOT"/packages/*/package.json 2>/dev/null || true) | sha256sum | cut -c1-16; }
if [ ! -d "$ROOT/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$(deps_hash)" ]; then
  step "pnpm install"
  lockflag=--frozen-lockfile
  [ -f "$ROOT/pnpm-lock.yaml" ] || lockflag=
  (cd "$ROOT" && pnpm install $lockflag --reporter=append-only >&2) || die "pnpm install failed"
  deps_hash > "$stamp"
fi

cat > "$STATE/env.sh" <<EOF
# written by scripts/bootstrap.sh
export PATH="$BIN:\$PATH"
export MEDIASOUP_WORKER_BIN="$WORKER_BIN"
export CHROMIUM_PATH="\${CHROMIUM_PATH:-/usr/bin/chromium}"
export FIREFOX_PATH="\${FIREFOX_PATH:-/usr/bin/firefox-esr}"
EOF
step "ready: node $("$BIN/node" --version), pnpm $(pnpm --version), worker $WORKER_BIN"
