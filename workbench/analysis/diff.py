"""What changed between two versions of a prompt family: the text, the tokens and the results.

The texts come from the run that holds both versions (so the diff shows exactly what was run),
else from the newest stored copy, else from `prompts/<family>/<version>.*` on disk. Result deltas
come from one run that includes both versions (the given one, else the newest): per (variant,
model), v2 minus v1, and the tests whose verdict flipped, matched by test, variant, model and
repeat, with both outputs.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.analysis.pairs import PairStats, pair_stats
from workbench.errors import UsageError
from workbench.store import pair_outcomes, queries
from workbench.tokens import count_tokens

FLIP_LIMIT = 200

# v1's results of a run and v2's result of the same cell (variant, provider, test, repeat) whose
# verdicts differ. CROSS JOIN keeps v1's results (index order) as the outer loop.
FLIPS = """
    from results a cross join results b on b.run_id = a.run_id and b.prompt_idx = :p2 and b.variant = a.variant
     and b.provider_idx = a.provider_idx and b.test_idx = a.test_idx and b.repeat = a.repeat
    where a.run_id = :run and a.prompt_idx = :p1 and a.success != b.success
"""
FLIP_PAGE = f"""
    select a.test_idx, tc.description, tc.vars, a.variant, a.provider_label, a.repeat,
           a.success, b.success, a.output, b.output, a.score, b.score
    from (
        select a.id as aid, b.id as bid {FLIPS}
        order by b.success, a.test_idx, a.variant, a.provider_label, a.repeat limit :limit
    ) f
    join results a on a.id = f.aid
    join results b on b.id = f.bid
    left join test_cases tc on tc.run_id = a.run_id and tc.test_idx = a.test_idx
    order by b.success, a.test_idx, a.variant, a.provider_label, a.repeat
"""
# One flip's row, by cell (the per-cell index, m004): what FLIP_PAGE selects.
FLIP_AT = """
    select a.test_idx, tc.description, tc.vars, a.variant, a.provider_label, a.repeat,
           a.success, b.success, a.output, b.output, a.score, b.score
    from results a join results b on b.run_id = a.run_id and b.prompt_idx = :p2 and b.variant = a.variant
     and b.provider_idx = a.provider_idx and b.test_idx = a.test_idx and b.repeat = a.repeat
    left join test_cases tc on tc.run_id = a.run_id and tc.test_idx = a.test_idx
    where a.run_id = :run and a.prompt_idx = :p1 and a.variant = :variant and a.provider_idx = :provider
     and a.test_idx = :t and a.repeat = 0
"""
PROMPT_EXTENSIONS = (".txt", ".md", ".j2", ".json", ".yaml", ".yml")


@dataclass
class VersionText:
    version: str
    text: str
    tokens: int
    sha256: str | None = None
    prompt_version_id: int | None = None
    prompt_idx: int | None = None  # in the compared run
    source: str = "database"  # database | file


@dataclass
class PairDelta:
    variant: str
    model: str
    before: PairStats | None
    after: PairStats | None

    def _d(self, attr: str) -> float | None:
        a = getattr(self.before, attr, None) if self.before else None
        b = getattr(self.after, attr, None) if self.after else None
        return None if a is None or b is None else b - a

    @property
    def pass_rate(self) -> float | None:
        return self._d("pass_rate")

    @property
    def score(self) -> float | None:
        return self._d("mean_score")

    @property
    def tokens_in(self) -> float | None:
        return self._d("mean_tokens_in")

    @property
    def tokens_out(self) -> float | None:
        return self._d("mean_tokens_out")

    @property
    def cost(self) -> float | None:
        return self._d("mean_cost")

    @property
    def guardrail_failures(self) -> float | None:
        return self._d("guardrail_failures")

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "model": self.model,
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "delta": {
                "pass_rate": self.pass_rate,
                "score": self.score,
                "tokens_in": self.tokens_in,
                "tokens_out": self.tokens_out,
                "cost": self.cost,
                "guardrail_failures": self.guardrail_failures,
            },
        }


@dataclass
class Flip:
    test_idx: int
    description: str | None
    vars: dict[str, Any]
    variant: str
    model: str
    repeat: int
    before_pass: bool
    after_pass: bool
    before_output: str | None
    after_output: str | None
    before_score: float | None
    after_score: float | None

    @property
    def direction(self) -> str:
        return "fixed" if self.after_pass else "broke"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "direction": self.direction}


@dataclass
class VersionDiff:
    family: str
    v1: VersionText
    v2: VersionText
    unified: str
    run_id: int | None = None
    deltas: list[PairDelta] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)
    flips_total: int = 0
    broke: int = 0
    fixed: int = 0

    @property
    def token_delta(self) -> int:
        return self.v2.tokens - self.v1.tokens

    def words(self) -> list[tuple[str, str]]:
        """The texts' word-level diff (see `word_diff`)."""
        return word_diff(self.v1.text, self.v2.text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "v1": asdict(self.v1),
            "v2": asdict(self.v2),
            "token_delta": self.token_delta,
            "unified": self.unified,
            "run_id": self.run_id,
            "deltas": [d.to_dict() for d in self.deltas],
            "flips": [f.to_dict() for f in self.flips],
            "flips_total": self.flips_total,
            "broke": self.broke,
            "fixed": self.fixed,
        }


