#!/usr/bin/env bash
# Run the whole platform on this machine: redis-server, SFU nodes, one signaling instance and
# the web client over HTTPS. Prints the links; Ctrl-C stops everything cleanly. Each service runs
# under scripts/supervise.ts: one that exits (crash, kill) is started again after a back-off
# (1 s, doubling while it keeps failing, at most 30 s) and the terminal says so, as Kubernetes
# would restart it. Each service's pid is in $VISITA_STATE_DIR/pids/<service>.pid.
#   VISITA_SFU_NODES  how many SFU node processes (default 1): node i takes control port
#                     VISITA_SFU_CONTROL_PORT+i-1 and its own 1000 RTC ports from VISITA_RTC_MIN_PORT
#   VISITA_LAN_IP   address announced to browsers (default: this machine's LAN address)
#   VISITA_WEB_PORT HTTPS port of the web client (default 8443); VISITA_REDIS_PORT (6390),
#   VISITA_SIGNALING_PORT (4000), VISITA_SFU_CONTROL_PORT (4443), VISITA_RTC_MIN_PORT/MAX_PORT (40000-40999)
#   VISITA_METRICS_PORT (9464): Prometheus metrics of signaling on loopback; SFU node i on +i
#   VISITA_STATE_DIR  redis data, certificate, secrets and logs (default .state/run)
#   VISITA_TURN=0     no TURN server (default 1: coturn on VISITA_TURN_PORT (3478, UDP and TCP) of the
#                     LAN address, relay ports VISITA_TURN_MIN_PORT-VISITA_TURN_MAX_PORT (49152-49651),
#                     relaying to the SFU's announced address only (scripts/coturn.sh,
#                     infra/coturn/turnserver.conf); browsers get short-lived credentials with their
#                     transports)
#   VISITA_REDIS_HA=1 Redis with high availability: a primary (VISITA_REDIS_PORT), a replica (the
#                     next port) and three sentinels (VISITA_REDIS_SENTINEL_PORT, 26390, and the next
#                     two); every service finds the primary through the sentinels, and a failover
#                     takes 7-9 s. Data of node 1 in the same place as the single Redis's.
#   VISITA_AUTOSCALE=1  SFU nodes started and drained by the autoscaler (local provider) instead:
#                     between VISITA_AUTOSCALE_MIN_NODES (1) and VISITA_AUTOSCALE_MAX_NODES (4) nodes,
#                     slot i with the ports node i would have; its metrics after the nodes'
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/scripts/redis.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"

RUN="${VISITA_STATE_DIR:-$ROOT/.state/run}"; LOGS="$RUN/logs"
# Everything under the state dir (Redis data with patient records, secrets, keys, logs) is private
# to this user, on every run (redis-server and the services write with this umask too).
umask 077
mkdir -p "$RUN/redis" "$RUN/tls" "$RUN/pids" "$LOGS"
chmod -R go-rwx "$RUN"
REDIS_PORT="${VISITA_REDIS_PORT:-6390}"
HA="${VISITA_REDIS_HA:-0}"
case "$HA" in 0|1) ;; *) die "VISITA_REDIS_HA must be 0 or 1 (got '$HA')";; esac
SENTINEL_PORT="${VISITA_REDIS_SENTINEL_PORT:-26390}"
REDIS_PORTS=("$REDIS_PORT"); [ "$HA" = 1 ] && REDIS_PORTS+=($((REDIS_PORT + 1)) "$SENTINEL_PORT" $((SENTINEL_PORT + 1)) $((SENTINEL_PORT + 2)))
SIGNALING_PORT="${VISITA_SIGNALING_PORT:-4000}"
SFU_CONTROL_PORT="${VISITA_SFU_CONTROL_PORT:-4443}"
WEB_PORT="${VISITA_WEB_PORT:-8443}"
SFU_NODES="${VISITA_SFU_NODES:-1}"
AUTOSCALE="${VISITA_AUTOSCALE:-0}"
case "$AUTOSCALE" in 0|1) ;; *) die "VISITA_AUTOSCALE must be 0 or 1 (got '$AUTOSCALE')";; esac
if [ "$AUTOSCALE" = 1 ]; then
  AUTO_MIN="${VISITA_AUTOSCALE_MIN_NODES:-1}"; AUTO_MAX="${VISITA_AUTOSCALE_MAX_NODES:-4}"
  case "$AUTO_MIN$AUTO_MAX" in ''|*[!0-9]*) die "VISITA_AUTOSCALE_MIN_NODES and _MAX_NODES must be numbers";; esac
  { [ "$AUTO_MIN" -le "$AUTO_MAX" ] && [ "$AUTO_MAX" -ge 1 ] && [ "$AUTO_MAX" -le 16 ]; } \
    || die "VISITA_AUTOSCALE_MIN_NODES ($AUTO_MIN) must not exceed VISITA_AUTOSCALE_MAX_NODES ($AUTO_MAX), at most 16"
  SFU_NODES="$AUTO_MAX"   # the ports of every slot the autoscaler may use
