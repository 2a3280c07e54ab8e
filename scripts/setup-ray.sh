#!/usr/bin/env bash
# Creates .venv-ray (Python from PyPI) with cluster/requirements.txt: Ray, for
# `tvm-trace prove run/ --ray HOST:PORT` and its tests (test/cluster/ray.test.ts).
# Idempotent: when .venv-ray already holds exactly these requirements it returns at once.
#   npm run setup:ray        (or: bash scripts/setup-ray.sh)
# PYTHON=python3.12 picks the interpreter (default: python3). Every node of a cluster needs
# the same: run it in the same checkout on each (see docs/ray.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-ray"
requirements="$root/cluster/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
python="${PYTHON:-python3}"
if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
"$venv/bin/python" -c 'import ray'
echo "$want" > "$stamp"
echo "setup-ray: $venv ready (ray $("$venv/bin/python" -c 'import ray; print(ray.__version__)'))"
