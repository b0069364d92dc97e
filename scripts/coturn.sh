#!/usr/bin/env bash
# coturn as Visita runs it: `make start` (scripts/start.sh) and the tests start it through this
# script, so they run the configuration users run. The static policy is infra/coturn/turnserver.conf
# (peers, TCP relaying, quotas, bandwidth); this adds what belongs to this run, then becomes
# turnserver (same pid: a signal to it reaches coturn).
#   VISITA_TURN_IP           address it listens and relays on
#   VISITA_TURN_PORT         UDP and TCP port (3478)
#   VISITA_TURN_MIN_PORT/MAX_PORT  relay ports; the total quota is 90 % of them
#   VISITA_TURN_PEERS        the peers it may relay to, comma-separated addresses or `a-b` ranges:
#                            the SFU nodes' announced media addresses (a loopback one adds
#                            --allow-loopback-peers, which coturn needs on top)
#   VISITA_TURN_SECRET_FILE  a file holding the shared secret (one line, nothing else)
#   VISITA_TURN_DIR          a private directory for its configuration, user database and pid
#   VISITA_TURN_LOG          its log file; VISITA_TURN_REALM (visita)
# Arguments are passed on to turnserver (the tests add --verbose).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for v in VISITA_TURN_IP VISITA_TURN_PORT VISITA_TURN_MIN_PORT VISITA_TURN_MAX_PORT VISITA_TURN_PEERS VISITA_TURN_SECRET_FILE VISITA_TURN_DIR VISITA_TURN_LOG; do
  [ -n "${!v:-}" ] || { echo "scripts/coturn.sh: $v is not set" >&2; exit 2; }
done
min="$VISITA_TURN_MIN_PORT"; max="$VISITA_TURN_MAX_PORT"
[ "$min" -lt "$max" ] || { echo "scripts/coturn.sh: relay port range $min-$max is empty" >&2; exit 2; }

# The policy and the secret in one private file (the secret never on a command line).
umask 077
mkdir -p "$VISITA_TURN_DIR"
conf="$VISITA_TURN_DIR/turnserver.conf"
{ cat "$ROOT/infra/coturn/turnserver.conf"; echo; echo "static-auth-secret=$(head -n1 "$VISITA_TURN_SECRET_FILE")"; } > "$conf.tmp"
mv "$conf.tmp" "$conf"

PEERS=()
IFS=, read -ra allowed <<< "$VISITA_TURN_PEERS"
for p in "${allowed[@]}"; do
  PEERS+=("--allowed-peer-ip=$p")
  case "$p" in 127.*) PEERS+=(--allow-loopback-peers);; esac
done

exec "${TURNSERVER_PATH:-turnserver}" -c "$conf" \
  --listening-ip="$VISITA_TURN_IP" --listening-port="$VISITA_TURN_PORT" --relay-ip="$VISITA_TURN_IP" \
  --min-port="$min" --max-port="$max" --total-quota=$(( (max - min + 1) * 9 / 10 )) \
  --realm="${VISITA_TURN_REALM:-visita}" "${PEERS[@]}" \
  --userdb="$VISITA_TURN_DIR/turndb" --pidfile="$VISITA_TURN_DIR/turn.pid" \
  --log-file="$VISITA_TURN_LOG" --simple-log --no-stdout-log "$@"