fi
case "$SFU_NODES" in ''|*[!0-9]*) die "VISITA_SFU_NODES must be a number from 1 to 16 (got '$SFU_NODES')";; esac
{ [ "$SFU_NODES" -ge 1 ] && [ "$SFU_NODES" -le 16 ]; } || die "VISITA_SFU_NODES must be a number from 1 to 16 (got $SFU_NODES)"
RTC_MIN="${VISITA_RTC_MIN_PORT:-40000}"
TURN="${VISITA_TURN:-1}"
case "$TURN" in 0|1) ;; *) die "VISITA_TURN must be 0 or 1 (got '$TURN')";; esac
TURN_PORT="${VISITA_TURN_PORT:-3478}"
TURN_MIN="${VISITA_TURN_MIN_PORT:-49152}"; TURN_MAX="${VISITA_TURN_MAX_PORT:-49651}"
SFU_CONTROL_PORTS=(); for ((i=0; i<SFU_NODES; i++)); do SFU_CONTROL_PORTS+=($((SFU_CONTROL_PORT + i))); done
METRICS_PORT="${VISITA_METRICS_PORT:-9464}"
METRICS_PORTS=(); for ((i=0; i<=SFU_NODES; i++)); do METRICS_PORTS+=($((METRICS_PORT + i))); done
[ "$AUTOSCALE" = 1 ] && METRICS_PORTS+=($((METRICS_PORT + SFU_NODES + 1)))   # the autoscaler's

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
TURN_PORTS=(); [ "$TURN" = 1 ] && TURN_PORTS=("$TURN_PORT")
for p in "${REDIS_PORTS[@]}" "$SIGNALING_PORT" "${SFU_CONTROL_PORTS[@]}" "${METRICS_PORTS[@]}" "$WEB_PORT" "${TURN_PORTS[@]}"; do
  port_busy "$p" && die "port $p is already in use (is Visita already running? stop it, or set VISITA_*_PORT)"
done
if [ "$TURN" = 1 ]; then
  command -v turnserver >/dev/null || die "turnserver (Debian package coturn) is missing: run make install, or set VISITA_TURN=0"
  ss -Hlun "sport = :$TURN_PORT" 2>/dev/null | grep -q . && die "UDP port $TURN_PORT is already in use (set VISITA_TURN_PORT)"
fi

# The address a phone on the same network reaches (a route lookup; nothing is sent).
LAN_IP="${VISITA_LAN_IP:-$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')}"
[ -n "$LAN_IP" ] || LAN_IP="$(hostname -I 2>/dev/null | awk '{print $1}')"
[ -n "$LAN_IP" ] || LAN_IP=127.0.0.1

