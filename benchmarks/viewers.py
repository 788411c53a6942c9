"""Headless viewers for the many-viewers figure, several per process.

Run as `python -m benchmarks.viewers group SPEC_JSON OUT_PATH`. Each viewer is what one
engineer's wflog-tui asks of the database, without the terminal: its own store (its own
pool, as a separate process would have), and either the run list's refresh loop (first
page, then each cycle the delta, the counts and the sparkline, paced by `RefreshPacer` as
the list is) or a running run followed live (the run, then `fetch_steps_from` each cycle).
Rendering is left out on purpose: fifty Textual apps on two cores would measure the
terminal side, and the figure is about what the database sees.

Every viewer starts at `start_at` on the shared clock and stops after `seconds`. Each
reports its cycles, the intervals it actually got, the time its queries took, the most
queries it ever had in flight at once (`StoreStats.peak_in_flight`), and its errors.
"""

from __future__ import annotations

import asyncio
import time
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


class Viewer:
    """One viewer's loop and what it saw."""

    def __init__(self, store: Store, spec: dict[str, Any], kind: str, run_id: str | None) -> None:
        self.store = store
        self.kind = kind
        self.run_id = run_id
        self.pacer = RefreshPacer(spec["refresh_s"])
        self.window = RunFilter(since=timedelta(seconds=spec["since_s"]))
        self.cycle_starts: list[float] = []
        self.query_ms: list[float] = []
        self.errors: list[str] = []

    async def run(self, until: float) -> dict[str, Any]:
        """Refresh until `until` (shared clock); return what it measured."""
        step = self._list_cycle() if self.kind == "list" else self._tail_cycle()
        await step.__anext__()
        while probes.now() < until:
            started = probes.now()
            self.cycle_starts.append(started)
            try:
                await step.__anext__()
            except StoreError as error:
                self.errors.append(error.message)
            took = probes.now() - started
            self.query_ms.append(took * 1000)
            self.pacer.record(took)
            await asyncio.sleep(max(0.0, min(self.pacer.next_interval(), until - probes.now())))
        intervals = [b - a for a, b in zip(self.cycle_starts, self.cycle_starts[1:], strict=False)]
        return {
            "kind": self.kind,
            "cycles": len(self.cycle_starts),
            "interval_s": probes.summary(intervals, 3),
            "cycle_ms": probes.summary(self.query_ms),
            "query_ms_total": round(sum(self.query_ms), 1),
            "peak_in_flight": self.store.stats.peak_in_flight,
            "errors": len(self.errors),
            "first_error": self.errors[0] if self.errors else None,
        }

    async def _list_cycle(self):  # type: ignore[no-untyped-def]
        """The list: first page, then each cycle delta + counts + sparkline."""
        page = await self.store.fetch_page(self.window)
        newest = PageCursor.after(page[0]) if page else None
        running = {r.id for r in page if r.status == "RUNNING"}
        yield
        while True:
            delta = await self.store.fetch_delta(
                self.window, newest=newest, running_ids=sorted(running)
            )
            await self.store.count_by_status(self.window)
            await self.store.failures_per_minute(self.window)
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
            seen = tail.total
            yield


async def group(spec: dict[str, Any]) -> dict[str, Any]:
    """Open every viewer's store, wait for the shared start, run them all, report each."""
    settings = StoreSettings(dsn=spec["dsn"], table=spec["table"])
    stores = [await open_store(settings) for _ in spec["viewers"]]
    viewers = [
        Viewer(store, spec, v["kind"], v.get("run_id"))
        for store, v in zip(stores, spec["viewers"], strict=True)
    ]
    await asyncio.sleep(max(0.0, spec["start_at"] - probes.now()))
    until = spec["start_at"] + spec["seconds"]
    try:
        results = await asyncio.gather(*(v.run(until) for v in viewers))
    finally:
        await asyncio.gather(*(store.close() for store in stores))
    return {"viewers": results, "cpu_s": round(time.process_time(), 2)}


def main() -> None:
    """Run one group of viewers and write what each measured."""
    _, spec, out = probes.child_args()
    probes.write_result(out, asyncio.run(group(spec)))


if __name__ == "__main__":
    main()
