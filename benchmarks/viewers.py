"""Headless viewers for the many-viewers figures, several per process.

Run as `python -m benchmarks.viewers MODE SPEC_JSON OUT_PATH`, MODE being:

`apps`: real wflog-tui apps (`WflogApp` on its own store, as the command line makes
them, refresh 2 s, animations on), each driven by Textual's headless driver through
`App.run_test` and left alone: a list viewer is the app on its run list (`wflog-tui
--since 24h`), a tail viewer the app opened on a RUNNING run (`wflog-tui --run ID`), which
the run view follows. Several apps share one event loop: Textual keeps the running app
in a context variable (`textual._context.active_app`) that every task of the app
inherits, so apps in one loop do not see each other. What each app measures, from
inside, over the shared window (`measure_from` for `seconds`):

- the refresh intervals it actually got: the time between the starts of successive
  refresh cycles of its `LiveRefresh`, a start being the moment a refresh worker
  (Textual worker group `list-refresh` or `run-tail`) takes the view's query lock;
- the most queries it had in flight at once, counted at the asyncpg layer: every call of
  `asyncpg.Connection.fetch`, `fetchrow`, `fetchval`, `execute` and `executemany` made in
  the app's context, whichever store method, worker or lock it came through;
- its database time, by the store's own timing hook (`store.stats.measure()` around the
  whole app: every store call's asyncpg time less the event loop's stalls);
- the frames it rendered and the CPU time they took (the main thread's CPU clock, so time
  the process spent waiting for a core is not counted), and (per process) how late the
  event loop ran.

Nothing in the app is changed: the benchmark wraps `LiveRefresh.__init__` (to give the
view a lock that notes when it is taken), the asyncpg methods above, and
`Screen._compositor_refresh`; each wrapper calls the original.

`stores`: what the database sees without any terminal, for comparison: each viewer its own
store (its own pool, as a separate process would have) asking what the app's views ask
(the list: its first page and header, then each cycle the delta, and the header, counts
and sparkline, every `HEADER_REFRESH_S`; a tail: the run, then `fetch_steps_from` and
`replica_lag` each cycle), paced by `RefreshPacer`, with no rendering at all.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from benchmarks import probes
from wflog_tui.model.refresh_pacing import RefreshPacer
from wflog_tui.store import (
    PageCursor,
    RunFilter,
    Store,
    StoreError,
    StoreSettings,
    open_store,
)

# The list's own paging and header cadence, so the store loops ask what it asks.
from wflog_tui.ui.run_list.feed import HEADER_REFRESH_S, PAGE_SIZE

# The Textual worker groups whose taking of the view's lock starts a refresh cycle: the
# list's refresh (its first page, then each delta) and a run view's tail.
REFRESH_GROUPS = ("list-refresh", "run-tail")
# The asyncpg calls counted as queries in flight.
ASYNCPG_QUERIES = ("fetch", "fetchrow", "fetchval", "execute", "executemany")
# How often each process checks how late its event loop runs.
LAG_TICK_S = 0.1


def _intervals(starts: list[float], since: float, until: float) -> list[float]:
    """Gaps between successive starts, for the gaps that begin within [since, until]."""
    return [b - a for a, b in itertools.pairwise(starts) if since <= a <= until]


# ---- real apps ------------------------------------------------------------------------------


class AppMeasure:
    """What one app measured of itself."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.refresh_starts: list[float] = []
        self.lock_takes: dict[str, int] = {}
        self.in_flight = 0
        self.peak_in_flight = 0
        self.queries = 0
        self.frames: list[tuple[float, float]] = []
        """(end on the shared clock, CPU ms of rendering) of every frame."""
        self.db_s_at: dict[str, float] = {}
        self.queries_at: dict[str, int] = {}
        """The database time and the query count when the window began and ended."""
        self.at_end: dict[str, Any] = {}
        """The app when the window ended: its screen, the top lines shown, its workers."""
        self.error: str | None = None