WORD = re.compile(r"\s+|\w+|[^\w\s]")


def word_opcodes(ta: list[str], tb: list[str]) -> list[tuple[str, int, int, int, int]]:
    """`difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes()`, the same list, with
    the common prefix and suffix matched first when SequenceMatcher would match them first anyway.

    SequenceMatcher takes the longest common block (ties: earliest in `ta`, then in `tb`), then
    recurses on each side of it. The common prefix (length p) is that block exactly when no block
    is longer, i.e. no (p+1)-gram is common to both; then the rest is the same problem on the
    tails. The common suffix (length s) of what is left is that block exactly when it is the only
    common s-gram occurrence (none longer, none tied earlier). Otherwise nothing is trimmed. The
    middle is then diffed alone, which costs far less when an edit is local."""
    n, m = len(ta), len(tb)
    # Each distinct token as one character: a token sequence is a string, searched in C.
    ids: dict[str, int] = {}
    sa = "".join(chr(ids.setdefault(t, len(ids))) for t in ta)
    sb = "".join(chr(ids.setdefault(t, len(ids))) for t in tb)
    lo = 0
    while lo < min(n, m) and sa[lo] == sb[lo]:
        lo += 1
    if lo and any(sa[i : i + lo + 1] in sb for i in range(n - lo)):
        lo = 0  # a longer common block: SequenceMatcher takes that one first
    s = 0
    while s < min(n, m) - lo and sa[n - 1 - s] == sb[m - 1 - s]:
        s += 1
    if s and not _only_common_window(sa, sb, lo, s):
        s = 0
    middle = difflib.SequenceMatcher(None, ta[lo : n - s], tb[lo : m - s], autojunk=False).get_opcodes()
    out = [("equal", 0, lo, 0, lo)] if lo else []
    out += [(tag, i1 + lo, i2 + lo, j1 + lo, j2 + lo) for tag, i1, i2, j1, j2 in middle]
    if s:
        out.append(("equal", n - s, n, m - s, m))
    return out


def _only_common_window(sa: str, sb: str, lo: int, s: int) -> bool:
    """Whether the common suffix (length `s`) of `sa[lo:]` and `sb[lo:]` is the only common
    `s`-long window of the two, at one position in each (so no block is as long or longer)."""
    n, m = len(sa), len(sb)
    for i in range(lo, n - s + 1):
        w = sa[i : i + s]
        first = sb.find(w, lo)
        if first < 0:
            continue
        if i != n - s or first != m - s:
            return False
    return True


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """`a` -> `b` as runs of ("=", text), ("-", removed) and ("+", inserted), word by word.

    Prompts are prose: a line diff marks a whole paragraph changed for one edited word. Tokens are
    words, single punctuation marks and whitespace runs, so joining the "=" and "-" runs gives back
    `a` and joining the "=" and "+" runs gives back `b`. A replaced span is its removal, then its
    insertion."""
    ta, tb = WORD.findall(a), WORD.findall(b)
    out: list[tuple[str, str]] = []

    def emit(op: str, parts: list[str]) -> None:
        text = "".join(parts)
        if not text:
            return
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))

    for tag, i1, i2, j1, j2 in word_opcodes(ta, tb):
        if tag == "equal":
            emit("=", ta[i1:i2])
        else:
            emit("-", ta[i1:i2])
            emit("+", tb[j1:j2])
    return _fold_short_equalities(out)


def marked_sides(a: str, b: str, mark: Callable[[str, str], str]) -> tuple[str, str]:
    """`a` and `b` rebuilt from their word diff with each run passed through `mark(op, text)`
    (op "=", "-" or "+"): the "=" and "-" runs make `a`'s side, the "=" and "+" runs `b`'s."""
    left, right = [], []
    for op, text in word_diff(a, b):
        marked = mark(op, text)
        if op != "+":
            left.append(marked)
        if op != "-":
            right.append(marked)
    return "".join(left), "".join(right)


