"""Links to a step in the run view: landing where `--step/--iteration/--tab` asked, "Copy link
to this step" reopening exactly there through a real shell, and "Open in dashboard"."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from textual.command import CommandList, CommandPalette

from tests.database import run_row
from tests.ui.harness import loaded, run_app, screen_text, settle
from tests.ui.step_entries import entry, trigger
from wflog_tui.cli import build_parser
from wflog_tui.configuration import parse_arguments
from wflog_tui.model.step_link import StepLink
from wflog_tui.ui.run_view import RunScreen
from wflog_tui.ui.run_view.detail_pane import DetailPane

# A step id a shell would act on, were it not quoted.
HOSTILE_STEP = "send $(touch pwned) 'it'"


def _log() -> list[dict]:
    """A loop of three users; iteration 2 fails; the send step has a hostile id."""
    loop = entry(
        "loop_users",
        operation="builtin:loop",
        output={"collection": ["u1", "u2", "u3"], "totalItems": 3},
        t=1,
    )
    sends = [
        entry(
            HOSTILE_STEP,
            "FAILED" if number == 2 else "COMPLETED",
            operation="email",
            iteration=number,
            totalItems=3,
            input={"to": f"user{number}@example.com"},
            t=2 + number,
            **({"error": {"message": "bounce for user2"}} if number == 2 else {}),
        )
        for number in (1, 2, 3)
    ]
    return [trigger(), loop, *sends]


async def _store(table, open_store_for, **row):
    await table.insert(run_row(id="c1", run_id="01LINK", status="FAILED", steps_log=_log(), **row))
    return await open_store_for(table)


def _screen(app) -> RunScreen:
    screen = app.screen
    assert isinstance(screen, RunScreen)
    return screen


def _selected(app) -> tuple[str | None, int | None]:
    node = _screen(app).step_view.selected_node
    assert node is not None and node.entry is not None
    return node.entry.step_id, node.iteration


async def test_a_link_lands_on_the_step_iteration_and_tab(table, open_store_for):
    store = await _store(table, open_store_for)
    link = StepLink("01LINK", HOSTILE_STEP, 3, "input")
    app = run_app(store, "01LINK", open_step=link)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot, lambda: loaded(app))
        await settle(pilot, lambda: "user3@example.com" in screen_text(app))
        assert _selected(app) == (HOSTILE_STEP, 3)
        assert _screen(app).query_one(DetailPane).active_tab == "input"
        # The usual landing would be iteration 2's failure, on the Error tab.
        assert "bounce for user2" not in screen_text(app)


@pytest.mark.parametrize(
    ("link", "note"),
    [
        (StepLink("01LINK", "no_such_step"), "--step no_such_step: this run has no step with"),
        (StepLink("01LINK", HOSTILE_STEP, 9), "the step did not run in iteration 9"),
    ],
)
async def test_a_missing_step_or_iteration_says_so(table, open_store_for, link, note):
    store = await _store(table, open_store_for)
    app = run_app(store, "01LINK", open_step=link)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot, lambda: loaded(app))
        await settle(pilot, lambda: note in _notes(app))
        if link.iteration is None:
            # No such step: the run's failure, as without a link.
            assert _selected(app) == (HOSTILE_STEP, 2)
            assert "bounce for user2" in screen_text(app)
        else:
            # The step exists, not in that iteration: its first entry.
            assert _selected(app) == (HOSTILE_STEP, 1)


def _notes(app) -> str:
    """Every notification of the app, one per line."""
    return "\n".join(n.message for n in app._notifications)


def _through_bash(line: str) -> list[str]:
    """What a real shell hands the program when the line is pasted: argv after the name."""
    script = "wflog-tui() { printf '%s\\0' \"$@\"; }\n" + line
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout
    return out.decode().split("\0")[:-1]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
async def test_a_copied_link_reopens_the_same_step_and_tab(table, open_store_for):
    store = await _store(table, open_store_for)
    scope = ("--profile=prod $(x)",)
    app = run_app(store, "01LINK", link_scope=scope)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("]")  # iteration 2's failure -> iteration 3
        await settle(pilot, lambda: _selected(app) == (HOSTILE_STEP, 3))
        await pilot.press("tab", "5", "tab")  # the Data flow tab, focus back on the tree
        await settle(pilot, lambda: _screen(app).query_one(DetailPane).active_tab == "data-flow")
        await pilot.press("L")
        await settle(pilot, lambda: "Copied a link to this step" in _notes(app))
        copied = app.clipboard
    argv = _through_bash(copied)
    args = parse_arguments(build_parser(), argv)
    assert args.profile == "prod $(x)"
    link = StepLink(args.run, args.step, args.iteration, args.tab)
    assert link == StepLink("01LINK", HOSTILE_STEP, 3, "data-flow")
    # Opened again from what the shell gave back: the same step, iteration and tab.
    again = run_app(store, args.run, open_step=link)
    async with again.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(again))
        await settle(pilot, lambda: _screen(again).query_one(DetailPane).active_tab == "data-flow")
        assert _selected(again) == (HOSTILE_STEP, 3)


async def test_open_in_dashboard_copies_and_shows_the_url(table, open_store_for):
    store = await _store(table, open_store_for)
    app = run_app(store, "01LINK", dashboard_url="https://dash.example/runs/{run_id}?x={y}")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("o")
        url = "https://dash.example/runs/01LINK?x={y}"
        await settle(pilot, lambda: url in _notes(app))
        assert app.clipboard == url


async def test_without_a_dashboard_url_there_is_no_dashboard_action(table, open_store_for):
    store = await _store(table, open_store_for)
    app = run_app(store, "01LINK")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("o")
        await pilot.pause()
        assert app.clipboard == ""
        assert "Copied the dashboard link" not in _notes(app)


async def _palette(pilot, query: str) -> list[str]:
    """Open the palette, type `query`, and return the commands it lists."""
    await pilot.press("ctrl+p")
    await settle(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*query)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    commands = pilot.app.screen.query_one(CommandList)
    return [str(option.prompt).split("\n")[0] for option in commands.options]


async def test_the_palette_copies_a_link_and_opens_the_dashboard(table, open_store_for):
    store = await _store(table, open_store_for)
    app = run_app(store, "01LINK", dashboard_url="https://dash/{run_id}")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot, lambda: loaded(app))
        assert "Copy link to this step  L" in await _palette(pilot, "copy link")
        await pilot.press("enter")
        await settle(pilot, lambda: "Copied a link to this step" in _notes(app))
        assert "--step=" in app.clipboard
        assert "Open in dashboard  o" in await _palette(pilot, "dashboard")
        await pilot.press("enter")
        await settle(pilot, lambda: app.clipboard == "https://dash/01LINK")