class AppProbes:
    """The wrappers of one process, routing what they see to the app it happens in."""

    def __init__(self) -> None:
        self.by_app: dict[int, AppMeasure] = {}

    def watch(self, app: object, kind: str) -> AppMeasure:
        """Start measuring `app` (before it runs); the measure it will fill in."""
        measure = self.by_app[id(app)] = AppMeasure(kind)
        return measure

    def current(self) -> AppMeasure | None:
        """The measure of the app whose task is running, if any."""
        from textual._context import active_app

        try:
            app = active_app.get()
        except LookupError:
            return None
        return self.by_app.get(id(app))

    def install(self, patch: Callable[[Any, str, Any], None] = setattr) -> None:
        """Wrap the view's lock, asyncpg's query calls and the compositor, once per
        process; `patch` sets each wrapper (a test passes `monkeypatch.setattr`, which
        undoes them afterwards)."""
        import asyncpg
        from textual.screen import Screen

        from wflog_tui.ui.live_refresh import LiveRefresh

        probes_ = self

        class NotingLock(asyncio.Lock):
            """The view's lock, noting when a refresh worker takes it."""

            async def acquire(self) -> bool:  # type: ignore[override]
                from textual.worker import NoActiveWorker, get_current_worker

                taken = await super().acquire()
                measure = probes_.current()
                if measure is not None:
                    try:
                        group = get_current_worker().group
                    except NoActiveWorker:
                        group = "(no worker)"
                    measure.lock_takes[group] = measure.lock_takes.get(group, 0) + 1
                    if group in REFRESH_GROUPS:
                        measure.refresh_starts.append(probes.now())
                return taken

        original_init = LiveRefresh.__init__

        def init(live: LiveRefresh, *args: Any, **kwargs: Any) -> None:
            original_init(live, *args, **kwargs)
            live.lock = NotingLock()

        patch(LiveRefresh, "__init__", init)

        def counted(call: Callable[..., Any]) -> Callable[..., Any]:
            async def wrapper(conn: Any, *args: Any, **kwargs: Any) -> Any:
                measure = probes_.current()
                if measure is None:
                    return await call(conn, *args, **kwargs)
                measure.queries += 1
                measure.in_flight += 1
                measure.peak_in_flight = max(measure.peak_in_flight, measure.in_flight)
                try:
                    return await call(conn, *args, **kwargs)
                finally:
                    measure.in_flight -= 1

            return wrapper

        for name in ASYNCPG_QUERIES:
            patch(asyncpg.Connection, name, counted(getattr(asyncpg.Connection, name)))

        original_refresh = Screen._compositor_refresh

        def compositor_refresh(screen: Screen) -> None:
            start = time.thread_time()
            original_refresh(screen)
            measure = probes_.by_app.get(id(screen.app))
            if measure is not None:
                measure.frames.append((probes.now(), (time.thread_time() - start) * 1000))

        patch(Screen, "_compositor_refresh", compositor_refresh)


async def _loop_lag(until: float, lags: list[tuple[float, float]]) -> None:
    """Note how late a `LAG_TICK_S` sleep wakes up, until `until`: the loop's backlog."""
    while probes.now() < until:
        due = probes.now() + LAG_TICK_S
        await asyncio.sleep(LAG_TICK_S)
        woke = probes.now()
        lags.append((woke, max(0.0, woke - due)))


async def _one_app(
    store: Store, spec: dict[str, Any], viewer: dict[str, Any], found: AppProbes
) -> AppMeasure:
    """Run one app from `start_at` until the window ends; return what it measured."""
    from wflog_tui.ui.app import WflogApp
    from wflog_tui.ui.config import AppConfig

    config = AppConfig(
        run_filter=RunFilter(since=timedelta(seconds=spec["since_s"])),
        refresh_s=spec["refresh_s"],
        open_run=viewer.get("run_id"),
    )
    app = WflogApp(store, config)
    measure = found.watch(app, viewer["kind"])
    window_end = spec["measure_from"] + spec["seconds"]
    # The store's own timing hook, around the whole app: every task of the app inherits it.
    with store.stats.measure() as db_time:
        try:
            async with app.run_test(size=tuple(spec["size"])):
                await asyncio.sleep(max(0.0, spec["measure_from"] - probes.now()))
                measure.db_s_at["from"] = db_time.seconds
                measure.queries_at["from"] = measure.queries
                await asyncio.sleep(max(0.0, window_end - probes.now()))
                measure.db_s_at["until"] = db_time.seconds
                measure.queries_at["until"] = measure.queries
                measure.at_end = _state(app)
        except Exception as error:  # a viewer that crashed is reported, not fatal
            measure.error = f"{type(error).__name__}: {error}"
    return measure


