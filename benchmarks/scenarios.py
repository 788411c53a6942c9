"""The app's side of each figure, one fresh process per measurement.

Run as `python -m benchmarks.scenarios NAME SPEC_JSON OUT_PATH`.

"On screen" means: the screen's compositor has rendered a frame in which it holds. A
probe wraps `Screen._compositor_refresh` (the step that renders the widgets' dirty lines
into the update sent to the terminal); right after each frame it tests what the frame
showed. The app runs with Textual's headless driver, which renders every frame and
only skips writing it to a terminal, so the terminal's own write is not included.

`first_paint`, `groups_first_paint` and `open_run` run the real command line
(`wflog_tui.cli.run`) with the headless driver chosen through `TEXTUAL_DRIVER`, so they
pay for exactly what a user's `wflog-tui` (or `--groups`, `--run ID`) pays for:
interpreter start, imports, argument parsing, connecting, schema introspection, the
first queries and the first frames.
`refresh` and `keypress` drive an app made here with `App.run_test`, since they need
control over the session rather than its start-up.
"""

from __future__ import annotations

import os
import time

MODULE_START = time.monotonic()
# Textual reads TEXTUAL_DRIVER once, when it is first imported: choose the headless driver
# before anything imports Textual (the app's own `cli.run` then uses it too).
os.environ["TEXTUAL_DRIVER"] = "textual.drivers.headless_driver:HeadlessDriver"

import asyncio  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import timedelta  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from benchmarks import probes  # noqa: E402

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widgets import DataTable

IMPORTED = time.monotonic()

Watcher = Callable[["Screen", float], bool]


class FrameProbe:
    """Calls watchers after every frame the compositor renders; times the frames.

    A watcher gets the screen and the frame's end time (`probes.now()`), and returns
    True when it has seen what it waited for (it is then removed).
    """

    def __init__(self) -> None:
        self.watchers: list[Watcher] = []
        self.frame_ms: list[float] = []
        self.first_frame: float | None = None

    def install(self) -> None:
        """Wrap `Screen._compositor_refresh` for every screen of the process (once Textual
        is imported, whenever the program imports it)."""
        probes.after_import("textual.screen", self._wrap)

    def _wrap(self, module: Any) -> None:
        original = module.Screen._compositor_refresh
        probe = self

        def _compositor_refresh(screen: Screen) -> None:
            start = time.perf_counter()
            original(screen)
            probe.frame_ms.append((time.perf_counter() - start) * 1000)
            end = probes.now()
            if probe.first_frame is None:
                probe.first_frame = end
            probe.watchers = [w for w in probe.watchers if not w(screen, end)]

        module.Screen._compositor_refresh = _compositor_refresh

    def next_frame_where(self, test: Callable[[Screen], bool]) -> asyncio.Future[float]:
        """A future set to the end time of the first frame after which `test` holds."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()

        def watcher(screen: Screen, end: float) -> bool:
            if future.done():
                return True
            try:
                held = test(screen)
            except Exception:
                held = False
            if held:
                future.set_result(end)
            return held

        self.watchers.append(watcher)
        return future


class Timings:
    """Wall time spent in wrapped functions, by name, and when the first call ran.

    `zero` is the process's spawn time on the shared clock: `first_call_s` says when,
    from process start, the first call began and ended, so a report shows the timeline.
    """

    def __init__(self, zero: float | None = None) -> None:
        self.ms: dict[str, list[float]] = {}
        self.first: dict[str, tuple[float, float]] = {}
        self.zero = zero

    def wrap(self, owner: Any, name: str, label: str | None = None) -> None:
        """Replace `owner.name` (a function or coroutine function) by a timed one."""
        original = getattr(owner, name)
        key = label or name
        bucket = self.ms.setdefault(key, [])

        def record(start: float) -> None:
            end = probes.now()
            bucket.append((end - start) * 1000)
            self.first.setdefault(key, (start, end))

        if asyncio.iscoroutinefunction(original):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                start = probes.now()
                try:
                    return await original(*args, **kwargs)
                finally:
                    record(start)

            setattr(owner, name, timed_async)
        else:

            def timed(*args: Any, **kwargs: Any) -> Any:
                start = probes.now()
                try:
                    return original(*args, **kwargs)
                finally:
                    record(start)

            setattr(owner, name, timed)

    def report(self) -> dict[str, Any]:
        """Each name's calls: total and summary, in ms (and the first call's span)."""
        result: dict[str, Any] = {}
        for name, values in self.ms.items():
            if not values:
                continue
            result[name] = {"total_ms": round(sum(values), 1), **probes.summary(values)}
            if self.zero is not None and name in self.first:
                start, end = self.first[name]
                result[name]["first_call_s"] = [
                    round(start - self.zero, 3),
                    round(end - self.zero, 3),
                ]
        return result


def _headless_cli(spec: dict[str, Any]) -> None:
    """Give the headless driver (chosen at the top) the spec's terminal size."""
    os.environ["COLUMNS"], os.environ["LINES"] = (str(n) for n in spec["size"])


