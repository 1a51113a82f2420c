"""Per-cell-group outcome bitsets of a finished run, so two runs compare without a 100k-row join.

For each (prompt_idx, variant, provider_idx) of a run, bit `test_idx` of each bitset says whether
that test's first result (repeat 0) is present, passed (success = 1), failed (success = 0), has an
error, or has a guardrail failure. `RunWriter.finish` calls `store(db, run_id)` in the
transaction that writes runs.results (m011's `pair_outcomes` table); `load(db, run_id)` returns the
bitsets only while they still describe the run: it is not running, `runs.results` is the count
they were written with and `VERSION` is the reader's. Otherwise (and for runs finished before
m011) callers join the results as before; reads never write.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from workbench.store.run_summaries import replace_run_rows, table_exists

VERSION = 1  # bump when what a bit means changes: older rows are then ignored

KINDS = ("present", "passed", "failed", "errored", "guarded")
INSERT = (
    "insert into pair_outcomes (run_id, prompt_idx, variant, provider_idx, present, passed, failed, errored,"
    " guarded, run_results, version) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT = (
    "select prompt_idx, variant, provider_idx, present, passed, failed, errored, guarded, run_results, version"
    " from pair_outcomes where run_id = ?"
)
Key = tuple[int, str, int]  # (prompt_idx, variant, provider_idx)


@dataclass(frozen=True)
class Outcomes:
    """Bitsets over test_idx (bit i = test i) of one cell group's repeat-0 results."""

    present: int
    passed: int
    failed: int
    errored: int
    guarded: int


def _has_table(db: Database) -> bool:
    return table_exists(db, "pair_outcomes")


def compute(db: Database, run_id: int) -> dict[Key, Outcomes]:
    """The run's bitsets from its results (one pass over the per-cell index)."""
    groups: dict[Key, list[bytearray]] = {}
    rows = db.execute(
        "select prompt_idx, variant, provider_idx, test_idx, success, error is not null,"
        " coalesce(guardrail_failures, 0) > 0 from results where run_id = ? and repeat = 0",
        [run_id],
    )
    for prompt_idx, variant, provider_idx, test_idx, success, errored, guarded in rows:
        if test_idx is None or test_idx < 0:
            continue
        key = (int(prompt_idx), str(variant), int(provider_idx))
        bits = groups.get(key)
        if bits is None:
            bits = groups[key] = [bytearray() for _ in KINDS]
        byte, mask = test_idx >> 3, 1 << (test_idx & 7)
        if len(bits[0]) <= byte:
            for b in bits:
                b.extend(bytes(byte + 1 - len(b)))
        for b, on in zip(bits, (True, success == 1, success == 0, errored, guarded), strict=True):
            if on:
                b[byte] |= mask
    return {k: Outcomes(*(int.from_bytes(b, "little") for b in v)) for k, v in groups.items()}


def _blob(x: int) -> bytes:
    return x.to_bytes((x.bit_length() + 7) // 8, "little")


def store(db: Database, run_id: int) -> None:
    """Replace the run's stored bitsets (call inside the transaction that writes runs.results)."""
    if not _has_table(db):
        return
    replace_run_rows(
        db,
        "pair_outcomes",
        run_id,
        INSERT,
        lambda n: [
            [run_id, *key, *(_blob(getattr(o, kind)) for kind in KINDS), n, VERSION]
            for key, o in compute(db, run_id).items()
        ],
    )


def load(db: Database, run_id: int) -> dict[Key, Outcomes] | None:
    """The stored bitsets, or None when missing or possibly stale. Valid rows cover every result
    of the run only when it has no repeats (the caller's condition for using them)."""
    if not _has_table(db):
        return None
    run = db.execute("select results, status from runs where id = ?", [run_id]).fetchone()
    if run is None or not run[0] or run[1] == "running":
        return None
    out: dict[Key, Outcomes] = {}
    for prompt_idx, variant, provider_idx, *blobs, run_results, version in db.execute(SELECT, [run_id]):
        if run_results != run[0] or version != VERSION:
            return None
        out[(int(prompt_idx), str(variant), int(provider_idx))] = Outcomes(
            *(int.from_bytes(b or b"", "little") for b in blobs)
        )
    if not out or sum(o.present.bit_count() for o in out.values()) != run[0]:
        return None
    return out


def first_bits(x: int, limit: int) -> list[int]:
    """The indexes of the lowest `limit` set bits of `x`, ascending."""
    out: list[int] = []
    while x and len(out) < limit:
        low = x & -x
        out.append(low.bit_length() - 1)
        x ^= low
    return out
