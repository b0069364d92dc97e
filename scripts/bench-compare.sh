#!/usr/bin/env bash
# A benchmark side by side: BASE (a commit) and the working tree, alternately, on this machine in
# one window, so a change on a measured path is compared with what came before it, not with
# figures from another day (`make bench-compare BASE=<ref> [BENCH=join] [ROUNDS=3] [CALLS=10]`).
#   BASE    the commit to compare with (a ref or a hash); checked out in a worktree of its own
#           (.state/bench-base/<hash>, kept between runs: its install is cached)
#   BENCH   join (make bench-join's calls: admit → first remote frame on each side)
#   ROUNDS  how many times each side runs (default 3), alternating BASE, working tree, BASE, ...
#   CALLS   calls per run (default 10)
# Prints each side's pooled p50/p95 and the ratio; docs/benchmarks.md is left as it was (record
# the printed table in its "Earlier runs" with both commits).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh" # Node 24 and pnpm first on PATH (the comparison itself runs TypeScript)
cd "$ROOT"

BASE_REF="${BASE:-}"; BENCH="${BENCH:-join}"; ROUNDS="${ROUNDS:-3}"; CALLS="${CALLS:-10}"
[ -n "$BASE_REF" ] || die "BASE is required: make bench-compare BASE=<commit> [BENCH=join] [ROUNDS=3] [CALLS=10]"
case "$BENCH" in join) ;; *) die "BENCH=$BENCH: only join is compared so far";; esac
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ ]] || die "ROUNDS must be 1-99 (got '$ROUNDS')"
[[ "$CALLS" =~ ^[1-9][0-9]?$ ]] || die "CALLS must be 1-99 (got '$CALLS')"
base="$(git rev-parse --verify --quiet "$BASE_REF^{commit}")" || die "BASE=$BASE_REF is not a commit here"
head="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!docs' || echo '+changes')"

WT="$ROOT/.state/bench-base/$base"
if [ ! -d "$WT" ]; then
  step "checking out ${base:0:9} in $WT"
  git worktree add --detach --force "$WT" "$base" >/dev/null
fi
step "installing ${base:0:9}'s dependencies (cached after the first time)"
(cd "$WT" && bash scripts/bootstrap.sh) > "$ROOT/.state/bench-base/install.log" 2>&1 \
  || { tail -20 "$ROOT/.state/bench-base/install.log" >&2; die "could not install ${base:0:9} (log: .state/bench-base/install.log)"; }

OUT="$ROOT/.state/bench-compare"; rm -rf "$OUT"; mkdir -p "$OUT"
doc_before="$(cat docs/benchmarks.md)"
restore_doc() { printf '%s\n' "$doc_before" > "$ROOT/docs/benchmarks.md"; }
trap restore_doc EXIT

for ((r = 1; r <= ROUNDS; r++)); do
  for side in base head; do
    dir="$ROOT"; [ "$side" = base ] && dir="$WT"
    step "round $r/$ROUNDS: $side ($([ "$side" = base ] && echo "${base:0:9}" || echo "$head")), $CALLS calls"
    (cd "$dir" && BENCH_CALLS="$CALLS" bash scripts/bench-join.sh) > "$OUT/$side-$r.log" 2>&1 \
      || { tail -30 "$OUT/$side-$r.log" >&2; die "the $side run failed (log: $OUT/$side-$r.log)"; }
    grep -E '^call +[0-9]+: first frame' "$OUT/$side-$r.log" >> "$OUT/$side.calls" || true
  done
done
node scripts/benchCompare.ts "$OUT/base.calls" "${base:0:9}" "$OUT/head.calls" "$head"