def _cli_args(spec: dict[str, Any]) -> list[str]:
    return ["--dsn", spec["dsn"], "--table", spec["table"], "--since", spec["since"]]


def _mark_app_created(app_module: Any, marks: dict[str, float]) -> None:
    """Make `WflogApp` of `app_module` mark in `marks` when it is created."""
    original_init = app_module.WflogApp.__init__

    def app_init(app: Any, *args: Any, **kwargs: Any) -> None:
        marks["app_created"] = probes.now()
        original_init(app, *args, **kwargs)

    app_module.WflogApp.__init__ = app_init


def _mark_load_start(cli: Any, marks: dict[str, float], memory: dict[str, Any]) -> None:
    """Make `start_loading` mark in `marks` when the run's load starts, and note in `memory`
    the memory before it (with the peak reset, so the peak measured after is the run's)."""
    import wflog_tui.store as store_package

    original_start_loading = store_package.start_loading

    def start_loading(*args: Any, **kwargs: Any) -> Any:
        marks.setdefault("load_started", probes.now())
        if "rss_before_mb" not in memory:
            memory["process_peak_before_mb"] = round(probes.peak_rss_mb(), 1)
            memory["peak_reset"] = probes.reset_peak()
            memory["rss_before_mb"] = round(probes.rss_mb(), 1)
        return original_start_loading(*args, **kwargs)

    # Where the CLI and the run view find it (the view imports it later, from the package).
    store_package.start_loading = cli.start_loading = start_loading


def _run_table(screen: Screen) -> DataTable | None:
    from textual.widgets import DataTable

    from wflog_tui.ui.run_list import RunListScreen

    if not isinstance(screen, RunListScreen):
        return None
    return screen.query_one("#runs", DataTable)


def first_paint(spec: dict[str, Any]) -> dict[str, Any]:
    """`wflog-tui --since 24h`: from process start to the first page of the list in a frame."""
    _headless_cli(spec)
    from wflog_tui import cli
    from wflog_tui.store import Store, connection
    from wflog_tui.ui import app as app_module

    probe, timings = FrameProbe(), Timings(spec["spawned_at"])
    probe.install()
    for method in ("fetch_page", "count_by_status", "failures_per_minute", "close"):
        timings.wrap(Store, method)
    # Where start-up goes: the store opened (pool, connect, introspection), within it the
    # introspection.
    timings.wrap(cli, "open_store")
    timings.wrap(connection, "introspect")
    marks: dict[str, float] = {}
    shown: dict[str, Any] = {}

    _mark_app_created(app_module, marks)

    def painted(screen: Screen, end: float) -> bool:
        table = _run_table(screen)
        if table is None or table.row_count == 0:
            return False
        marks["first_paint"] = end
        shown["rows"] = table.row_count
        shown["rss_mb"] = round(probes.rss_mb(), 1)
        screen.app.exit()
        return True

    probe.watchers.append(painted)
    code = cli.run(_cli_args(spec))
    if "first_paint" not in marks:
        return {"error": f"the list never showed a row (exit code {code})"}
    spawned = spec["spawned_at"]
    return {
        "value_s": marks["first_paint"] - spawned,
        "interpreter_s": MODULE_START - spawned,
        "imports_s": IMPORTED - MODULE_START,
        "cli_to_app_s": marks["app_created"] - IMPORTED,
        "app_to_paint_s": marks["first_paint"] - marks["app_created"],
        "first_frame_s": (probe.first_frame or spawned) - spawned,
        "rows_shown": shown["rows"],
        "rss_at_paint_mb": shown["rss_mb"],
        "frames": len(probe.frame_ms),
        "store_ms": timings.report(),
        "exit_code": code,
    }


