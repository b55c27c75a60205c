#!/usr/bin/env bash
# Creates (once) the Python environment that the notebook, browser and ONNX tests use, and prints its python:
#   .build/test-venv with jupyter nbconvert, ipykernel, papermill, nbformat, selenium, numpy, onnx and
#   onnxruntime from PyPI.
# Run by `make test` before the Swift tests, and by those tests themselves (it returns at once when the
# environment is complete). Debian's python3-venv, chromium and chromium-driver come from scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${BITSWEEP_TEST_VENV:-.build/test-venv}"
py="$venv/bin/python"
# One maker at a time: test suites that start in parallel wait for the first to finish.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
modules="nbconvert, ipykernel, papermill, nbformat, selenium, numpy, onnx, onnxruntime"
if [ -x "$py" ] && "$py" -c "import $modules" 2>/dev/null; then
  echo "$py"
  exit 0
fi
base=/usr/bin/python3
[ -x "$base" ] || base="$(command -v python3)"
mkdir -p "$(dirname "$venv")"
"$base" -m venv "$venv" >&2
"$py" -m pip install --quiet --disable-pip-version-check nbconvert ipykernel papermill nbformat selenium numpy onnx onnxruntime >&2
"$py" -m ipykernel install --sys-prefix --name python3 >/dev/null 2>&1 || true
"$py" -c "import $modules"
echo "$py"
