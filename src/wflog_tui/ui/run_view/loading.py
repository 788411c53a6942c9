"""Loading a run into the run view: the prefetched `--run` load or a fresh one, and what a
failed load says.

A first load replaces the header's "Loading run …"; a reload (`r`, or a tail that found the
log rewritten) keeps the run on screen, and a failure then only shows in the badge.
"""

from __future__ import annotations

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
        self.screen.run_worker(self._load, group="run-load", exclusive=True)

    async def _load(self) -> None:
        screen = self.screen
        header = screen.query_one(RunHeader)
        first = screen.detail is None
        if first:
            header.show_message(Text(f"Loading run {one_line(screen.run_id, 80)} …"))
        # With `--run`, the command line started loading before the UI existed.
        prefetched = wflog_app(screen).take_prefetched(screen.run_id) if first else None
        # The cyclic collector stays off until the run is on screen: the objects of a big
        # run would otherwise set off a full collection in the middle of landing on it.
        release = pause_collector()
        shown = False
        try:
            try:
                if prefetched is not None:
                    loaded: LoadedRun | None = await prefetched
                else:
                    async with screen.live.lock:
                        loaded = await load_run(wflog_app(screen).store, screen.run_id)
            except StoreError as error:
                if screen.live.on_screen:
                    self._failed(error)
                return
            if not screen.live.on_screen:
                return
            if loaded is None:
                self._failed(None)
                return
            screen.show_run(loaded.detail, loaded.tree)
            shown = True
        finally:
            if shown:
                screen.app.call_after_refresh(release)  # once the run has been drawn
            else:
                release()

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