def groups_first_paint(spec: dict[str, Any]) -> dict[str, Any]:
    """`wflog-tui --groups --since 24h`: from process start to the groups in a frame.

    Painted means the group table holds its rows; the NEW badges (the previous window's
    read) and the splitters come after, as the screen promises.
    """
    _headless_cli(spec)
    from wflog_tui import cli
    from wflog_tui.store import Store
    from wflog_tui.ui.failure_groups import FailureGroupsScreen
    from wflog_tui.ui.failure_groups.group_table import GroupTable

    probe, timings = FrameProbe(), Timings(spec["spawned_at"])
    probe.install()
    for method in ("server_now", "fetch_failures", "close"):
        timings.wrap(Store, method)
    marks: dict[str, float] = {}
    shown: dict[str, Any] = {}

    def painted(screen: Screen, end: float) -> bool:
        if not isinstance(screen, FailureGroupsScreen) or screen.failure_log is None:
            return False
        table = screen.query_one(GroupTable)
        if table.row_count == 0:
            return False
        marks["first_paint"] = end
        shown["groups"] = table.row_count
        shown["failures"] = len(screen.failure_log)
        shown["rss_mb"] = round(probes.rss_mb(), 1)
        screen.app.exit()
        return True

    probe.watchers.append(painted)
    code = cli.run([*_cli_args(spec), "--groups"])
    if "first_paint" not in marks:
        return {"error": f"the groups screen never showed a group (exit code {code})"}
    spawned = spec["spawned_at"]
    return {
        "value_s": marks["first_paint"] - spawned,
        "interpreter_s": MODULE_START - spawned,
        "imports_s": IMPORTED - MODULE_START,
        "groups_shown": shown["groups"],
        "failures": shown["failures"],
        "rss_at_paint_mb": shown["rss_mb"],
        "frames": len(probe.frame_ms),
        "store_ms": timings.report(),
        "exit_code": code,
    }


