"""The detail pane as an on-call engineer meets it: select a step, read the tabs, switch tabs."""

from __future__ import annotations

from typing import Any

from textual.widgets import TabPane

from tests.ui.harness import screen_text
from tests.ui.pane_app import (
    LOOP_LOG,
    POST,
    SLACK_LOG,
    PaneApp,
    find,
    finish_workers,
)
from wflog_tui.ui.run_view.detail_pane import DetailPane
from wflog_tui.ui.widgets.json_view import JsonView

# --- tabs --------------------------------------------------------------------------------


async def test_a_failed_step_opens_on_the_error_tab_with_name_message_and_stack() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "Notify Sales Channel"))
        await finish_workers(pilot)
        assert app.pane.active_tab == "error"
        shown = screen_text(app)
        assert (
            "Notify Sales Channel action_slack_notify · slack · ✗ FAILED · attempt 3 of 3 · 900 ms"
            in shown
        )
        assert "Name     SlackAPIError" in shown
        assert "Message  channel_not_found" in shown
        assert "    at SlackAction.execute (actions/slack.ts:42:11)" in shown
        assert "Earlier attempts (2):" in shown
        assert "attempt 1  ✗ FAILED  channel_not_found" in shown


async def test_only_the_tabs_shown_are_made_and_a_tab_shown_later_is_current() -> None:
    """Landing on a failure makes the Error tab's widgets and no other JSON tab's; a tab
    first shown after the cursor moved shows the step the cursor is on now."""
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "Notify Sales Channel"))
        await finish_workers(pilot)

        def made(tab: str) -> bool:
            return bool(app.pane.query_one(f"#{tab}", TabPane).children)

        assert made("error")
        assert not any(made(tab) for tab in ("input", "output", "raw", "run-input"))
        owner = find(app.step_tree, "Look Up Owner")
        app.select(owner)
        await finish_workers(pilot)
        await pilot.press("6")
        await finish_workers(pilot)
        assert made("raw") and app.pane.active_tab == "raw"
        raw = app.pane.query_one("#raw-json", JsonView)
        assert raw.root_label == f"steps_log[{owner.entry.index}]"
        assert f"steps_log[{owner.entry.index}]" in screen_text(app)


async def test_healthy_steps_keep_the_tab_the_user_chose() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "New Post Trigger"))
        await finish_workers(pilot)
        assert app.pane.active_tab == "input"
        app.pane.query_one("#input-json").focus()
        await pilot.press("2")
        assert app.pane.active_tab == "output"

        app.select(find(app.step_tree, "Look Up Owner"))
        await finish_workers(pilot)
        assert app.pane.active_tab == "output"
        assert "owner@example.com" not in screen_text(app)  # first level only, until opened
        assert "▶ owner {…} 2 keys" in screen_text(app)

        app.select(find(app.step_tree, "Notify Sales Channel"))
        await finish_workers(pilot)
        assert app.pane.active_tab == "error"

        # Back on a healthy step, the user's Output tab returns.
        app.select(find(app.step_tree, "New Post Trigger"))
        await finish_workers(pilot)
        assert app.pane.active_tab == "output"
        assert "output {…} 1 key" in screen_text(app)


async def test_a_click_on_a_tab_is_remembered_like_a_key() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "New Post Trigger"))
        await finish_workers(pilot)
        await pilot.click("#--content-tab-raw")
        await finish_workers(pilot)
        assert app.pane.active_tab == "raw"
        app.select(find(app.step_tree, "Look Up Owner"))
        await finish_workers(pilot)
        assert app.pane.active_tab == "raw"
        assert "steps_log[1] {…} 9 keys" in screen_text(app)


async def test_number_keys_switch_every_tab_and_the_footer_names_them() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(180, 30)) as pilot:
        app.select(find(app.step_tree, "Look Up Owner"))
        await finish_workers(pilot)
        app.pane.query_one("#input-json").focus()
        tabs = ("input", "output", "error", "timing", "data-flow", "raw", "run-input")
        for key, tab in zip("1234567", tabs, strict=True):
            await pilot.press(key)
            await finish_workers(pilot)
            assert app.pane.active_tab == tab
        footer = screen_text(app).splitlines()[-1]
        for words in ("1 Input", "2 Output", "4 Timing", "5 Data flow", "6 Raw", "7 Run input"):
            assert words in footer


# --- input and output ----------------------------------------------------------------------


async def test_input_json_is_shown_and_missing_differs_from_null() -> None:
    log = [
        {"status": "COMPLETED", "stepId": "a", "operation": "http", "input": {"url": "https://x"}},
        {"status": "COMPLETED", "stepId": "b", "operation": "http", "input": None},
        {"status": "COMPLETED", "stepId": "c", "operation": "http"},
    ]
    app = PaneApp(log)
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(find(app.step_tree, "a"))
        await finish_workers(pilot)
        shown = screen_text(app)
        assert "▼ input {…} 1 key" in shown
        assert 'url: "https://x"' in shown

        app.select(find(app.step_tree, "b"))
        await finish_workers(pilot)
        shown = screen_text(app)
        assert "The input was recorded as null." in shown
        assert "input: null" in shown

        app.select(find(app.step_tree, "c"))
        await finish_workers(pilot)
        shown = screen_text(app)
        assert "No input recorded" in shown
        assert "input: null" not in shown
        assert not app.pane.query_one("#input-json").display

        await pilot.press("tab")  # focus into the pane, then ask for the output
        app.pane.action_show_tab("output")
        await finish_workers(pilot)
        assert "No output recorded" in screen_text(app)


