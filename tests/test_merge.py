"""`workbench merge`: 3 shards (databases or JSON outputs) merge into exactly the unsharded run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ci_project import TESTS, project, wb, write_suite
from reliability_helpers import dead_pid

from workbench.ci.shard_merge import merge_runs, open_shard, refuse_live_shards, shard_snapshots
from workbench.store.db import open_db, open_memory
from workbench.store.run_claim import claim_run
from workbench.store.run_owners import current_owner

TOTALS = "results, passes, failures, errors, pass_rate, tokens_in, tokens_out, cost, cached"


def cells(db: Path, run_id: int) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "select cell_key, success, score, error, output, prompt, tokens_in, tokens_out, guardrail_failures,"
            " (select count(*) from assertion_results a where a.result_id = results.id)"
            " from results where run_id = ? order by cell_key",
            [run_id],
        ).fetchall()


def totals(db: Path, run_id: int) -> tuple:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"select {TOTALS} from runs where id = ?", [run_id]).fetchone()


def bigger_suite(root: Path) -> Path:
    """3 tests x 2 prompts x 2 providers x 2 repeats = 24 cells: enough to split unevenly."""
    project(root)
    (root / "prompts" / "greet" / "v2.txt").write_text("Hi {{name}}, about {{topic}}: SECRET\n")
    return write_suite(
        root,
        tests=TESTS,
        providers=["echo", {"id": "echo", "label": "echo-2"}],
        evaluateOptions={"repeat": 2},
    )


def test_three_db_shards_merge_into_the_unsharded_run(tmp_path: Path) -> None:
    suite = bigger_suite(tmp_path)
    full = tmp_path / "full.db"
    wb("run", suite, "--db", full, "-q", "--pass-rate-threshold", "0")
    for i in (1, 2, 3):
        res = wb("run", suite, "--db", tmp_path / f"s{i}.db", "--shard", f"{i}/3", "-q", "--pass-rate-threshold", "0")
        assert res.exit_code == 0, res.output
    sizes = [len(cells(tmp_path / f"s{i}.db", 1)) for i in (1, 2, 3)]
    assert sizes == [8, 8, 8]
    out = tmp_path / "merged.db"
    res = wb("merge", out, *(tmp_path / f"s{i}.db" for i in (1, 2, 3)))
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("Merged 3 runs into run 1: 24 results (")
    assert totals(out, 1) == totals(full, 1)
    assert cells(out, 1) == cells(full, 1)
    with sqlite3.connect(out) as conn:
        config = json.loads(conn.execute("select config from runs where id = 1").fetchone()[0])
        assert conn.execute("select cells_planned, status from runs").fetchone() == (24, "completed")
        # the matrix (prompts, providers, tests) is there once, so reports and compare work on it
        assert conn.execute("select count(*) from run_prompts").fetchone() == (2,)
        assert conn.execute("select count(*) from test_cases").fetchone() == (3,)
    assert config["shard"] is None
    assert [(m["source"], m["shard"]) for m in config["merged_from"]] == [
        (str(tmp_path / f"s{i}.db"), [i, 3]) for i in (1, 2, 3)
    ]
    # the merged run compares with the unsharded one as identical
    cmp = wb("compare", "1", "1", "--db", out, "--fail-on-regression", "--max-pass-rate-drop", "0")
    assert cmp.exit_code == 0


def test_json_shards_merge_into_the_unsharded_json(tmp_path: Path) -> None:
    suite = bigger_suite(tmp_path)
    wb("run", suite, "--db", tmp_path / "full.db", "-q", "-o", tmp_path / "full.json", "--pass-rate-threshold", "0")
    for i in (1, 2, 3):
        wb(
            "run",
            suite,
            "--db",
            tmp_path / "s.db",
            "--shard",
            f"{i}/3",
            "-q",
            "-o",
            tmp_path / f"s{i}.json",
            "--pass-rate-threshold",
            "0",
        )
    res = wb("merge", "-o", tmp_path / "merged.json", *(tmp_path / f"s{i}.json" for i in (1, 2, 3)))
    assert res.exit_code == 0, res.output
    full = json.loads((tmp_path / "full.json").read_text())["results"]
    merged = json.loads((tmp_path / "merged.json").read_text())["results"]
    assert merged["stats"]["successes"] == full["stats"]["successes"]
    assert merged["stats"]["failures"] == full["stats"]["failures"]
    assert merged["stats"]["tokenUsage"]["total"] == full["stats"]["tokenUsage"]["total"]

    def key(r: dict) -> tuple:
        w = r["workbench"]
        return (w["cellKey"], r["success"], r["score"], r["response"]["output"])

    assert sorted(map(key, merged["results"])) == sorted(map(key, full["results"]))


def test_missing_and_foreign_shards_are_refused(tmp_path: Path) -> None:
    suite = bigger_suite(tmp_path)
    for i in (1, 2):
        wb("run", suite, "--db", tmp_path / f"s{i}.db", "--shard", f"{i}/3", "-q", "--pass-rate-threshold", "0")
    res = wb("merge", tmp_path / "m.db", tmp_path / "s1.db", tmp_path / "s2.db")
    assert res.exit_code == 2
    assert res.stderr == "Error: shard 3 of 3 missing (pass --allow-partial to merge anyway)\n"
    ok = wb("merge", tmp_path / "m.db", tmp_path / "s1.db", tmp_path / "s2.db", "--allow-partial")
    assert ok.exit_code == 0 and "warning: shards 3 missing" in ok.stderr
    other = project(tmp_path / "other")
    wb("run", other, "--db", tmp_path / "o.db", "--shard", "3/3", "-q", "--pass-rate-threshold", "0")
    res = wb("merge", tmp_path / "m2.db", tmp_path / "s1.db", tmp_path / "s2.db", tmp_path / "o.db")
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: the shards are runs of different suites")
    res = wb("merge", tmp_path / "s1.db", tmp_path / "s1.db", tmp_path / "s2.db")
    assert res.exit_code == 2 and "is also a shard" in res.stderr


def test_a_shard_killed_mid_run_merges_as_interrupted_and_the_merged_run_has_no_owner(tmp_path: Path) -> None:
    """A shard whose process was killed (`kill -9` leaves it `running`, its owner gone) makes the
    merged run `interrupted`; one running on another machine leaves it `running`. The merged run is
    no process's: it never carries a shard's owner (store/run_owners.py)."""
    suite = bigger_suite(tmp_path)
    for i in (1, 2, 3):
        res = wb("run", suite, "--db", tmp_path / f"s{i}.db", "--shard", f"{i}/3", "-q", "--pass-rate-threshold", "0")
        assert res.exit_code == 0, res.output
    me = json.loads(current_owner())
    for host, expected in ((me["host"], "interrupted"), (me["host"] + "-elsewhere", "running")):
        owner = json.dumps({**me, "host": host, "pid": dead_pid()})
        with sqlite3.connect(tmp_path / "s2.db") as conn:
            conn.execute("update runs set status = 'running', owner = ?", [owner])
        out = tmp_path / f"merged-{expected}.db"
        res = wb("merge", out, *(tmp_path / f"s{i}.db" for i in (1, 2, 3)))
        assert res.exit_code == 0, res.output
        with sqlite3.connect(out) as conn:
            assert conn.execute("select status, owner from runs").fetchall() == [(expected, None)]


def test_a_shard_claimed_by_a_resume_during_the_merge_is_merged_as_it_was(tmp_path: Path) -> None:
    """`workbench merge` checks and copies each shard in one read snapshot: a resume that claims an
    interrupted shard after the snapshot began (store/run_claim.py, from another connection, as
    another process would) is not seen, neither by the live check nor by the copy; the merged run
    is the shards as they were (`interrupted`, the results stored then), not `running` for ever."""
    suite = bigger_suite(tmp_path)
    for i in (1, 2, 3):
        res = wb("run", suite, "--db", tmp_path / f"s{i}.db", "--shard", f"{i}/3", "-q", "--pass-rate-threshold", "0")
        assert res.exit_code == 0, res.output
    gone = json.dumps({**json.loads(current_owner()), "pid": dead_pid()})
    with sqlite3.connect(tmp_path / "s2.db") as conn:  # shard 2 interrupted after 6 of its 8 cells
        conn.execute("update runs set status = 'interrupted', owner = ?", [gone])
        conn.execute("delete from assertion_results where result_id in (select id from results order by id limit 2)")
        conn.execute("delete from results where id in (select id from results order by id limit 2)")
    shards = [open_shard(tmp_path / f"s{i}.db") for i in (1, 2, 3)]
    resumer = open_db(tmp_path / "s2.db", create=False)
    with shard_snapshots(shards):
        assert [s.row()["status"] for s in shards] == ["completed", "interrupted", "completed"]
        assert claim_run(resumer, 1, seen_owner=gone) is None  # a live process (this one) now runs shard 2
        refuse_live_shards(shards)  # the snapshot: not running, so not refused
        target = open_memory()
        outcome = merge_runs(shards, target)
    assert outcome.results == 22
    assert target.execute("select status, results, owner from runs").fetchall() == [("interrupted", 22, None)]
    assert [s.row()["status"] for s in shards] == ["completed", "running", "completed"]  # after the snapshot
    for s in shards:
        s.db.conn.close()
    resumer.conn.close()