def open_run(spec: dict[str, Any]) -> dict[str, Any]:
    """`wflog-tui --run ID`: from process start until the failing entry is selected in a frame.

    Two modes (`spec["mode"]`), one process each:
    - `time`: nothing of the UI is imported before the command line runs; the probes wrap
      the app's functions as the program imports them (`probes.after_import`), so the
      program's own order holds: the CLI starts loading the run, then imports the UI
      while the database works.
    - `memory`: the UI is imported first, so its modules are not counted; RSS is read
      when the run starts to load (`start_loading` is called) and its peak is followed from
      there until the frame that shows the failure: the rise is what opening the run cost.

    With `spec["then_select"]` (a key path), the figure goes on: once the failure is on
    screen that node is selected, and the figure ends at the first frame after every
    entry its selection asked for is filled in (the skeleton's fill queue is empty).
    """
    _headless_cli(spec)
    memory_mode = spec.get("mode") == "memory"
    from wflog_tui import cli
    from wflog_tui.store import Store

    probe, timings = FrameProbe(), Timings(spec["spawned_at"])
    probe.install()
    # `fetch_run` and `start_loading` both come here; the tree is built inside it.
    timings.wrap(Store, "fetch_run_as", "fetch_run")
    marks: dict[str, float] = {}
    memory: dict[str, Any] = {}
    landed: dict[str, Any] = {}

    # The run's loading looks `build_tree` up in its module when the rows are in; the
    # module itself is imported when first needed, so it is wrapped then.
    probes.after_import(
        "wflog_tui.model.step_tree", lambda module: timings.wrap(module, "build_tree")
    )
    _mark_load_start(cli, marks, memory)

    def wrap_views(module: Any) -> None:
        timings.wrap(module.StepTreeView, "show_tree")
        timings.wrap(module.StepTreeView, "select_keys")

    then_select = tuple(spec.get("then_select") or ())

    def on_failure(screen: Screen, end: float) -> bool:
        run_view = sys.modules["wflog_tui.ui.run_view"]
        if not isinstance(screen, run_view.RunScreen) or screen.step_tree is None:
            return False
        node = screen.step_view.selected_node
        entry = None if node is None else node.entry
        if entry is None or entry.index != spec["fail_index"]:
            return False
        marks["landed"] = end
        memory["rss_at_landing_mb"] = round(probes.rss_mb(), 1)
        landed["path"] = [n.label for n in node.path]
        landed["tree_nodes"] = screen.step_view.node_count
        if then_select:
            fetch_entries_calls["at_landing"] = fetch_entries_calls["count"]
            screen.step_view.select_keys(then_select)
            probe.watchers.append(on_filled)
        else:
            finish(screen, end)
        return True

    def on_filled(screen: Screen, end: float) -> bool:
        from wflog_tui.model.step_tree import entries_to_show

        run_view = sys.modules["wflog_tui.ui.run_view"]
        if not isinstance(screen, run_view.RunScreen):
            return False  # a frame of another screen (its default one, a toast's)
        node = screen.step_view.selected_node
        if node is None or node.key != then_select[-1] or screen.shown_node is not node:
            return False
        if not screen.entry_fill.idle:
            return False
        if any(entry.payload_pending for entry in entries_to_show(node)):
            return False
        landed["selected_path"] = [n.label for n in node.path]
        landed["tree_nodes_after_select"] = screen.step_view.node_count
        landed["fill_queries_after_select"] = (
            fetch_entries_calls["count"] - fetch_entries_calls["at_landing"]
        )
        finish(screen, end)
        return True

    def finish(screen: Screen, end: float) -> None:
        marks["selected"] = end
        memory["peak_mb"] = round(probes.peak_rss_mb(), 1)
        screen.app.exit()

    fetch_entries_calls = {"count": 0, "at_landing": 0}
    original_fetch_entries = Store.fetch_entries

    async def fetch_entries(*args: Any, **kwargs: Any) -> Any:
        fetch_entries_calls["count"] += 1
        return await original_fetch_entries(*args, **kwargs)

    Store.fetch_entries = fetch_entries  # type: ignore[method-assign]

    probes.after_import("wflog_tui.ui.app", lambda module: _mark_app_created(module, marks))
    probes.after_import("wflog_tui.ui.run_view.step_tree_view", wrap_views)
    probes.after_import(
        "wflog_tui.ui.run_view",
        lambda m: timings.wrap(m.RunScreen, "show_run", "show_run (widgets + landing)"),
    )
    if memory_mode:
        import wflog_tui.ui.app  # noqa: F401  (imported now, so not counted as the run's)
    probe.watchers.append(on_failure)
    code = cli.run([*_cli_args(spec), "--run", spec["run_id"]])
    if "selected" not in marks:
        return {"error": f"the failing entry was never selected on screen (exit code {code})"}
    spawned = spec["spawned_at"]
    return {
        "mode": "memory" if memory_mode else "time",
        "value_s": marks["selected"] - spawned,
        "landed_s": marks["landed"] - spawned,
        "fill_queries": fetch_entries_calls["count"],
        "interpreter_s": MODULE_START - spawned,
        "imports_s": IMPORTED - MODULE_START,
        "load_started_s": marks["load_started"] - spawned,
        "app_created_s": marks["app_created"] - spawned,
        "first_frame_s": (probe.first_frame or spawned) - spawned,
        "rss_rise_mb": round(memory["peak_mb"] - memory["rss_before_mb"], 1),
        "memory": memory,
        "landed_on": landed,
        "frames": len(probe.frame_ms),
        "timings": timings.report(),
        "exit_code": code,
    }


