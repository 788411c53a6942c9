"""Where the run list's rows come from: refreshes, older pages and push wake-ups.

The refresh loop never overlaps (see `live_refresh.py`): a worker fetches, the result is
rendered, and only then is the next fetch scheduled. Each cycle asks for what changed (rows
newer than the newest seen, and the rows shown as RUNNING), never for the whole list again;
the paging cursors that make this possible are kept here, and so is whether the loop runs
at all (paused by the reader, or the list covered by another screen). The screen decides
what is shown.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

from wflog_tui.model.run import RunSummary
from wflog_tui.model.timestamps import is_extreme
from wflog_tui.store import Header, PageCursor, Store, StoreError
from wflog_tui.store.notify import Listener, Wakeup
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.connection_state import retry_after_failure
from wflog_tui.ui.live_refresh import LiveRefresh

if TYPE_CHECKING:
    from wflog_tui.ui.run_list.screen import RunListScreen

PAGE_SIZE = 100
# Counts and the sparkline are fetched at most this often (and on every filter change).
HEADER_REFRESH_S = 10.0
# With LISTEN/NOTIFY, the list still refreshes this often without a notification.
PUSH_SAFETY_POLL_S = 30.0
# A search whose first page takes longer than this, with no index to serve it, says so.
SLOW_SEARCH_S = 0.5


class RunFeed:
    """The list's fetching: one refresh worker, one for older pages, one waiting for a push.

    Hosted by the list screen, whose `run_filter` it reads and whose `show_*` and
    `fetch_*` methods it calls with what it fetched; it retries a failed refresh itself.
    """

    def __init__(self, screen: RunListScreen, live: LiveRefresh) -> None:
        self.screen = screen
        self.live = live
        self.newest: PageCursor | None = None
        """The newest start seen (a delta reads from it on)."""
        self.oldest: PageCursor | None = None
        """The oldest start seen (the next older page reads from it back)."""
        self.exhausted = False
        """True once no older run is left to page in."""
        self.new_above = 0
        """Rows that went in above a reader who had scrolled away from the top."""
        self.listener: Listener | None = None
        self.push_reason: str | None = "not started"
        """Why the list polls instead of waking on LISTEN/NOTIFY; None while it listens."""
        self.lock_wait = False
        """Set while the pacer is slowed and reads were found waiting on a lock."""
        self.paused = False
        """True while the reader has paused the refresh (`p`)."""
        self.suspended = True
        """True while another screen covers the list (it does not refresh then)."""
        self.started = False
        """True once the list has first been on top (and began listening for pushes)."""
        self.loading_older = False
        self.generation = 0
        self.full_pending = True
        self.header_at = 0.0

    @property
    def store(self) -> Store:
        """The app's store."""
        return wflog_app(self.screen).store

    @property
    def gone(self) -> bool:
        """True once the screen is closing: a worker finishing then must touch nothing."""
        return not self.live.on_screen

    def resume(self) -> None:
        """The list is the screen on top: listen for pushes the first time, refresh now."""
        self.suspended = False
        if not self.started:
            self.started = True
            self.listen()
        self.refresh()

    def suspend(self) -> None:
        """Another screen covers the list: no refresh until it is back on top."""
        self.suspended = True
        self.cancel_timer()

    def toggle_pause(self) -> bool:
        """Pause the refresh, or resume it with a refresh now; True when now paused."""
        self.paused = not self.paused
        if self.paused:
            self.cancel_timer()
        else:
            self.refresh()
        return self.paused

    def change_rate(self, step: int) -> float:
        """Refresh every live view more often (-1) or less often (+1); the new period."""
        rate = self.live.change_rate(step)
        if not self.paused and self.live.scheduled:
            self.schedule()
        return rate

    def restart(self) -> None:
        """The filter changed: the next refresh reloads the first page, and answers to the
        old filter still under way are dropped."""
        self.generation += 1
        self.full_pending = True

    def refresh(self) -> None:
        """Start a refresh now: the whole first page after a filter change, else a delta."""
        if self.gone:
            return
        self.cancel_timer()
        self.screen.run_worker(self._refresh, group="list-refresh", exclusive=True)

    async def _refresh(self) -> None:
        # One worker for both kinds, so a timer firing during a reload can't replace the
        # reload with a delta against the old filter: a pending reload always wins.
        self.cancel_timer()
        store, run_filter, table = self.store, self.screen.run_filter, self.screen.table
        generation = self.generation
        full = self.full_pending or not table.runs
        running = [row_id for row_id in table.order if table.runs[row_id].is_running]
        # Counts and the sparkline read the whole window, the delta only what changed: they
        # are refreshed less often than the rows, and always with a new filter.
        header_due = full or time.monotonic() - self.header_at >= HEADER_REFRESH_S
        header: Header | None = None
        # The pacer takes the database's time, not the event loop's delays around it.
        with store.stats.measure() as spent:
            try:
                async with self.live.lock:
                    # Slowed: find out whether a lock, not a missing index, is the cause.
                    if self.live.pacer.slowed:
                        self.lock_wait = self.lock_wait or await store.reads_wait_on_a_lock()
                    else:
                        self.lock_wait = False
                    if full:
                        page = await store.fetch_page(run_filter, limit=PAGE_SIZE)
                    else:
                        delta = await store.fetch_delta(
                            run_filter, newest=self.newest, running_ids=running
                        )
                    if generation != self.generation or self.gone:
                        return
                    # The rows go on screen before the header's queries run: first paint
                    # waits for one query, not three.
                    if full:
                        self.full_pending = False
                        self._replace(page)
                    else:
                        self.apply(delta.new, delta.changed)
                        self.screen.status_line.replica_lag = delta.replica_lag
                    if header_due:
                        header = await store.fetch_header(run_filter, 60)
            except StoreError as exc:
                self._failed(exc, retry=True)
                return
        if generation != self.generation or self.gone:
            return
        if full:
            self.screen.status_line.search_slow = (
                self._last_query_ms("fetch_page") / 1000 > SLOW_SEARCH_S
            )
        self.screen.fetch_succeeded(spent.seconds)
        if header is not None:
            self.header_at = time.monotonic()
            self.screen.show_counts(header)
        self.schedule()

    def _failed(self, exc: StoreError, *, retry: bool) -> None:
        """A query failed: let the screen say why and, for a refresh (`retry`), retry it,
        paced by the store's wait after a refusal, else by the loop's backoff."""
        if self.gone:
            return
        if retry:
            # Only a refresh re-arms the loop: a failed page of older runs leaves the timer
            # (or its retry) alone, since cancelling it left nothing to ever retry.
            self.cancel_timer()
            if not self.paused and not self.suspended:
                retry_after_failure(self.live, self.store)
        self.screen.fetch_failed(exc)

    def _last_query_ms(self, name: str) -> float:
        """The database time of the store's last `name` call (not the UI's time between)."""
        stat = self.store.stats.last.get(name)
        return stat.db_ms if stat is not None else 0.0

    def fetch_older(self) -> None:
        """Append the next page of older runs (keyset paging), unless one is on its way."""
        if self.exhausted or self.oldest is None or self.loading_older:
            return
        self.loading_older = True
        self.screen.run_worker(self._fetch_older, group="list-older", exclusive=True)

    async def _fetch_older(self) -> None:
        generation = self.generation
        oldest = self.oldest
        try:
            async with self.live.lock:
                page = await self.store.fetch_page(
                    self.screen.run_filter, before=oldest, limit=PAGE_SIZE
                )
        except StoreError as exc:
            self._failed(exc, retry=False)
            return
        finally:
            self.loading_older = False
        if generation != self.generation or self.gone:
            return
        if len(page) < PAGE_SIZE:
            self.exhausted = True
        self.apply(page, [], older=True)

    def listen(self) -> None:
        """Refresh on LISTEN/NOTIFY when a trigger is installed; otherwise keep polling."""
        self.screen.run_worker(self._listen, group="list-listen", exclusive=True)

    async def _listen(self) -> None:
        channel = wflog_app(self.screen).config.notify_channel
        if not channel:
            self.push_reason = "push off"
            return
        listener = Listener(self.store, channel)
        async with self.live.lock:
            started = await listener.start()
        if self.gone:
            await listener.stop()
            return
        if started:
            self.listener = listener
            self.push_reason = None
            # Changes made before LISTEN took effect would be missed without one more fetch.
            self.refresh()
        else:
            self.push_reason = listener.reason
        self.screen.show_status()

    def schedule(self) -> None:
        """Arm the next refresh (a push wait or a timer), unless paused or covered."""
        self.cancel_timer()
        if not self.paused and not self.suspended:
            interval = self.live.interval()
            if self.listener is not None:
                self.screen.run_worker(
                    partial(self._wait_for_push, interval), group="list-push", exclusive=True
                )
            else:
                self.live.schedule(interval)
        self.screen.show_status()

    async def _wait_for_push(self, interval: float) -> None:
        # A notification wakes the list, but never sooner than the pacer allows; a safety
        # poll still runs, because counts and the window move with time alone.
        assert self.listener is not None
        wake = await self.listener.wait(
            max_wait=max(interval, PUSH_SAFETY_POLL_S), min_wait=interval
        )
        if self.gone or self.listener is None:
            return
        if wake is Wakeup.LOST:
            self.push_reason = self.listener.reason
            self.listener = None
        self.refresh()

    def cancel_timer(self) -> None:
        """Disarm the next refresh, timer or push wait."""
        self.live.cancel()
        self.screen.workers.cancel_group(self.screen, "list-push")

    async def stop(self) -> None:
        """Give the listening connection back before the store closes."""
        self.live.stop()
        self.cancel_timer()
        if self.listener is not None:
            listener, self.listener = self.listener, None
            await listener.stop()

    # ---- applying data --------------------------------------------------------------------

    def _replace(self, page: list[RunSummary]) -> None:
        table = self.screen.table
        selected = table.selected_id()
        table.clear_runs()
        self.newest = self.oldest = None
        self.exhausted = len(page) < PAGE_SIZE
        self.new_above = 0
        self.apply(page, [], initial=True)
        if selected in table.runs:
            table.move_cursor(row=table.get_row_index(selected), scroll=True)

    def apply(
        self,
        new: list[RunSummary],
        changed: list[RunSummary],
        *,
        initial: bool = False,
        older: bool = False,
    ) -> None:
        """Add new rows and update changed ones in place; keep the reader's place."""
        self.new_above += self.screen.table.apply(
            new, changed, keep=self._matches, initial=initial, older=older
        )
        for run in [*new, *changed]:
            self._track_cursors(run)
        self.screen.rows_changed()

    def _matches(self, run: RunSummary) -> bool:
        # The delta's overlap can bring rows of statuses the filter excludes when they
        # changed since; a status filter must still hold for rows added to the list.
        statuses = self.screen.run_filter.statuses
        return not statuses or run.status in statuses

    def _track_cursors(self, run: RunSummary) -> None:
        if run.started_at is None:
            return
        cursor = PageCursor(run.started_at, run.id)
        # A start at `infinity` or in year 12000 would hide every real new run from the
        # delta, which reads from the newest start on; it still pages exactly as oldest.
        newer = self.newest is None or (cursor.started_at, cursor.id) > (
            self.newest.started_at,
            self.newest.id,
        )
        if newer and not is_extreme(run.started_at):
            self.newest = cursor
        if self.oldest is None or (cursor.started_at, cursor.id) < (
            self.oldest.started_at,
            self.oldest.id,
        ):
            self.oldest = cursor
