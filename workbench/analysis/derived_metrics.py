"""promptfoo `derivedMetrics`: mathjs-style expressions over a prompt's summed named scores.

promptfoo evaluates each `{name, value}` with `mathjs.evaluate(value, {...namedScores, __count})`
after every row, where namedScores are per-prompt sums and `__count` the rows so far; the last
evaluation (all rows) is what it reports. Earlier derived metrics are visible to later ones. An
expression that fails leaves the metric at 0. Supported: numbers, names, `+ - * / ^ %`, unary
minus, parentheses, comparisons, `a ? b : c`, and the common mathjs functions below.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

_FUNCS: dict[str, Callable[..., float]] = {
    "abs": abs,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": lambda x, base=math.e: math.log(x) / math.log(base),
    "log10": math.log10,
    "log2": math.log2,
    "pow": math.pow,
    "round": lambda x, n=0: round(x, int(n)),
    "floor": math.floor,
    "ceil": math.ceil,
    "min": min,
    "max": max,
    "sum": lambda *a: sum(a),
    "mean": lambda *a: sum(a) / len(a),
}
_CONSTS = {"pi": math.pi, "e": math.e, "Infinity": math.inf, "NaN": math.nan, "true": 1.0, "false": 0.0}


def _div(a: float, b: float) -> float:
    if b == 0:
        return (
            math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * (1 if math.copysign(1, b) > 0 else -1)
        )
    return a / b


def _to_python(expr: str) -> str:
    expr = re.sub(r"\?(?!\?)", " __Q__ ", expr)  # ternary handled after parsing
    return expr.replace("^", "**").replace("__Q__", "?")


def _eval(node: ast.AST, scope: Mapping[str, float]) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body, scope)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in scope:
            return float(scope[node.id])
        if node.id in _CONSTS:
            return _CONSTS[node.id]
        raise NameError(f"Undefined symbol {node.id}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _eval(node.operand, scope)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, scope), _eval(node.right, scope)
        ops: dict[type, Callable[[float, float], float]] = {
            ast.Add: lambda x, y: x + y,
            ast.Sub: lambda x, y: x - y,
            ast.Mult: lambda x, y: x * y,
            ast.Div: _div,
            ast.Pow: lambda x, y: x**y,
            ast.Mod: lambda x, y: x % y if y else math.nan,  # mathjs mod is floored
        }
        op = ops.get(type(node.op))
        if op is None:
            raise ValueError("unsupported operator")
        return op(a, b)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        a, b = _eval(node.left, scope), _eval(node.comparators[0], scope)
        cmp = {ast.Lt: a < b, ast.LtE: a <= b, ast.Gt: a > b, ast.GtE: a >= b, ast.Eq: a == b, ast.NotEq: a != b}
        return 1.0 if cmp[type(node.ops[0])] else 0.0
    if isinstance(node, ast.IfExp):
        return _eval(node.body, scope) if _eval(node.test, scope) else _eval(node.orelse, scope)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords:
        return float(_FUNCS[node.func.id](*[_eval(a, scope) for a in node.args]))
    raise ValueError(f"unsupported expression: {ast.dump(node)[:60]}")


def _ternary_to_python(expr: str) -> str:
    """`c ? a : b` -> `(a) if (c) else (b)` (one level, right-associative)."""
    if "?" not in expr:
        return expr
    cond, rest = expr.split("?", 1)
    if ":" not in rest:
        raise ValueError("incomplete ternary")
    a, b = rest.split(":", 1)
    return f"({_ternary_to_python(a)}) if ({cond}) else ({_ternary_to_python(b)})"


def evaluate_expression(expr: str, scope: Mapping[str, float]) -> float:
    """Evaluate one mathjs-style expression; raises ValueError/NameError on failure."""
    text = _ternary_to_python(_to_python(expr.strip()))
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"cannot parse {expr!r}: {e.msg}") from e
    return _eval(tree, scope)


def evaluate_derived_metrics(
    named_score_sums: Mapping[str, float], count: int, derived: list[dict[str, Any]]
) -> dict[str, float]:
    """Values of the suite's derivedMetrics for one prompt column (promptfoo order and fallbacks)."""
    scope: dict[str, float] = {**named_score_sums, "__count": float(count)}
    out: dict[str, float] = {}
    for metric in derived:
        name = str(metric.get("name", ""))
        value = metric.get("value")
        out[name] = 0.0
        if not isinstance(value, str):
            continue
        try:
            out[name] = evaluate_expression(value, scope)
            scope[name] = out[name]
        except (ValueError, NameError, TypeError, ZeroDivisionError, OverflowError, KeyError):
            continue
    return out
