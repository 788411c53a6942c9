"""Loading a run into the run view: the prefetched `--run` load or a fresh one, and what a
failed load says.

A first load replaces the header's "Loading run …"; a reload (`r`, or a tail that found the
log rewritten) keeps the run on screen, and a failure then only shows in the badge.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text

from wflog_tui.model.collector_pause import pause_collector
from wflog_tui.model.display_text import one_line
from wflog_tui.store import LoadedRun, StoreError, load_run
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.run_view.header import RunHeader

if TYPE_CHECKING:
    from wflog_tui.ui.run_view.screen import RunScreen


class RunLoad:
    """Fetches the whole run for its screen, one load at a time (a new one replaces it)."""

    def __init__(self, screen: RunScreen) -> None:
        self.screen = screen

    def start(self) -> None:
        """Fetch the run, then have the screen show it (first time) or merge it (reload)."""
        screen = self.screen
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
                    loaded = await load_run(wflog_app(screen).store, screen.run_id)
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
            screen.query_one(RunHeader).show_message(Text(message, style="bold"))
        else:
            # A failed reload keeps the run on screen; the badge says what went wrong.
            screen.set_badge(Text(one_line(message, 300)), problem=True)
            screen.resume_tail()
