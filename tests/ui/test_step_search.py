"""Searching inside a run: `/`, the matches on screen, `n`/`N` between them, `esc` back to
failures, and a big run opened as a skeleton landing on a deep iteration's match."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.ui.harness import (
    cursor_path,
    loaded,
    open_palette,
    open_run,
    run_app,
    run_screen,
    screen_text,
    settle,
)
from tests.ui.step_entries import email, loop, three_failures, trigger
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.store import RunFilter
from wflog_tui.ui.app import WflogApp
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.help_screen import HelpScreen, bound_actions
from wflog_tui.ui.run_list import RunListScreen
from wflog_tui.ui.widgets.json_view import JsonView


def status_line(app) -> str:
    return str(run_screen(app).query_one("#step-search-status").render())


async def test_slash_finds_steps_and_n_moves_between_matches_until_esc(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        assert cursor_path(app) == ["Process Each User", "iteration 2", "send_email"]
        # Only the four e-mails' inputs hold the domain, in any case.
        await pilot.press("slash", *"@EXAMPLE.com", "enter")
        await settle(pilot, lambda: "match " in status_line(app))
        # Landed on the first match from the cursor: iteration 2 itself.
        assert "match 2 of 4" in status_line(app), status_line(app)
        assert cursor_path(app) == ["Process Each User", "iteration 2", "send_email"]
        await pilot.press("n")
        await settle(pilot, lambda: "match 3 of 4" in screen_text(app))
        assert cursor_path(app) == ["Process Each User", "iteration 3", "send_email"]
        await pilot.press("n", "n")
        await settle(pilot, lambda: "match 1 of 4" in screen_text(app))  # wrapped around
        assert cursor_path(app) == ["Process Each User", "iteration 1", "send_email"]
        await pilot.press("N")
        await settle(pilot, lambda: "match 4 of 4" in screen_text(app))
        assert cursor_path(app) == ["Process Each User", "iteration 4", "send_email"]
        # Keys work with the detail pane focused too.
        await pilot.press("tab", "n")
        await settle(pilot, lambda: "match 1 of 4" in screen_text(app))
        # esc ends the search: n moves between failures again.
        await pilot.press("escape")
        await settle(pilot, lambda: not run_screen(app).step_search.active)
        assert "match " not in screen_text(app)
        assert isinstance(app.screen, type(run_screen(app)))  # esc did not leave the run
        await pilot.press("n")
        await settle(
            pilot, lambda: cursor_path(app) == ["Process Each User", "iteration 2", "send_email"]
        )


def _selected(app, tab: str):
    return run_screen(app).detail_pane.query_one(f"#{tab}-json", JsonView).selected_path


async def test_a_match_opens_the_tab_that_holds_it_with_the_value_selected(table, open_store_for):
    steps = three_failures()
    steps[4]["output"] = {"receipt": {"ids": ["r-1", "MSG-777"]}}  # iteration 3
    row, store = await open_run(table, open_store_for, steps, status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        await settle(pilot, lambda: screen.detail_pane.active_tab == "error")  # on a failure
        await pilot.press("slash", *"msg-777", "enter")
        await settle(pilot, lambda: "match 1 of 1" in status_line(app))
        assert cursor_path(app) == ["Process Each User", "iteration 3", "send_email"]
        await settle(pilot, lambda: screen.detail_pane.active_tab == "output")
        assert _selected(app, "output") == ("receipt", "ids", 1)
        assert app.focused is screen.step_view
        # In an input, on a completed step: the Input tab, its key selected.
        await pilot.press("slash", "ctrl+u", *"USER1@", "enter")
        await settle(pilot, lambda: cursor_path(app)[-2:] == ["iteration 1", "send_email"])
        await settle(pilot, lambda: screen.detail_pane.active_tab == "input")
        assert _selected(app, "input") == ("to",)
        # In an error message: the Error tab.
        await pilot.press("slash", "ctrl+u", *"bounce for user4", "enter")
        await settle(pilot, lambda: cursor_path(app)[-2:] == ["iteration 4", "send_email"])
        await settle(pilot, lambda: screen.detail_pane.active_tab == "error")
        assert app.focused is screen.step_view


async def test_error_names_and_no_match(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("slash", *"channel_not", "enter")  # an error message
        await settle(pilot, lambda: "match 1 of 1" in screen_text(app))
        assert cursor_path(app) == ["Notify Sales"]
        await pilot.press("slash", "ctrl+u", *"Process Each", "enter")  # a step name
        await settle(pilot, lambda: "match 1 of 1" in screen_text(app))
        assert cursor_path(app) == ["Process Each User"]
        await pilot.press("slash", "ctrl+u", *"[b]nowhere", "enter")
        await settle(pilot, lambda: "no step mentions it" in screen_text(app))
        assert "/[b]nowhere" in screen_text(app)  # shown as typed, never as markup
        # esc in the prompt closes it; a second esc ends the search; a third goes back.
        await pilot.press("slash", "escape")
        assert "no step mentions it" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: "no step mentions it" not in screen_text(app))


async def test_a_big_run_opened_as_a_skeleton_lands_on_the_deep_iteration(
    table, open_store_for, monkeypatch
):
    from wflog_tui.store import run_loading

    monkeypatch.setattr(run_loading, "SKELETON_OVER_BYTES", 1)
    total = 3000
    items = [{"email": f"user{i}@example.com"} for i in range(1, total + 1)]
    steps: list[dict[str, Any]] = [trigger(), loop("loop_users", items)]
    steps += [email(n, total) for n in range(1, total + 1)]
    steps[2 + 2344]["output"] = {"receipt": {"customer": "ACME-4711"}}
    steps.append(email(total, total, "FAILED"))
    row, store = await open_run(table, open_store_for, steps, status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        assert isinstance(screen.step_tree.entries._raw, LogSkeleton)
        # Its payload is not loaded: only the server can find it.
        assert screen.step_tree.entries[2 + 2344].payload_pending
        await pilot.press("slash", *"acme-4711", "enter")
        await settle(pilot, lambda: "match 1 of 1" in screen_text(app))
        assert cursor_path(app) == ["Process Each User", "iteration 2,345", "send_email"]
        assert store.stats.last["find_in_steps"].rows == 1
        # The landed step is filled in and shown on the tab that holds the needle, the
        # value selected, the cursor still in the tree.
        await settle(pilot, lambda: "ACME-4711" in screen_text(app))
        pane = screen.detail_pane
        assert pane.active_tab == "output"
        assert _selected(app, "output") == ("receipt", "customer")
        assert app.focused is screen.step_view
        assert screen.step_view.node_count < 400  # one page of iterations, not 3,000


async def test_the_search_keys_are_in_the_help_and_the_palette(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        listed = await open_palette(pilot, "search in")
        assert "Search in this run  /" in listed
        await pilot.press("escape")
        # With no search on, n is the next failure and there is no match to move to.
        names = {entry.description for entry in bound_actions(app.screen)}
        assert {"Search in this run", "Next failure"} <= names
        assert not names & {"Next match", "Previous match", "Clear search"}
        await pilot.press("slash", *"bounce", "enter")
        await settle(pilot, lambda: "match 1 of 2" in status_line(app))
        names = {entry.description for entry in bound_actions(app.screen)}
        assert {"Next match", "Previous match", "Clear search"} <= names
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = screen_text(app)
        assert "Next match" in help_text and "Clear search" in help_text
        await pilot.press("escape")
        # The palette runs them as the keys do.
        listed = await open_palette(pilot, "next match")
        assert "Next match  n" in listed
        await pilot.press("enter")
        await settle(pilot, lambda: "match 2 of 2" in status_line(app))
        listed = await open_palette(pilot, "clear search")
        assert "Clear search  esc" in listed
        await pilot.press("enter")
        await settle(pilot, lambda: not run_screen(app).step_search.active)


async def test_the_list_offers_search_runs_and_the_grammar(table, open_store_for):
    store = await open_store_for(table)
    app = WflogApp(
        store,
        AppConfig(refresh_s=60, animations=False, run_filter=RunFilter(since=timedelta(hours=1))),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen))
        listed = await open_palette(pilot, "search")
        assert "Search runs  /" in listed
        assert "Search grammar  f1" in listed or "Search grammar  F1" in listed


async def test_esc_while_a_search_is_under_way_stays_in_the_run(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        # The view's query lock held, as by a page being filled: the search waits.
        async with screen.live.lock:
            await pilot.press("slash", *"bounce", "enter")
            await settle(pilot, lambda: "searching the whole run" in status_line(app))
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
            assert "searching" not in screen_text(app)
        await app.workers.wait_for_complete()
        assert not screen.step_search.active  # the search was dropped, not finished
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is not screen)
