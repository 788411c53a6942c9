"""Regenerate the SVGs in screenshots/ from the demo data.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

Starts a throwaway embedded PostgreSQL, seeds the demo history (no live simulator, so
every shot is of settled data), drives the app headless and saves these screens: the run
list, a run that failed in iteration 4,812 of a 5,000-item loop, that step's data flow,
that run compared with its last good run, the help screen, the failure groups with the
staged refund incident selected, the list narrowed by a payload search, a search inside
the big run, and "Save view" over the list of a production profile.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from wflog_tui.demo.embedded import EmbeddedPostgres
from wflog_tui.demo.runner import prepare_demo
from wflog_tui.store import RunFilter, StoreSettings, open_store, parse_since
from wflog_tui.ui.app import WflogApp
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.failure_groups import FailureGroupsScreen
from wflog_tui.ui.run_compare import CompareScreen
from wflog_tui.ui.run_list import RunListScreen
from wflog_tui.ui.run_view import RunScreen

SIZE = (160, 46)
FAILED_LOOP_RUN = "01JDB42GC63GVPY3H3YAH04QTH"


async def _until(pilot: Pilot, ready: Callable[[], bool], what: str) -> None:
    for _ in range(400):
        await pilot.pause(0.05)
        if ready():
            await pilot.pause(0.3)
            return
    raise SystemExit(f"screenshots: gave up waiting for {what}")


def _list_ready(app: WflogApp) -> bool:
    screen = app.screen
    return isinstance(screen, RunListScreen) and len(screen.order) > 20


def _groups_ready(app: WflogApp) -> bool:
    """The groups painted with NEW, and the refund incident selected with its splitters."""
    screen = app.screen
    if not isinstance(screen, FailureGroupsScreen) or not screen.previous_read:
        return False
    selected = screen.table.selected
    return selected is not None and selected.key in screen.splitters.reports


def _run_ready(app: WflogApp) -> bool:
    screen = app.screen
    return (
        isinstance(screen, RunScreen)
        and screen.step_tree is not None
        and screen.step_view.selected_node is not None
    )


def _compare_ready(app: WflogApp) -> bool:
    screen = app.screen
    return (
        isinstance(screen, CompareScreen)
        and screen.comparison is not None
        and screen.step_view.selected_node is not None
    )


def _narrowed(app: WflogApp) -> bool:
    screen = app.screen
    return (
        isinstance(screen, RunListScreen)
        and screen.run_filter.query is not None
        and bool(screen.order)
        and all(run.status != "COMPLETED" for run in screen.runs.values())
    )


def _matched(app: WflogApp, position: str) -> bool:
    screen = app.screen
    if not isinstance(screen, RunScreen) or screen.step_search.matches is None:
        return False
    return position in screen.step_search.matches.status().plain


async def _shot(
    store,
    out: Path,
    name: str,
    config: AppConfig,
    steps: Callable[[Pilot, WflogApp], Awaitable[None]],
) -> None:
    app = WflogApp(store, config)
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot, app)
        app.save_screenshot(filename=f"{name}.svg", path=str(out))
    print(f"wrote {out / (name + '.svg')}")


async def main(out: Path) -> None:
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="wflog-shots-")) / "pg", cleanup=True)
    dsn = server.start()
    try:
        await prepare_demo(dsn)
        store = await open_store(StoreSettings(dsn=dsn))
        base = {"animations": False, "refresh_s": 60.0, "notify_channel": None}
        window = RunFilter(since=parse_since("24h"))
        try:

            async def run_list(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _list_ready(app), "the run list")

            async def failed_loop(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _run_ready(app), "the run view")

            async def data_flow(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _run_ready(app), "the run view")
                await pilot.press("tab", "5")
                await pilot.pause(1.5)

            async def compare(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _run_ready(app), "the run view")
                await pilot.press("d")
                await _until(pilot, lambda: _compare_ready(app), "the diff screen")

            async def help_screen(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _list_ready(app), "the run list")
                await pilot.press("question_mark")
                await pilot.pause(0.5)

            async def failure_groups(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _groups_ready(app), "the failure groups")
                screen = app.screen
                assert isinstance(screen, FailureGroupsScreen)
                # The staged incident (demo/refund_incident.py): yen refunds failing.
                groups = screen.table.groups
                incident = next((g for g in groups if g.key.step_id == "log_refund"), None)
                if incident is not None:
                    screen.table.move_cursor(row=screen.table.groups.index(incident))
                await _until(pilot, lambda: _groups_ready(app), "the incident's splitters")

            await _shot(store, out, "run-list", AppConfig(run_filter=window, **base), run_list)
            run = AppConfig(run_filter=window, open_run=FAILED_LOOP_RUN, **base)
            await _shot(store, out, "run-failed-loop-iteration", run, failed_loop)
            await _shot(store, out, "data-flow", run, data_flow)
            await _shot(store, out, "compare-last-good-run", run, compare)
            await _shot(store, out, "help", AppConfig(run_filter=window, **base), help_screen)
            groups = AppConfig(run_filter=window, open_groups=True, **base)
            await _shot(store, out, "failure-groups", groups, failure_groups)

            async def search(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _list_ready(app), "the run list")
                # The demo's staged incident: refunds in yen fail.
                await pilot.press("slash", *"input.data.object.currency=jpy -status:COMPLETED")
                await _until(pilot, lambda: _narrowed(app), "the search to narrow the list")

            await _shot(store, out, "search", AppConfig(run_filter=window, **base), search)

            # An e-mail of the CSV's row 3,000: in the parsed rows, the loop's collection
            # and the input of iteration 3,000, whose page of the skeleton is not loaded.
            parsed = await store.fetch_entries(FAILED_LOOP_RUN, [1])
            needle = parsed[1]["output"]["rows"][2999]["email"]

            async def run_search(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _run_ready(app), "the run view")
                await pilot.press("slash", *needle, "enter")
                await _until(pilot, lambda: _matched(app, "match 1 of 3"), "the first match")
                await pilot.press("n", "n")
                await _until(pilot, lambda: _matched(app, "match 3 of 3"), "the third match")

            await _shot(store, out, "run-search", run, run_search)

            async def save_view(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _list_ready(app), "the run list")
                await pilot.press("ctrl+s", *"jpy failures")
                await pilot.pause(0.5)

            prod = AppConfig(run_filter=window, profile="prod", profile_warning=True, **base)
            await _shot(store, out, "save-view", prod, save_view)
        finally:
            await store.close()
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(out))
