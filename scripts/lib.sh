# Shared helpers for the scripts; sourced, not run.
step() { printf '\033[1m[visita %s]\033[0m %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '\033[31m[visita] error:\033[0m %s\n' "$*" >&2; exit 1; }
# Builds the web client (Vite) quietly; on failure shows the log ($1) and stops.
build_web_client() {
  # Always a production build, whatever the caller's NODE_ENV (vitest sets "test", which gave a
  # React development bundle to the scripts the tests start).
  NODE_ENV=production pnpm --filter @visita/web-client build >"$1" 2>&1 || { tail -40 "$1" >&2; die "web client build failed (log: $1)"; }
}
# Prints the path of `$bin` from a cached Python venv holding pip package `$spec`, installing it
# the first time (PyPI; Debian's python3 and python3-venv). Progress on stderr; stdout: the path.
ensure_pip_venv() { # label, cache dir name, pip spec, executable name
  local label="$1" name="$2" spec="$3" exe="$4"
  local venv="${VISITA_CACHE:-$HOME/.cache/visita}/$name" py=/usr/bin/python3
  if [ ! -x "$venv/bin/$exe" ] || [ ! -f "$venv/.complete" ]; then
    [ -x "$py" ] || py="$(command -v python3)" || die "python3 is needed for $label"
    step "installing $label ($spec) into $venv"
    rm -rf "$venv"
    "$py" -m venv "$venv" >&2 || die "python3 -m venv failed (apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$spec" >&2 \
      || { rm -rf "$venv"; die "pip install $spec failed"; }
    touch "$venv/.complete"
  fi
  echo "$venv/bin/$exe"
}