async def test_a_five_megabyte_input_string_shows_at_once_and_is_traced() -> None:
    body = "lorem ipsum " * 450_000  # 5.4 MB
    log = [
        {
            "status": "COMPLETED",
            "stepId": "t",
            "operation": "trigger",
            "output": {"hi": "lorem ipsum"},
        },
        {"status": "COMPLETED", "stepId": "big", "operation": "http", "input": {"body": body}},
    ]
    app = PaneApp(log)
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(find(app.step_tree, "big"))
        await finish_workers(pilot)
        assert 'body: "lorem ipsum lorem' in screen_text(app)
        label = app.pane.query_one("#input-json", JsonView).root.children[0].label.plain
        assert label.endswith('…" (5.4 MB)')
        app.pane.query_one("#input-json").focus()
        await pilot.press("5")
        await finish_workers(pilot)
        assert "t.output.hi" in screen_text(app) and "contains" in screen_text(app)
        await pilot.press("6")
        await finish_workers(pilot)
        assert "└── ▶ input {…} 1 key" in screen_text(app)


async def test_an_attempt_shows_its_own_input_and_number() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        step = find(app.step_tree, "Notify Sales Channel")
        app.select(step.children[0])
        await finish_workers(pilot)
        assert "attempt 1 of 3" in screen_text(app)
        assert app.pane.active_tab == "error"


# --- loops, iterations, malformed -----------------------------------------------------------


async def test_an_iteration_shows_its_item_its_entries_and_its_failing_step() -> None:
    app = PaneApp(LOOP_LOG, status="FAILED")
    async with app.run_test(size=(110, 30)) as pilot:
        loop = app.step_tree.nodes[1]
        iteration = loop.iteration_node(2)
        app.select(iteration)
        await finish_workers(pilot)
        shown = screen_text(app)
        assert "iteration 2 · ✗ FAILED · iteration 2 of 3" in shown
        assert app.pane.active_tab == "error"
        assert "FAILED: send_email" in shown
        assert "Message  Invalid email address format" in shown

        app.pane.query_one("#error-scroll").focus()
        await pilot.press("1")
        await finish_workers(pilot)
        shown = screen_text(app)
        assert "Iteration 2 works on this item of the loop's collection." in shown
        assert 'loop_users.output.collection[1]: "user2"' in shown

        await pilot.press("6")
        await finish_workers(pilot)
        shown = screen_text(app)
        assert "Iteration 2: its item from the loop's collection and its 1 entry." in shown
        assert 'item: "user2"' in shown
        assert "entries […] 1 item" in shown

        app.select(loop)
        await finish_workers(pilot)
        assert app.pane.active_tab == "error"
        assert "send_email in iteration 2" in screen_text(app)


async def test_a_step_inside_an_iteration_says_which_iteration() -> None:
    app = PaneApp(LOOP_LOG, status="FAILED")
    async with app.run_test(size=(110, 30)) as pilot:
        node = app.step_tree.node_of_entry(2)
        app.select(node)
        await finish_workers(pilot)
        assert "send_email · email · ✓ COMPLETED · iteration 1 of 3" in screen_text(app)


async def test_a_malformed_entry_shows_its_reason_and_raw_value() -> None:
    log = [{"status": "COMPLETED", "stepId": "a", "operation": "http"}, ["not", "a", "step"]]
    app = PaneApp(log)
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(find(app.step_tree, "malformed entry #1"))
        await finish_workers(pilot)
        shown = screen_text(app)
        assert app.pane.active_tab == "error"
        assert "Not a step: entry is an array, not an object" in shown
        assert '"not",' in shown
        app.pane.query_one("#error-scroll").focus()
        await pilot.press("6")
        await finish_workers(pilot)
        assert "steps_log[1] […] 3 items" in screen_text(app)


async def test_unexpected_termination_and_data_problems_are_flagged() -> None:
    log = [{"status": "FAILED", "stepId": "x", "operation": "http", "startedAt": "yesterday"}]
    app = PaneApp(log, status="FAILED")
    async with app.run_test(size=(120, 24)) as pilot:
        app.select(app.step_tree.nodes[0])
        await finish_workers(pilot)
        shown = screen_text(app)
        assert "⚠ unexpected termination" in shown
        assert "⚠ startedAt 'yesterday' is not a date" in shown
        assert "FAILED with no error recorded." in shown


