"""Regression gates over a comparison of BASE and HEAD: which ones trip, one line each.

Every number comes from `analysis.compare.compare_runs` (nothing is recomputed here):

- `fail_on_regression`: any test that passed in BASE and fails in HEAD (matched by test identity,
  per prompt/variant/model pair; a new prompt version against its predecessor). With
  `significance` (an alpha), only a pair, or the whole comparison, whose exact McNemar test on the
  flips says "regressed" trips it. With `missing == "fail"` (the default), (test, pair) rows that
  passed in BASE and have no counterpart in HEAD (removed tests) trip it as well.
- `max_pass_rate_drop` (percentage points): the matched pass rate of any pair, or overall, fell by
  more than this.
- `max_new_guardrail_failures` (default 0): tests with a guardrail failure in HEAD and none in BASE.
- `max_cost_increase` (%): the uncached cost per request of any pair rose by more than this.
  Unknown prices never trip it; they are reported in the comparison instead.
- `max_prompt_token_growth` (%): the prompt bloat alarm: mean input tokens per request of any pair
  (the template's token count when a side has no usage) grew by more than this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from workbench.analysis.comparison import PairComparison, RunComparison
from workbench.format import fmt_cost

EXIT_GATE = 100  # promptfoo's "below threshold" code, so CI treats both alike
EPS = 1e-9


@dataclass(frozen=True)
class GateConfig:
    fail_on_regression: bool = False
    max_pass_rate_drop: float | None = None  # percentage points
    max_new_guardrail_failures: int | None = 0
    max_cost_increase: float | None = None  # percent
    max_prompt_token_growth: float | None = None  # percent
    significance: float | None = None  # alpha: the regression gate trips on significant regressions only
    missing: str = "fail"  # fail | ignore: rows that passed in BASE and are missing in HEAD
    allow_empty: bool = False  # a comparison with zero matched rows is not an error
    predecessors: tuple[str, ...] = ()  # FAMILY/NEW=OLD: how a new version is paired

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Gate:
    name: str  # regression | pass-rate-drop | guardrails | cost | prompt-tokens
    message: str

    def line(self) -> str:
        return f"gate {self.name}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"gate": self.name, "message": self.message}


def _where(suite: str, single: bool) -> str:
    return "" if single else f"[{suite}] "


def _growth(before: float | None, after: float | None) -> float | None:
    """Relative growth in percent; None when unknown; inf when growing from zero."""
    if before is None or after is None:
        return None
    if before <= 0:
        return float("inf") if after > 0 else 0.0
    return (after - before) / before * 100


def prompt_tokens(pair: PairComparison) -> tuple[float | None, float | None]:
    """Mean input tokens per request on each side, else the template's tokens (promptfoo's echo has no usage)."""
    b = pair.base.mean_tokens_in if pair.base else None
    h = pair.head.mean_tokens_in if pair.head else None
    if b and h:
        return b, h
    bt = pair.base.prompt_tokens if pair.base else None
    ht = pair.head.prompt_tokens if pair.head else None
    return (float(bt) if bt is not None else None, float(ht) if ht is not None else None)


def _pct(v: float) -> str:
    return "from zero" if v == float("inf") else f"+{v:.1f}%"


def evaluate(comparisons: list[tuple[str, RunComparison]], config: GateConfig) -> list[Gate]:
    """The tripped gates over every (suite, comparison); empty when HEAD may ship."""
    single = len(comparisons) == 1
    out: list[Gate] = []
    for suite, c in comparisons:
        w = _where(suite, single)
        if config.fail_on_regression:
            out.extend(_regression_gates(w, c, config))
        if config.max_pass_rate_drop is not None:
            limit = config.max_pass_rate_drop
            candidates = [("overall", c.base_matched_pass_rate, c.head_matched_pass_rate)]
            candidates += [(p.name, p.base_matched_pass_rate, p.head_matched_pass_rate) for p in c.pairs]
            worst = [
                (name, b, h)
                for name, b, h in candidates
                if b is not None and h is not None and (b - h) * 100 > limit + EPS
            ]
            if worst:
                name, b, h = max(worst, key=lambda x: (x[1] or 0) - (x[2] or 0))
                out.append(
                    Gate(
                        "pass-rate-drop",
                        f"{w}{name}: pass rate {b:.1%} -> {h:.1%} ({(h - b) * 100:+.1f} pts), more than the"
                        f" allowed -{limit:g} pts",
                    )
                )
        if (
            config.max_new_guardrail_failures is not None
            and c.new_guardrail_failures > config.max_new_guardrail_failures
        ):
            pairs = [p.name for p in c.pairs if p.new_guardrail_failures]
            out.append(
                Gate(
                    "guardrails",
                    f"{w}{c.new_guardrail_failures} new guardrail failure{'s' * (c.new_guardrail_failures != 1)}"
                    f" (allowed {config.max_new_guardrail_failures}) in {', '.join(pairs)}",
                )
            )
        if config.max_cost_increase is not None:
            costs = [(p.name, p.base.mean_cost, p.head.mean_cost) for p in c.pairs if p.base and p.head]
            gate = _growth_gate("cost", "cost per request", costs, config.max_cost_increase, fmt_cost)
            if gate:
                out.append(Gate(gate.name, w + gate.message))
        if config.max_prompt_token_growth is not None:
            tokens = [(p.name, *prompt_tokens(p)) for p in c.pairs]
            gate = _growth_gate(
                "prompt-tokens", "prompt tokens per request", tokens, config.max_prompt_token_growth, "{:.0f}".format
            )
            if gate:
                out.append(Gate(gate.name, w + gate.message))
    return out


def _regression_gates(w: str, c: RunComparison, config: GateConfig) -> list[Gate]:
    out: list[Gate] = []
    if config.significance is None and c.regressed:
        names = ", ".join(f'"{t.description or t.test}"' for t in c.regressions[:5])
        more = f" and {c.regressed - 5} more" if c.regressed > 5 else ""
        out.append(
            Gate(
                "regression",
                f"{w}{c.regressed} test{'s' * (c.regressed != 1)} passed in BASE and fail in HEAD: {names}{more}",
            )
        )
    elif config.significance is not None:
        tested = [("overall", c.significance)] + [(p.name, p.significance) for p in c.pairs if p.matched]
        significant = [(name, s) for name, s in tested if s.verdict == "regressed"]
        if significant:
            name, s = min(significant, key=lambda x: x[1].p_value)
            more = f" ({len(significant)} significant)" if len(significant) > 1 else ""
            out.append(Gate("regression", f"{w}{name}: {s.line()}{more}"))
    if config.missing == "fail" and c.missing_passed:
        n = c.missing_passed
        names = ", ".join(f'"{m["description"] or m["test"]}"' for m in c.missing[:5])
        more = f" and {n - 5} more" if n > 5 else ""
        out.append(
            Gate(
                "missing",
                f"{w}{n} test{'s' * (n != 1)} passed in BASE and {'are' if n != 1 else 'is'} missing in HEAD:"
                f" {names}{more} (--missing ignore to allow)",
            )
        )
    return out


def _growth_gate(
    name: str,
    what: str,
    values: list[tuple[str, float | None, float | None]],
    limit: float,
    fmt: Callable[[float], str],
) -> Gate | None:
    """Trip when some pair grew by more than `limit` percent; the message names the worst."""
    grown: list[tuple[float, str, float, float]] = []
    for pair, before, after in values:
        g = _growth(before, after)
        if g is not None and before is not None and after is not None and g > limit + EPS:
            grown.append((g, pair, before, after))
    if not grown:
        return None
    g, pair, before, after = max(grown, key=lambda x: x[0])
    more = f" ({len(grown)} pairs)" if len(grown) > 1 else ""
    return Gate(
        name,
        f"{pair}: {what} {fmt(before)} -> {fmt(after)} ({_pct(g)}), more than the allowed +{limit:g}%{more}",
    )
