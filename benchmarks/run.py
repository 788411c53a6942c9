"""Run the benchmarks: `.venv/bin/python -m benchmarks.run [--rows N] [--out FILE]`.

Starts a throwaway embedded PostgreSQL (or uses `WFLOG_BENCH_DSN`), builds the data,
runs every scenario in a fresh process next to its floor (also a fresh process), and
prints one JSON report. See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks import dataset
from benchmarks.probes import MB
from wflog_tui.demo.row_writer import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_ROWS = 1_000_000
SINCE = "24h"
SINCE_S = 24 * 3600
SIZE = (160, 50)
LIST_TARGET_S = 1.0
REFRESH_TARGET_MS = 20.0
OPEN_TARGET_RATIO = 1.5
OPEN_MEMORY_TARGET_RATIO = 3.0
# Issue 13: the diff with the last good run on screen, against opening the run alone,
# and its memory against the open run's budget (above), doubled.
DIFF_TARGET_RATIO = 2.0
DIFF_MEMORY_TARGET_RATIO = 2 * OPEN_MEMORY_TARGET_RATIO
KEYPRESS_TARGET_MS = 50.0
# Issue 14: search inside payloads on the server.
SEARCH_EQ_TARGET_MS = 300.0
SEARCH_EQ_GIN_TARGET_MS = 30.0
SEARCH_STEP_ERROR_TARGET_MS = 1000.0
SEARCH_IN_RUN_TARGET_MS = 1000.0
SEARCH_TIMES = 5
# A message of the data set's errors (`dataset._ERRORS`), as `step.error~…` looks for it.
SEARCH_STEP_ERROR_NEEDLE = "ECONNRESET"
# The big run's iteration whose lookup output the in-run search looks for.
SEARCH_IN_RUN_ITERATION = 31_337
# Failure groups: database time for a day's and a week's window, and one group's splitters.
GROUPS_DAY_TARGET_MS = 300.0
GROUPS_WEEK_TARGET_MS = 2000.0
SPLITTERS_TARGET_MS = 500.0
GROUPS_PAINT_TARGET_S = 1.0
WEEK_S = 7 * 24 * 3600
# "Independent of table size": the same figure on a table holding only the main table's
# last 36 hours (same runs in the list's window, 1/20 of the rows), within this ratio.
SIZE_INDEPENDENT_RATIO = 1.5
LIST_MEMORY_INDEPENDENT_RATIO = 1.10
# Landing near the physical floor: each from process start, against floors of this run.
LANDING_TARGET_RATIO = 2.0
VIEWERS_PEAK_CONNECTIONS_TARGET = 60


def log(message: str) -> None:
    """Progress on stderr; stdout carries only the report."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Children:
    """Spawns measurement processes and collects their JSON results."""

    def __init__(self, work_dir: Path, timeout_s: float) -> None:
        self.work_dir = work_dir
        self.timeout_s = timeout_s
        self.count = 0
        # PYTHONDONTWRITEBYTECODE is dropped: with it, an editable install compiles every
        # module of wflog-tui from source at each start (about 0.1 s on the 2-core VM),
        # which an installed wheel, whose bytecode pip writes, never does; the floors'
        # libraries (Textual, asyncpg) have theirs. The bytecode is written up front.
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TEXTUAL", "WFLOG_"))
            and k not in ("COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE")
        }
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(ROOT / "src"), str(ROOT / "benchmarks")],
            env=self.env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        # The headless driver renders every frame but writes none; the size is the list's.
        self.env["TEXTUAL_DRIVER"] = "textual.drivers.headless_driver:HeadlessDriver"
        self.env["COLUMNS"], self.env["LINES"] = (str(n) for n in SIZE)
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
        )

    async def run(
        self, module: str, name: str, spec: dict[str, Any], timeout_s: float | None = None
    ) -> dict[str, Any]:
        """Run `python -m benchmarks.<module> name spec out` and return what it wrote,
        killing it after `timeout_s` (default: the harness's `--timeout`)."""
        timeout_s = timeout_s or self.timeout_s
        self.count += 1
        out = self.work_dir / f"{self.count:03d}-{module}-{name}.json"
        spawned_at = time.monotonic()
        argv = json.dumps({**spec, "spawned_at": spawned_at})
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"benchmarks.{module}",
            name,
            argv,
            str(out),
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, stderr = await asyncio.wait_for(proc.communicate(), timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return {"error": f"timed out after {timeout_s:g} s"}
        wall = time.monotonic() - spawned_at
        if not out.exists():
            tail = stderr.decode(errors="replace").strip().splitlines()[-5:]
            return {"error": f"exit code {proc.returncode}: {' | '.join(tail)}"}
        result = json.loads(out.read_text())
        result["process_wall_s"] = round(wall, 3)
        return result


def _median(samples: list[dict[str, Any]], key: str) -> float | None:
    values = [s[key] for s in samples if key in s and "error" not in s]
    return statistics.median(values) if values else None


def _errors(samples: list[dict[str, Any]]) -> list[str] | None:
    """The samples' errors; None when there are none (the figure then has no `errors`)."""
    return [s["error"] for s in samples if "error" in s] or None


def _samples(samples: list[dict[str, Any]], key: str, digits: int | None = None) -> list[Any]:
    """Each sample's `key`, rounded to `digits` when given, for the report's raw figures."""
    values = [s[key] for s in samples if key in s]
    return values if digits is None else [round(v, digits) for v in values]


def _typical(samples: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    """The sample whose `key` is the median one (its breakdown goes in the report)."""
    good = sorted((s for s in samples if key in s), key=lambda s: s[key])
    return good[len(good) // 2] if good else None


def figure(
    value: float | None,
    floor: float | None,
    *,
    unit: str,
    target: str | None,
    passed: bool | None,
    digits: int = 3,
    **extra: Any,
) -> dict[str, Any]:
    """One figure of the report: value, floor, ratio, target, pass, and details."""
    ratio = round(value / floor, 2) if value is not None and floor else None
    return {
        "value": None if value is None else round(value, digits),
        "floor": None if floor is None else round(floor, digits),
        "ratio": ratio,
        "unit": unit,
        "target": target,
        "pass": passed,
        **extra,
    }


def _le(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


class Bench:
    """One harness run: the data, the children, and the report being filled in."""

    def __init__(self, args: argparse.Namespace, dsn: str, work_dir: Path) -> None:
        self.args = args
        self.dsn = dsn
        self.children = Children(work_dir, args.timeout)
        self.figures: dict[str, Any] = {}
        self.raw: dict[str, Any] = {}
        self.peak_rss: dict[str, Any] = {}
        self.data: dataset.Dataset | None = None

    def spec(self, table: str, **extra: Any) -> dict[str, Any]:
        """What every child needs: where the data is, and the list's window and size."""
        return {
            "dsn": self.dsn,
            "table": table,
            "since": SINCE,
            "since_s": SINCE_S,
            "size": SIZE,
            "refresh_s": 2.0,
            **extra,
        }

    async def section(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run one group of measurements; an exception is reported, not fatal."""
        log(f"{name} …")
        started = time.monotonic()
        try:
            await work()
        except Exception as exc:
            self.figures.setdefault(name, {})["error"] = f"{type(exc).__name__}: {exc}"
            log(f"{name} failed: {exc}")
        log(f"{name} done in {time.monotonic() - started:.1f} s")

    async def alternate(
        self, key: str, scenario: tuple[str, str, dict], floor: tuple[str, str, dict]
    ) -> tuple[list[dict], list[dict]]:
        """`repeats` scenario and floor processes, alternating, so noise hits both alike;
        their results are kept whole as figure `key`'s raw data."""
        values, floors = [], []
        for _ in range(self.args.repeats):
            floors.append(await self.children.run(*floor))
            values.append(await self.children.run(*scenario))
        self.raw[key] = {"scenario": values, "floor": floors}
        return values, floors

    # The figures.

    async def list_first_paint(self, table: str, key: str, *, target: bool) -> None:
        """First paint of the list against the bare page query, both from process start."""
        spec = self.spec(table)
        values, floors = await self.alternate(
            key, ("scenarios", "first_paint", spec), ("floors", "list_page", spec)
        )
        value, floor = _median(values, "value_s"), _median(floors, "value_s")
        self.figures[key] = figure(
            value,
            floor,
            unit="s",
            target=f"≤ {LIST_TARGET_S} s" if target else None,
            passed=_le(value, LIST_TARGET_S) if target else None,
            samples=_samples(values, "value_s", 3),
            floor_samples=_samples(floors, "value_s", 3),
            typical=_typical(values, "value_s"),
            typical_floor=_typical(floors, "value_s"),
            errors=_errors(values + floors),
        )
        self.peak_rss[key] = _median(values, "peak_rss_mb")
        self.peak_rss[key + ".floor"] = _median(floors, "peak_rss_mb")

    async def groups_first_paint(self, table: str, key: str) -> None:
        """First paint of the groups screen (`--groups`) against the bare failures query,
        both from process start."""
        spec = self.spec(table)
        values, floors = await self.alternate(
            key, ("scenarios", "groups_first_paint", spec), ("floors", "failures_page", spec)
        )
        value, floor = _median(values, "value_s"), _median(floors, "value_s")
        self.figures[key] = figure(
            value,
            floor,
            unit="s",
            target=f"≤ {GROUPS_PAINT_TARGET_S} s",
            passed=_le(value, GROUPS_PAINT_TARGET_S),
            value_is="`wflog-tui --groups --since 24h` from process start to the groups in a frame",
            floor_is="connect and fetch the window's failures with their step and message, "
            "one bare statement, from process start",
            groups=_median(values, "groups_shown"),
            failures=_median(values, "failures"),
            samples=_samples(values, "value_s", 3),
            floor_samples=_samples(floors, "value_s", 3),
            errors=_errors(values + floors),
        )
        self.peak_rss[key] = _median(values, "peak_rss_mb")

    async def open_run(self, table: str, key: str, *, polling: bool = False) -> None:
        """Opening the 100,000-entry run, against fetching it and `orjson.loads`.

        With `polling`, the run of one step polled 200,000 times instead, and the figure
        goes on to select that step's node and wait for its fills, against the same kind
        of floor and within the same budgets.
        """
        assert self.data is not None
        data = self.data
        if polling:
            spec = self.spec(
                table,
                run_id=data.poll_run_id,
                fail_index=data.poll_fail_index,
                then_select=["s1"],
            )
            json_bytes = data.poll_json_bytes
        else:
            spec = self.spec(table, run_id=data.big_run_id, fail_index=data.big_fail_index)
            json_bytes = data.big_json_bytes
        # Time and memory from separate processes (see `scenarios.open_run`): the time one
        # keeps the program's import order, the memory one does not count the imports.
        values, floors = await self.alternate(
            key, ("scenarios", "open_run", {**spec, "mode": "time"}), ("floors", "open_run", spec)
        )
        in_memory_mode = [
            await self.children.run("scenarios", "open_run", {**spec, "mode": "memory"})
            for _ in range(self.args.repeats)
        ]
        slim = await self.children.run("floors", "open_run_slim", spec)
        self.raw[key].update(scenario_memory=in_memory_mode, slim=slim)
        value, floor = _median(values, "value_s"), _median(floors, "value_s")
        self.figures[key] = figure(
            value,
            floor,
            unit="s",
            target=f"≤ {OPEN_TARGET_RATIO}× floor",
            passed=None if value is None or not floor else value / floor <= OPEN_TARGET_RATIO,
            samples=_samples(values, "value_s", 3),
            floor_samples=_samples(floors, "value_s", 3),
            typical=_typical(values, "value_s"),
            typical_floor=_typical(floors, "value_s"),
            server_side_slice=slim,
            errors=_errors(values + floors),
        )
        rise = _median(in_memory_mode, "rss_rise_mb")
        json_mb = json_bytes / MB
        text_mb = _median(floors, "json_text_bytes")
        self.figures[key + ".memory"] = figure(
            rise,
            text_mb / MB if text_mb else json_mb,
            unit="MB",
            target=f"RSS rise ≤ {OPEN_MEMORY_TARGET_RATIO}× the run's JSON text",
            passed=None
            if rise is None or not text_mb
            else rise / (text_mb / MB) <= OPEN_MEMORY_TARGET_RATIO,
            digits=1,
            floor_is="the size of steps_log as JSON text (as fetched)",
            value_is="peak RSS from the call of start_loading until the failure is on screen, "
            "UI already imported (scenarios.open_run, memory mode)",
            floor_process_rss_rise_mb=_median(floors, "rss_rise_mb"),
            samples=_samples(in_memory_mode, "rss_rise_mb"),
            errors=_errors(in_memory_mode),
        )
        self.peak_rss[key] = _median(values, "peak_rss_mb")
        self.peak_rss[key + ".floor"] = _median(floors, "peak_rss_mb")

    async def open_diff(self, table: str, key: str) -> None:
        """The 100,000-entry run compared with its last good run (100,002 entries), on
        screen from process start, against opening the run alone, alternating."""
        assert self.data is not None
        fail = self.data.big_fail_index
        # The first divergence: the lookup of the failing iteration (its e-mail changed),
        # the entry just before the failure.
        spec = self.spec(
            table,
            run_id=self.data.big_run_id,
            fail_index=fail,
            divergence_index=fail - 1,
        )
        values, floors = await self.alternate(
            key,
            ("scenarios", "open_diff", {**spec, "mode": "time"}),
            ("scenarios", "open_run", {**spec, "mode": "time"}),
        )
        in_memory_mode = [
            await self.children.run("scenarios", "open_diff", {**spec, "mode": "memory"})
            for _ in range(self.args.repeats)
        ]
        self.raw[key]["scenario_memory"] = in_memory_mode
        value, floor = _median(values, "value_s"), _median(floors, "value_s")
        self.figures[key] = figure(
            value,
            floor,
            unit="s",
            target=f"≤ {DIFF_TARGET_RATIO}× floor",
            passed=None if value is None or not floor else value / floor <= DIFF_TARGET_RATIO,
            floor_is="open_run (time mode): process start → the failure on screen",
            samples=_samples(values, "value_s", 3),
            floor_samples=_samples(floors, "value_s", 3),
            typical=_typical(values, "value_s"),
            errors=_errors(values + floors),
        )
        rise = _median(in_memory_mode, "rss_rise_mb")
        json_mb = self.data.big_json_bytes / MB
        self.figures[key + ".memory"] = figure(
            rise,
            json_mb,
            unit="MB",
            target=f"RSS rise ≤ {DIFF_MEMORY_TARGET_RATIO:g}× the run's JSON "
            f"(the open run's {OPEN_MEMORY_TARGET_RATIO:g}×, doubled)",
            passed=None if rise is None else rise / json_mb <= DIFF_MEMORY_TARGET_RATIO,
            digits=1,
            floor_is="the failing run's steps_log as compact JSON",
            value_is="peak RSS from the first call of start_loading until the diff is on screen, "
            "UI already imported (scenarios.open_diff, memory mode)",
            samples=_samples(in_memory_mode, "rss_rise_mb"),
            errors=_errors(in_memory_mode),
        )
        self.peak_rss[key] = _median(values, "peak_rss_mb")

    async def refresh(self, table: str, key: str, *, target: bool) -> None:
        """Refresh cycles of the RUNNING list against the bare delta SQL."""
        spec = self.spec(table, cycles=self.args.cycles, refresh_s=0.5)
        floor = await self.children.run("floors", "delta", spec)
        value = await self.children.run("scenarios", "refresh", spec)
        self.raw[key] = {"scenario": value, "floor": floor}
        db = value.get("db_ms", {}).get("median")
        floor_ms = floor.get("ms", {}).get("median")
        self.figures[key] = figure(
            db,
            floor_ms,
            unit="ms per cycle",
            target=f"≤ {REFRESH_TARGET_MS:g} ms" if target else None,
            passed=_le(db, REFRESH_TARGET_MS) if target else None,
            digits=2,
            value_is="store time of one refresh cycle: fetch_delta + count_by_status + "
            "failures_per_minute (store.stats: round trip and decoding)",
            floor_is="the delta's two statements by bare asyncpg (no counts, no sparkline)",
            db_ms=value.get("db_ms"),
            per_query_ms=value.get("per_query_ms"),
            rows_per_cycle=value.get("rows_per_cycle"),
            floor_rows_per_cycle=floor.get("rows_per_cycle"),
            ui_apply_ms=value.get("ui_apply_ms"),
            ui_counts_ms=value.get("ui_counts_ms"),
            frame_ms_per_cycle=value.get("frame_ms_per_cycle"),
            rows_loaded=value.get("rows_loaded"),
            errors=_errors([value, floor]),
        )
        self.peak_rss[key] = value.get("peak_rss_mb")

    async def keypress(self, table: str, key: str) -> None:
        """Key-to-frame latency while refreshing every 0.5 s, with runs being written."""
        spec = self.spec(table, presses=self.args.presses, refresh_s=0.5)
        stop = asyncio.Event()
        writer = asyncio.create_task(live_writer(self.dsn, table, stop))
        try:
            value = await self.children.run("scenarios", "keypress", spec)
        finally:
            stop.set()
            written = await writer
        self.raw[key] = value
        refreshing = value.get("refreshing", {}).get("ms", {})
        paused = value.get("paused", {}).get("ms", {})
        median = refreshing.get("median")
        self.figures[key] = figure(
            median,
            paused.get("median"),
            unit="ms (median)",
            target=f"median ≤ {KEYPRESS_TARGET_MS:g} ms",
            passed=_le(median, KEYPRESS_TARGET_MS),
            digits=2,
            p95=refreshing.get("p95"),
            floor_p95=paused.get("p95"),
            floor_is="the same keys with refresh paused (p)",
            refreshing=value.get("refreshing"),
            paused=value.get("paused"),
            runs_written_meanwhile=written,
            errors=_errors([value]),
        )
        self.peak_rss[key] = value.get("peak_rss_mb")

    async def search(self, table: str, key: str, target_ms: float, **extra: Any) -> None:
        """One search by the store against the same search written by hand (`floors.search`),
        each in its own process, `SEARCH_TIMES` queries on one connection after a warm-up."""
        spec = self.spec(table, times=SEARCH_TIMES, **extra)
        values, floors = await self.alternate(
            key, ("scenarios", "search", spec), ("floors", "search", spec)
        )
        value, floor = _median(values, "median_ms"), _median(floors, "median_ms")
        answers = [s.get("answer") for s in values + floors if "answer" in s]
        self.figures[key] = figure(
            value,
            floor,
            unit="ms",
            target=f"≤ {target_ms:g} ms",
            passed=_le(value, target_ms),
            digits=1,
            query=extra.get("query") or extra.get("needle"),
            answer_rows=len(answers[0]) if answers else None,
            # The app and the hand-written query must find the same runs (or entries).
            same_answer=bool(answers) and all(a == answers[0] for a in answers),
            first_answer=answers[0][:3] if answers else None,
            samples=_samples(values, "median_ms"),
            floor_samples=_samples(floors, "median_ms"),
            errors=_errors(values + floors),
        )

    async def search_in_run_screen(self, table: str, key: str, needle: str, index: int) -> None:
        """In-run search from `enter` to the match selected in a frame, on the big run opened
        as its skeleton, against the hand-written search (`floors.search`, kind `in_run`)."""
        assert self.data is not None
        spec = self.spec(
            table,
            times=SEARCH_TIMES,
            kind="in_run",
            run_id=self.data.big_run_id,
            fail_index=self.data.big_fail_index,
            needle=needle,
            expected_index=index,
        )
        values, floors = await self.alternate(
            key, ("scenarios", "search_in_run_screen", spec), ("floors", "search", spec)
        )
        value, floor = _median(values, "value_ms"), _median(floors, "median_ms")
        self.figures[key] = figure(
            value,
            floor,
            unit="ms",
            target=f"≤ {SEARCH_IN_RUN_TARGET_MS:g} ms to land on the match on screen",
            passed=_le(value, SEARCH_IN_RUN_TARGET_MS),
            digits=1,
            value_is="enter in the run view's search prompt → the first frame with the "
            "cursor on the matching entry (the store's query, the tree's page, the pane)",
            floor_is="the same five fields searched by hand over jsonb_array_elements",
            store_ms=_median(values, "store_ms"),
            landed_on=(_typical(values, "value_ms") or {}).get("landed_on"),
            tree_nodes=(_typical(values, "value_ms") or {}).get("tree_nodes"),
            samples=_samples(values, "value_ms", 1),
            floor_samples=_samples(floors, "median_ms"),
            errors=_errors(values + floors),
        )

    async def failure_groups(self, table: str, key: str, since_s: int, target_ms: float) -> None:
        """Failure groups of a window (and its previous one) against the bare SQL that
        fetches the same failures; for the day's window, the splitters of the biggest group
        against fetching and decoding a sample of the same size."""
        spec = self.spec(table, since_s=since_s)
        values, floors = await self.alternate(
            key, ("scenarios", "failure_groups", spec), ("floors", "failures", spec)
        )
        db, floor = _median(values, "db_ms"), _median(floors, "db_ms")
        window = f"{since_s // 3600} h"
        self.figures[key] = figure(
            db,
            floor,
            unit="ms",
            target=f"≤ {target_ms:g} ms of database time",
            passed=_le(db, target_ms),
            digits=1,
            value_is=f"store time of every page of failures of the last {window}: "
            "fetch_failures summed (store.stats: round trip, decoding, group keys)",
            floor_is="the same failures with the failing step and message found by the "
            "same JSON path, one bare statement, no paging or grouping",
            previous_window_db_ms=_median(values, "previous_db_ms"),
            previous_window_floor_ms=_median(floors, "previous_db_ms"),
            load_ms=_median(values, "load_ms"),
            group_ms=_median(values, "group_ms"),
            failures=_median(values, "failures"),
            floor_failures=_median(floors, "failures"),
            groups=_median(values, "groups"),
            pages=_median(values, "pages"),
            progress_updates=_median(values, "progress_updates"),
            samples=_samples(values, "db_ms"),
            floor_samples=_samples(floors, "db_ms"),
            errors=_errors(values + floors),
        )
        self.peak_rss[key] = _median(values, "peak_rss_mb")
        if since_s != SINCE_S:
            return
        split, split_floor = _median(values, "splitters_ms"), _median(floors, "splitters_ms")
        self.figures[key + ".splitters"] = figure(
            split,
            split_floor,
            unit="ms",
            target=f"≤ {SPLITTERS_TARGET_MS:g} ms",
            passed=_le(split, SPLITTERS_TARGET_MS),
            digits=1,
            value_is="group_splitters for the biggest group: both samples fetched, "
            "payloads decoded, candidates ranked",
            floor_is="the same sample sizes fetched and decoded with orjson, no ranking",
            db_ms=_median(values, "splitters_db_ms"),
            sample=_typical(values, "splitters_ms")
            and _typical(values, "splitters_ms").get("splitter_sample"),
            floor_sample=_typical(floors, "splitters_ms")
            and _typical(floors, "splitters_ms").get("splitter_sample"),
            samples=_samples(values, "splitters_ms"),
            floor_samples=_samples(floors, "splitters_ms"),
        )

    async def landing(self, table: str) -> None:
        """The three landing targets against the new floors: a minimal Textual app painting
        one line, and a bare asyncpg process printing the big run's failure from its
        skeleton."""
        assert self.data is not None
        big = self.spec(table, run_id=self.data.big_run_id)
        line = [await self.children.run("floors", "textual_line", big)]
        skeletons = []
        for _ in range(self.args.repeats):
            skeletons.append(await self.children.run("floors", "skeleton", big))
            line.append(await self.children.run("floors", "textual_line", big))
        small = await _small_failed_run(
            self.dsn, table, [self.data.big_run_id, self.data.poll_run_id]
        )
        spec = self.spec(table, run_id=small[0], fail_index=small[1], mode="time")
        small_runs = [
            await self.children.run("scenarios", "open_run", spec) for _ in range(self.args.repeats)
        ]
        self.raw["landing"] = {"textual_line": line, "skeleton": skeletons, "small": small_runs}
        textual, skeleton = _median(line, "value_s"), _median(skeletons, "value_s")
        small_value = _median(small_runs, "value_s")
        big_value = self.figures.get("open_run", {}).get("value")
        page = self.figures.get("list_first_paint", {})
        list_floor = None
        if textual is not None and page.get("floor") is not None:
            list_floor = textual + page["floor"]
        target = f"≤ {LANDING_TARGET_RATIO:g}× floor"

        def within(value: float | None, floor: float | None) -> bool | None:
            return None if value is None or not floor else value / floor <= LANDING_TARGET_RATIO

        self.figures["floor.textual_line"] = figure(
            textual,
            None,
            unit="s",
            target=None,
            passed=None,
            value_is="a minimal Textual app painting one static line, from process start",
            samples=_samples(line, "value_s", 3),
            typical=_typical(line, "value_s"),
            errors=_errors(line),
        )
        self.figures["landing.big_run"] = figure(
            big_value,
            skeleton,
            unit="s",
            target=target,
            passed=within(big_value, skeleton),
            value_is="open_run: the 100,000-entry run until its failure is selected on screen",
            floor_is="bare asyncpg: the run's skeleton (stepId, iteration, status, error "
            "message, by jsonb_array_elements), its failure printed",
            floor_samples=_samples(skeletons, "value_s", 3),
            typical_floor=_typical(skeletons, "value_s"),
            errors=_errors(skeletons),
        )
        self.figures["landing.small_run"] = figure(
            small_value,
            textual,
            unit="s",
            target=target,
            passed=within(small_value, textual),
            value_is=f"wflog-tui --run {small[0]} (a FAILED run of {small[2]} entries) until "
            "its failure is selected on screen",
            floor_is="the minimal Textual app",
            samples=_samples(small_runs, "value_s", 3),
            typical=_typical(small_runs, "value_s"),
            errors=_errors(small_runs),
        )
        self.figures["landing.list"] = figure(
            page.get("value"),
            list_floor,
            unit="s",
            target=target,
            passed=within(page.get("value"), list_floor),
            value_is="list_first_paint",
            floor_is="the minimal Textual app plus the bare first-page query (list_page)",
        )

    async def partitioned(self) -> None:
        """The main table copied into daily partitions: first paint, open-run, refresh."""
        assert self.data is not None
        built = await dataset.build_partitioned(self.dsn, self.data)
        self.raw["partitioned.build"] = {
            "table": built.table,
            "partitions": built.partitions,
            "seconds": built.build_seconds,
        }
        log(f"partitioned copy: {built.partitions} daily partitions in {built.build_seconds} s")
        await self.list_first_paint(built.table, "partitioned.list_first_paint", target=False)
        await self.open_run(built.table, "partitioned.open_run")
        await self.refresh(built.table, "partitioned.refresh_cycle", target=False)
        for name in ("list_first_paint", "open_run", "refresh_cycle"):
            entry = self.figures.get(f"partitioned.{name}")
            if entry is not None:
                entry["plain_table_value"] = self.figures.get(name, {}).get("value")
                entry["partitions"] = built.partitions

    async def many_viewers(self, table: str) -> None:
        """`--viewers` real wflog-tui apps for `--viewer-seconds` (figure `many_viewers`),
        then as many store-level loops without a terminal (`many_viewers.store_loops`,
        unless `--skip-store-loops`): half on the list, half following a running run,
        while runs are written; the server watched throughout."""
        count = self.args.viewers
        conn = await asyncpg.connect(self.dsn)
        try:
            running = [
                r["run_id"]
                for r in await conn.fetch(
                    f"SELECT run_id FROM {table} WHERE status = 'RUNNING' "
                    "ORDER BY started_at DESC LIMIT $1",
                    count,
                )
            ]
        finally:
            await conn.close()
        plan = [
            {"kind": "list"}
            if i % 2 == 0
            else {"kind": "tail", "run_id": running[i % len(running)]}
            for i in range(count)
        ]
        # What one app costs its machine when it has a process and the CPU to itself:
        # one list app and one tail app, each alone in its process.
        await self._viewers(
            table,
            "apps",
            "many_viewers.one_app_per_process",
            plan[:2],
            processes=2,
            seconds=min(30.0, self.args.viewer_seconds),
        )
        await self._viewers(table, "apps", "many_viewers", plan)
        alone = self.figures.get("many_viewers.one_app_per_process", {}).get("cpu_s_per_minute")
        crowd = self.figures.get("many_viewers", {})
        if alone and "value" in crowd:
            kinds = [v["kind"] for v in plan]
            needed = sum(alone.get(k) or 0.0 for k in kinds) / 60
            crowd["viewer_cpu_cores_needed"] = round(needed, 2)
            crowd["viewer_cpu_cores_needed_is"] = (
                "the CPU the viewers would use to keep up: each kind's CPU per minute alone in "
                "its process (many_viewers.one_app_per_process), summed over the viewers"
            )
        if not self.args.skip_store_loops:
            await self._viewers(table, "stores", "many_viewers.store_loops", plan)

    async def _viewers(
        self,
        table: str,
        mode: str,
        key: str,
        plan: list[dict],
        *,
        processes: int | None = None,
        seconds: float | None = None,
    ) -> None:
        """One many-viewers figure: `plan` spread over `--viewer-processes` processes of
        `benchmarks.viewers MODE`, all started at one moment on the shared clock and
        measured over the same window after a warm-up."""
        count = len(plan)
        groups = max(1, min(processes or self.args.viewer_processes, count))
        seconds = seconds or self.args.viewer_seconds
        warmup = self.args.viewer_warmup
        if warmup is None:
            # Starting fifty apps at once on two cores takes seconds; the window begins
            # once they are up (`first_refresh_after_start_s` in the report says when).
            warmup = max(5.0, 0.4 * count) if mode == "apps" else 2.0
        # Time for the processes to import and open their stores before the start.
        start_at = time.monotonic() + 5.0 + count * (0.2 if mode == "apps" else 0.1)
        measure_from = start_at + warmup
        specs = [
            self.spec(
                table,
                viewers=plan[g::groups],
                seconds=seconds,
                start_at=start_at,
                measure_from=measure_from,
            )
            for g in range(groups)
        ]
        stop = asyncio.Event()
        watch = asyncio.create_task(
            watch_server(self.dsn, stop, window=(measure_from, measure_from + seconds))
        )
        writer = asyncio.create_task(live_writer(self.dsn, table, stop))
        timeout = max(self.args.timeout, 2 * (start_at - time.monotonic() + warmup + seconds))
        try:
            results = await asyncio.gather(
                *(self.children.run("viewers", mode, s, timeout) for s in specs)
            )
        finally:
            stop.set()
            written = await writer
            server = await watch
        viewers = [v for r in results for v in r.get("viewers", [])]
        errors = [r["error"] for r in results if "error" in r]
        self.raw[key] = {"processes": results, "server": server}
        minutes = len(viewers) * seconds / 60
        cpu = server.get("backend_cpu_s_in_window")
        db_s = [v["db_s"] for v in viewers if v.get("db_s") is not None]
        peak = server.get("peak_connections")
        by_kind = {kind: [v for v in viewers if v["kind"] == kind] for kind in ("list", "tail")}

        def per_viewer_minute(total: float | None) -> float | None:
            return round(total / minutes, 3) if total is not None and minutes else None

        def per_kind_minute(of: list[dict[str, Any]], field: str, unit: float = 1) -> float | None:
            kind_minutes = len(of) * seconds / 60
            if not kind_minutes:
                return None
            return round(sum(v[field] for v in of) / unit / kind_minutes, 2)

        extra: dict[str, Any] = {}
        if mode == "apps":
            window_cpu = [r.get("cpu_s_in_window") for r in results]
            client_cpu = sum(c for c in window_cpu if c is not None)
            pooled = {k: [i for v in vs for i in v["intervals_s"]] for k, vs in by_kind.items()}
            firsts = [v["first_refresh_after_start_s"] for v in viewers]
            extra = {
                "viewers_are": "real wflog-tui apps (WflogApp, its own store each, refresh "
                "2 s, animations on), headless (App.run_test, "
                f"{self.spec(table)['size'][0]}x{self.spec(table)['size'][1]}), several "
                "per process in one event loop; list viewers on the run list, tail "
                "viewers opened on a RUNNING run (--run)",
                "refresh_interval_is": "time between the starts of successive refresh "
                "cycles of each app's LiveRefresh (a refresh worker taking the view's lock)",
                "every_interval_s": {k: probes_summary(v) for k, v in pooled.items()},
                "intervals_over_3s": {k: sum(1 for i in v if i > 3.0) for k, v in pooled.items()},
                "max_queries_in_flight_is": "the most asyncpg query calls (fetch, fetchrow, "
                "fetchval, execute, executemany) one app had in flight at once",
                "queries_per_viewer_minute": per_viewer_minute(
                    sum(v["queries"] or 0 for v in viewers)
                ),
                "lock_takes": _summed([v["lock_takes"] for v in viewers]),
                "frames_per_viewer_minute": {
                    k: per_kind_minute(vs, "frames") for k, vs in by_kind.items()
                },
                "render_cpu_s_per_viewer_minute": {
                    k: per_kind_minute(vs, "frame_cpu_ms_total", 1000) for k, vs in by_kind.items()
                },
                "viewer_cpu_s_per_viewer_minute": per_viewer_minute(client_cpu),
                "viewer_cpu_cores": round(client_cpu / seconds, 2) if seconds else None,
                "cpu_s_per_minute": _alone_cpu_per_minute(results, seconds),
                "loop_lag_ms_p95_per_process": [
                    r.get("loop_lag_ms", {}).get("p95") for r in results
                ],
                "first_refresh_after_start_s": {
                    "max": max((f for f in firsts if f is not None), default=None),
                    "missing": sum(1 for f in firsts if f is None),
                    "warmup_s": warmup,
                },
                # What the apps that never refreshed showed when the window ended (a few).
                "never_refreshed_showed": [
                    ((v.get("at_end") or {}).get("top_lines") or [None])[0]
                    for v in viewers
                    if v["first_refresh_after_start_s"] is None
                ][:3],
            }
        else:
            extra = {
                "viewers_are": "store-level loops, no Textual app: each its own store, the "
                "list's queries (delta, counts, sparkline) or a tail's, paced by "
                "RefreshPacer: what the database sees without any terminal",
                "max_queries_in_flight_is": "StoreStats.peak_in_flight (counted inside the "
                "store's one-query-at-a-time lock)",
            }
        self.figures[key] = figure(
            peak,
            None,
            unit="connections (peak)",
            target=f"≤ {VIEWERS_PEAK_CONNECTIONS_TARGET}",
            passed=_le(peak, VIEWERS_PEAK_CONNECTIONS_TARGET),
            digits=0,
            viewers=len(viewers),
            seconds=seconds,
            processes=groups,
            peak_connections_in_window=server.get("peak_connections_in_window"),
            db_cpu_s_per_viewer_minute=per_viewer_minute(cpu),
            db_cpu_is="user + system CPU of the server processes serving the viewers over "
            "the window (/proc/PID/stat, sampled every 0.25 s; null when the server is not "
            "local)",
            db_time_s_per_viewer_minute=per_viewer_minute(sum(db_s) if db_s else None),
            db_time_is="the viewers' database time over the window by the store's timing "
            "hook (store.stats.measure(): asyncpg call time less event-loop stalls)",
            refresh_interval_s={
                kind: probes_summary([v["interval_s"].get("median") for v in vs])
                for kind, vs in by_kind.items()
            },
            max_queries_in_flight=max((v["peak_in_flight"] for v in viewers), default=None),
            viewer_errors=sum(v["errors"] for v in viewers),
            first_viewer_error=next((v["first_error"] for v in viewers if v["first_error"]), None),
            runs_written_meanwhile=written,
            errors=errors or None,
            **extra,
        )

    def size_independence(self) -> None:
        """Figures on the main table against the same on the small one (same window, 1/20 rows)."""
        main, small = (
            self.figures.get("refresh_cycle", {}),
            self.figures.get("small.refresh_cycle", {}),
        )
        assert self.data is not None
        rows = (
            f"{self.data.rows:,} rows over 30 days vs {self.data.small_rows:,} over the "
            "last 36 hours (same runs in the 24 h window)"
        )
        ratio_ok = lambda a, b, limit: None if a is None or not b else a / b <= limit  # noqa: E731
        self.figures["refresh_cycle.table_size"] = figure(
            main.get("value"),
            small.get("value"),
            unit="ms per cycle",
            target=f"≤ {SIZE_INDEPENDENT_RATIO}× the same on the small table",
            passed=ratio_ok(main.get("value"), small.get("value"), SIZE_INDEPENDENT_RATIO),
            digits=2,
            compared=rows,
            per_query_ms={"big": main.get("per_query_ms"), "small": small.get("per_query_ms")},
        )
        big_rss = self.peak_rss.get("list_first_paint")
        small_rss = self.peak_rss.get("small.list_first_paint")
        self.figures["list_memory.table_size"] = figure(
            big_rss,
            small_rss,
            unit="MB peak RSS",
            target=f"≤ {LIST_MEMORY_INDEPENDENT_RATIO}× the same on the small table",
            passed=ratio_ok(big_rss, small_rss, LIST_MEMORY_INDEPENDENT_RATIO),
            digits=1,
            compared=rows,
        )


async def live_writer(dsn: str, table: str, stop: asyncio.Event) -> int:
    """Write new runs (copies of recent ones, started now) 4 times a second until `stop`.

    They are removed again afterwards, so later scenarios see the built data.
    """
    conn = await asyncpg.connect(dsn)
    now_sql = "(now() AT TIME ZONE 'UTC')"
    sources = [
        r["id"]
        for r in await conn.fetch(
            f"SELECT id FROM {table} WHERE started_at >= {now_sql} - interval '1 day' "
            "AND id NOT LIKE 'cbenchlive%' ORDER BY started_at DESC LIMIT 200"
        )
    ]
    columns = [c for c in COLUMNS if c not in ("id", "run_id", "started_at", "ended_at")]
    names = ", ".join(columns)
    insert = (
        f"INSERT INTO {table} (id, run_id, started_at, ended_at, {names}) "
        f"SELECT 'cbenchlive' || $1, '01BENCHLIVE' || $1, {now_sql}, "
        f"CASE WHEN ended_at IS NULL THEN NULL ELSE {now_sql} + (ended_at - started_at) END, "
        f"{names} FROM {table} WHERE id = $2"
    )
    rng = random.Random(11)
    written = 0
    try:
        while not stop.is_set():
            await conn.execute(insert, f"{written:08d}", rng.choice(sources))
            written += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)
    finally:
        await conn.execute(f"DELETE FROM {table} WHERE id LIKE 'cbenchlive%'")
        await conn.close()
    return written


async def watch_server(
    dsn: str, stop: asyncio.Event, window: tuple[float, float] | None = None
) -> dict[str, Any]:
    """Until `stop`: the wflog-tui connections the server has (peak), and the CPU time of
    the server processes behind them, read from /proc when the server is on this machine.

    With `window` (two `time.monotonic()` values), also the peak within it, and the CPU
    those processes spent within it (a process seen first inside it counts from zero).
    """
    conn = await asyncpg.connect(dsn)
    peak, peak_in_window = 0, 0
    cpu_by_pid: dict[int, float] = {}
    at_start: dict[int, float] | None = None
    at_end: dict[int, float] = {}
    try:
        while not stop.is_set():
            pids = [
                r["pid"]
                for r in await conn.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'wflog-tui'"
                )
            ]
            now = time.monotonic()
            peak = max(peak, len(pids))
            for pid in pids:
                cpu = _process_cpu_s(pid)
                if cpu is not None:
                    cpu_by_pid[pid] = cpu
            if window is not None and window[0] <= now <= window[1]:
                peak_in_window = max(peak_in_window, len(pids))
                if at_start is None:
                    at_start = dict(cpu_by_pid)
                at_end = dict(cpu_by_pid)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)
    finally:
        await conn.close()
    in_window = None
    if at_start is not None and at_end:
        in_window = round(sum(cpu - at_start.get(pid, 0.0) for pid, cpu in at_end.items()), 2)
    return {
        "peak_connections": peak,
        "peak_connections_in_window": peak_in_window if window is not None else None,
        "backends_seen": len(cpu_by_pid),
        "backend_cpu_s": round(sum(cpu_by_pid.values()), 2) if cpu_by_pid else None,
        "backend_cpu_s_in_window": in_window,
    }


def _alone_cpu_per_minute(results: list[dict[str, Any]], seconds: float) -> dict[str, float]:
    """CPU seconds per minute of each kind of viewer, from the processes that ran one app
    alone (their CPU is that app's); empty when every process ran several."""
    found: dict[str, list[float]] = {}
    for result in results:
        viewers = result.get("viewers", [])
        if len(viewers) == 1 and result.get("cpu_s_in_window") is not None:
            found.setdefault(viewers[0]["kind"], []).append(result["cpu_s_in_window"])
    return {k: round(statistics.median(v) * 60 / seconds, 2) for k, v in found.items()}


def _summed(counts: list[dict[str, int]]) -> dict[str, int]:
    """The counts of several dicts added up by key."""
    total: dict[str, int] = {}
    for one in counts:
        for name, n in one.items():
            total[name] = total.get(name, 0) + n
    return total


def _process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process of this machine; None if not readable."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime: fields 14 and 15 of stat, 12 and 13 once the name is cut off.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def probes_summary(values: list[float | None]) -> dict[str, Any]:
    """Median, p95, min and max of the viewers' median intervals."""
    from benchmarks.probes import summary

    return summary([v for v in values if v is not None], 3)


async def _small_failed_run(dsn: str, table: str, long_runs: list[str]) -> tuple[str, int, int]:
    """A recent FAILED run of the bulk rows: (run_id, index of its first failed entry,
    entries). The long runs (the 100,000-entry one, and the polling run, which ends
    FAILED with 200,000 entries) are left out: they are not small."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            f"""SELECT run_id, jsonb_array_length(steps_log) AS entries,
                   (SELECT n - 1 FROM jsonb_array_elements(steps_log) WITH ORDINALITY x(e, n)
                    WHERE e->>'status' = 'FAILED' ORDER BY n LIMIT 1) AS fail_index
            FROM {table}
            WHERE status = 'FAILED' AND run_id <> ALL($1::text[])
              AND started_at >= (now() AT TIME ZONE 'UTC') - interval '1 day'
              AND EXISTS (SELECT 1 FROM jsonb_array_elements(steps_log) e
                          WHERE e->>'status' = 'FAILED')
            ORDER BY started_at DESC LIMIT 1""",
            long_runs,
        )
    finally:
        await conn.close()
    if row is None:
        raise RuntimeError("no FAILED run with a failed entry in the last day")
    return row["run_id"], row["fail_index"], row["entries"]


def machine_info(server_version: str) -> dict[str, Any]:
    """What ran this: CPUs, memory, Python, PostgreSQL, and the load while it ran."""
    model = None
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    import textual

    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres": server_version,
        "textual": textual.__version__,
        "asyncpg": asyncpg.__version__,
        "load_average_at_start": os.getloadavg(),
    }


def app_version() -> dict[str, Any]:
    """Which code was measured: the commit, and the files under src/ that differ from it.

    The app is imported from the working tree, so uncommitted changes are measured too.
    """

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout

    # Porcelain lines are "XY path": the status takes the first three characters.
    changed = [line[3:] for line in git("status", "--porcelain", "--", "src").splitlines()]
    commit = git("rev-parse", "--short", "HEAD").strip()
    return {"commit": commit, "uncommitted_src_files": changed}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The harness's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="bulk runs (default 1M)")
    parser.add_argument("--out", type=Path, help="report file (default: benchmarks/results/…)")
    parser.add_argument(
        "--keep-data",
        type=Path,
        metavar="DIR",
        help="keep the embedded server's data in DIR and reuse it when fresh (< 2 h)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="processes per figure")
    parser.add_argument("--cycles", type=int, default=20, help="refresh cycles measured")
    parser.add_argument("--presses", type=int, default=200, help="key presses per phase")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per process")
    parser.add_argument("--skip-bare", action="store_true", help="skip the bare-table pass")
    parser.add_argument(
        "--only-search", action="store_true", help="build the data, then measure searches only"
    )
    parser.add_argument(
        "--only-groups",
        action="store_true",
        help="measure the failure-group figures only (a quick check of those)",
    )
    parser.add_argument("--viewers", type=int, default=50, help="headless viewers at once")
    parser.add_argument("--viewer-seconds", type=float, default=60, help="how long the viewers run")
    parser.add_argument(
        "--viewer-processes", type=int, default=5, help="processes the viewers are spread over"
    )
    parser.add_argument(
        "--viewer-warmup",
        type=float,
        help="seconds from the viewers' start to their measured window "
        "(default: 0.4 s per app, at least 5)",
    )
    parser.add_argument(
        "--skip-store-loops",
        action="store_true",
        help="measure the real apps only, not the store-level loops without a terminal",
    )
    parser.add_argument(
        "--only-viewers", action="store_true", help="build the data, then measure many viewers only"
    )
    parser.add_argument(
        "--skip-partitioned", action="store_true", help="skip the partitioned-table pass"
    )
    parser.add_argument(
        "--only-landing",
        action="store_true",
        help="measure the landing figures only (first paint, open-run and their floors)",
    )
    parser.add_argument(
        "--only-diff",
        action="store_true",
        help="measure the diff figures only (the run against its last good run)",
    )
    return parser.parse_args(argv)


async def bench(args: argparse.Namespace, dsn: str, work_dir: Path) -> dict[str, Any]:
    """Build the data, run every scenario, and return the report."""
    started = time.monotonic()
    b = Bench(args, dsn, work_dir)
    log(f"building {args.rows:,} runs (reuse kept data: {args.keep_data is not None}) …")
    data = b.data = await dataset.build(dsn, args.rows, reuse=args.keep_data is not None)
    log(f"data ready: {data.build_seconds}")
    conn = await asyncpg.connect(dsn)
    server_version = await conn.fetchval("SHOW server_version")
    await conn.close()
    machine = machine_info(server_version)
    main, small = data.table, data.small_table

    async def groups() -> None:
        await b.failure_groups(main, "failure_groups_24h", SINCE_S, GROUPS_DAY_TARGET_MS)
        await b.failure_groups(main, "failure_groups_7d", WEEK_S, GROUPS_WEEK_TARGET_MS)
        await b.groups_first_paint(main, "groups_first_paint")

    async def indexed() -> None:
        await b.list_first_paint(main, "list_first_paint", target=True)
        await b.open_run(main, "open_run")
        await b.open_run(main, "open_polling_run", polling=True)
        await b.open_diff(main, "open_diff")
        await b.refresh(main, "refresh_cycle", target=True)
        await b.keypress(main, "keypress")

    async def diff() -> None:
        await b.open_diff(main, "open_diff")

    async def smaller() -> None:
        await b.list_first_paint(small, "small.list_first_paint", target=False)
        await b.refresh(small, "small.refresh_cycle", target=False)

    async def bare() -> None:
        seconds = await dataset.set_recommended_indexes(dsn, dataset.MAIN_SHAPE, False)
        b.raw["bare.drop_indexes_s"] = round(seconds, 2)
        await b.list_first_paint(main, "bare.list_first_paint", target=False)
        await b.open_run(main, "bare.open_run")
        await b.refresh(main, "bare.refresh_cycle", target=False)

    async def searching() -> None:
        assert b.data is not None
        conn = await asyncpg.connect(dsn)
        try:
            # A post id of the window's newest run: `=` finds every run of that template.
            post_id = await conn.fetchval(
                f"SELECT input_payload #>> '{{post,id}}' FROM {main} "
                "ORDER BY started_at DESC LIMIT 1"
            )
            eq = {
                "kind": "payload_eq",
                "query": f"input.post.id={post_id}",
                "document": json.dumps({"post": {"id": post_id}}),
            }
            await b.search(main, "search.payload_eq", SEARCH_EQ_TARGET_MS, **eq)
            started = time.monotonic()
            await conn.execute(
                f"CREATE INDEX bench_input_gin ON {main} USING gin (input_payload jsonb_path_ops)"
            )
            await conn.execute(f"ANALYZE {main}")
            b.raw["search.gin_build_s"] = round(time.monotonic() - started, 2)
            try:
                await b.search(main, "search.payload_eq_gin", SEARCH_EQ_GIN_TARGET_MS, **eq)
            finally:
                await conn.execute(
                    f"DROP INDEX IF EXISTS {dataset.MAIN_SHAPE.schema}.bench_input_gin"
                )
            needle = SEARCH_STEP_ERROR_NEEDLE
            await b.search(
                main,
                "search.step_error",
                SEARCH_STEP_ERROR_TARGET_MS,
                kind="step_error",
                query=f"step.error~{needle}",
                needle=needle,
            )
            await b.search(
                main,
                "search.in_run",
                SEARCH_IN_RUN_TARGET_MS,
                kind="in_run",
                run_id=data.big_run_id,
                needle=f"hs_{1_000_000 + SEARCH_IN_RUN_ITERATION}",
                expected_index=2 + 2 * (SEARCH_IN_RUN_ITERATION - 1),
            )
            await b.search_in_run_screen(
                main,
                "search.in_run_screen",
                needle=f"hs_{1_000_000 + SEARCH_IN_RUN_ITERATION}",
                index=2 + 2 * (SEARCH_IN_RUN_ITERATION - 1),
            )
        finally:
            await conn.close()

    if (
        args.only_search
        or args.only_groups
        or args.only_diff
        or args.only_landing
        or (args.only_viewers)
    ):
        # A quick check of one feature's figures: the rest of the harness is skipped.
        if args.only_viewers:
            await b.section("many viewers", lambda: b.many_viewers(main))
        if args.only_landing:

            async def landing() -> None:
                await b.list_first_paint(main, "list_first_paint", target=True)
                await b.open_run(main, "open_run")
                await b.landing(main)

            await b.section("landing near the floor", landing)
        if args.only_diff:
            await b.section("diff with the last good run (issue 13)", diff)
        if args.only_search:
            await b.section("search (issue 14)", searching)
        if args.only_groups:
            await b.section("failure groups (indexed table)", groups)
        return _report(b, args, machine, started)
    await b.section("indexed table", indexed)
    await b.section("failure groups (indexed table)", groups)
    await b.section("search (issue 14)", searching)
    await b.section("landing near the floor", lambda: b.landing(main))
    await b.section("many viewers", lambda: b.many_viewers(main))
    await b.section("small table (the last 36 hours only)", smaller)
    b.size_independence()
    if not args.skip_partitioned:
        await b.section("partitioned table (one partition per day)", b.partitioned)
    if not args.skip_bare:
        await b.section("bare table (primary key and unique run_id only)", bare)
    return _report(b, args, machine, started)


def _report(
    b: Bench, args: argparse.Namespace, machine: dict[str, Any], started: float
) -> dict[str, Any]:
    """The report of a harness run, from what `b` measured."""
    data = b.data
    assert data is not None
    machine["load_average_at_end"] = os.getloadavg()
    return {
        "harness": {
            "command": "python -m benchmarks.run " + " ".join(sys.argv[1:]),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(time.monotonic() - started, 1),
            "repeats": args.repeats,
            "list_window": SINCE,
            "terminal_size": SIZE,
        },
        "machine": machine,
        "app": app_version(),
        "dataset": {
            "rows": data.rows,
            "running": data.running,
            "small_table_rows": data.small_rows,
            "big_run": {
                "run_id": data.big_run_id,
                "entries": data.big_entries,
                "failing_entry_index": data.big_fail_index,
                "json_bytes_compact": data.big_json_bytes,
            },
            "table_bytes": data.table_bytes,
            "built_at": data.built_at.isoformat(),
            "reused": data.reused,
            "build_seconds": data.build_seconds,
        },
        "scenarios": b.figures,
        "peak_rss_mb": b.peak_rss,
        "raw": b.raw,
    }


def default_out(rows: int) -> Path:
    """benchmarks/results/<date>-<cpus>cpu-<host>[-<rows>rows].json."""
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    suffix = "" if rows == DEFAULT_ROWS else f"-{rows}rows"
    return RESULTS / f"{date}-{os.cpu_count()}cpu-{platform.node()}{suffix}.json"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """One line per figure, for the terminal."""
    lines = []
    for name, f in report["scenarios"].items():
        if "value" not in f:
            lines.append(f"{name:32} ERROR {f.get('error')}")
            continue
        verdict = {True: "PASS", False: "FAIL", None: "    "}[f["pass"]]
        lines.append(
            f"{name:32} {verdict} value {f['value']} {f['unit']}  floor {f['floor']}  "
            f"ratio {f['ratio']}  target {f['target']}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the harness; print the report; exit 0 (1 when a figure could not be measured)."""
    args = parse_args(argv)
    wall = time.monotonic()
    work_dir = Path(tempfile.mkdtemp(prefix="wflog-bench-"))
    server = None
    dsn = os.environ.get("WFLOG_BENCH_DSN")
    if dsn:
        log("using the server at WFLOG_BENCH_DSN")
    else:
        from wflog_tui.demo.embedded import EmbeddedPostgres

        data_dir = args.keep_data or work_dir / "pgdata"
        # pgserver falls back noisily when XDG_RUNTIME_DIR is unset or shared; give it ours.
        runtime = work_dir / "run"
        runtime.mkdir(mode=0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        server = EmbeddedPostgres(data_dir, cleanup=args.keep_data is None)
        log(f"starting the embedded PostgreSQL in {data_dir} …")
        dsn = server.start()
    try:
        report = asyncio.run(bench(args, dsn, work_dir))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work_dir, ignore_errors=True)
    report["harness"]["total_wall_seconds"] = round(time.monotonic() - wall, 1)
    text = json.dumps(report, indent=2, default=str)
    out = args.out or default_out(args.rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(text)
    for line in summary_lines(report):
        log(line)
    log(f"report written to {out}; total {report['harness']['total_wall_seconds']} s")
    errors = [n for n, f in report["scenarios"].items() if "error" in f or f.get("value") is None]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
