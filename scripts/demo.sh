#!/usr/bin/env bash
# The offline main job: run the example suites on the embedded defaults, store every result in
# SQLite, then answer the product's questions (which pair to ship, what a version change did).
# No network and no API key needed; API models whose key is set are added, the others skipped.
#
# `--pass-rate-threshold 0`: the example suite holds a deliberately broken prompt version (v3), so
# the demo shows the failures instead of exiting 100.
set -euo pipefail
cd "$(dirname "$0")/.."
WB=".venv/bin/workbench"
export WORKBENCH_DB=${WORKBENCH_DB:-results/workbench.db}
LOCAL_TESTS=${DEMO_LOCAL_TESTS:-3}   # tickets for the CPU model (~5-15 s per answer here)
mkdir -p results
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. ticket_summary v1-v3 on echo (22 tickets x 3 versions; echo returns the prompt)"
$WB run suites/ticket_summary.yaml --label demo-echo --pass-rate-threshold 0 \
  -o results/ticket_summary.json -o results/ticket_summary.junit.xml -o results/ticket_summary.md

models=(-r local:smollm2-135m)
for pair in "OPENAI_API_KEY openai:gpt-4o-mini" "ANTHROPIC_API_KEY anthropic:messages:claude-haiku-4-5"; do
  set -- $pair
  if [ -n "${!1:-}" ]; then models+=(-r "$2"); else echo "note: skipping $2 ($1 is not set)"; fi
done
step "2. the same prompts on the embedded local model (first $LOCAL_TESTS tickets) and keyed API models"
$WB run suites/ticket_summary.yaml "${models[@]}" -n "$LOCAL_TESTS" --label demo-models \
  --pass-rate-threshold 0 -o results/ticket_summary_models.json

step "3. kb_answer: a RAG prompt with an LLMLingua-compressed variant (compressor: local SmolLM2)"
$WB run suites/kb_answer.yaml --label demo-compression --pass-rate-threshold 0 -o results/kb_answer.json

step "4. which pair to ship, and what it costs at 10,000 requests/day"
$WB recommend --run demo-models --requests-per-day 10000

step "5. what the v2 -> v3 edit did (echo run)"
$WB diff ticket_summary v2 v3 --run demo-echo --flips 3

step "Done"
echo "Results: $WORKBENCH_DB ($WB runs), reports in results/. Browse them: $WB ui"
