#!/usr/bin/env bash
# The offline main job, decision first: run the decision suite on the embedded model, print which
# prompt/variant/model pair to ship and why, then the details (what each version and the compressed
# variant did, the failures, a version diff on the support-ticket suite).
# No network and no API key needed. To add a hosted model, list it under `providers:` in
# suites/order_number.yaml (for example `- id: openai:gpt-4o-mini` with `config: {max_tokens: 8}`).
# `--pass-rate-threshold 0`: the suites hold deliberately weak prompt versions, so the demo shows
# their failures instead of exiting 100.
set -euo pipefail
cd "$(dirname "$0")/.."
WB=${WB:-.venv/bin/workbench}
export WORKBENCH_DB=${WORKBENCH_DB:-results/workbench.db}
mkdir -p results
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
start=$(date +%s)

step "Running suites/order_number.yaml: 24 tickets x prompt v1 (zero-shot), v2 (few-shot) x plain / LLMLingua-compressed on the embedded model"
$WB run suites/order_number.yaml --label demo --pass-rate-threshold 0 -q \
  -o results/order_number.json -o results/order_number.html

step "THE DECISION: which pair to ship, and what it costs at 10,000 requests/day"
$WB recommend --run demo --requests-per-day 10000

step "Details 1/4: the run, pair by pair"
$WB runs demo

step "Details 2/4: what the v1 -> v2 edit did"
$WB diff order_number v1 v2 --run demo --flips 3

step "Details 3/4: why results fail, grouped"
$WB failures --run demo

step "Details 4/4: support-ticket summaries v1-v3 on echo (the prompt is the output: guardrail and detail checks)"
$WB run suites/ticket_summary.yaml --label demo-echo --pass-rate-threshold 0 -q \
  -o results/ticket_summary.json -o results/ticket_summary.junit.xml -o results/ticket_summary.md
$WB diff ticket_summary v2 v3 --run demo-echo --flips 2

step "Done in $(( $(date +%s) - start )) s"
echo "Results: $WORKBENCH_DB ($WB runs); reports in results/ (open results/order_number.html); browse: $WB ui"
echo "More: $WB run suites/kb_answer.yaml (LLMLingua on a 1,400-token knowledge base: ~5 s of CPU for its one compression)"