async def test_nothing_selected() -> None:
    app = PaneApp(SLACK_LOG)
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(None)
        await finish_workers(pilot)
        assert "No step selected" in screen_text(app)


# --- reveal and the run input --------------------------------------------------------------


async def test_reveal_opens_the_field_and_selects_the_path() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "Look Up Owner"))
        await finish_workers(pilot)
        app.pane.reveal("output", ("owner", "email"))
        await finish_workers(pilot)
        assert app.pane.active_tab == "output"
        assert app.pane.query_one("#output-json", JsonView).selected_path == ("owner", "email")
        assert 'email: "owner@example.com"' in screen_text(app)

        app.pane.reveal("input_payload", ("post", "author"))
        await finish_workers(pilot)
        assert app.pane.active_tab == "run-input"
        view = app.pane.query_one("#run-input-json", JsonView)
        assert view.selected_path == ("post", "author")
        assert 'author: "John Doe"' in screen_text(app)

        app.pane.reveal("output", ("nope",))
        await finish_workers(pilot)
        assert app.notices[-1] == "output.nope is not in what this step recorded"

        # The run view's late highlight of the same node must not undo the reveal.
        app.pane.reveal("output", ("owner", "team"))
        app.select(find(app.step_tree, "Look Up Owner"))
        await finish_workers(pilot)
        assert app.pane.query_one("#output-json", JsonView).selected_path == ("owner", "team")


# --- hostile text --------------------------------------------------------------------------

HOSTILE = "[bold]x[/] [link=http://e]x \x1b[2J\x07\u202eevil"


async def test_hostile_strings_are_shown_literally_in_every_tab() -> None:
    log = [
        {
            "status": "COMPLETED",
            "stepId": "trigger",
            "operation": "trigger",
            "output": {"who": HOSTILE},
            "startedAt": "2024-01-15T10:30:00Z",
            "endedAt": "2024-01-15T10:30:01Z",
        },
        {
            "status": "FAILED",
            "stepId": HOSTILE,
            "operation": HOSTILE,
            "stepName": HOSTILE,
            "input": {HOSTILE: HOSTILE, "msg": "hi " + HOSTILE},
            "output": {"echo": HOSTILE},
            "error": {"message": HOSTILE, "name": HOSTILE, "stack": HOSTILE + "\n  at " + HOSTILE},
            "startedAt": "2024-01-15T10:30:01Z",
            "endedAt": "2024-01-15T10:30:02Z",
        },
    ]
    app = PaneApp(log, status="FAILED", input_payload={"p": HOSTILE})
    escaped = "[bold]x[/] [link=http://e]x \\x1b[2J\\x07\\u202eevil"
    async with app.run_test(size=(160, 40)) as pilot:
        app.select(app.step_tree.nodes[1])
        await finish_workers(pilot)
        app.pane.query_one("#error-scroll").focus()
        for key in "3124567":
            await pilot.press(key)
            await finish_workers(pilot)
            shown = screen_text(app)
            assert escaped in shown, f"tab {key}"
            assert not any(char in shown for char in "\x1b\x07\u202e"), f"tab {key}"
        assert app.pane.active_tab == "run-input"


# --- layout --------------------------------------------------------------------------------


def test_snapshot_of_a_failed_step(snap_compare) -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)

    async def select_failure(pilot: Any) -> None:
        app.select(find(pilot.app.step_tree, "Notify Sales Channel"))
        await finish_workers(pilot)

    assert snap_compare(app, terminal_size=(100, 24), run_before=select_failure)


async def test_a_huge_stack_is_cut_in_the_error_tab_and_a_healthy_step_has_no_error() -> None:
    stack = "Error: boom\n" + "    at frame (x.js:1:1)\n" * 300_000  # 7 MB
    log = [
        {"status": "COMPLETED", "stepId": "ok", "operation": "http"},
        {
            "status": "FAILED",
            "stepId": "bad",
            "operation": "http",
            "error": {"message": "boom", "stack": stack},
        },
    ]
    app = PaneApp(log, status="FAILED")
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(find(app.step_tree, "bad"))
        await finish_workers(pilot)
        assert "    at frame (x.js:1:1)" in screen_text(app)
        await pilot.press("end")
        scroll = app.pane.query_one("#error-scroll")
        scroll.scroll_end(animate=False)
        await finish_workers(pilot)
        assert f"… cut at 100,000 of {len(stack):,} characters" in screen_text(app)

        app.select(find(app.step_tree, "ok"))
        await finish_workers(pilot)
        scroll.focus()
        await pilot.press("3")
        await finish_workers(pilot)
        assert "No error recorded." in screen_text(app)


async def test_show_before_the_pane_is_mounted_draws_on_mount() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(100, 24)) as pilot:
        pane = DetailPane()
        pane.show(find(app.step_tree, "Look Up Owner"), tree=app.step_tree, detail=app.detail)
        await app.pane.remove()
        await app.mount(pane)
        await finish_workers(pilot)
        assert "Look Up Owner · hubspot · ✓ COMPLETED" in screen_text(app)
