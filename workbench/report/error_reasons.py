"""Why cells errored: each distinct error reason of a run, its count and a few of its cells.

`error_reasons` is SQL aggregates only (one grouped query, then a few rows per reason), so a
100,000-result run costs no more than a handful of indexed reads. The run summary prints
`format_error_reasons`, so the reason of an ERROR row is on screen, not only in SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

MAX_REASONS = 10  # distinct reasons printed; the rest are counted in one line
EXAMPLES = 3  # cells named per reason
MAX_REASON_CHARS = 300


@dataclass
class ErrorReason:
    reason: str
    count: int
    cells: list[str] = field(default_factory=list)  # e.g. "refund request · v1 · openai:gpt-4o-mini"


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """A reason as one printable line: control characters and newlines become spaces."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def error_reasons(db: Database, run_id: int, limit: int = MAX_REASONS) -> tuple[list[ErrorReason], int]:
    """The `limit` most frequent reasons (most frequent first) and the number of other reasons."""
    shown = list(
        db.execute(
            "select error, count(*) as n from results where run_id = ? and error is not null"
            " group by error order by n desc, min(id) limit ?",
            [run_id, limit],
        )
    )
    (distinct,) = db.execute(
        "select count(distinct error) from results where run_id = ? and error is not null", [run_id]
    ).fetchone()
    prompts = dict(db.execute("select prompt_idx, label from run_prompts where run_id = ?", [run_id]).fetchall())
    out = []
    for error, n in shown:
        examples = []
        for test_idx, prompt_idx, provider, variant, description in db.execute(
            "select r.test_idx, r.prompt_idx, coalesce(r.provider_label, r.provider_id), r.variant, t.description"
            " from results r left join test_cases t on t.run_id = r.run_id and t.test_idx = r.test_idx"
            " where r.run_id = ? and r.error = ? order by r.id limit ?",
            [run_id, error, EXAMPLES],
        ):
            parts = [description or f"tests[{test_idx}]", str(prompts.get(prompt_idx, prompt_idx)), str(provider)]
            if variant and variant != "none":
                parts.insert(2, variant)
            examples.append(one_line(" · ".join(parts), 120))
        out.append(ErrorReason(one_line(str(error)), int(n), examples))
    return out, int(distinct) - len(shown)


def format_error_reasons(db: Database, run_id: int) -> list[str]:
    """Lines for the summary: `Errors:` then `  N × reason (e.g. cell; cell; cell)`; [] when none."""
    reasons, others = error_reasons(db, run_id)
    if not reasons:
        return []
    lines = ["Errors:"]
    for r in reasons:
        more = f"; +{r.count - len(r.cells)} more" if r.count > len(r.cells) else ""
        lines.append(f"  {r.count} × {r.reason} (e.g. {'; '.join(r.cells)}{more})")
    if others:
        lines.append(f"  … and {others} other reason{'s' * (others != 1)} (see the results table's error column)")
    return lines
