#!/usr/bin/env bash
# make surge: a flu-season surge rehearsed on this machine. Starts the whole platform (scripts/start.sh)
# with the autoscaler at its minimum, a real Prometheus on loopback scraping every process,
# practitioner bots that admit, Artillery patients checking in along a compressed flu curve
# (baseline → spike → back) and, in the full profile, real browser calls (Artillery's Playwright
# engine on Debian's Chromium); then judges the run against the thresholds, writes an HTML report
# with plots (from Prometheus' query API) and, in the full profile, docs/surge.md. Exit 0 = pass.
#   SURGE_PROFILE  full (default, ~4.5 min) | smoke (~1 min; part of make test)
#   SURGE_DIR      where the run's state, logs and report go (default .state/surge-<profile>)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"

PROFILE="${SURGE_PROFILE:-full}"
case "$PROFILE" in full|smoke) ;; *) die "SURGE_PROFILE must be full or smoke (got '$PROFILE')";; esac
ART="$(bash scripts/ensure-artillery.sh)"
export ARTILLERY_DISABLE_TELEMETRY=true
command -v prometheus >/dev/null || die "prometheus is missing (make install adds Debian's package)"
RUN="${SURGE_DIR:-$ROOT/.state/surge-$PROFILE}"
rm -rf "$RUN"; mkdir -p "$RUN"
umask 077

# Ports of this run, apart from a `make start` that may be running.
export VISITA_REDIS_PORT=6490 VISITA_SIGNALING_PORT=4100 VISITA_SFU_CONTROL_PORT=4543 VISITA_WEB_PORT=8543 \
  VISITA_METRICS_PORT=9564 VISITA_RTC_MIN_PORT=42000 VISITA_LAN_IP=127.0.0.1 VISITA_STATE_DIR="$RUN/stack" \
  VISITA_TURN_PORT=3578 VISITA_TURN_MIN_PORT=49700 VISITA_TURN_MAX_PORT=49799
PROM_PORT=9590
export SURGE_API="http://127.0.0.1:$VISITA_SIGNALING_PORT" SURGE_WEB="https://127.0.0.1:$VISITA_WEB_PORT"
export SURGE_PASSWORD="surge-$(openssl rand -hex 12)" SURGE_PROFILE="$PROFILE" SURGE_RUN="$RUN" SURGE_PROM="http://127.0.0.1:$PROM_PORT"
# The profile: demand, node size (small nodes, so this machine's 2 cores show several), timings.
export VISITA_WEB_BUILT="${VISITA_WEB_BUILT:-0}" VISITA_AUTOSCALE=1 VISITA_AUTOSCALE_MIN_NODES=1 VISITA_AUTOSCALE_TICK_MS=1000 VISITA_AUTOSCALE_HEADROOM=0.25 \
  VISITA_SFU_WORKERS=1 VISITA_SFU_DRAIN_MAX_MS=120000 VISITA_SOCKET_RATE_SCALE=20 VISITA_LOG_LEVEL=info
if [ "$PROFILE" = smoke ]; then
  # (a patient gone keeps their place 8 s, not 60: the scale-in comes sooner)
  export VISITA_AUTOSCALE_MAX_NODES=2 VISITA_SFU_MAX_CONSUMERS=12 VISITA_AUTOSCALE_COOLDOWN_S=8 VISITA_RECONNECT_GRACE_MS=8000 \
    VISITA_AUTOSCALE_LEAD_MINUTES=0.25 VISITA_AUTOSCALE_GROWTH_WINDOW_S=6 \
    SURGE_DOCTORS_N=3 SURGE_CALL_MS=4000 SURGE_PATIENT_STAY_S=10 SURGE_BROWSER_CALLS=0
  PHASES='[{"name":"baseline","duration":5,"arrivalRate":1},{"name":"spike","duration":10,"arrivalRate":4},{"name":"back","duration":5,"arrivalRate":1}]'
else
  export VISITA_AUTOSCALE_MAX_NODES=3 VISITA_SFU_MAX_CONSUMERS=24 VISITA_AUTOSCALE_COOLDOWN_S=30 \
    VISITA_AUTOSCALE_LEAD_MINUTES=0.5 VISITA_AUTOSCALE_GROWTH_WINDOW_S=20 \
    SURGE_DOCTORS_N=8 SURGE_CALL_MS=12000 SURGE_PATIENT_STAY_S=45 SURGE_BROWSER_CALLS=6
  PHASES='[{"name":"baseline","duration":30,"arrivalCount":15},{"name":"rising","duration":20,"arrivalRate":1,"rampTo":3},{"name":"spike","duration":40,"arrivalRate":3},{"name":"falling","duration":20,"arrivalRate":3,"rampTo":1},{"name":"back","duration":30,"arrivalCount":15}]'
fi

PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
  # (SIGTERM: a background job of a script ignores SIGINT)
  [ -n "${STACK_PID:-}" ] && kill -TERM "$STACK_PID" 2>/dev/null || true
  for _ in $(seq 150); do
    alive=0; for p in "${PIDS[@]}" ${STACK_PID:-}; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.1
  done
  for p in "${PIDS[@]}" ${STACK_PID:-}; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

