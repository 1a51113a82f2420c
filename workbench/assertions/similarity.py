"""Reference-similarity metrics: rouge-n, bleu, gleu, meteor (ports of promptfoo 0.121.20).

`not-` reports `1 - score` (QUIRKS 6). rouge-n is a clipped ROUGE-1 F-measure over js-rouge's
treebank tokens (QUIRKS 22); bleu smooths zero precisions with 1e-7 only; gleu throws on an
empty output (QUIRKS 23). METEOR is real (exact + Porter-stem matches, promptfoo's chunk
penalty); WordNet synonym matching is skipped because it needs downloaded data (the oracle's
CLI build throws on every meteor assertion, QUIRKS 24).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from typing import Any

from workbench.assertions.handler import AssertionContext, inverse_aware
from workbench.assertions.strings import JS_WHITESPACE_RUN, invariant, is_js_string, js_trim, out_str
from workbench.runtimes.jsvalues import js_string
from workbench.types import GradingResult


def _ngrams(words: list[str], n: int) -> list[str]:
    if n <= 0 or n > len(words):
        return []
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def _js_split_ws(text: str) -> list[str]:
    """`text.trim().split(/\\s+/)` (an empty string gives [''])."""
    return JS_WHITESPACE_RUN.split(js_trim(text))


def _refs(ctx: AssertionContext, name: str, article: str = "") -> list[str]:
    v = ctx.value
    ok = is_js_string(v) or (isinstance(v, list) and all(is_js_string(x) for x in v))
    invariant(ok, f'"{name}" assertion{article} must have a string or array of strings value')
    return list(v) if isinstance(v, list) else [v]


def _threshold(ctx: AssertionContext, default: float) -> float:
    t = ctx.assertion.get("threshold")
    return default if t is None else t


# -- treebank tokenizer (js-rouge's treeBankTokenize) ---------------------------------------------

_CONTRACTIONS = [
    re.compile(rf"(?<![A-Za-z0-9_]){p}(?![A-Za-z0-9_])", re.I)
    for p in (
        "(can)(not)",
        "(d)('ye)",
        "(gim)(me)",
        "(gon)(na)",
        "(got)(ta)",
        "(lem)(me)",
        "(more)('n)",
        "(wan)(na)(?= )",
        "('t)(is)",
        "('t)(was)",
    )
]


def treebank_tokenize(text: str) -> list[str]:
    t = re.sub(r"[\s\u0085]+", " ", text).strip()
    if not t:
        return []
    opening = [True]

    def quote(m: re.Match[str]) -> str:
        s, i = m.group(0), m.start()
        prev = t[i - 1] if i > 0 else ""
        is_open = s == "``" or (
            (i == 0 or prev.isspace() or prev in "([{<" or _is_punct(prev)) and prev not in ".!?" and s == '"'
        )
        opening[0] = is_open
        return " `` " if is_open else " '' "

    r = re.sub(r'``|\'\'|"', quote, t)
    r = r.replace("...", " ... ")
    r = re.sub(r"[:,](?!\d)", lambda m: f" {m.group(0)} ", r)
    r = re.sub(r"[;@#$%&]", lambda m: f" {m.group(0)} ", r)
    r = re.sub(r"([^.])(?<!\b[A-Za-z]\.[A-Za-z])(\.)([\])}>'\s]*)$", r"\1 \2\3 ", r)
    r = re.sub(r"[?!]", lambda m: f" {m.group(0)} ", r)
    r = re.sub(r"[\][(){}<>]", lambda m: f" {m.group(0)} ", r)
    r = r.replace("--", " -- ")
    r = f" {r} "
    r = re.sub(r"([^'])' ", r"\1 ' ", r)
    r = re.sub(r"'([sSmMdD]) ", r" '\1 ", r)
    r = re.sub(r"('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", r" \1 ", r)
    for pat in _CONTRACTIONS:
        r = pat.sub(lambda m: f" {m.group(1)} {m.group(2)} ", r)
    r = re.sub(r" {2,}", " ", r)
    r = re.sub(r"^ | $", "", r)
    return r.split(" ")


def _is_punct(c: str) -> bool:
    import unicodedata

    return unicodedata.category(c).startswith("P")


def f_measure(p: float, r: float, beta: float = 1.0) -> float:
    if p == r:
        return p
    if p == 0 or r == 0:
        return 0.0
    b2 = beta * beta
    if p > r:
        i2 = 1 / b2
        return min(p, r * ((1 + i2) / (1 + i2 * (r / p))))
    return min(r, p * ((1 + b2) / (1 + b2 * (p / r))))


def rouge_n_score(candidate: str, reference: str, n: int = 1) -> float:
    cand, ref = treebank_tokenize(candidate), treebank_tokenize(reference)
    if len(cand) < n or len(ref) < n:
        return 0.0
    cg, rg = _ngrams(cand, n), _ngrams(ref, n)
    rc = Counter(rg)
    overlap = sum(min(c, rc.get(g, 0)) for g, c in Counter(cg).items())
    if overlap == 0:
        return 0.0
    return f_measure(overlap / len(cg), overlap / len(rg))


def _fixed(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


@inverse_aware
def handle_rouge_n(ctx: AssertionContext) -> GradingResult:
    v = ctx.value
    invariant(is_js_string(v), '"rouge" assertion type must be a string value')
    score = rouge_n_score(out_str(ctx).lower(), v.lower())
    t = _threshold(ctx, 0.75)
    cmp = "greater than or equal to" if score >= t else "less than"
    return GradingResult(
        (score >= t) != ctx.inverse,
        1 - score if ctx.inverse else score,
        f"ROUGE-N score {_fixed(score, 2)} is {cmp} threshold {js_string(t)}",
    )


# -- bleu / gleu ----------------------------------------------------------------------------------


def bleu_score(candidate: str, references: list[str], weights: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25)) -> float:
    if not references:
        raise ValueError("Invalid inputs")
    if js_trim(candidate) == "":
        return 0.0
    cw = _js_split_ws(candidate.lower())
    refs = [_js_split_ws(r.lower()) for r in references]
    closest = refs[0].__len__()
    for r in refs[1:]:
        dc, dp = abs(len(r) - len(cw)), abs(closest - len(cw))
        if dc < dp or (dc == dp and len(r) < closest):
            closest = len(r)
    orders = []
    for n in range(1, 5):
        cg = _ngrams(cw, n)
        if not cg:
            continue
        cc = Counter(cg)
        best = 0
        for r in refs:
            rc = Counter(_ngrams(r, n))
            best = max(best, sum(min(c, rc.get(g, 0)) for g, c in cc.items()))
        orders.append((best / len(cg), weights[n - 1]))
    bp = 1.0 if len(cw) > closest else math.exp(1 - closest / len(cw))
    wsum = sum(w for _, w in orders)
    if wsum == 0:
        return 0.0
    total = sum(w / wsum * math.log(p if p != 0 else 1e-7) for p, w in orders)
    return bp * math.exp(total)


@inverse_aware
def handle_bleu(ctx: AssertionContext) -> GradingResult:
    refs = _refs(ctx, "bleu", " type")
    t = _threshold(ctx, 0.5)
    score = bleu_score(out_str(ctx), refs)
    passed = (score >= t) != ctx.inverse
    reason = (
        "Assertion passed"
        if passed
        else f"BLEU score {_fixed(score, 4)} is {'greater' if ctx.inverse else 'less'} than threshold {js_string(t)}"
    )
    return GradingResult(passed, 1 - score if ctx.inverse else score, reason)


def _gleu_words(text: str) -> list[str]:
    return [re.sub(r"\.+$", "", w) for w in _js_split_ws(text.lower())]


def gleu_score(candidate: str, references: list[str], min_n: int = 1, max_n: int = 4) -> float:
    if not candidate or not references:
        raise ValueError("Invalid inputs")
    cw = _gleu_words(candidate)
    scores = []
    for ref in references:
        rw = _gleu_words(ref)
        if cw == rw:
            scores.append(1.0)
            continue
        match = ctot = rtot = 0
        for n in range(min_n, max_n + 1):
            cg, rg = _ngrams(cw, n), _ngrams(rw, n)
            rc = Counter(rg)
            match += sum(min(c, rc.get(g, 0)) for g, c in Counter(cg).items())
            ctot += len(cg)
            rtot += len(rg)
        scores.append(0.0 if ctot == 0 or rtot == 0 else min(match / ctot, match / rtot))
    return max(scores)


@inverse_aware
def handle_gleu(ctx: AssertionContext) -> GradingResult:
    refs = _refs(ctx, "gleu")
    t = _threshold(ctx, 0.5)
    score = gleu_score(out_str(ctx), refs)  # "" raises: an ERROR row, like promptfoo (QUIRKS 23)
    passed = (score >= t) != ctx.inverse
    reason = (
        "Assertion passed"
        if passed
        else f"GLEU score {_fixed(score, 4)} is {'greater' if ctx.inverse else 'less'} than threshold {js_string(t)}"
    )
    return GradingResult(passed, 1 - score if ctx.inverse else score, reason)


# -- meteor ---------------------------------------------------------------------------------------

_stemmer: Any = None


def _stem(word: str) -> str:
    global _stemmer
    if _stemmer is None:
        from nltk.stem.porter import PorterStemmer

        _stemmer = PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)
    return str(_stemmer.stem(word))


def _match_exact(
    cand: list[tuple[int, str]], ref: list[tuple[int, str]]
) -> tuple[list[tuple[int, int]], list[tuple[int, str]], list[tuple[int, str]]]:
    matches = []
    cand, ref = list(cand), list(ref)
    for i in range(len(cand) - 1, -1, -1):
        for j in range(len(ref) - 1, -1, -1):
            if cand[i][1] == ref[j][1]:
                matches.append((cand[i][0], ref[j][0]))
                del cand[i]
                del ref[j]
                break
    return matches, cand, ref


def _chunks(matches: list[tuple[int, int]]) -> int:
    if not matches:
        return 0
    chunks = 1
    for a, b in itertools.pairwise(matches):
        if b[0] != a[0] + 1 or b[1] != a[1] + 1:
            chunks += 1
    return chunks


def meteor_single(
    reference: list[str], candidate: list[str], alpha: float = 0.9, beta: float = 3, gamma: float = 0.5
) -> float:
    ec = [(i, w.lower()) for i, w in enumerate(candidate)]
    er = [(i, w.lower()) for i, w in enumerate(reference)]
    exact, rc, rr = _match_exact(ec, er)
    stem, _, _ = _match_exact([(i, _stem(w)) for i, w in rc], [(i, _stem(w)) for i, w in rr])
    matches = sorted(exact + stem, key=lambda m: m[0])
    m = len(matches)
    if m == 0 or not ec or not er:
        return 0.0
    p, r = m / len(ec), m / len(er)
    denom = alpha * p + (1 - alpha) * r
    if denom == 0:
        return 0.0
    fmean = p * r / denom
    frag = _chunks(matches) / m
    return (1 - gamma * frag**beta) * fmean


def meteor_score(
    candidate: str, references: list[str], alpha: float = 0.9, beta: float = 3, gamma: float = 0.5
) -> float:
    if not candidate or not references:
        raise ValueError("Invalid inputs")

    def words(s: str) -> list[str]:
        return [re.sub(r"\.+$", "", w) for w in JS_WHITESPACE_RUN.split(s)]

    return max(meteor_single(words(ref), words(candidate), alpha, beta, gamma) for ref in references)


@inverse_aware
def handle_meteor(ctx: AssertionContext) -> GradingResult:
    refs = _refs(ctx, "meteor")
    a = ctx.assertion
    t = _threshold(ctx, 0.5)
    score = meteor_score(out_str(ctx), refs, a.get("alpha", 0.9), a.get("beta", 3), a.get("gamma", 0.5))
    passed = score < t if ctx.inverse else score >= t
    reason = (
        "METEOR assertion passed"
        if passed
        else f"METEOR score {_fixed(score, 4)} did not meet threshold {js_string(t)}"
    )
    return GradingResult(passed, 1 - score if ctx.inverse else score, reason)
