"""Which process owns a `running` run, and whether it is gone (a `kill -9`, a crash, a reboot).

A run row records its owner (`runs.owner`, JSON): the host (hostname and a digest of /etc/machine-id,
which systemd asks never to expose as it is: a database travels as a CI artifact), the
kernel boot (/proc/sys/kernel/random/boot_id), the PID namespace, the pid and the pid's start time
(/proc/<pid>/stat), so a reused pid is never taken for the owner. Reading runs closes every `running` run whose owner
is certainly gone as `interrupted` (store/orphaned_runs.py).

Certainly gone means: this host (same hostname and machine id) and either another boot (the owner
cannot outlive a reboot) or, in this boot and PID namespace, no live process with that pid and
start time. Anything else (another machine, another container's PID namespace, an unreadable or
missing owner: runs made before owners were recorded) is unknown, and the run is left `running`.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from functools import cache
from pathlib import Path
from typing import Any


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _digest(machine_id: str) -> str:
    """An application-specific digest of the machine id (as sd_id128_get_machine_app_specific does)."""
    if not machine_id:
        return ""
    return hashlib.sha256(b"workbench run owner:" + machine_id.encode()).hexdigest()[:32]


@cache
def _this_host() -> dict[str, str]:
    try:
        pidns = os.readlink("/proc/self/ns/pid")
    except OSError:
        pidns = ""
    return {
        "host": socket.gethostname(),
        "machine": _digest(_read("/etc/machine-id")),
        "boot": _read("/proc/sys/kernel/random/boot_id"),
        "pidns": pidns,
    }


def _start_time(pid: int) -> str | None:
    """The pid's start time in clock ticks since boot; None when there is no such (live) process;
    "" where /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()  # after the command name, which may hold spaces
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # a zombie has finished: it owns nothing
        return None
    return fields[19]


def current_owner() -> str:
    """This process as a run's owner (the `runs.owner` JSON)."""
    pid = os.getpid()
    return json.dumps({**_this_host(), "pid": pid, "start": _start_time(pid) or ""}, sort_keys=True)


def _parsed(owner: str | None) -> tuple[dict[str, Any], int] | None:
    """The owner JSON and its pid; None when unreadable (runs made before owners were recorded)."""
    try:
        o = json.loads(owner or "")
        return o, int(o["pid"])
    except (ValueError, TypeError, KeyError):
        return None


def owner_pid(owner: str | None) -> int | None:
    """The pid an owner names, alive or not; None when unreadable."""
    parsed = _parsed(owner)
    return None if parsed is None else parsed[1]


def live_owner_pid(owner: str | None) -> int | None:
    """The owner's pid when it is certainly still running here (this host, boot and PID namespace,
    and a live process with that pid and start time); None when it is gone or cannot be told."""
    if (parsed := _parsed(owner)) is None:
        return None
    o, pid = parsed
    here = _this_host()
    if not here["boot"] or any(o.get(k) != here[k] for k in ("host", "machine", "boot", "pidns")):
        return None
    start = _start_time(pid)
    return pid if start and start == o.get("start") else None


def owner_gone(owner: str | None) -> bool:
    """True only when the owner process is certainly no longer running (see the module's doc)."""
    if (parsed := _parsed(owner)) is None:
        return False
    o, pid = parsed
    here = _this_host()
    if o.get("host") != here["host"] or o.get("machine") != here["machine"]:
        return False  # another machine (or one we cannot tell apart): unknown
    if o.get("boot") and here["boot"] and o["boot"] != here["boot"]:
        return True  # the machine has rebooted since
    if o.get("pidns") != here["pidns"]:
        return False  # another PID namespace (a container): its pids are not ours to look up
    if here["boot"]:  # Linux: the pid and its start time
        start = _start_time(pid)
        return start is None or bool(o.get("start") and start and start != o["start"])
    try:  # elsewhere: whether the pid exists at all
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
