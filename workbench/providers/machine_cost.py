"""Compute prices for models that run on your own machine: $ per hour x measured busy time.

A self-hosted or embedded model has no per-token list price; what it costs is the machine it
occupies. workbench prices such a call as `cost_per_hour / 3600 x busy seconds`, where busy time
is the measured generation time of the call (the successful attempt's latency; the first load of
a local model is not part of it). The figure is labelled `compute:<machine>` wherever it shows.

Defaults (on-demand list prices, AWS us-east-1, as an order of magnitude; set your own with
`cost_per_hour` or `machine`):

    cpu-small  $0.0893/hour  c7i.large, 2 vCPU, 4 GiB (runs the embedded SmolLM2 on CPU)
    gpu        $1.006/hour   g5.xlarge, 1 x NVIDIA A10G 24 GB (a 7-8B model in fp16 via vLLM)

The embedded `local:` models default to `cpu-small`.
"""

from __future__ import annotations

MACHINES: dict[str, tuple[float, str]] = {
    "cpu-small": (0.0893, "c7i.large, 2 vCPU, 4 GiB, on demand"),
    "gpu": (1.006, "g5.xlarge, 1 x A10G 24 GB, on demand"),
}
DEFAULT_LOCAL_MACHINE = "cpu-small"


def machine_rate(name: str) -> float | None:
    """$ per hour of a named machine, None when the name is unknown."""
    found = MACHINES.get(name)
    return found[0] if found else None


def compute_cost(per_hour: float, busy_ms: float | None) -> float | None:
    """$ for `busy_ms` milliseconds of a machine that costs `per_hour` $ per hour."""
    if busy_ms is None:
        return None
    return per_hour * max(busy_ms, 0.0) / 3_600_000.0
