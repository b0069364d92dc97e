# Shared helpers for the scripts; sourced, not run.
step() { printf '\033[1m[visita %s]\033[0m %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '\033[31m[visita] error:\033[0m %s\n' "$*" >&2; exit 1; }
# Builds the web client (Vite) quietly; on failure shows the log ($1) and stops.
build_web_client() {
  # Always a production build, whatever the caller's NODE_ENV (vitest sets "test", which gave a
  # React development bundle to the scripts the tests start).
  NODE_ENV=production pnpm --filter @visita/web-client build >"$1" 2>&1 || { tail -40 "$1" >&2; die "web client build failed (log: $1)"; }
}
