#!/usr/bin/env bash
# A Python venv (from PyPI) holding exactly a requirements file, checked by importing modules.
# Idempotent: when VENV already holds exactly these requirements it returns at once.
#   bash scripts/setup-venv.sh VENV REQUIREMENTS MODULE...
# PYTHON=python3.12 picks the interpreter (default: python3). Used by setup-python.sh and setup-ray.sh.
set -euo pipefail
venv="$1"
requirements="$2"
shift 2
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
modules="$(IFS=,; echo "$*")"
versions="$("$venv/bin/python" -c "
import importlib, sys
for name in sys.argv[1].split(','):
    module = importlib.import_module(name)
    print(name, getattr(module, '__version__', '?'), end=' ')
" "$modules")"
echo "$want" > "$stamp"
echo "setup: $venv ready ($versions)"