def changed_excerpts(a: str | None, b: str | None, width: int = 160, context: int = 40) -> tuple[str, str]:
    """One-line excerpts of `a` and `b` around their first change, changed words marked as git's
    word diff does (`[-removed-]` in `a`, `{+inserted+}` in `b`), whitespace runs folded to one
    space, at most about `width` characters each, `…` where text was cut."""
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    marked_a, marked_b = marked_sides(a or "", b or "", lambda op, text: marks[op].format(text))
    flat_a, flat_b = (" ".join(side.split()) for side in (marked_a, marked_b))
    pos_a, pos_b = flat_a.find("[-"), flat_b.find("{+")
    if pos_a < 0:
        pos_a = pos_b
    if pos_b < 0:
        pos_b = pos_a
    return _window(flat_a, max(pos_a, 0), width, context), _window(flat_b, max(pos_b, 0), width, context)


def _window(text: str, pos: int, width: int, context: int) -> str:
    start = max(0, min(pos - context, len(text) - width))
    end = start + width
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")


def _fold_short_equalities(runs: list[tuple[str, str]], short: int = 4) -> list[tuple[str, str]]:
    """Fold an unchanged run of at most `short` characters that sits between two changes into
    both sides of the change, so `<{{email}}>` -> `{{order}}.` reads as one replacement rather
    than an interleaving of brackets (diff-match-patch's semantic cleanup, simplified)."""
    out: list[tuple[str, str]] = []
    removed, inserted = "", ""
    for i, (op, text) in enumerate(runs):
        if op == "-":
            removed += text
        elif op == "+":
            inserted += text
        elif (
            (removed or inserted)
            and len(text) <= short
            and "\n" not in text  # line breaks stay shared: folding would print them twice
            and any(o != "=" for o, _ in runs[i + 1 : i + 2])
        ):
            removed, inserted = removed + text, inserted + text
        else:
            out += [r for r in (("-", removed), ("+", inserted)) if r[1]]
            removed, inserted = "", ""
            out.append((op, text))
    out += [r for r in (("-", removed), ("+", inserted)) if r[1]]
    return out


def _flips_from_bits(db: Database, params: dict[str, Any], flip_limit: int) -> tuple[int, int, list[Any]] | None:
    """(flips, fixed, the page's rows) from the run's stored outcome bitsets (`store.pair_outcomes`):
    the same counts and rows in the same order as FLIPS / FLIP_PAGE, without joining every v1
    result to its v2 cell. None when the run has no valid bitsets (then: the join). Valid bitsets
    cover every result of the run, so it has no repeats and each cell's outcome is one bit."""
    bits = pair_outcomes.load(db, params["run"])
    if bits is None:
        return None
    labels = dict(
        db.execute("select provider_idx, label from run_providers where run_id = ?", [params["run"]]).fetchall()
    )
    broke: dict[tuple[str, str, int], int] = {}  # (variant, provider label, provider_idx) -> bits
    fixed: dict[tuple[str, str, int], int] = {}
    for (prompt_idx, variant, provider), a in bits.items():
        b = bits.get((params["p2"], variant, provider))
        if prompt_idx != params["p1"] or b is None:
            continue
        key = (variant, str(labels.get(provider, "")), provider)
        broke[key], fixed[key] = a.passed & b.failed, a.failed & b.passed
    total_fixed = sum(v.bit_count() for v in fixed.values())
    total = sum(v.bit_count() for v in broke.values()) + total_fixed
    rows: list[Any] = []
    for side in (broke, fixed):  # ordered as FLIP_PAGE: broke first, then test, variant, model
        groups = sorted((k, v) for k, v in side.items() if v)
        union = 0
        for _, v in groups:
            union |= v
        for t in pair_outcomes.first_bits(union, max(flip_limit, 0) - len(rows)):
            for (variant, _, provider), v in groups:
                if len(rows) < flip_limit and v >> t & 1:
                    row = db.execute(FLIP_AT, params | {"variant": variant, "provider": provider, "t": t}).fetchone()
                    if row is not None:
                        rows.append(row)
    return total, total_fixed, rows


def run_with_both(db: Database, family: str, v1: str, v2: str) -> int | None:
    row = db.execute(
        "select rp.run_id from run_prompts rp join prompt_versions pv on pv.id = rp.prompt_version_id"
        " where pv.family = ? and pv.version in (?, ?) group by rp.run_id"
        " having count(distinct pv.version) = 2 order by rp.run_id desc limit 1",
        [family, v1, v2],
    ).fetchone()
    return int(row[0]) if row else None


