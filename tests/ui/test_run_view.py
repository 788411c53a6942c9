"""The run view as the person on call meets it: open a run, land on its failure, move, tail."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.ui.harness import (
    cursor_path,
    loaded,
    open_run,
    run_app,
    run_screen,
    screen_text,
    settle,
    tree_lines,
    workers_idle,
)
from tests.ui.step_entries import T0, email, entry, loop, three_failures, trigger
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.step_tree import NodeKind
from wflog_tui.store import ConnectionLost, QueryTimeout, load_run
from wflog_tui.ui.app import WflogApp
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.run_view import RunScreen
from wflog_tui.ui.run_view.detail_pane import DetailPane
from wflog_tui.ui.run_view.entry_fill import EntryRequest
from wflog_tui.ui.run_view.header import RunHeader
from wflog_tui.ui.widgets.json_view import JsonView


async def test_the_app_opens_a_run_over_the_list_and_esc_goes_back(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    # A long refresh period: the list fetches once, so nothing is in flight when the test ends.
    app = WflogApp(store, AppConfig(open_run=row["run_id"], refresh_s=60, animations=False))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        assert cursor_path(app) == ["Process Each User", "iteration 2", "send_email"]
        await pilot.press("escape")
        assert type(app.screen).__name__ == "RunListScreen"
        await app.workers.wait_for_complete()


async def test_opens_on_the_first_failure_with_its_path_expanded(table, open_store_for):
    row, store = await open_run(
        table,
        open_store_for,
        three_failures(),
        status="FAILED",
        workflow_name="Onboard Users",
        error="Action failed: bounce for user2",
    )
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.pause()
        assert cursor_path(app) == ["Process Each User", "iteration 2", "send_email"]
        text = screen_text(app)
        assert "Onboard Users" in text
        assert "✗ FAILED" in text
        assert row["run_id"] in text
        assert "error Action failed: bounce for user2" in text
        lines = tree_lines(app)
        assert any(
            "▼" in line and "Process Each User loop_users · 4 items · 2 failed" in line
            for line in lines
        )
        assert any("▼ ✗ FAILED  iteration 2 · user2" in line for line in lines)
        assert any("✗ FAILED  send_email" in line and "bounce for user2" in line for line in lines)
        # The detail pane shows the node the cursor is on, on its Error tab.
        pane = app.screen.query_one(DetailPane)
        await settle(pilot, lambda: pane.node is run_screen(app).step_view.selected_node)
        assert pane.active_tab == "error"
        assert run_screen(app).step_view.has_focus


async def test_n_and_shift_n_cycle_through_failures_and_wrap(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    app = run_app(store, row["run_id"])
    notices: list[str] = []
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        original = app.notify

        def record(message, **kwargs):
            notices.append(message)
            return original(message, **kwargs)

        app.notify = record  # type: ignore[method-assign]
        await settle(pilot, lambda: loaded(app))
        assert cursor_path(app)[-2:] == ["iteration 2", "send_email"]
        await pilot.press("n")
        assert cursor_path(app)[-2:] == ["iteration 4", "send_email"]
        assert notices[-1] == "failure 2 of 3"
        await pilot.press("n")
        assert cursor_path(app) == ["Notify Sales"]
        await pilot.press("n")
        assert cursor_path(app)[-2:] == ["iteration 2", "send_email"]
        assert notices[-1] == "failure 1 of 3 (wrapped around)"
        await pilot.press("N")
        assert cursor_path(app) == ["Notify Sales"]
        assert notices[-1] == "failure 3 of 3 (wrapped around)"
        await pilot.press("N")
        assert cursor_path(app)[-2:] == ["iteration 4", "send_email"]


async def test_brackets_move_to_the_same_step_in_neighbouring_iterations(table, open_store_for):
    items = [f"user{i}" for i in range(1, 6)]
    steps = [trigger(), loop("loop_users", items)]
    for number in range(1, 6):
        steps.append(email(number, 5, "FAILED" if number == 3 else "COMPLETED"))
        steps.append(entry("log_result", operation="db", iteration=number, totalItems=5))
    row, store = await open_run(table, open_store_for, steps, status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        assert cursor_path(app)[-2:] == ["iteration 3", "send_email"]
        await pilot.press("right_square_bracket")
        assert cursor_path(app)[-2:] == ["iteration 4", "send_email"]
        await pilot.press("right_square_bracket")
        assert cursor_path(app)[-2:] == ["iteration 5", "send_email"]
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert cursor_path(app)[-2:] == ["iteration 2", "send_email"]
        await pilot.press("down")
        assert cursor_path(app)[-2:] == ["iteration 2", "log_result"]
        await pilot.press("right_square_bracket")
        assert cursor_path(app)[-2:] == ["iteration 3", "log_result"]


async def test_a_failure_deep_in_a_big_loop_opens_without_building_the_loop(table, open_store_for):
    total = 5000
    steps = [trigger(), loop("loop_users", [f"user{i}" for i in range(1, total + 1)])]
    steps += [email(n, total, "FAILED" if n == 4812 else "COMPLETED") for n in range(1, total + 1)]
    row, store = await open_run(table, open_store_for, steps, status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.pause()
        assert cursor_path(app) == ["Process Each User", "iteration 4,812", "send_email"]
        view = run_screen(app).step_view
        assert view.node_count < 300
        # The failure is scrolled into view once the layout is known.
        await settle(
            pilot,
            lambda: any("▼ ✗ FAILED  iteration 4,812 · user4812" in x for x in tree_lines(app)),
        )
        loop_node = view.root.children[1]
        assert loop_node.children[0].label.plain.startswith("… 4,800 more iterations (1–4,800)")


async def test_landing_keeps_the_path_above_a_failure_with_a_long_label_in_view(
    table, open_store_for
):
    total = 300
    long_error = {"message": "upstream said: " + "x" * 300, "name": "SmtpError"}
    steps = [trigger(), loop("loop_users", [f"user{i}" for i in range(1, total + 1)])]
    steps += [
        email(n, total, "FAILED", error=long_error) if n == 250 else email(n, total)
        for n in range(1, total + 1)
    ]
    row, store = await open_run(table, open_store_for, steps, status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.pause()
        view = run_screen(app).step_view
        # A label wider than the view once made Textual give up centring and scroll the
        # failure to the top row, hiding its iteration; the iteration must stay in view.
        assert view.scroll_y < view.cursor_line
        assert any("iteration 250" in line for line in tree_lines(app))


@pytest.mark.slow
async def test_a_run_of_100000_entries_opens_and_lands_on_its_failure(table, open_store_for):
    total = 50_000
    steps = [trigger(), loop("loop_users", [f"user{i}" for i in range(1, total + 1)])]
    for number in range(1, total + 1):
        steps.append(email(number, total, "FAILED" if number == 49_999 else "COMPLETED"))
        steps.append(entry("log_result", operation="db", iteration=number, totalItems=total))
    assert len(steps) > 100_000
    row, store = await open_run(table, open_store_for, steps, status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app), within=30)
        assert cursor_path(app) == ["Process Each User", "iteration 49,999", "send_email"]
        view = run_screen(app).step_view
        assert view.node_count < 400
        assert "50,000 items · 1 failed" in view.root.children[1].label.plain


@pytest.mark.parametrize("skeleton", [False, True], ids=["whole", "skeleton"])
async def test_tailing_adds_new_steps_without_moving_the_reader(
    table, open_store_for, monkeypatch, skeleton
):
    if skeleton:  # a big log: tails extend its skeleton
        from wflog_tui.store import run_loading

        monkeypatch.setattr(run_loading, "SKELETON_OVER_BYTES", 1)
    steps = [trigger(), entry("fetch_user", t=1), entry("enrich", "RUNNING", t=2)]
    row, store = await open_run(
        table, open_store_for, steps, status="RUNNING", ended_at=None, duration_ms=None
    )
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        # A running run lands on its running step; the reader moves up to the trigger.
        assert cursor_path(app) == ["enrich"]
        await pilot.press("up", "up")
        assert cursor_path(app) == ["New User"]
        assert "TAIL ●" in screen_text(app)

        steps[2] = entry("enrich", t=2)
        steps.append(entry("send_welcome", "RUNNING", stepName="Send Welcome", t=3))
        await table.execute(
            f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb WHERE run_id = $2",
            orjson.dumps(steps).decode(),
            row["run_id"],
        )
        view = run_screen(app).step_view
        await settle(pilot, lambda: "Send Welcome" in screen_text(app))
        assert cursor_path(app) == ["New User"]
        assert view.cursor_line == 0
        text = screen_text(app)
        assert "✓ COMPLETED  enrich" in text
        assert "● RUNNING  Send Welcome" in text

        steps[3] = entry("send_welcome", stepName="Send Welcome", t=3)
        await table.execute(
            f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb, "
            "status = 'COMPLETED', ended_at = $3 WHERE run_id = $2",
            orjson.dumps(steps).decode(),
            row["run_id"],
            (T0 + timedelta(seconds=4)).replace(tzinfo=None),
        )
        await settle(pilot, lambda: "not tailing" in screen_text(app))
        # A skeleton's last entry is filled in by its own query, after the tail's.
        await settle(pilot, lambda: "✓ COMPLETED  Send Welcome" in screen_text(app))
        text = screen_text(app)
        assert "✓ COMPLETED" in text.splitlines()[0]
        assert cursor_path(app) == ["New User"]
        tree = run_screen(app).step_tree
        assert isinstance(tree.entries._raw, LogSkeleton) is skeleton
        assert [e.label for e in tree.entries] == [
            "New User", "fetch_user", "enrich", "Send Welcome"
        ]  # fmt: skip


async def test_pausing_counts_new_steps_and_following_applies_them(table, open_store_for):
    steps = [trigger(), entry("fetch_user", "RUNNING", t=1)]
    row, store = await open_run(
        table, open_store_for, steps, status="RUNNING", ended_at=None, duration_ms=None
    )
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("f")
        assert "PAUSED" in screen_text(app)
        steps[1] = entry("fetch_user", t=1)
        steps += [entry("a", t=2), entry("b", "RUNNING", t=3)]
        await table.execute(
            f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb WHERE run_id = $2",
            orjson.dumps(steps).decode(),
            row["run_id"],
        )
        await settle(pilot, lambda: "+2 new steps" in screen_text(app))
        assert "● RUNNING  b" not in screen_text(app)
        await pilot.press("f")
        text = screen_text(app)
        assert "● RUNNING  b" in text
        assert "TAIL ●" in text


class FlakyStore:
    """The real store, whose tail queries fail while `down` is set (a network outage)."""

    def __init__(self, store) -> None:
        self.store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def fetch_steps_from(self, run_id: str, start: int):
        if self.down:
            raise ConnectionLost("connection to PostgreSQL at localhost lost")
        return await self.store.fetch_steps_from(run_id, start)


async def test_a_lost_connection_keeps_the_run_and_says_since_when(table, open_store_for):
    steps = [trigger(), entry("fetch_user", "RUNNING", t=1)]
    row, store = await open_run(
        table, open_store_for, steps, status="RUNNING", ended_at=None, duration_ms=None
    )
    flaky = FlakyStore(store)
    app = run_app(flaky, row["run_id"], refresh_s=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        flaky.down = True
        await settle(pilot, lambda: "disconnected since" in screen_text(app))
        assert "retrying in" in screen_text(app)
        assert "● RUNNING  fetch_user" in screen_text(app)
        flaky.down = False
        await settle(pilot, lambda: "TAIL ●" in screen_text(app))


async def test_slow_tail_queries_slow_the_tail_and_say_so(table, open_store_for):
    steps = [trigger(), entry("fetch_user", "RUNNING", t=1)]
    row, store = await open_run(
        table, open_store_for, steps, status="RUNNING", ended_at=None, duration_ms=None
    )
    # Any query is "slow" against a budget this small: the period stretches and says why.
    app = run_app(store, row["run_id"], query_budget=1e-6)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: "refresh slowed to" in screen_text(app))
        assert "TAIL ●" in screen_text(app)


async def test_an_unknown_run_says_so_and_esc_goes_back(table, open_store_for):
    store = await open_store_for(table)
    app = run_app(store, "01NOSUCHRUN")
    async with app.run_test(size=(160, 50)) as pilot:
        # The header grows to the message's second line on the next layout: wait for both.
        await settle(
            pilot,
            lambda: (
                "No run 01NOSUCHRUN" in screen_text(app) and "esc to go back" in screen_text(app)
            ),
        )
        await pilot.press("n", "r", "c", "f")
        await settle(pilot, lambda: "No run 01NOSUCHRUN" in screen_text(app))
        await pilot.press("escape")
        assert not isinstance(app.screen, RunScreen)


async def test_a_store_error_is_a_message_not_a_traceback(table, open_store_for):
    row, store = await open_run(table, open_store_for, [trigger()])
    await store.close()
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: "Could not load run" in screen_text(app))
        # A lost connection is tried again by itself (a few times), and `r` is offered.
        assert "Trying again in 1 s (1 of 3); r tries now" in screen_text(app)


async def test_hostile_text_is_shown_literally(table, open_store_for):
    steps = [
        trigger(),
        entry("markup", stepName="[bold red]x[/]"),
        entry("clear", "FAILED", stepName="\x1b[2J wipe", error={"message": "[link=x]y[/link]"}),
        entry("bidi", stepName="\u202eevil"),
    ]
    row, store = await open_run(
        table,
        open_store_for,
        steps,
        status="FAILED",
        workflow_name="[b]wf[/b]\x07",
        error="\x1b]8;;http://evil\x07click",
    )
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        text = screen_text(app)
        assert "[bold red]x[/]" in text
        assert "\\x1b[2J wipe" in text
        assert "[link=x]y[/link]" in text
        assert "\\u202eevil" in text
        assert "[b]wf[/b]\\x07" in text
        assert "\\x1b]8;;http://evil\\x07click" in text
        assert "\x1b" not in text and "\u202e" not in text


async def test_c_copies_an_incident_note_about_the_failure(table, open_store_for):
    row, store = await open_run(
        table, open_store_for, three_failures(), status="FAILED", workflow_name="Onboard Users"
    )
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("c")
        note = app.clipboard
        assert "`Onboard Users`" in note
        assert f"`{row['run_id']}`" in note
        assert "`Process Each User › iteration 2 › send_email`" in note
        assert "`bounce for user2`" in note
        assert '{"to":"user2@example.com"}' in note


async def test_a_data_flow_jump_selects_the_source_and_b_comes_back(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        pane = screen.query_one(DetailPane)
        start = cursor_path(app)
        # The loop entry (index 1) is where iteration 2's item came from.
        pane.post_message(DetailPane.JumpRequested(1, "output", ("collection", 1)))
        await settle(pilot, lambda: cursor_path(app) == ["Process Each User"])
        assert pane.node is screen.step_view.selected_node
        assert pane.active_tab == "output"
        await settle(
            pilot,
            lambda: pane.query_one("#output-json", JsonView).selected_path == ("collection", 1),
        )
        # The run's input has no node: the selection stays and the pane shows it.
        pane.post_message(DetailPane.JumpRequested(None, "input_payload", ("post",)))
        await settle(pilot, lambda: pane.active_tab == "run-input")
        assert cursor_path(app) == ["Process Each User"]
        await pilot.press("b")
        assert cursor_path(app) == ["Process Each User"]
        assert pane.active_tab == "output"
        await pilot.press("b")
        assert cursor_path(app) == start


async def test_tab_moves_focus_between_tree_and_detail(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        assert screen.step_view.has_focus
        await pilot.press("tab")
        assert screen.focused is not None
        assert screen.focused in screen.query_one(DetailPane).walk_children()
        await pilot.press("tab")
        assert screen.step_view.has_focus


async def test_a_completed_run_lands_on_its_first_step(table, open_store_for):
    row, store = await open_run(table, open_store_for, [trigger(), entry("only")])
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        node = run_screen(app).step_view.selected_node
        assert node is not None and node.kind is NodeKind.TRIGGER
        assert "not tailing" in screen_text(app)


async def test_r_reloads_the_run_and_keeps_the_cursor(table, open_store_for):
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("n")
        before = cursor_path(app)
        steps = [*three_failures(), entry("cleanup", stepName="Clean Up", t=30)]
        await table.execute(
            f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb WHERE run_id = $2",
            orjson.dumps(steps).decode(),
            row["run_id"],
        )
        await pilot.press("r")
        await settle(pilot, lambda: "Clean Up" in screen_text(app))
        assert cursor_path(app) == before


async def test_a_running_runs_duration_ticks_when_animations_are_on(table, open_store_for):
    started = datetime.now(UTC) - timedelta(seconds=30)
    row, store = await open_run(
        table,
        open_store_for,
        [trigger(), entry("fetch_user", "RUNNING", t=1)],
        status="RUNNING",
        started_at=started,
        ended_at=None,
        duration_ms=None,
    )
    # A long refresh period, so only the clock can change the header.
    app = run_app(store, row["run_id"], animations=True, refresh_s=60)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))

        def header() -> str:
            return screen_text(app).splitlines()[1]

        first = header()
        assert "(running)" in first
        await settle(pilot, lambda: header() != first)


async def test_a_covered_run_view_fetches_nothing_until_it_is_on_top_again(
    table, open_store_for, monkeypatch
):
    """Entries a big run's view wants wait while another screen (the diff, help) covers
    it, so what is on top never queues behind them; they come once the view is back."""
    from wflog_tui.store import run_loading

    monkeypatch.setattr(run_loading, "SKELETON_OVER_BYTES", 1)
    total = 150
    steps = [trigger(), loop("loop_users", [{"n": i} for i in range(1, total + 1)])]
    steps += [email(n, total, "FAILED" if n == 140 else "COMPLETED") for n in range(1, total + 1)]
    row, store = await open_run(table, open_store_for, steps, status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        await settle(pilot, lambda: screen.entry_fill.idle)
        entries = screen.step_tree.entries
        wanted = [i for i in range(2, 2 + 20) if entries.is_pending(i)]
        assert wanted  # the first page of iterations was never shown
        await pilot.press("question_mark")
        await settle(pilot, lambda: app.screen is not screen)
        calls = store.stats.calls
        screen.entry_fill.request(EntryRequest(wanted, []))
        await settle(pilot, lambda: workers_idle(app, "run-entries"))
        assert store.stats.calls == calls and not screen.entry_fill.idle
        await pilot.press("escape")
        await settle(pilot, lambda: not any(entries.is_pending(i) for i in wanted))
        assert store.stats.calls > calls


@pytest.mark.slow
async def test_a_big_run_opens_as_a_skeleton_and_fills_what_is_shown(
    table, open_store_for, monkeypatch
):
    from wflog_tui.store import run_loading

    # Every log counts as big here, so the skeleton path is the one exercised.
    monkeypatch.setattr(run_loading, "SKELETON_OVER_BYTES", 1)
    total = 250
    items = [{"email": f"user{i}@example.com"} for i in range(1, total + 1)]
    steps = [trigger(), loop("loop_users", items)]
    for n in range(1, total + 1):
        status = "FAILED" if n == 233 else "COMPLETED"
        steps.append(email(n, total, status))
    row, store = await open_run(table, open_store_for, steps, status="FAILED")
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        entries = screen.step_tree.entries
        failed = entries[234]
        assert failed.iteration == 233 and not failed.payload_pending  # failures come whole
        assert cursor_path(app) == ["Process Each User", "iteration 233", "send_email"]
        # The page of iterations shown (201–250) is filled in, with the times it shows;
        # pages nobody opened stay a skeleton.
        await settle(pilot, lambda: not entries[2 + 210].payload_pending)
        assert entries[2 + 210].input == {"to": "user211@example.com"}
        assert entries[2 + 10].payload_pending
        view = screen.step_view
        row_211 = next(line for line in tree_lines(app) if "iteration 211" in line)
        assert "500ms" in row_211.replace(" ", "") or "0.5s" in row_211.replace(" ", "")
        assert store.stats.last["fetch_entries"].rows >= 1
        # Data flow of the failing step reaches back into the loop's collection.
        await pilot.press("tab", "5")
        await settle(pilot, lambda: "loop_users.output.collection[232].email" in screen_text(app))
        # Uses of the trigger's output are searched among loaded steps only, and the pane
        # says so rather than pass a partial answer off as the whole one.
        view.select_keys(("s0",))
        heading = screen.query_one("#flow-uses-heading")

        def heading_says() -> str:
            # The heading wraps where its first half (the uses found so far) ends.
            rows = (heading.render_line(y).text for y in range(heading.size.height))
            return " ".join(" ".join(rows).split())

        await settle(
            pilot, lambda: "199 later steps were not searched: not loaded yet" in heading_says()
        )
        # A page opened later is filled in when it is shown.
        view.select_keys(("s1", "s1/i11"))
        await settle(pilot, lambda: not entries[2 + 10].payload_pending)
        assert entries[2 + 150].payload_pending  # iteration 151: a page not shown
        # `a` loads them all and searches again: now the answer is whole.
        view.select_keys(("s0",))
        left = len(entries.pending_after(0))
        await settle(pilot, lambda: f"{left:,} later steps were not" in screen_text(app))
        screen.query_one("#flow-uses").focus()
        await pilot.press("a")
        await settle(
            pilot, lambda: "No later step's input holds a value of this output." in screen_text(app)
        )
        assert "not searched" not in screen_text(app)
        assert screen.step_tree.entries.pending_after(0) == []
        assert not entries[2 + 150].payload_pending
        assert view.node_count < 250  # two pages of iterations and the path, not 250
    # Selection, pages and the first load each wanted entries: one query at a time.
    # The fills asked for while the run's own statement was still ending waited for it:
    # never two statements in flight.
    assert store.stats.peak_in_flight == 1


async def test_a_run_loading_before_the_app_is_taken_by_its_run_view(
    table, open_store_for, monkeypatch
):
    """`--run` starts loading before the UI exists; the run view shows that load and
    sends no query of its own for it."""
    said: list[str] = []
    original = RunHeader.show_message
    monkeypatch.setattr(
        RunHeader,
        "show_message",
        lambda header, text: (said.append(text.plain), original(header, text)),
    )
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    prefetched = asyncio.ensure_future(load_run(store, row["run_id"]))
    await prefetched
    calls = store.stats.calls
    app = WflogApp(
        store,
        AppConfig(open_run=row["run_id"], refresh_s=60, animations=False),
        prefetched={row["run_id"]: prefetched},
    )
    async with app.run_test(size=(160, 50)) as pilot:
        # A load that ended before the screen existed is shown from the screen's mount,
        # so the first frame is already the run, with no "Loading run …" between.
        assert loaded(app)
        assert said == []
        assert cursor_path(app) == ["Process Each User", "iteration 2", "send_email"]
        assert store.stats.calls == calls  # nothing fetched again
        # With `--run` the list is not made, and queries nothing, until it is asked for.
        assert [type(s).__name__ for s in app.screen_stack][1:] == ["RunScreen"]
        assert "fetch_page" not in store.stats.last
        assert app.take_prefetched(row["run_id"]) is None  # taken once
        await pilot.press("escape")
        await settle(pilot, lambda: "fetch_page" in store.stats.last)
        assert row["run_id"] in screen_text(app)


async def app_whose_load_timed_out(table: Any, open_store_for: Any) -> WflogApp:
    """The run view's app, given a `--run` load that timed out before the app started."""
    row, store = await open_run(table, open_store_for, three_failures(), status="FAILED")
    failed: asyncio.Future = asyncio.get_running_loop().create_future()
    failed.set_exception(QueryTimeout("canceling statement due to statement timeout"))
    app = run_app(store, row["run_id"])
    app._prefetched = {row["run_id"]: failed}
    return app


async def test_a_first_load_that_timed_out_is_tried_again_by_itself(table, open_store_for):
    """A starved client can see its first load cancelled by statement_timeout; the view
    says so, tries again after a second, and lands on the run without a key pressed."""
    app = await app_whose_load_timed_out(table, open_store_for)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: "Trying again in 1 s (1 of 3)" in screen_text(app))
        await settle(pilot, lambda: loaded(app))
        assert cursor_path(app) == ["Process Each User", "iteration 2", "send_email"]


async def test_a_failed_load_before_the_app_is_reported_by_the_run_view(table, open_store_for):
    app = await app_whose_load_timed_out(table, open_store_for)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: "Could not load run" in screen_text(app))
        # `r` loads it again, this time by the view itself.
        await pilot.press("r")
        await settle(pilot, lambda: loaded(app))