step "surge ($PROFILE): starting the platform with the autoscaler at its minimum (logs: $RUN/stack/logs)"
bash scripts/start.sh >"$RUN/start.log" 2>&1 &
STACK_PID=$!
for _ in $(seq 600); do grep -q 'Visita is running' "$RUN/start.log" && break; kill -0 "$STACK_PID" 2>/dev/null || break; sleep 0.2; done
grep -q 'Visita is running' "$RUN/start.log" || { tail -30 "$RUN/start.log" >&2; die "the platform did not start"; }
set -a; . "$RUN/stack/secrets.env"; set +a

DOCTORS=(); for ((i=1; i<=SURGE_DOCTORS_N; i++)); do DOCTORS+=("dr$i@surge.visita.test"); done
BROWSER_DOCTOR=dr-browser@surge.visita.test
step "$SURGE_DOCTORS_N practitioner accounts (+ one for the browser calls)"
for email in "${DOCTORS[@]}" "$BROWSER_DOCTOR"; do
  VISITA_REDIS_URL="redis://default:$VISITA_REDIS_ADMIN_PASSWORD@127.0.0.1:$VISITA_REDIS_PORT" \
    node packages/signaling/src/cli.ts practitioner add --email "$email" --name "Dr ${email%%@*}" \
    --password-env SURGE_PASSWORD --if-missing >/dev/null
done
export SURGE_DOCTORS="$(IFS=,; echo "${DOCTORS[*]}")" SURGE_BROWSER_DOCTOR="$BROWSER_DOCTOR"

step "Prometheus on 127.0.0.1:$PROM_PORT, scraping signaling, the autoscaler and every SFU node (1 s)"
AUTOSCALER_METRICS=$((VISITA_METRICS_PORT + VISITA_AUTOSCALE_MAX_NODES + 1))
cat > "$RUN/prometheus.yml" <<PROM
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: visita-signaling
    static_configs: [{ targets: ['127.0.0.1:$VISITA_METRICS_PORT'] }]
  - job_name: visita-autoscaler
    static_configs: [{ targets: ['127.0.0.1:$AUTOSCALER_METRICS'] }]
  - job_name: visita-sfu
    file_sd_configs: [{ files: ['$RUN/stack/sfu-targets.json'], refresh_interval: 1s }]
PROM
prometheus --config.file="$RUN/prometheus.yml" --storage.tsdb.path="$RUN/tsdb" --web.listen-address="127.0.0.1:$PROM_PORT" \
  >"$RUN/prometheus.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fs "$SURGE_PROM/-/ready" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$SURGE_PROM/-/ready" >/dev/null || { tail -20 "$RUN/prometheus.log" >&2; die "Prometheus did not start"; }

step "practitioner bots admitting (calls of $SURGE_CALL_MS ms)"
SURGE_DOCTORS_OUT="$RUN/doctors.json" node loadtests/doctors.ts >"$RUN/doctors.log" 2>&1 &
DOCTORS_PID=$!; PIDS+=($DOCTORS_PID)
sleep 3   # a quiet start: the baseline before the curve
date +%s%3N > "$RUN/started-at"

if [ "$SURGE_BROWSER_CALLS" -gt 0 ]; then
  step "real browser calls in the background: $SURGE_BROWSER_CALLS (Artillery's Playwright engine, Chromium)"
  "$ART/node_modules/.bin/artillery" run --quiet --output "$RUN/calls.json" \
    --overrides "{\"config\":{\"phases\":[{\"duration\":$((SURGE_BROWSER_CALLS * 25)),\"arrivalCount\":$SURGE_BROWSER_CALLS}]}}" \
    loadtests/artillery/calls.yml >"$RUN/calls.log" 2>&1 &
  CALLS_PID=$!; PIDS+=($CALLS_PID)
fi

step "patients along the flu curve (Artillery, Socket.IO): $(echo "$PHASES" | tr -d '"{}[]' | tr ',' ' ')"
set +e
SURGE_PATIENT_STAY_S="$SURGE_PATIENT_STAY_S" "$ART/node_modules/.bin/artillery" run --output "$RUN/patients.json" \
  --overrides "{\"config\":{\"phases\":$PHASES}}" loadtests/artillery/patients.yml >"$RUN/patients.log" 2>&1
echo $? > "$RUN/patients.rc"
if [ -n "${CALLS_PID:-}" ]; then wait "$CALLS_PID"; echo $? > "$RUN/calls.rc"; fi
set -e
tail -40 "$RUN/patients.log" | sed -n '/Summary report/,$p' >&2 || true

step "the curve is over: waiting for the scale-in (cooldown ${VISITA_AUTOSCALE_COOLDOWN_S} s, then drains)"
node loadtests/waitScaleIn.ts || true
kill -TERM "$DOCTORS_PID" 2>/dev/null || true
for _ in $(seq 60); do [ -f "$RUN/doctors.json" ] && break; sleep 0.1; done
date +%s%3N > "$RUN/ended-at"

step "verdict and report"
node loadtests/report.ts
