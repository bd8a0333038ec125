#!/usr/bin/env bash
# Checks the deploy files that can be checked here: the systemd unit with systemd-analyze
# verify (the binary path pointed at this build), the YAML files parse, the compose file's
# services reference defined secrets. No container engine runs on these machines.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$(swift build --show-bin-path)/dialogue-admin"
if command -v systemd-analyze >/dev/null 2>&1; then
    DIR="$(mktemp -d)"
    trap 'rm -rf "$DIR"' EXIT
    sed "s|/usr/local/bin/dialogue-admin|$BIN|" deploy/dialogue.service >"$DIR/dialogue.service"
    systemd-analyze verify "$DIR/dialogue.service"
    echo "deploy: dialogue.service passes systemd-analyze verify"
elif [[ -n "${CI:-}" ]]; then
    echo "deploy: systemd-analyze is missing, so the unit cannot be verified (.ci/run installs systemd)" >&2
    exit 1
else
    echo "deploy: systemd-analyze not installed; unit not verified (CI fails here)" >&2
fi
python3 - <<'PY'
import yaml
for path in ["deploy/compose.yaml", "deploy/kubernetes/dialogue.yaml", "deploy/kubernetes/migrate-job.yaml"]:
    documents = list(yaml.safe_load_all(open(path)))
    assert documents and all(documents), f"{path}: empty document"
compose = yaml.safe_load(open("deploy/compose.yaml"))
for name, service in compose["services"].items():
    for secret in service.get("secrets", []):
        assert secret in compose["secrets"], f"{name} uses undefined secret {secret}"
print("deploy: compose and Kubernetes files parse")
PY
