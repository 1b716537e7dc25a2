"""What every benchmark script shares: the machine it ran on, medians of repeated calls,
and the way its result comes out (a JSON document for scripts, rich tables for people)."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console


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


def machine_line(result: dict[str, Any]) -> str:
    """The closing line under a script's tables: CPU, cores, Python and the date."""
    mach = result["machine"]
    return f"{mach['cpu']}, {mach['cores']} cores, Python {mach['python']}, {result['date']}"


def emit(
    result: dict[str, Any], render: Callable[[dict[str, Any], Console], None], *, as_json: bool
) -> int:
    """Print `result` as JSON (`--json`) or through `render`; the script's exit code."""
    if as_json:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        render(result, Console())
    return 0