def open_diff(spec: dict[str, Any]) -> dict[str, Any]:
    """`wflog-tui --run ID`, then `d` as soon as the failure is on screen: from process start
    until the diff screen shows the comparison with its last good run, the cursor on the
    first divergence (`spec["divergence_index"]`), in a frame.

    The same two modes as `open_run`: `time` keeps the program's import order, `memory`
    imports the UI first and follows the peak RSS from the first `start_loading` (this run's)
    until the diff's frame, so the rise holds both runs and the comparison.
    """
    _headless_cli(spec)
    memory_mode = spec.get("mode") == "memory"
    from wflog_tui import cli
    from wflog_tui.store import Store

    probe, timings = FrameProbe(), Timings(spec["spawned_at"])
    probe.install()
    # `fetch_run` and `start_loading` both come here; the tree is built inside it.
    timings.wrap(Store, "fetch_run_as", "fetch_run")
    timings.wrap(Store, "fetch_baseline")
    timings.wrap(Store, "fetch_entries")
    marks: dict[str, float] = {}
    memory: dict[str, Any] = {}
    shown: dict[str, Any] = {}

    def wrap_comparison(module: Any) -> None:
        for name in ("load_comparison", "entries_to_fetch", "compare_runs"):
            timings.wrap(module, name)

    # Wrapped as the program imports it (on `d`), so its import stays in the figure.
    probes.after_import("wflog_tui.store.run_comparison", wrap_comparison)
    _mark_load_start(cli, marks, memory)

    def on_failure(screen: Screen, end: float) -> bool:
        run_view = sys.modules["wflog_tui.ui.run_view"]
        if not isinstance(screen, run_view.RunScreen) or screen.step_tree is None:
            return False
        node = screen.step_view.selected_node
        if node is None or node.entry is None or node.entry.index != spec["fail_index"]:
            return False
        marks["run_shown"] = end
        memory["rss_at_run_mb"] = round(probes.rss_mb(), 1)
        # What `d` does, right after the frame that showed the failure.
        screen.call_later(screen.action_compare)
        return True

    def on_diff(screen: Screen, end: float) -> bool:
        compare = sys.modules.get("wflog_tui.ui.run_compare.screen")
        if compare is None or not isinstance(screen, compare.CompareScreen):
            return False
        comparison = screen.comparison
        node = screen.step_view.selected_node
        if comparison is None or node is None or node.entry is None:
            return False
        if node.entry.index != spec["divergence_index"]:
            return False
        marks["diff_shown"] = end
        memory["peak_mb"] = round(probes.peak_rss_mb(), 1)
        memory["rss_at_diff_mb"] = round(probes.rss_mb(), 1)
        diff = comparison.diff
        shown["baseline"] = (
            comparison.baseline.detail.summary.run_id if comparison.baseline else None
        )
        shown["reason"] = comparison.reason
        shown["differences"] = len(diff.differences) if diff else None
        shown["shape_only"] = diff.shape_only if diff else None
        shown["landed_on"] = [n.label for n in node.path]
        screen.app.exit()
        return True

    if memory_mode:
        import wflog_tui.ui.app  # noqa: F401  (imported now, so not counted as the runs')
    probe.watchers.extend([on_failure, on_diff])
    code = cli.run([*_cli_args(spec), "--run", spec["run_id"]])
    if "diff_shown" not in marks:
        where = "the run" if "run_shown" not in marks else "the diff"
        return {"error": f"{where} never reached the screen (exit code {code})"}
    spawned = spec["spawned_at"]
    return {
        "mode": "memory" if memory_mode else "time",
        "value_s": marks["diff_shown"] - spawned,
        "run_shown_s": marks["run_shown"] - spawned,
        "compare_s": marks["diff_shown"] - marks["run_shown"],
        "interpreter_s": MODULE_START - spawned,
        "imports_s": IMPORTED - MODULE_START,
        "load_started_s": marks["load_started"] - spawned,
        "rss_rise_mb": round(memory["peak_mb"] - memory["rss_before_mb"], 1),
        "memory": memory,
        "shown": shown,
        "frames": len(probe.frame_ms),
        "timings": timings.report(),
        "exit_code": code,
    }


async def _open_store(spec: dict[str, Any]):
    from wflog_tui.store import StoreSettings, open_store

    return await open_store(StoreSettings(dsn=spec["dsn"], table=spec["table"]))