# Secrets, made once and kept in the state dir (never committed); a secret added by a newer
# version is appended to an older file.
SECRETS="$RUN/secrets.env"
touch "$SECRETS"
add_secret() { grep -q "^$1=" "$SECRETS" || echo "$1=$2" >> "$SECRETS"; }
add_secret VISITA_JWT_SECRET "$(openssl rand -hex 32)"
add_secret VISITA_SFU_SECRET "$(openssl rand -hex 24)"
add_secret VISITA_DEMO_PASSWORD "$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-16)"
add_secret VISITA_REDIS_SIGNALING_PASSWORD "$(openssl rand -hex 24)"
add_secret VISITA_REDIS_SFU_PASSWORD "$(openssl rand -hex 24)"
add_secret VISITA_REDIS_ADMIN_PASSWORD "$(openssl rand -hex 24)"
add_secret VISITA_REDIS_REPLICA_PASSWORD "$(openssl rand -hex 24)"
add_secret VISITA_REDIS_SENTINEL_PASSWORD "$(openssl rand -hex 24)"        # the sentinels' own
add_secret VISITA_REDIS_SENTINEL_USER_PASSWORD "$(openssl rand -hex 24)"   # the sentinels' user on Redis
# bin/visita backup seals backups with it: keep a copy away from this machine (docs/operations.md).
add_secret VISITA_BACKUP_KEY "$(openssl rand -base64 32)"
# (not named VISITA_TURN_SECRET: scripts that read this file must not hand TURN to signaling)
add_secret VISITA_TURN_STATIC_SECRET "$(openssl rand -hex 24)"
set -a; . "$SECRETS"; set +a
# The TURN secret goes to coturn and to signaling only when TURN is on (not to every process).
TURN_SECRET="$VISITA_TURN_STATIC_SECRET"; unset VISITA_TURN_STATIC_SECRET

# Redis requires authentication: one ACL user per service, each with only what it needs
# (infra/redis/users.acl.template); the administrator is the default user, with a password.
redis_write_acl "$RUN/redis/users.acl"
redis_url() { echo "redis://$1:$2@127.0.0.1:$REDIS_PORT"; }

# A self-signed certificate for the LAN address (a phone needs HTTPS for its camera).
CERT="$RUN/tls/cert.pem"; KEY="$RUN/tls/key.pem"
if [ ! -f "$CERT" ] || [ "$(cat "$RUN/tls/ip" 2>/dev/null)" != "$LAN_IP" ]; then
  step "generating a self-signed certificate for $LAN_IP"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 -subj "/CN=Visita $LAN_IP" \
    -addext "subjectAltName=IP:$LAN_IP,IP:127.0.0.1,DNS:localhost" -keyout "$KEY" -out "$CERT" 2>/dev/null
  echo "$LAN_IP" > "$RUN/tls/ip"
fi
FINGERPRINT="$(openssl x509 -noout -fingerprint -sha256 -in "$CERT" | cut -d= -f2)"

if [ "${VISITA_WEB_BUILT:-0}" = 1 ] && [ -f packages/web-client/dist/index.html ]; then
  step "web client already built (VISITA_WEB_BUILT=1)"
else
  step "building the web client"
  build_web_client "$LOGS/web-build.log"
fi

