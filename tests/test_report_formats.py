"""Output format dispatch by extension, YAML output, and streaming (flat memory as runs grow)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
import yaml
from report_fixtures import bench_db, sample_run

from workbench.errors import UsageError
from workbench.report import check_output_paths, format_for, write_outputs
from workbench.report.promptfoo_json import write_json
from workbench.store.db import open_db


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("out.json", "json"),
        ("OUT.JSON", "json"),
        ("out.jsonl", "jsonl"),
        ("a/b.csv", "csv"),
        ("r.junit.xml", "junit"),
        ("r.yaml", "yaml"),
        ("r.yml", "yaml"),
    ],
)
def test_format_by_extension(name: str, fmt: str) -> None:
    assert format_for(name) == fmt


@pytest.mark.parametrize("name", ["out.xml", "out.htm", "out", "out.txt"])
def test_unknown_extension_names_supported_ones(name: str) -> None:
    with pytest.raises(UsageError) as e:
        check_output_paths([Path(name)])
    assert str(e.value).startswith(f"{name}: unsupported output format")
    assert ".json, .csv" in str(e.value) and ".junit.xml" in str(e.value)
    assert e.value.exit_code == 2


def test_bad_path_writes_nothing(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)
    with pytest.raises(UsageError):
        write_outputs(db, run_id, [tmp_path / "ok.json", tmp_path / "bad.xml"])
    assert not (tmp_path / "ok.json").exists()


def test_unknown_run(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    with pytest.raises(UsageError, match="run 7 not found"):
        write_outputs(db, 7, [tmp_path / "o.json"])


def test_yaml_equals_json(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)
    write_outputs(db, run_id, [tmp_path / "o.json", tmp_path / "o.yaml"])
    from_json = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    from_yaml = yaml.safe_load((tmp_path / "o.yaml").read_text(encoding="utf-8"))
    for doc in (from_json, from_yaml):
        doc["metadata"].pop("exportedAt")
    assert from_yaml == from_json


class _Sink:
    def write(self, text: str) -> int:
        return len(text)


def _peak_bytes(db_path: Path, n_tests: int) -> int:
    db, run_id = bench_db(db_path, n_tests)
    tracemalloc.start()
    write_json(db, run_id, _Sink())  # type: ignore[arg-type]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_json_writer_streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Peak Python memory while writing is bounded by the chunk, not the run (8x more results)."""
    monkeypatch.setattr("workbench.report.source.CHUNK", 50)
    small = _peak_bytes(tmp_path / "small.db", 100)
    large = _peak_bytes(tmp_path / "large.db", 800)
    assert large < small * 1.3, (small, large)
    assert large < 2 * 1024 * 1024