def _state(app: Any) -> dict[str, Any]:
    """What `app` shows and does now: its screen, the first lines on screen, its workers
    (to tell a viewer that never refreshed from one that was only slow)."""
    strips = app.screen._compositor.render_strips()
    lines = [line for strip in strips[:12] if (line := strip.text.strip())]
    return {
        "screen": type(app.screen).__name__,
        "top_lines": [line[:120] for line in lines[:6]],
        "workers": sorted(f"{w.group}:{w.state.name}" for w in app.workers),
    }


def _app_report(measure: AppMeasure, spec: dict[str, Any]) -> dict[str, Any]:
    since, until = spec["measure_from"], spec["measure_from"] + spec["seconds"]
    intervals = _intervals(measure.refresh_starts, since, until)
    frames = [ms for end, ms in measure.frames if since <= end <= until]
    first = measure.refresh_starts[0] - spec["start_at"] if measure.refresh_starts else None
    db, queries = measure.db_s_at, measure.queries_at
    return {
        "kind": measure.kind,
        "cycles": sum(1 for t in measure.refresh_starts if since <= t <= until),
        "interval_s": probes.summary(intervals, 3),
        "intervals_s": [round(i, 3) for i in intervals],
        "first_refresh_after_start_s": None if first is None else round(first, 3),
        "db_s": round(db["until"] - db["from"], 4) if "until" in db else None,
        "queries": queries["until"] - queries["from"] if "until" in queries else None,
        "peak_in_flight": measure.peak_in_flight,
        "lock_takes": measure.lock_takes,
        "frames": len(frames),
        "frame_cpu_ms_total": round(sum(frames), 1),
        "errors": 1 if measure.error else 0,
        "first_error": measure.error,
        "at_end": measure.at_end,
    }


async def apps(spec: dict[str, Any]) -> dict[str, Any]:
    """Open every viewer's store, start the apps at `start_at`, run them through the
    window, and report each with this process's CPU and event-loop lag."""
    found = AppProbes()
    found.install()
    settings = StoreSettings(dsn=spec["dsn"], table=spec["table"])
    stores = [await open_store(settings) for _ in spec["viewers"]]
    await asyncio.sleep(max(0.0, spec["start_at"] - probes.now()))
    cpu_start = time.process_time()
    lags: list[tuple[float, float]] = []
    until = spec["measure_from"] + spec["seconds"]
    lag_task = asyncio.create_task(_loop_lag(until, lags))
    cpu_window: dict[str, float] = {}

    async def note_cpu() -> None:
        await asyncio.sleep(max(0.0, spec["measure_from"] - probes.now()))
        cpu_window["from"] = time.process_time()
        await asyncio.sleep(max(0.0, until - probes.now()))
        cpu_window["until"] = time.process_time()

    cpu_task = asyncio.create_task(note_cpu())
    try:
        measures = await asyncio.gather(
            *(_one_app(s, spec, v, found) for s, v in zip(stores, spec["viewers"], strict=True))
        )
    finally:
        await asyncio.gather(*(store.close() for store in stores))
    await lag_task
    await cpu_task
    in_window = [lag * 1000 for at, lag in lags if spec["measure_from"] <= at <= until]
    return {
        "viewers": [_app_report(m, spec) for m in measures],
        "cpu_s": round(time.process_time() - cpu_start, 2),
        "cpu_s_in_window": round(cpu_window["until"] - cpu_window["from"], 2)
        if "until" in cpu_window
        else None,
        "loop_lag_ms": probes.summary(in_window, 1),
    }


# ---- store-level loops ----------------------------------------------------------------------