# Every service under its supervisor (scripts/supervise.ts): SUPS holds the supervisors' pids in
# start order. Ctrl-C (or SIGTERM) stops them in the reverse order, so Redis stops last.
SUPS=(); SUP_NAMES=(); STOPPING=0
supervise() { # name, log (emptied first), stop signal, [VAR=value...] command...
  local name="$1" log="$2" sig="$3" vars=(); shift 3
  while [[ "$1" == [A-Z]*=* ]]; do vars+=("$1"); shift; done
  : > "$log"
  # The variables (secrets among them) go in the environment, never on a command line ps shows.
  env "${vars[@]}" setpriv --pdeathsig SIGTERM -- node "$ROOT/scripts/supervise.ts" --name "$name" --log "$log" \
    --pidfile "$RUN/pids/$name.pid" --stop-signal "$sig" -- "$@" &
  SUPS+=($!); SUP_NAMES+=("$name")
}
stop_supervised() { # pids...: SIGTERM to each supervisor, then up to 12 s for them all to end
  local p alive
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 120); do
    alive=0; for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0; sleep 0.1
  done
  for p in "$@"; do kill -KILL "$p" 2>/dev/null || true; done
}
cleanup() {
  trap - EXIT; trap "" INT TERM   # a second Ctrl-C must not cut the clean stop short
  STOPPING=1
  echo; step "stopping"
  # Every service but Redis, then the sentinels (no failover while stopping), then Redis: what the
  # others write while stopping is kept.
  local i others=() sentinels=() redis=()
  for ((i=0; i<${#SUPS[@]}; i++)); do
    case "${SUP_NAMES[$i]}" in
      redis*) redis+=("${SUPS[$i]}");; sentinel*) sentinels+=("${SUPS[$i]}");; *) others+=("${SUPS[$i]}");;
    esac
  done
  [ ${#others[@]} -gt 0 ] && stop_supervised "${others[@]}"
  [ ${#sentinels[@]} -gt 0 ] && stop_supervised "${sentinels[@]}"
  [ ${#redis[@]} -gt 0 ] && stop_supervised "${redis[@]}"
  wait 2>/dev/null || true
  step "stopped"
}
trap cleanup INT TERM EXIT

REDIS_ENV=()   # how the services find Redis beyond VISITA_REDIS_URL (the sentinels, with HA)
if [ "$HA" = 0 ]; then
  step "starting redis-server on 127.0.0.1:$REDIS_PORT (AOF on, data in $RUN/redis)"
  supervise redis "$LOGS/redis.log" SIGTERM redis-server "$ROOT/infra/redis/redis.conf" --port "$REDIS_PORT" \
    --bind 127.0.0.1 --dir "$RUN/redis" --aclfile "$RUN/redis/users.acl"
  for _ in $(seq 50); do redis_ping "$REDIS_PORT" && break; sleep 0.1; done
  redis_ping "$REDIS_PORT" || die "redis-server did not start (see $LOGS/redis.log)"
  : > "$RUN/redis.env"
else
  step "starting Redis with high availability: a primary and a replica on 127.0.0.1:$REDIS_PORT-$((REDIS_PORT + 1)), three sentinels on $SENTINEL_PORT-$((SENTINEL_PORT + 2))"
  for n in 1 2; do
    dir="$RUN/redis"; [ "$n" = 2 ] && dir="$RUN/redis-2"
    conf="$(redis_ha_node_conf "$n" $((REDIS_PORT + n - 1)) "$dir" "$REDIS_PORT")"
    supervise "redis-$n" "$LOGS/redis-$n.log" SIGTERM redis-server "$conf"
  done
  SENTINELS=()
  for n in 1 2 3; do
    port=$((SENTINEL_PORT + n - 1)); SENTINELS+=("127.0.0.1:$port")
    supervise "sentinel-$n" "$LOGS/sentinel-$n.log" SIGTERM redis-sentinel "$(redis_sentinel_conf "$n" "$port" "$REDIS_PORT")"
  done
  # Ready when every sentinel names a primary that answers and has its replica.
  ready=0
  for _ in $(seq 150); do
    primary="$(redis_sentinel_primary "$SENTINEL_PORT")"
    if [ -n "$primary" ] && [ "$(redis_sentinel_primary $((SENTINEL_PORT + 1)))" = "$primary" ] \
      && [ "$(redis_sentinel_primary $((SENTINEL_PORT + 2)))" = "$primary" ] && redis_ping "$primary" \
      && REDISCLI_AUTH="$VISITA_REDIS_ADMIN_PASSWORD" redis-cli --no-auth-warning -p "$primary" info replication 2>/dev/null | grep -q '^connected_slaves:1'; then
      ready=1; break
    fi
    sleep 0.2
  done
  [ "$ready" = 1 ] || die "Redis with high availability did not come up (logs: $LOGS/redis-*.log, $LOGS/sentinel-*.log)"
  REDIS_PORT="$primary"   # for the admin CLI below; the services ask the sentinels
  REDIS_ENV=(VISITA_REDIS_SENTINELS="$(IFS=,; echo "${SENTINELS[*]}")" VISITA_REDIS_SENTINEL_PASSWORD="$VISITA_REDIS_SENTINEL_PASSWORD")
  # For bin/visita (no secret here: it reads those from secrets.env).
  echo "VISITA_REDIS_SENTINELS=$(IFS=,; echo "${SENTINELS[*]}")" > "$RUN/redis.env"
fi
unset VISITA_REDIS_SENTINEL_PASSWORD   # (only through REDIS_ENV: with HA, to the services that need it)

# The admin CLI (demo account) as admin; each service with its own Redis user.
export VISITA_REDIS_URL="$(redis_url default "$VISITA_REDIS_ADMIN_PASSWORD")"
[ ${#REDIS_ENV[@]} -gt 0 ] && export "${REDIS_ENV[@]}"
DEMO_EMAIL="${VISITA_DEMO_EMAIL:-doctor@visita.local}"
step "demo practitioner account $DEMO_EMAIL"
{ node packages/signaling/src/cli.ts practitioner add --email "$DEMO_EMAIL" --name "Dr. Demo" --password-env VISITA_DEMO_PASSWORD --if-missing &&
  # (and sealed again: a state dir from before account records were sealed keeps working)
  node packages/signaling/src/cli.ts practitioner set-password --email "$DEMO_EMAIL" --password-env VISITA_DEMO_PASSWORD >/dev/null; } >&2 \
  || die "could not create the demo practitioner account"
sfu_log() { if [ "$SFU_NODES" = 1 ]; then echo "$LOGS/sfu.log"; else echo "$LOGS/sfu-$1.log"; fi; }
STATIC_NODES="$SFU_NODES"; [ "$AUTOSCALE" = 1 ] && STATIC_NODES=0
if [ "$AUTOSCALE" = 1 ]; then
  step "starting the autoscaler (local SFU nodes: $AUTO_MIN to $AUTO_MAX, logs $LOGS/sfu-auto-*.log)"
  supervise autoscaler "$LOGS/autoscaler.log" SIGTERM VISITA_AUTOSCALE_PROVIDER=local VISITA_INSTANCE_ID=autoscaler-local \
    VISITA_AUTOSCALE_MIN_NODES="$AUTO_MIN" VISITA_AUTOSCALE_MAX_NODES="$AUTO_MAX" VISITA_AUTOSCALE_SLOTS="$AUTO_MAX" \
    VISITA_AUTOSCALE_CONTROL_PORT_BASE="$SFU_CONTROL_PORT" VISITA_AUTOSCALE_METRICS_PORT_BASE="$((METRICS_PORT + 1))" \
    VISITA_AUTOSCALE_RTC_PORT_BASE="$RTC_MIN" VISITA_AUTOSCALE_RTC_PORTS_PER_NODE=1000 VISITA_AUTOSCALE_LOG_DIR="$LOGS" \
    VISITA_AUTOSCALE_SD_FILE="${VISITA_AUTOSCALE_SD_FILE:-$RUN/sfu-targets.json}" \
    VISITA_METRICS_PORT="$((METRICS_PORT + SFU_NODES + 1))" VISITA_RTC_LISTEN_IP=0.0.0.0 VISITA_RTC_ANNOUNCED_ADDRESS="$LAN_IP" \
    VISITA_REDIS_URL="$(redis_url signaling "$VISITA_REDIS_SIGNALING_PASSWORD")" \
    VISITA_AUTOSCALE_SFU_REDIS_URL="$(redis_url sfu "$VISITA_REDIS_SFU_PASSWORD")" "${REDIS_ENV[@]}" \
    node packages/signaling/src/autoscale/main.ts
fi
for ((i=1; i<=STATIC_NODES; i++)); do
  # One node keeps the historical id and range; several split 1000 ports each from RTC_MIN.
  if [ "$SFU_NODES" = 1 ]; then id=sfu-local; lo="$RTC_MIN"; hi="${VISITA_RTC_MAX_PORT:-40999}"
  else id="sfu-local-$i"; lo=$((RTC_MIN + (i - 1) * 1000)); hi=$((lo + 999)); fi
  step "starting SFU node $id (control port ${SFU_CONTROL_PORTS[$((i - 1))]}, RTC ports $lo-$hi, media announced on $LAN_IP)"
  # SIGINT stops a node at once (SIGTERM would drain it: calls going on for up to 30 min).
  supervise "$id" "$(sfu_log "$i")" SIGINT VISITA_SFU_CONTROL_PORT="${SFU_CONTROL_PORTS[$((i - 1))]}" VISITA_SFU_NODE_ID="$id" VISITA_RTC_LISTEN_IP=0.0.0.0 \
    VISITA_SFU_METRICS_PORT="${METRICS_PORTS[$i]}" \
    VISITA_RTC_ANNOUNCED_ADDRESS="$LAN_IP" VISITA_RTC_MIN_PORT="$lo" VISITA_RTC_MAX_PORT="$hi" \
    VISITA_REDIS_URL="$(redis_url sfu "$VISITA_REDIS_SFU_PASSWORD")" "${REDIS_ENV[@]}" node packages/sfu/src/main.ts
done
TURN_ENV=()
if [ "$TURN" = 1 ]; then
  # coturn with the TURN REST scheme: it recomputes each browser's short-lived password from the
  # shared secret signaling signs them with. It relays to the SFU nodes' announced address only (the
  # policy: infra/coturn/turnserver.conf, run by scripts/coturn.sh as the tests run it).
  step "starting coturn on $LAN_IP:$TURN_PORT (UDP and TCP, relay ports $TURN_MIN-$TURN_MAX, peers: $LAN_IP only)"
  mkdir -p "$RUN/turn"
  # The shared secret in a private file, not on the command line.
  echo "$TURN_SECRET" > "$RUN/turn/secret"; rm -f "$RUN/turn/secret.conf"   # (the secret's file before)
  supervise coturn "$LOGS/turn.log" SIGTERM VISITA_TURN_IP="$LAN_IP" VISITA_TURN_PORT="$TURN_PORT" \
    VISITA_TURN_MIN_PORT="$TURN_MIN" VISITA_TURN_MAX_PORT="$TURN_MAX" VISITA_TURN_PEERS="$LAN_IP" \
    VISITA_TURN_SECRET_FILE="$RUN/turn/secret" VISITA_TURN_DIR="$RUN/turn" VISITA_TURN_LOG="$LOGS/turn.log" \
    "$ROOT/scripts/coturn.sh"
  TURN_ENV=(VISITA_TURN_URLS="turn:$LAN_IP:$TURN_PORT?transport=udp,turn:$LAN_IP:$TURN_PORT?transport=tcp" VISITA_TURN_SECRET="$TURN_SECRET")
fi
step "starting signaling on 127.0.0.1:$SIGNALING_PORT"
supervise signaling "$LOGS/signaling.log" SIGTERM "${TURN_ENV[@]}" VISITA_SIGNALING_PORT="$SIGNALING_PORT" VISITA_METRICS_PORT="$METRICS_PORT" VISITA_PUBLIC_URL="https://$LAN_IP:$WEB_PORT" VISITA_INSTANCE_ID=sig-local \
  VISITA_REDIS_URL="$(redis_url signaling "$VISITA_REDIS_SIGNALING_PASSWORD")" "${REDIS_ENV[@]}" VISITA_TRUSTED_PROXIES=loopback \
  node packages/signaling/src/main.ts
step "starting the web client on https://0.0.0.0:$WEB_PORT"
# The web server answers only Host names it serves: this machine's addresses, localhost, and the
# public URL's host (VISITA_LAN_IP may name an address of a router in front); VISITA_WEB_HOSTS adds more.
supervise web "$LOGS/web.log" SIGTERM VISITA_SIGNALING_URL="http://127.0.0.1:$SIGNALING_PORT" VISITA_WEB_PORT="$WEB_PORT" VISITA_TLS_CERT="$CERT" VISITA_TLS_KEY="$KEY" \
  VISITA_PUBLIC_URL="https://$LAN_IP:$WEB_PORT" node packages/web-client/scripts/serve.ts

wait_http() { # url what log
  for _ in $(seq 100); do curl -fsk -o /dev/null "$1" && return 0; sleep 0.2; done
  tail -20 "$3" >&2; die "$2 did not come up (log: $3)"
}
wait_http "http://127.0.0.1:$SIGNALING_PORT/healthz" signaling "$LOGS/signaling.log"
wait_http "https://127.0.0.1:$WEB_PORT/" "web client" "$LOGS/web.log"
if [ "$TURN" = 1 ]; then
  for _ in $(seq 50); do ss -Hltn "sport = :$TURN_PORT" 2>/dev/null | grep -q . && break; sleep 0.1; done
  ss -Hltn "sport = :$TURN_PORT" 2>/dev/null | grep -q . || { tail -20 "$LOGS/turn.log" >&2; die "coturn did not start (log: $LOGS/turn.log)"; }
fi
if [ "$AUTOSCALE" = 1 ] && [ "$AUTO_MIN" -ge 1 ]; then
  for _ in $(seq 100); do grep -q '"autoscaler: node serving"' "$LOGS/autoscaler.log" && break; sleep 0.2; done
  grep -q '"autoscaler: node serving"' "$LOGS/autoscaler.log" || { tail -20 "$LOGS/autoscaler.log" >&2; die "the autoscaler started no SFU node (log: $LOGS/autoscaler.log)"; }
fi
for ((i=1; i<=STATIC_NODES; i++)); do
  log="$(sfu_log "$i")"
  for _ in $(seq 50); do grep -q '"sfu node ready"' "$log" && break; sleep 0.2; done
  grep -q '"sfu node ready"' "$log" || { tail -20 "$log" >&2; die "SFU node $i did not start (log: $log)"; }
done

PATIENT_LINK="$(VISITA_API="http://127.0.0.1:$SIGNALING_PORT" VISITA_DEMO_EMAIL="$DEMO_EMAIL" node scripts/demoLink.ts)" \
  || die "could not create the demo consultation"

cat <<BANNER

  Visita is running.

  Doctor:        https://$LAN_IP:$WEB_PORT/
                 login $DEMO_EMAIL  /  password $VISITA_DEMO_PASSWORD
  Patient link:  $PATIENT_LINK
                 (open it on a phone on the same network, or in another browser tab)

  The certificate is self-signed: accept the browser's warning once. Its SHA-256 fingerprint:
                 $FINGERPRINT
  Redis:         $(if [ "$HA" = 1 ]; then echo "primary 127.0.0.1:$REDIS_PORT, a replica, sentinels ${SENTINELS[*]} (VISITA_REDIS_HA=1)"; else echo "127.0.0.1:$REDIS_PORT, append-only file in $RUN/redis"; fi)
  SFU nodes:     $(if [ "$AUTOSCALE" = 1 ]; then echo "autoscaled, $AUTO_MIN to $AUTO_MAX (log: $LOGS/autoscaler.log)"; else echo "$SFU_NODES (VISITA_SFU_NODES)"; fi)
  Metrics:       http://127.0.0.1:$METRICS_PORT/metrics (signaling), ports $((METRICS_PORT + 1))-$((METRICS_PORT + SFU_NODES)) (SFU nodes)$(
                 [ "$AUTOSCALE" = 1 ] && echo ", $((METRICS_PORT + SFU_NODES + 1)) (autoscaler)")
  TURN:          $(if [ "$TURN" = 1 ]; then echo "turn:$LAN_IP:$TURN_PORT (coturn, UDP and TCP; VISITA_TURN=0 to run without)"; else echo "off (VISITA_TURN=0)"; fi)
  Logs:          $LOGS/
  Stop:          Ctrl-C

BANNER

# Stay up until Ctrl-C. (A service that exits is restarted by its supervisor; a supervisor only
# ends when it is told to, so one that ends by itself is a bug: then everything stops.)
wait -n "${SUPS[@]}" || true
[ "$STOPPING" = 1 ] || step "a supervisor exited; stopping the others (logs: $LOGS/)"
