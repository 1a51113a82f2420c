#!/usr/bin/env bash
# The offline main job: run the example suites on the embedded defaults, store results, recommend.
# Needs no network and no API key. `--pass-rate-threshold 0` because the example suite contains
# a deliberately broken prompt version (v3): the demo shows the failures instead of exiting 100.
set -euo pipefail
cd "$(dirname "$0")/.."
WB=.venv/bin/workbench
export WORKBENCH_DB=${WORKBENCH_DB:-results/workbench.db}
mkdir -p results
$WB run suites/ticket_summary.yaml --pass-rate-threshold 0 --label demo \
  -o results/ticket_summary.json -o results/ticket_summary.junit.xml
# Compression variant: none vs llmlingua:0.5 on a ~1,500-token KB context (one compression with
# the embedded SmolLM2-135M, cached in the database for reruns).
$WB run suites/kb_answer.yaml --pass-rate-threshold 0 --label demo -o results/kb_answer.json
if $WB --help | grep -q recommend; then
  $WB recommend --requests-per-day 10000
fi
echo
echo "Results are in $WORKBENCH_DB (runs: $WB runs; UI: $WB ui)."
