"""Loading a run into the run view: the prefetched `--run` load or a fresh one, and what a
failed load says.

A first load replaces the header's "Loading run …"; a reload (`r`, or a tail that found the
log rewritten) keeps the run on screen, and a failure then only shows in the badge.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Final

from rich.text import Text

from wflog_tui.model.collector_pause import pause_collector
from wflog_tui.model.display_text import one_line
from wflog_tui.store import ConnectionLost, LoadedRun, QueryTimeout, StoreError, start_loading
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.run_view.header import RunHeader

if TYPE_CHECKING:
    from textual.timer import Timer

    from wflog_tui.ui.run_view.screen import RunScreen

# A first load that timed out or lost its connection is tried again by itself after these
# waits, then left to `r`: a client starved of CPU can stall between the statement's parse
# and its execution past statement_timeout (benchmarks/README.md, many viewers), and a
# reader who opened a run should not have to notice. Bounded, so a statement that is
# really too slow for the server is not sent again and again.
FIRST_LOAD_RETRIES_S: Final = (1.0, 2.0, 4.0)


class RunLoad:
    """Fetches the whole run for its screen, one load at a time (a new one replaces it)."""

    def __init__(self, screen: RunScreen) -> None:
        self.screen = screen
        self._retries = 0
        self._retry: Timer | None = None

    def start(self) -> None:
        """Fetch the run, then have the screen show it (first time) or merge it (reload)."""
        screen = self.screen
        if self._retry is not None:  # `r` before the retry's time: now instead
            self._retry.stop()
            self._retry = None
        # With `--run`, the command line started loading before the UI existed.
        prefetched = (
            wflog_app(screen).take_prefetched(screen.run_id) if screen.detail is None else None
        )
        if prefetched is not None and prefetched.done():
            # It came while the UI was being imported (a small run does): shown now, from
            # the screen's mount, so its very first frame is the run landed on.
            try:
                loaded = prefetched.result()
            except StoreError as error:
                self._failed(error)
                return
            self._show(loaded, pause_collector())
            return
        screen.run_worker(partial(self._load, prefetched), group="run-load", exclusive=True)

    async def _load(self, prefetched: asyncio.Future[LoadedRun | None] | None) -> None:
        screen = self.screen
        if screen.detail is None:
            header = screen.query_one(RunHeader)
            header.show_message(Text(f"Loading run {one_line(screen.run_id, 80)} …"))
        # The cyclic collector stays off until the run is on screen: the objects of a big
        # run would otherwise set off a full collection in the middle of landing on it.
        release = pause_collector()
        try:
            if prefetched is not None:
                loaded: LoadedRun | None = await prefetched
            else:
                async with screen.live.lock:
                    loaded = await start_loading(wflog_app(screen).store, screen.run_id)
        except StoreError as error:
            release()
            if screen.live.on_screen:
                self._failed(error)
            return
        except BaseException:
            release()
            raise
        if not screen.live.on_screen:
            release()
            return
        self._show(loaded, release)

    def _show(self, loaded: LoadedRun | None, release: Callable[[], None]) -> None:
        """Show `loaded` (None: there is no such run); `release` resumes the collector,
        once the run has been drawn."""
        if loaded is None:
            release()
            self._failed(None)
            return
        try:
            self.screen.show_run(loaded.detail, loaded.tree)
        except BaseException:
            release()
            raise
        self.screen.app.call_after_refresh(release)

    def _retry_now(self) -> None:
        self._retry = None
        if self.screen.live.on_screen and self.screen.detail is None:
            self.start()

    def _failed(self, error: StoreError | None) -> None:
        screen = self.screen
        if error is None:
            message = (
                f"No run {one_line(screen.run_id, 80)} here (or it is outside the organisation "
                "scope).\nPress esc to go back."
            )
        else:
            message = (
                f"Could not load run {one_line(screen.run_id, 80)}: "
                f"{one_line(error.message, 300)}\nPress r to try again, esc to go back."
            )
        if screen.detail is None:
            if isinstance(error, QueryTimeout | ConnectionLost) and self._retries < len(
                FIRST_LOAD_RETRIES_S
            ):
                delay = FIRST_LOAD_RETRIES_S[self._retries]
                self._retries += 1
                message = (
                    f"Could not load run {one_line(screen.run_id, 80)}: "
                    f"{one_line(error.message, 300)}\nTrying again in {delay:g} s "
                    f"({self._retries} of {len(FIRST_LOAD_RETRIES_S)}); r tries now, esc goes back."
                )
                self._retry = screen.set_timer(delay, self._retry_now)
            screen.query_one(RunHeader).show_message(Text(message, style="bold"))
        else:
            # A failed reload keeps the run on screen; the badge says what went wrong.
            screen.set_badge(Text(one_line(message, 300)), problem=True)
            screen.resume_tail()
