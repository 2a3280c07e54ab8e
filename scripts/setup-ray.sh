#!/usr/bin/env bash
# Creates .venv-ray (Python from PyPI) with cluster/requirements.txt: Ray, for
# `tvm-trace prove run/ --ray HOST:PORT` and its test (test/cluster/ray.test.ts). Every node of a
# cluster needs the same, in the same checkout (docs/ray.md).
# Idempotent (scripts/setup-venv.sh).   npm run setup:ray   (or: bash scripts/setup-ray.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/scripts/setup-venv.sh" "$root/.venv-ray" "$root/cluster/requirements.txt" ray
