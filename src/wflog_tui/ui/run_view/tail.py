"""Tailing a running run: fetch what it logged since, merge it into the tree, say how it goes.

A worker fetches the entries from the first unfinished one on, the tree is updated in
place, and only then is the next fetch scheduled (see `live_refresh.py`), so a slow
database never gets overlapping queries. Paused, the newest answer is kept to apply on
resume, and the badge says how much it holds.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.text import Text

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.step_tree import build_tree
from wflog_tui.store import ConnectionLost, QueryTimeout, RunNotFound, StepsTail, StoreError
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.connection_state import replica_note, retry_after_failure
from wflog_tui.ui.live_refresh import LiveRefresh

if TYPE_CHECKING:
    from wflog_tui.ui.run_view.screen import RunScreen


class RunTail:
    """The tail of one run view: following or paused, and what arrived while paused."""

    def __init__(self, screen: RunScreen, live: LiveRefresh) -> None:
        self.screen = screen
        self.live = live
        self.following = True
        """Apply what arrives (True), or keep it for later (paused to read)."""
        self.pending: StepsTail | None = None
        """The newest answer that came while paused."""
        self.news = ""
        """A failure the reader was not moved to (`failed at … — press n`), until they go."""
        self.replica_lag: timedelta | None = None
        """How far behind a hot standby was at the last tail (None: not behind, or primary)."""

    def cycle(self) -> None:
        """Fetch and apply one tail (what the refresh timer calls)."""
        self.screen.run_worker(self._tail, group="run-tail", exclusive=True)

    def start_or_stop(self, running: bool) -> None:
        """Arm the next tail while the run is `running`, else stop; say which in the badge."""
        if running:
            self.live.schedule()
        else:
            self.screen.stop_timers()
        self.update_badge()
        self.screen.refresh_bindings()

    def change_rate(self, step: int) -> None:
        """Tail (and refresh every live view) more often (-1) or less often (+1), at once."""
        rate = self.live.change_rate(step)
        self.screen.notify(f"Refreshing every {rate:g}s", markup=False)
        if self.live.scheduled:
            self.live.schedule()
        self.update_badge()

    def cancel(self) -> None:
        """Drop the next cycle and any under way (a reload replaces them)."""
        self.live.cancel()
        self.screen.workers.cancel_group(self.screen, "run-tail")

    def toggle_follow(self) -> None:
        """Follow (apply what is kept, then what arrives) or pause."""
        self.following = not self.following
        if self.following and self.pending is not None:
            self.screen.run_worker(self._merge_pending, group="run-tail", exclusive=True)
        self.update_badge()

    def clear(self) -> None:
        """A fresh load replaced the run: what was kept is stale."""
        self.pending = None

    async def _tail(self) -> None:
        """Fetch what the run logged since the first unfinished entry, then apply it."""
        screen = self.screen
        if screen.step_tree is None:
            return
        start = screen.step_tree.first_unfinished_index()
        store = wflog_app(screen).store
        # The pacer takes the database's time, not the event loop's delays around it.
        with store.stats.measure() as spent:
            try:
                async with self.live.lock:
                    tail = await store.fetch_steps_from(screen.run_id, start)
                    self.replica_lag = await store.replica_lag()
            except RunNotFound:
                if self.live.on_screen:
                    screen.stop_timers()
                    screen.set_badge(
                        Text("The run is gone from the table; not tailing."), problem=True
                    )
                return
            except StoreError as error:
                if self.live.on_screen:
                    self._failed(error)
                return
        if not self.live.on_screen:
            return
        self.live.succeeded(spent.seconds)
        if self.following:
            await self._merge(tail)
        else:
            self.pending = tail
            self._update_header_status(tail)
        self._after(tail)

    async def _merge_pending(self) -> None:
        """Apply the tail kept while paused (the reader just resumed following)."""
        tail = self.pending
        if tail is None:
            return
        await self._merge(tail)
        self._after(tail)

    def _after(self, tail: StepsTail) -> None:
        if self.live.on_screen:
            self.start_or_stop(st.normalise(tail.status) == st.RUNNING)

    def _failed(self, error: StoreError) -> None:
        """Keep what is shown, say since when it is stale, and retry with a backoff."""
        delay = retry_after_failure(self.live, wflog_app(self.screen).store)
        assert self.live.trouble_since is not None
        since = self.live.trouble_since.strftime("%H:%M:%S UTC")
        if isinstance(error, ConnectionLost):
            what = f"disconnected since {since}"
        elif isinstance(error, QueryTimeout):
            what = f"database too slow (query timed out) since {since}"
        else:
            what = f"refresh failing since {since}: {one_line(error.message, 120)}"
        self.screen.set_badge(Text(f"{what}, retrying in {delay:.0f} s"), problem=True)

    async def _merge(self, tail: StepsTail) -> None:
        """Merge a tail into the raw entries, rebuild the model off the UI thread, then
        have the screen show it."""
        screen = self.screen
        previous, detail = screen.step_tree, screen.detail
        assert previous is not None and detail is not None
        self.pending = None
        if tail.total < tail.start or tail.start > len(screen.raw):
            # The log shrank or skipped ahead: it was rewritten, not appended to.
            screen.reload()
            return
        status = st.normalise(tail.status)
        raw, tree = screen.raw, previous
        if isinstance(detail.steps_log, list | LogSkeleton) or tail.total:
            # A new list: the tree shown keeps reading the one it was built from.
            if isinstance(raw, LogSkeleton):
                raw = raw.with_tail(tail.start, tail.entries)
            else:
                raw = raw[: tail.start] + list(tail.entries)
            tree = await asyncio.to_thread(
                build_tree,
                raw,
                run_status=status,
                run_ended_at=tail.ended_at,
                previous=previous,
                start=tail.start,
            )
        if not self.live.on_screen or screen.step_tree is not previous:
            return
        summary = replace(
            detail.summary, status=status, ended_at=tail.ended_at, duration_ms=tail.duration_ms
        )
        steps_log = raw if tree is not previous else detail.steps_log
        detail = replace(detail, summary=summary, error=tail.error, steps_log=steps_log)
        screen.show_merged(raw, detail, tree)

    def _update_header_status(self, tail: StepsTail) -> None:
        """Paused: the header still says how the run stands."""
        screen = self.screen
        assert screen.detail is not None
        run = replace(
            screen.detail.summary,
            status=st.normalise(tail.status),
            ended_at=tail.ended_at,
            duration_ms=tail.duration_ms,
        )
        screen.detail = replace(screen.detail, summary=run, error=tail.error)
        screen.show_header()

    def _new_while_paused(self) -> int:
        if self.pending is None:
            return 0
        return max(0, self.pending.total - len(self.screen.raw))

    def update_badge(self) -> None:
        """Say whether the run is tailed, paused (and what arrived meanwhile) or over, and
        what failed while the reader was elsewhere."""
        detail = self.screen.detail
        if detail is None:
            return
        if self.news:
            self.screen.set_badge(Text(self.news, style="bold"), problem=True)
            return
        running = detail.summary.is_running
        if self.following and not self.live.scheduled and not running:
            word = one_line(st.word(detail.summary.status), 30)
            self.screen.set_badge(Text(f"run {word} · not tailing"))
            return
        if self.following:
            text = Text("TAIL ●", style="bold")
            text.append(f"  following · every {self.live.interval():g} s · f to pause")
            slowed = self.live.pacer.reason()
            if slowed:
                text.append(f"  · {slowed}")
            text.append_text(replica_note(self.replica_lag))
            self.screen.set_badge(text, following=True)
            return
        text = Text("PAUSED", style="bold")
        new = self._new_while_paused()
        if new:
            text.append(f"  +{new:,} new step{'s' if new != 1 else ''}", style="bold")
        if self.pending is not None and st.normalise(self.pending.status) != st.RUNNING:
            text.append("  · the run has ended")
        text.append("  · f to follow")
        self.screen.set_badge(text)
