#!/usr/bin/env bash
# The restore drill alone (make test runs it too): make start, real traffic, backups with
# bin/visita backup, a consultation deleted by hand, bin/visita restore --until the second before
# it into a fresh Redis, compared. Prints the RPO and RTO it measured (docs/operations.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
. "$ROOT/.state/env.sh"
cd "$ROOT"
step "building the web client"
build_web_client "$ROOT/.state/web-build.log"
step "restore drill (packages/web-client/e2e/backupDrill.test.ts)"
unshare -n bash -c 'ip link set lo up && exec "$@"' drill pnpm exec vitest run --project e2e packages/web-client/e2e/backupDrill.test.ts
