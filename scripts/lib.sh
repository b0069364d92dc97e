# Shared helpers for the scripts; sourced, not run.
step() { printf '\033[1m[visita %s]\033[0m %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '\033[31m[visita] error:\033[0m %s\n' "$*" >&2; exit 1; }
