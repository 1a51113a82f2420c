"""The assertion-type registry: each promptfoo type's handler and the facts about it, in one place.

Scoring, cross-output grading, `--no-code-asserts` and the guardrail counts all read these facts
here instead of keeping their own lists. Built-in types (`table.py`) and outside plugins register
through the same `register_assertions(registry)` hook (see `workbench/plugins.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.assertions.handler import Handler
from workbench.errors import PluginError


@dataclass(frozen=True)
class AssertionType:
    """One assertion type, named without `not-`.

    handler: grades one output (None only for cross-output types, graded in cross_output.py).
    model_graded: asks a grader model (`--grader`, `options.provider`; the grader's cost is counted).
    guardrail: a failure counts as a guardrail failure (reports, `compare` gates, `recommend`).
    cross_output: graded once every output of the test exists (select-best, max-score).
    needs_code: runs the suite author's code; refused by `--no-code-asserts`; a `file://` value is
        the code itself, not a file to read.
    handles_inverse: the handler applies `not-` itself; otherwise scoring flips pass and score.
    """

    name: str
    handler: Handler | None
    model_graded: bool = False
    guardrail: bool = False
    cross_output: bool = False
    needs_code: bool = False
    handles_inverse: bool = False
    description: str = ""


class AssertionRegistry:
    """Types by name; registering a name again replaces it (a plugin may override a built-in)."""

    def __init__(self) -> None:
        self._types: dict[str, AssertionType] = {}

    def add(self, atype: AssertionType) -> None:
        if not isinstance(atype, AssertionType):
            raise PluginError(f"register_assertions: expected an AssertionType, got {type(atype).__name__}")
        name = atype.name
        if not isinstance(name, str) or not name or name.startswith("not-") or name != name.strip():
            raise PluginError(f"assertion type {name!r}: a name is a non-empty string without 'not-'")
        if atype.handler is None and not atype.cross_output:
            raise PluginError(f"assertion type {name!r}: a handler is required")
        if atype.handler is not None and not callable(atype.handler):
            raise PluginError(f"assertion type {name!r}: the handler is not callable")
        self._types[name] = atype

    def get(self, name: str) -> AssertionType | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return sorted(self._types)

    def types(self) -> list[AssertionType]:
        return [self._types[n] for n in self.names()]
