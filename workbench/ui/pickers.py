"""UI-only reads that are not analysis: what to offer in the pickers. Metrics live in workbench/analysis."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def families(db: Database) -> dict[str, list[dict[str, Any]]]:
    """family -> its stored versions (the newest copy of each), with template token counts."""
    out: dict[str, list[dict[str, Any]]] = {}
    cur = db.execute(
        "select family, version, max(id), tokens, sha256, first_seen, git_commit from prompt_versions"
        " where family is not null and version is not null group by family, version order by family, version"
    )
    for fam, ver, pid, tokens, sha, first_seen, commit in cur.fetchall():
        out.setdefault(fam, []).append(
            {
                "version": ver,
                "id": pid,
                "tokens": tokens,
                "sha256": (sha or "")[:12],
                "first_seen": first_seen,
                "git_commit": (commit or "")[:10],
            }
        )
    return out


def runs_with_versions(db: Database, family: str, v1: str, v2: str) -> list[int]:
    """Runs holding both versions, newest first (the runs a version diff can take results from)."""
    return [
        int(r[0])
        for r in db.execute(
            "select rp.run_id from run_prompts rp join prompt_versions pv on pv.id = rp.prompt_version_id"
            " where pv.family = ? and pv.version in (?, ?) group by rp.run_id"
            " having count(distinct pv.version) = 2 order by rp.run_id desc",
            [family, v1, v2],
        )
    ]


def router_names(db: Database) -> list[str]:
    if not db["routers"].exists():
        return []
    return [str(r[0]) for r in db.execute("select distinct name from routers order by name")]
