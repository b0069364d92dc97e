"""Strict JSON schemas for kubeconform, offline (run by scripts/ensure-k8s-tools.sh).

Usage: k8sSchemas.py WHEEL VERSION KEDA_CRD FINAL_DIR OUT_DIR
- Kubernetes: the `VERSION-local-strict` schemas of the kubernetes-validate wheel; their references to
  `/api/_definitions.json` (relative to an https id) are made absolute `file://FINAL_DIR/...` paths.
- KEDA: each version of the ScaledObject CRD's openAPIV3Schema as `scaledobject-keda-VERSION.json`,
  strict (no property outside those declared, unless the CRD preserves unknown fields).
"""
import json
import os
import sys
import zipfile

import yaml

wheel, version, keda_crd, final_dir, out = sys.argv[1:6]
os.makedirs(out, exist_ok=True)
prefix = f"kubernetes_validate/kubernetes-json-schema/{version}-local-strict/"
count = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith(".json"):
            text = z.read(name).decode().replace('"/api/_definitions.json', f'"file://{final_dir}/_definitions.json')
            with open(os.path.join(out, name[len(prefix):]), "w") as f:
                f.write(text)
            count += 1
if count < 100:
    sys.exit(f"only {count} Kubernetes schemas for {version} in {wheel}")


def strict(node):
    if isinstance(node, dict):
        if node.get("x-kubernetes-int-or-string"):
            node.pop("type", None)
            node["oneOf"] = [{"type": "string"}, {"type": "integer"}]
        if "properties" in node and "additionalProperties" not in node and not node.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            node["additionalProperties"] = False
        for v in node.values():
            strict(v)
    elif isinstance(node, list):
        for v in node:
            strict(v)


with open(keda_crd) as f:
    crd = yaml.safe_load(f)
for v in crd["spec"]["versions"]:
    schema = v["schema"]["openAPIV3Schema"]
    strict(schema)
    schema["properties"]["apiVersion"] = {"type": "string", "enum": [f"keda.sh/{v['name']}"]}
    schema["properties"]["kind"] = {"type": "string", "enum": ["ScaledObject"]}
    with open(os.path.join(out, f"scaledobject-keda-{v['name']}.json"), "w") as f:
        json.dump(schema, f)
print(f"{count} Kubernetes {version} schemas, KEDA ScaledObject {[v['name'] for v in crd['spec']['versions']]}")
