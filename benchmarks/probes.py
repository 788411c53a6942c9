"""What a benchmark child process measures about itself: clocks, memory, and its result.

Imported by the floor children too, so it imports nothing beyond the standard library.

Times are `time.monotonic()`: CLOCK_MONOTONIC on Linux, one clock for every process on
the machine, so the parent's reading just before it spawns a child and the child's own
readings can be subtracted ("from process start" includes interpreter start-up and
imports, as a user launching the program waits for them).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

MB = 1024 * 1024


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_mb() -> float:
    """Resident set size now (VmRSS)."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """The highest resident set size since start or since `reset_peak` (VmHWM)."""
    return _status_kb("VmHWM") / 1024


def reset_peak() -> bool:
    """Start VmHWM again from the current RSS (Linux `clear_refs` 5); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def now() -> float:
    """The shared clock (see the module docstring)."""
    return time.monotonic()


def percentile(values: list[float], fraction: float) -> float | None:
    """The `fraction` quantile (0.95 for p95) by linear interpolation; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float], digits: int = 2) -> dict[str, Any]:
    """Median, p95, min, max and count of `values`, rounded."""
    if not values:
        return {"n": 0}
    return {
        "median": round(statistics.median(values), digits),
        "p95": round(percentile(values, 0.95) or 0.0, digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


def child_args() -> tuple[str, dict[str, Any], Path]:
    """`name spec-json out-path` from the command line of a child process."""
    if len(sys.argv) != 4:
        raise SystemExit(f"usage: python -m {sys.argv[0]} NAME SPEC_JSON OUT_PATH")
    return sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Hand the result to the parent, with this process's peak memory added."""
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    path.write_text(json.dumps(result, default=str))


class _AfterImport:
    """A `sys.meta_path` finder that runs callbacks once a named module has executed.

    It finds nothing itself: it asks the finders after it, and wraps the loader of the
    module it watches, so the module is imported when and where the program imports it.
    """

    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callable[[ModuleType], None]]] = {}

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        callbacks = self.callbacks.pop(name, None)
        if callbacks is None:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            for callback in callbacks:
                callback(module)

        spec.loader.exec_module = exec_module  # this module's own loader object
        return spec


_after_import = _AfterImport()


def after_import(name: str, callback: Callable[[ModuleType], None]) -> None:
    """Call `callback(module)` once module `name` is imported: now if it already is.

    The probes use it to wrap the app's functions without importing the app early, so a
    measurement from process start sees the program's own import order.
    """
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    if _after_import not in sys.meta_path:
        sys.meta_path.insert(0, _after_import)
    _after_import.callbacks.setdefault(name, []).append(callback)
