#!/usr/bin/env bash
# Print the directory of the tools that validate infra/k8s offline (packages/signaling/test/k8s.test.ts),
# building it the first time (about 30 s) under ~/.cache/visita, keyed by versions:
#   bin/kubeconform  (go install, from the Go module proxy)
#   bin/kustomize    (only when kubectl has no kustomize built in; go install)
#   schemas/         Kubernetes 1.37 strict JSON schemas (PyPI kubernetes-validate, references made
#                    local) and KEDA's ScaledObject schema (from its CRD in the Go module kedacore/keda)
# Needs the network on the first run, so it runs before the tests' network namespace is entered.
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/lib.sh"

KUBECONFORM=0.8.0 K8S=1.37.0 KEDA=2.21.0 KUSTOMIZE=5.8.2
DIR="${VISITA_CACHE:-$HOME/.cache/visita}/k8s-tools-kubeconform$KUBECONFORM-k8s$K8S-keda$KEDA"
if [ -f "$DIR/.complete" ]; then echo "$DIR"; exit 0; fi
command -v go >/dev/null || die "Go is needed once to build kubeconform (https://go.dev, or the golang package)"
PY=/usr/bin/python3; [ -x "$PY" ] || PY="$(command -v python3)" || die "python3 is needed for the Kubernetes schemas"
step "building the Kubernetes manifest validators into $DIR (about 30 s)"
TMP="$DIR.tmp"; rm -rf "$TMP"; mkdir -p "$TMP/bin"
cleanup() { [ -d "$TMP/gopath" ] && chmod -R u+w "$TMP/gopath"; rm -rf "$TMP"; }
trap cleanup EXIT
export GOPATH="$TMP/gopath" GOFLAGS=-mod=mod GOTOOLCHAIN=local
GOBIN="$TMP/bin" go install "github.com/yannh/kubeconform/cmd/kubeconform@v$KUBECONFORM" >&2 || die "go install kubeconform failed"
if ! kubectl kustomize --help >/dev/null 2>&1; then
  GOBIN="$TMP/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@v$KUSTOMIZE" >&2 || die "go install kustomize failed"
fi
KEDA_DIR="$(go mod download -json "github.com/kedacore/keda/v2@v$KEDA" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
[ -f "$KEDA_DIR/config/crd/bases/keda.sh_scaledobjects.yaml" ] || die "KEDA $KEDA's CRDs not found in its module"
"$PY" -m venv "$TMP/venv" >&2 || die "python3 -m venv failed (apt-get install python3-venv)"
"$TMP/venv/bin/pip" install --quiet --disable-pip-version-check pyyaml==6.0.2 >&2 || die "pip install pyyaml failed"
"$TMP/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps "kubernetes-validate==$K8S" -d "$TMP/wheel" >&2 \
  || die "pip download kubernetes-validate==$K8S failed"
"$TMP/venv/bin/python" "$ROOT/scripts/k8sSchemas.py" "$TMP/wheel"/kubernetes_validate-*.whl "v$K8S" \
  "$KEDA_DIR/config/crd/bases/keda.sh_scaledobjects.yaml" "$DIR/schemas" "$TMP/schemas" >&2
rm -rf "$DIR"; mkdir -p "$DIR"; mv "$TMP/bin" "$DIR/bin"; mv "$TMP/schemas" "$DIR/schemas"
touch "$DIR/.complete"
echo "$DIR"
