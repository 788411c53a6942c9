"""Driving the app in a Pilot test: build it on a store, wait for a state, read the screen.

Every UI test module imports its helpers from here (never from another test module), so a
test file can be moved, split or deleted without breaking its neighbours.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable

from tests.database import run_row
from wflog_tui.store import RunFilter
from wflog_tui.ui.app import WflogApp
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.run_list import RunListScreen
from wflog_tui.ui.run_view import RunScreen

# How long `settle` waits before failing. Generous because the machine running the suite may
# be shared and busy: a passing test returns as soon as its condition holds, so only a test
# that is going to fail anyway pays for it.
SETTLE_TIMEOUT_S = 15.0
# How often `settle` looks again: short next to the refresh periods the tests use (0.1 s+).
SETTLE_POLL_S = 0.02

NOW = datetime.now(UTC).replace(microsecond=0)


def screen_text(app: App) -> str:
    """The whole screen as text, one line per terminal row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


async def settle(
    pilot: Any, condition: Callable[[], bool], *, within: float = SETTLE_TIMEOUT_S
) -> None:
    """Let workers, timers and refreshes run until `condition()` holds.

    Fails with the screen's text if it does not hold within `within` seconds, so a test
    waits exactly as long as the app needs and a broken feature says what was on screen.
    """
    deadline = asyncio.get_running_loop().time() + within
    while True:
        await pilot.pause(SETTLE_POLL_S)
        if condition():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"not reached within {within:g} s: {_source_of(condition)}\n"
                "the screen shows:\n" + screen_text(pilot.app)
            )


async def queries_done(pilot: Any, store: Any, count: int = 1, **wait: float) -> None:
    """Wait until `store` has answered `count` more queries: that many refreshes (or loads)
    have come back, so what the screen shows is what they fetched."""
    start = store.stats.calls
    await settle(pilot, lambda: store.stats.calls >= start + count, **wait)


def _source_of(condition: Callable[[], bool]) -> str:
    """The condition's source lines, to say which wait failed."""
    try:
        return inspect.getsource(condition).strip()
    except (OSError, TypeError):
        return repr(condition)


def recent(minutes_ago: float, **fields: Any) -> dict:
    """A run row that started `minutes_ago` before the suite started and took 2 s."""
    started = NOW - timedelta(minutes=minutes_ago)
    fields.setdefault("ended_at", started + timedelta(seconds=2))
    return run_row(started_at=started, **fields)


def list_app(store: Any, **config: Any) -> WflogApp:
    """The whole app, opening on the run list, with a fast refresh and no animations."""
    config.setdefault("refresh_s", 0.2)
    config.setdefault("animations", False)
    # Shared test machines are slow: the pacing test sets its own budget.
    config.setdefault("query_budget", 1.0)
    config.setdefault("run_filter", RunFilter(since=timedelta(hours=24)))
    return WflogApp(store, AppConfig(**config))


def table_of(app: App) -> DataTable:
    """The run list's table."""
    return app.screen.query_one("#runs", DataTable)


def run_ids(app: App) -> list[str]:
    """The run ids the run list shows, top to bottom."""
    screen = app.screen
    assert isinstance(screen, RunListScreen)
    return [screen.runs[key].run_id for key in screen.order]


def run_screen(app: App) -> RunScreen:
    """The run view the app shows now (fails if it shows something else)."""
    screen = app.screen
    assert isinstance(screen, RunScreen)
    return screen


def cursor_path(app: App) -> list[str]:
    """The labels from the step tree's root down to the node under the cursor."""
    node = run_screen(app).step_view.selected_node
    assert node is not None
    return [n.label for n in node.path]


def tree_lines(app: App) -> list[str]:
    """The text of every row the step tree shows now."""
    view = run_screen(app).step_view
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


async def open_run(table: Any, open_store_for: Any, steps_log: Any, **fields: Any) -> tuple:
    """Insert one run with `steps_log` into `table`: (its row, a store open on the table)."""
    row = run_row(steps_log=steps_log, **fields)
    await table.insert(row)
    store = await open_store_for(table)
    return row, store


def workers_idle(app: App, *groups: str) -> bool:
    """No worker (of `groups`, when named) is running: what a key or a timer started has
    ended, its result or its error handled. Textual drops a worker once it is done."""
    return not any(not groups or worker.group in groups for worker in app.workers)


class RunOnlyApp(WflogApp):
    """The app with only the run view on its stack.

    The run list has tests of its own; without it, the only queries and timers in these
    tests are the run view's, so what they wait for is what they assert on.
    """

    # Textual reads CSS_PATH beside the class's own module; the app's is beside app.py.
    CSS_PATH = Path(inspect.getfile(WflogApp)).with_name("app.tcss")

    def on_mount(self, event: events.Mount) -> None:
        # Textual calls every class's on_mount; this one replaces WflogApp's.
        event.prevent_default()
        assert self.config.open_run is not None
        self.push_screen(RunScreen(self.config.open_run))


def run_app(store: Any, run_id: str, **config: Any) -> WflogApp:
    """The app showing only the run view of `run_id`, with a fast tail and no animations."""
    config.setdefault("refresh_s", 0.1)
    config.setdefault("animations", False)
    # Test queries are a large share of a 0.1 s period; pacing is tested on its own.
    config.setdefault("query_budget", 1.0)
    return RunOnlyApp(store, AppConfig(open_run=run_id, **config))


def loaded(app: App) -> bool:
    """The run is fetched and on screen: its tree has a place in the last layout (what
    `screen_text` reads), not only a model."""
    screen = app.screen
    return (
        isinstance(screen, RunScreen)
        and screen.step_tree is not None
        and screen.step_view.region.height > 0
    )


async def open_palette(pilot, query: str = "") -> list[str]:
    """Open the palette, type `query`, and return the commands it lists, one line each."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    if query:
        await pilot.press(*query)
    # The palette gathers results in a worker and shows them in batches.
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    commands = pilot.app.screen.query_one(CommandList)
    return [str(option.prompt).split("\n")[0] for option in commands.options]
