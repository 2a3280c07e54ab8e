#!/usr/bin/env bash
# Creates .venv (Python from PyPI) with the pinned tools of interop/requirements.txt, for the
# interop tests (test/interop/*: pyarrow, polars, DuckDB read and write traces).
# Idempotent: when .venv already holds exactly these requirements it returns at once.
#   npm run setup:python        (or: bash scripts/setup-python.sh)
# PYTHON=python3.12 picks the interpreter (default: python3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
requirements="$root/interop/requirements.txt"
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
"$venv/bin/python" -c 'import pyarrow, polars, duckdb' 
echo "$want" > "$stamp"
echo "setup-python: $venv ready ($("$venv/bin/python" -c 'import pyarrow, polars, duckdb; print("pyarrow", pyarrow.__version__, "polars", polars.__version__, "duckdb", duckdb.__version__)'))"
