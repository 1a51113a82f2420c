"""`-o out.yaml` / `.yml`: the promptfoo JSON document as YAML, streamed one result at a time."""

from __future__ import annotations

from typing import IO, Any

from sqlite_utils import Database

from workbench.report.promptfoo_json import (
    config_block,
    eval_id,
    evaluate_result,
    iso_z,
    prompts_header,
    run_metadata,
    stats,
)
from workbench.report.source import iter_rows, load_run


def _dumper() -> Any:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[misc, valid-type]
        def ignore_aliases(self, data: Any) -> bool:  # shared dicts are written out, never as &anchors
            return True

    return Dumper


_DUMPER: Any = None


def _dump(value: Any, indent: int) -> str:
    import yaml

    global _DUMPER
    if _DUMPER is None:
        _DUMPER = _dumper()
    text = yaml.dump(
        value, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 30
    )
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def write_yaml(db: Database, run_id: int, fh: IO[str]) -> None:
    info = load_run(db, run_id)
    fh.write(_dump({"evalId": eval_id(info)}, 0))
    fh.write("results:\n")
    fh.write(_dump({"version": 3, "timestamp": iso_z(info.run.get("started_at"))}, 2))
    fh.write(_dump({"prompts": prompts_header(db, info)}, 2))
    fh.write("  results:")
    empty = True
    for row in iter_rows(db, info):
        if empty:
            fh.write("\n")
            empty = False
        item = _dump([evaluate_result(row, info)], 4)
        fh.write(item)
    if empty:
        fh.write(" []\n")
    fh.write(_dump({"stats": stats(db, info)}, 2))
    fh.write(_dump({"config": config_block(info), "shareableUrl": None, "metadata": run_metadata(info)}, 0))