def _app(store: Any, spec: dict[str, Any], statuses: frozenset[str] = frozenset()):
    from wflog_tui.store import RunFilter
    from wflog_tui.ui.app import WflogApp
    from wflog_tui.ui.config import AppConfig

    run_filter = RunFilter(statuses=statuses, since=timedelta(seconds=spec["since_s"]))
    config = AppConfig(run_filter=run_filter, refresh_s=spec["refresh_s"], animations=False)
    return WflogApp(store, config)


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def refresh(spec: dict[str, Any]) -> dict[str, Any]:
    """The RUNNING list with all of its rows loaded, over `cycles` refresh cycles.

    Each cycle is started with `RunListScreen.refresh_list` (what `space` does) as soon
    as the previous one is done, so the figure is the cost of a cycle whatever the app's
    pacing would do with it. Per cycle: the store's time for each query (`store.stats`:
    round trip and decoding), rows returned, the UI's time to apply the delta
    (`RunFeed.apply`) and the counts (`RunListScreen.show_counts`), and the frames rendered.
    """
    from textual.widgets import DataTable

    from wflog_tui.ui.run_list import RunListScreen

    store = await _open_store(spec)
    app = _app(store, spec, frozenset({"RUNNING"}))
    probe = FrameProbe()
    probe.install()
    cycles: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    measuring = False

    def record_queries(name: str) -> None:
        original = getattr(store, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            result = await original(*args, **kwargs)
            stat = store.stats.last[name]
            if measuring:
                current["queries"][name] = round(stat.ms, 2)
                current["rows"] += stat.rows
            return result

        setattr(store, name, timed)

    for name in ("fetch_delta", "count_by_status", "failures_per_minute"):
        record_queries(name)
    async with app.run_test(size=tuple(spec["size"])) as pilot:
        screen = app.screen
        assert isinstance(screen, RunListScreen)
        table = screen.query_one("#runs", DataTable)
        await _until(lambda: table.row_count > 0, 60, "the first page")
        # Load every RUNNING row, as a reader paging to the end would.
        feed = screen.feed
        while not feed.exhausted:
            before = table.row_count
            await pilot.press("end")
            await _until(
                lambda before=before: table.row_count > before or feed.exhausted,
                60,
                "an older page",
            )
        loaded = table.row_count

        def timed_method(owner: Any, name: str, field: str) -> None:
            original = getattr(owner, name)

            def timed(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    if measuring:
                        current[field] += (time.perf_counter() - start) * 1000

            setattr(owner, name, timed)

        timed_method(feed, "apply", "apply_ms")
        timed_method(screen, "show_counts", "counts_ms")
        original_schedule = feed.schedule
        cycle_done = asyncio.Event()

        def schedule() -> None:
            original_schedule()
            cycle_done.set()

        feed.schedule = schedule  # type: ignore[method-assign]
        # Let a cycle already under way finish before counting.
        await asyncio.sleep(0.3)
        measuring = True
        for _ in range(spec["cycles"]):
            current = {"queries": {}, "rows": 0, "apply_ms": 0.0, "counts_ms": 0.0}
            frames_before = len(probe.frame_ms)
            cycle_done.clear()
            screen.refresh_list()
            await asyncio.wait_for(cycle_done.wait(), 60)
            # The frame that shows the cycle's changes comes after the apply.
            await asyncio.sleep(0.1)
            current["db_ms"] = round(sum(current["queries"].values()), 2)
            current["frame_ms"] = round(sum(probe.frame_ms[frames_before:]), 2)
            cycles.append(current)
        measuring = False
    await store.close()
    per_query = {
        name: probes.summary([c["queries"][name] for c in cycles if name in c["queries"]])
        for name in ("fetch_delta", "count_by_status", "failures_per_minute")
    }
    return {
        "rows_loaded": loaded,
        "cycles": len(cycles),
        "db_ms": probes.summary([c["db_ms"] for c in cycles]),
        "per_query_ms": per_query,
        "rows_per_cycle": probes.summary([c["rows"] for c in cycles], 0),
        "ui_apply_ms": probes.summary([c["apply_ms"] for c in cycles]),
        "ui_counts_ms": probes.summary([c["counts_ms"] for c in cycles]),
        "frame_ms_per_cycle": probes.summary([c["frame_ms"] for c in cycles]),
    }


def _selected_key(table: DataTable) -> Any:
    from textual.coordinate import Coordinate

    if table.row_count == 0:
        return None
    return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value


async def keypress(spec: dict[str, Any]) -> dict[str, Any]:
    """Key to frame: `presses` downs while the list refreshes, then as many ups while paused.

    Each key goes in through the driver, as a terminal's would; its latency ends with the
    first frame in which the cursor is on a different run than before the key. Keys come
    10–50 ms after the previous frame (seeded), so they land in every phase of a refresh.
    The refresh keeps the app's own pacing (configured at 0.5 s; the app may slow it when
    queries are slow): a key counts as "during a refresh" when a store call was in flight
    or a delta was applied between the key and its frame.
    """
    from textual import events
    from textual.widgets import DataTable

    from wflog_tui.store import Store
    from wflog_tui.ui.run_list import RunListScreen

    busy: list[tuple[float, float]] = []

    def track(name: str) -> None:
        original = getattr(Store, name)

        async def tracked(*args: Any, **kwargs: Any) -> Any:
            start = probes.now()
            try:
                return await original(*args, **kwargs)
            finally:
                busy.append((start, probes.now()))

        setattr(Store, name, tracked)

    for name in ("fetch_page", "fetch_delta", "count_by_status", "failures_per_minute"):
        track(name)
    store = await _open_store(spec)
    app = _app(store, spec)
    probe = FrameProbe()
    probe.install()
    rng = random.Random(7)
    results: dict[str, Any] = {}
    async with app.run_test(size=tuple(spec["size"])) as pilot:
        screen = app.screen
        assert isinstance(screen, RunListScreen)
        table = screen.query_one("#runs", DataTable)
        await _until(lambda: table.row_count > 0, 60, "the first page")
        cycles: list[float] = []
        original_apply = screen.feed.apply

        def apply(*args: Any, **kwargs: Any) -> Any:
            start = probes.now()
            try:
                return original_apply(*args, **kwargs)
            finally:
                busy.append((start, probes.now()))
                if not kwargs.get("older") and not kwargs.get("initial"):
                    cycles.append(start)

        screen.feed.apply = apply  # type: ignore[method-assign]
        driver = app._driver
        assert driver is not None

        async def press(key: str) -> tuple[float, bool]:
            before = _selected_key(table)
            frame = probe.next_frame_where(lambda s: _selected_key(table) != before)
            event = events.Key(key, None)
            event.set_sender(app)
            start = probes.now()
            driver.send_message(event)
            end = await asyncio.wait_for(frame, 5.0)
            overlapped = any(b_start < end and b_end > start for b_start, b_end in busy[-8:])
            return (end - start) * 1000, overlapped

        for phase, key, paused in (("refreshing", "down", False), ("paused", "up", True)):
            if paused:
                await pilot.press("p")
                await _until(lambda: screen.feed.paused, 10, "pause")
                await asyncio.sleep(0.3)
            cycles_before = len(cycles)
            started = probes.now()
            quiet: list[float] = []
            during: list[float] = []
            for _ in range(spec["presses"]):
                latency, overlapped = await press(key)
                (during if overlapped else quiet).append(latency)
                await asyncio.sleep(rng.uniform(0.01, 0.05))
            results[phase] = {
                "ms": probes.summary(quiet + during),
                "ms_during_refresh": probes.summary(during),
                "ms_between_refreshes": probes.summary(quiet),
                "refresh_cycles": len(cycles) - cycles_before,
                "seconds": round(probes.now() - started, 1),
                "rows_loaded": table.row_count,
            }
        results["frame_ms"] = probes.summary(probe.frame_ms)
    await store.close()
    return results


async def search(spec: dict[str, Any]) -> dict[str, Any]:
    """The store's search, `times` times after one unmeasured run (see `floors.search`).

    `payload_eq` and `step_error` parse `query` and fetch the list's first page in the
    24 h window, as `/` in the list will; `in_run` asks `find_in_steps` for `needle`.
    """
    from wflog_tui.model.search_query import parse_query
    from wflog_tui.store import RunFilter

    store = await _open_store(spec)
    if spec["kind"] == "in_run":

        async def once() -> list[Any]:
            return await store.find_in_steps(spec["run_id"], spec["needle"])

    else:
        run_filter = RunFilter(
            query=parse_query(spec["query"]), since=timedelta(seconds=spec["since_s"])
        )

        async def once() -> list[Any]:
            return [run.id for run in await store.fetch_page(run_filter, limit=100)]

    await once()
    times = []
    for _ in range(spec["times"]):
        start = time.perf_counter()
        answer = await once()
        times.append((time.perf_counter() - start) * 1000)
    await store.close()
    return {
        "median_ms": probes.summary(times, 1)["median"],
        "ms": probes.summary(times, 1),
        "answer": answer,
    }


async def failure_groups(spec: dict[str, Any]) -> dict[str, Any]:
    """Failure groups of a `since_s` window, then the keys of the window before (for
    NEW), then the splitters of the biggest group, through the store's own functions.

    `db_ms` is the store's time (round trip, decoding and each row's group key,
    `store.stats`) summed over the window's pages; `previous_db_ms` the same for the
    window before, which a screen reads after painting the groups.
    """
    from wflog_tui.store import RunFilter
    from wflog_tui.store.failure_loading import (
        group_splitters,
        load_previous_keys,
        open_failure_log,
    )

    store = await _open_store(spec)
    db_ms: dict[str, float] = {}
    calls: dict[str, int] = {}
    record = store.stats.record

    def counting(name: str, ms: float, rows: int, **timing: float) -> None:
        db_ms[name] = db_ms.get(name, 0.0) + ms
        calls[name] = calls.get(name, 0) + 1
        record(name, ms, rows, **timing)

    store.stats.record = counting  # type: ignore[method-assign]
    run_filter = RunFilter(since=timedelta(seconds=spec["since_s"]))
    progress: list[int] = []
    try:
        start = time.perf_counter()
        log = await open_failure_log(store, run_filter, on_progress=progress.append)
        loaded = time.perf_counter()
        current_ms = db_ms.get("fetch_failures", 0.0)
        await load_previous_keys(store, log, run_filter)
        previous_loaded = time.perf_counter()
        groups = log.groups()
        grouped = time.perf_counter()
        biggest = max(groups, key=lambda g: g.count)
        report = await group_splitters(store, run_filter, log.window, biggest)
        split = time.perf_counter()
    finally:
        await store.close()
    return {
        "failures": len(log),
        "groups": len(groups),
        "new_groups": sum(g.new for g in groups),
        "db_ms": round(current_ms, 2),
        "previous_db_ms": round(db_ms.get("fetch_failures", 0.0) - current_ms, 2),
        "previous_ms": round((previous_loaded - loaded) * 1000, 2),
        "pages": calls.get("fetch_failures", 0),
        "progress_updates": len(progress),
        "load_ms": round((loaded - start) * 1000, 2),
        "group_ms": round((grouped - previous_loaded) * 1000, 2),
        "splitters_ms": round((split - grouped) * 1000, 2),
        "splitters_db_ms": round(db_ms.get("fetch_splitter_sample", 0.0), 2),
        "splitter_sample": [report.failing_total, report.passing_total],
        "biggest_group": biggest.count,
        "peak_rss_mb": probes.peak_rss_mb(),
    }


async def search_in_run_screen(spec: dict[str, Any]) -> dict[str, Any]:
    """In-run search on screen: the 100,000-entry run open (as its skeleton) and landed on
    its failure, `/`, the needle, then `enter` goes in through the driver; the figure ends
    with the first frame whose cursor is on the matching entry (`expected_index`).

    One landing per process: a second search would find the iteration's page of the
    tree already made. `store_ms` is the store's own time for the query (`store.stats`),
    so the rest (`value_ms - store_ms`) is the UI's: the lock, the landing, the frame.
    """
    from textual import events

    from wflog_tui.ui.app import WflogApp
    from wflog_tui.ui.config import AppConfig
    from wflog_tui.ui.run_view import RunScreen

    store = await _open_store(spec)
    config = AppConfig(open_run=spec["run_id"], refresh_s=60, animations=False)
    app = WflogApp(store, config)
    probe = FrameProbe()
    probe.install()

    def on_entry(index: int) -> Callable[[], bool]:
        def test() -> bool:
            screen = app.screen
            if not isinstance(screen, RunScreen) or screen.step_tree is None:
                return False
            node = screen.step_view.selected_node
            return node is not None and node.entry is not None and node.entry.index == index

        return test

    result: dict[str, Any] = {}
    async with app.run_test(size=tuple(spec["size"])) as pilot:
        await _until(on_entry(spec["fail_index"]), 60, "the landing on the failure")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        # A reader types for longer than the pages on screen take to fill: the search
        # starts with the view's query lock free, as it would.
        await _until(
            lambda: not screen.live.lock.locked() and screen.entry_fill.idle,
            60,
            "the pages on screen to fill",
        )
        await pilot.press("slash", *spec["needle"])
        driver = app._driver
        assert driver is not None
        landed = on_entry(spec["expected_index"])
        frame = probe.next_frame_where(lambda _screen: landed())
        event = events.Key("enter", None)
        event.set_sender(app)
        start = probes.now()
        driver.send_message(event)
        end = await asyncio.wait_for(frame, 30.0)
        matches = screen.step_search.matches
        node = screen.step_view.selected_node
        assert node is not None
        result = {
            "value_ms": (end - start) * 1000,
            "store_ms": store.stats.last["find_in_steps"].ms,
            "matches": None if matches is None else list(matches.indexes),
            "landed_on": [n.label for n in node.path],
            "tree_nodes": screen.step_view.node_count,
        }
    await store.close()
    return result


SCENARIOS = {
    "failure_groups": failure_groups,
    "first_paint": first_paint,
    "groups_first_paint": groups_first_paint,
    "open_run": open_run,
    "open_diff": open_diff,
    "refresh": refresh,
    "keypress": keypress,
    "search": search,
    "search_in_run_screen": search_in_run_screen,
}


def main() -> None:
    """Run one scenario and write its result."""
    name, spec, out = probes.child_args()
    function = SCENARIOS[name]
    try:
        if asyncio.iscoroutinefunction(function):
            result = asyncio.run(function(spec))
        else:
            result = function(spec)
    except Exception as exc:  # reported in the JSON, so one failing scenario is not the run
        result = {"error": f"{type(exc).__name__}: {exc}"}
    probes.write_result(out, result)


if __name__ == "__main__":
    main()
