"""What the machine was doing while a benchmark ran: every figure is read beside these.

The project's machines are small and shared, so a result without the load
average (and, for CPU-bound work, the CPU model and steal time) cannot be
compared with another run.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

__all__ = ["cpu_info", "cpu_times", "load_average", "machine", "now_utc", "percentile", "steal_percent"]


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def cpu_times() -> tuple[int, int] | None:
    """(steal, total) jiffies of all CPUs so far, from /proc/stat (Linux); None elsewhere."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return (fields[7], sum(fields)) if len(fields) == 8 else None


def steal_percent(start: tuple[int, int] | None) -> float | None:
    """Share of CPU time the hypervisor gave to other guests since ``start``: a noisy-neighbour gauge."""
    end = cpu_times()
    if start is None or end is None or end[1] <= start[1]:
        return None
    return round(100 * (end[0] - start[0]) / (end[1] - start[1]), 1)


def cpu_info() -> dict[str, Any]:
    """CPU model and whether it has SHA instructions (Linux /proc/cpuinfo): hosts differ between runs."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {"cpu_model": platform.processor() or None, "cpu_sha_extensions": None}
    first_cpu = info.split("\n\n", 1)[0].splitlines()
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in first_cpu)}
    flags, model = fields.get("flags", "").split(), fields.get("model name")
    return {"cpu_model": model, "cpu_sha_extensions": "sha_ni" in flags}


def machine() -> dict[str, Any]:
    """CPUs, Python, platform, CPU model and the load average now."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **cpu_info(),
        "load_average_at_start": load_average(),
    }


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-quantile (0..1) of already sorted values, by the nearest-rank method."""
    if not sorted_values:
        return 0.0
    if q == 0.5:
        return statistics.median(sorted_values)
    rank = min(len(sorted_values), max(1, math.ceil(q * len(sorted_values))))
    return sorted_values[rank - 1]


def now_utc() -> str:
    """The time of a run, as recorded in every result file."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
