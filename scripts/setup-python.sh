#!/usr/bin/env bash
# Creates .venv (Python from PyPI) with the pinned tools of interop/requirements.txt, for the
# interop tests (test/interop/*: pyarrow, polars, DuckDB read and write traces).
# Idempotent (scripts/setup-venv.sh).   npm run setup:python   (or: bash scripts/setup-python.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/scripts/setup-venv.sh" "$root/.venv" "$root/interop/requirements.txt" pyarrow polars duckdb