class StoreLoop:
    """One store-level viewer's loop and what it saw."""

    def __init__(self, store: Store, spec: dict[str, Any], kind: str, run_id: str | None) -> None:
        self.store = store
        self.kind = kind
        self.run_id = run_id
        self.pacer = RefreshPacer(spec["refresh_s"])
        self.window = RunFilter(since=timedelta(seconds=spec["since_s"]))
        self.cycle_starts: list[float] = []
        self.query_ms: list[float] = []
        self.errors: list[str] = []

    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Refresh until the window ends (shared clock); return what it measured."""
        since, until = spec["measure_from"], spec["measure_from"] + spec["seconds"]
        step = self._list_cycle() if self.kind == "list" else self._tail_cycle()
        await step.__anext__()
        db_from: float | None = None
        with self.store.stats.measure() as db_time:
            while probes.now() < until:
                started = probes.now()
                if db_from is None and started >= since:
                    db_from = db_time.seconds
                self.cycle_starts.append(started)
                try:
                    await step.__anext__()
                except StoreError as error:
                    self.errors.append(error.message)
                took = probes.now() - started
                self.query_ms.append(took * 1000)
                self.pacer.record(took)
                await asyncio.sleep(max(0.0, min(self.pacer.next_interval(), until - probes.now())))
        intervals = _intervals(self.cycle_starts, since, until)
        return {
            "kind": self.kind,
            "cycles": sum(1 for t in self.cycle_starts if since <= t <= until),
            "interval_s": probes.summary(intervals, 3),
            "cycle_ms": probes.summary(self.query_ms),
            "db_s": None if db_from is None else round(db_time.seconds - db_from, 4),
            "peak_in_flight": self.store.stats.peak_in_flight,
            "errors": len(self.errors),
            "first_error": self.errors[0] if self.errors else None,
        }

    async def _list_cycle(self):  # type: ignore[no-untyped-def]
        """The list: first page and header, then each cycle the delta, and the header
        once `HEADER_REFRESH_S` have passed, as `RunFeed` does."""
        page = await self.store.fetch_page(self.window, limit=PAGE_SIZE)
        await self.store.fetch_header(self.window, 60)
        header_at = probes.now()
        newest = PageCursor.after(page[0]) if page else None
        running = {r.id for r in page if r.status == "RUNNING"}
        yield
        while True:
            delta = await self.store.fetch_delta(
                self.window, newest=newest, running_ids=sorted(running)
            )
            if probes.now() - header_at >= HEADER_REFRESH_S:
                await self.store.fetch_header(self.window, 60)
                header_at = probes.now()
            for run in delta.new + delta.changed:
                if run.status == "RUNNING":
                    running.add(run.id)
                else:
                    running.discard(run.id)
            if delta.new and (newest is None or delta.new[0].started_at > newest.started_at):
                newest = PageCursor.after(delta.new[0])
            yield

    async def _tail_cycle(self):  # type: ignore[no-untyped-def]
        """A running run followed: the run, then each cycle the entries after the last."""
        assert self.run_id is not None
        detail = await self.store.fetch_run(self.run_id)
        seen = len(detail.steps_log) if detail and isinstance(detail.steps_log, list) else 0
        yield
        while True:
            tail = await self.store.fetch_steps_from(self.run_id, seen)
            await self.store.replica_lag()
            seen = tail.total
            yield


async def stores(spec: dict[str, Any]) -> dict[str, Any]:
    """Open every viewer's store, wait for the shared start, run the loops, report each."""
    settings = StoreSettings(dsn=spec["dsn"], table=spec["table"])
    opened = [await open_store(settings) for _ in spec["viewers"]]
    loops = [
        StoreLoop(store, spec, v["kind"], v.get("run_id"))
        for store, v in zip(opened, spec["viewers"], strict=True)
    ]
    await asyncio.sleep(max(0.0, spec["start_at"] - probes.now()))
    try:
        results = await asyncio.gather(*(loop.run(spec) for loop in loops))
    finally:
        await asyncio.gather(*(store.close() for store in opened))
    return {"viewers": results, "cpu_s": round(time.process_time(), 2)}


def main() -> None:
    """Run one process's viewers (`apps` or `stores`) and write what each measured."""
    mode, spec, out = probes.child_args()
    run = {"apps": apps, "stores": stores}[mode]
    probes.write_result(out, asyncio.run(run(spec)))


if __name__ == "__main__":
    main()
