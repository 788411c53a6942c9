"""Regenerate the SVGs in screenshots/ from the demo data.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

Starts a throwaway embedded PostgreSQL, seeds the demo history (no live simulator, so
every shot is of settled data), drives the app headless and saves five screens: the run
list, a run that failed in iteration 4,812 of a 5,000-item loop, that step's data flow,
the help screen, and "Save view" over the list of a production profile.
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


def _run_ready(app: WflogApp) -> bool:
    screen = app.screen
    return isinstance(screen, RunScreen) and screen.step_tree is not None and screen.step_view.selected_node is not None


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
    out.mkdir(parents=True, exist_ok=True)
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

            async def help_screen(pilot: Pilot, app: WflogApp) -> None:
                await _until(pilot, lambda: _list_ready(app), "the run list")
                await pilot.press("question_mark")
                await pilot.pause(0.5)

            await _shot(store, out, "run-list", AppConfig(run_filter=window, **base), run_list)
            run = AppConfig(run_filter=window, open_run=FAILED_LOOP_RUN, **base)
            await _shot(store, out, "run-failed-loop-iteration", run, failed_loop)
            await _shot(store, out, "data-flow", run, data_flow)
            await _shot(store, out, "help", AppConfig(run_filter=window, **base), help_screen)

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
    asyncio.run(main(parser.parse_args().out))