def _version_in_run(db: Database, run_id: int, family: str, version: str) -> VersionText | None:
    r = db.execute(
        "select pv.id, pv.text, pv.tokens, pv.sha256, rp.prompt_idx from run_prompts rp"
        " join prompt_versions pv on pv.id = rp.prompt_version_id"
        " where rp.run_id = ? and pv.family = ? and pv.version = ? order by rp.prompt_idx limit 1",
        [run_id, family, version],
    ).fetchone()
    if not r:
        return None
    return VersionText(version, r[1] or "", _tokens(r[2], r[1]), r[3], r[0], r[4])


def _version_stored(db: Database, family: str, version: str) -> VersionText | None:
    r = db.execute(
        "select id, text, tokens, sha256 from prompt_versions where family = ? and version = ?"
        " order by id desc limit 1",
        [family, version],
    ).fetchone()
    return VersionText(version, r[1] or "", _tokens(r[2], r[1]), r[3], r[0]) if r else None


def _version_on_disk(prompts_dir: Path, family: str, version: str) -> VersionText | None:
    for ext in PROMPT_EXTENSIONS:
        p = prompts_dir / family / f"{version}{ext}"
        if p.is_file():
            text = p.read_text(encoding="utf-8")
            return VersionText(version, text, _tokens(None, text), source="file")
    return None


def _tokens(stored: int | None, text: str | None) -> int:
    if stored is not None:
        return int(stored)

    return count_tokens(text or "")


def diff_versions(
    db: Database,
    family: str,
    v1: str,
    v2: str,
    run_id: int | str | None = None,
    prompts_dir: str | Path = "prompts",
    flip_limit: int = FLIP_LIMIT,
) -> VersionDiff:
    """Diff version `v1` -> `v2` of `family`; results from `run_id` or the newest run with both."""
    rid = queries.resolve_run(db, run_id) if run_id is not None else run_with_both(db, family, v1, v2)
    texts: list[VersionText] = []
    for v in (v1, v2):
        found = _version_in_run(db, rid, family, v) if rid is not None else None
        if found is None and run_id is not None:
            raise UsageError(f"run {rid} does not include {family}/{v}")
        found = found or _version_stored(db, family, v) or _version_on_disk(Path(prompts_dir), family, v)
        if found is None:
            raise UsageError(
                f"prompt version {family}/{v} not found in the database or under {Path(prompts_dir) / family}"
            )
        texts.append(found)
    a, b = texts
    unified = "".join(
        difflib.unified_diff(
            a.text.splitlines(keepends=True),
            b.text.splitlines(keepends=True),
            fromfile=f"{family}/{v1} ({a.tokens} tokens)",
            tofile=f"{family}/{v2} ({b.tokens} tokens)",
        )
    )
    if unified and not unified.endswith("\n"):
        unified += "\n"
    out = VersionDiff(family, a, b, unified, run_id=rid)
    if rid is not None and a.prompt_version_id is not None and b.prompt_version_id is not None:
        _fill_results(db, out, rid, flip_limit)
    return out


def _fill_results(db: Database, out: VersionDiff, run_id: int, flip_limit: int) -> None:
    pairs = pair_stats(db, [run_id], with_named_scores=False)
    before = {(p.variant, p.model): p for p in pairs if p.prompt_version_id == out.v1.prompt_version_id}
    after = {(p.variant, p.model): p for p in pairs if p.prompt_version_id == out.v2.prompt_version_id}
    out.deltas = [PairDelta(k[0], k[1], before.get(k), after.get(k)) for k in sorted(before.keys() | after.keys())]
    # The same cell of the other version: one seek on the per-cell index (m004) per v1 result;
    # counts and the page's order read only index columns, outputs are fetched for the page.
    params = {"run": run_id, "p1": out.v1.prompt_idx, "p2": out.v2.prompt_idx}
    from_bits = _flips_from_bits(db, params, flip_limit)
    if from_bits is None:
        total, fixed = db.execute(f"select count(*), sum(b.success) {FLIPS}", params).fetchone()
        out.flips_total, out.fixed = int(total), int(fixed or 0)
        rows = db.execute(FLIP_PAGE, params | {"limit": max(flip_limit, 0)}).fetchall()
    else:
        out.flips_total, out.fixed, rows = from_bits
    out.broke = out.flips_total - out.fixed
    for r in rows:
        out.flips.append(
            Flip(
                test_idx=r[0],
                description=r[1],
                vars=json.loads(r[2]) if r[2] else {},
                variant=r[3],
                model=r[4],
                repeat=r[5],
                before_pass=bool(r[6]),
                after_pass=bool(r[7]),
                before_output=r[8],
                after_output=r[9],
                before_score=r[10],
                after_score=r[11],
            )
        )
