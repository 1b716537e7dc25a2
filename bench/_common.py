"""What every benchmark script prints beside its figures: the machine they ran on, and
medians of repeated calls."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any


def machine() -> dict[str, Any]:
    """CPU model, cores, Python version and the load at the time (figures mean little
    without them, on a shared machine least of all)."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load": load,
    }


def median_ms(op: Callable[[], object], rounds: int, *, warmup: int = 1) -> float:
    """Median wall time of `op()` in milliseconds over `rounds` calls, after `warmup`."""
    for _ in range(warmup):
        op()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        op()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
