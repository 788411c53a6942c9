"""The Data flow tab: where each input value came from, who used an output, and `enter` to go."""

from __future__ import annotations

from typing import Any

from tests.ui.harness import screen_text, settle
from tests.ui.pane_app import LOOP_LOG, POST, SLACK_LOG, PaneApp, find, finish_workers
from wflog_tui.model.provenance import LeafTrace, Match, Source, SourceKind
from wflog_tui.ui.run_view.data_flow import DataFlowView, TraceTable, trace_rows, value_text


async def open_data_flow(app: PaneApp, pilot: Any, node: Any) -> DataFlowView:
    """Select `node`, then press `5` as a user would, and wait for the trace."""
    app.select(node)
    await finish_workers(pilot)
    # Focus in the pane (on the tab it opened), so `5` goes to the pane as a user's would.
    app.pane.show_tab(app.pane.active_tab, focus=True)
    await pilot.press("5")
    await finish_workers(pilot)
    return app.pane.query_one(DataFlowView)


def rows_of(table: TraceTable) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_slack_message_contains_the_trigger_s_author() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(140, 30)) as pilot:
        view = await open_data_flow(app, pilot, find(app.step_tree, "Notify Sales Channel"))
        inputs = rows_of(view.query_one("#flow-inputs", TraceTable))
        assert inputs[0] == ["input.channel", "—", "literal", '"#sales-alerts"', ""]
        assert inputs[1] == [
            "input.message",
            "trigger_new_post.output.post.author",
            "contains",
            '"New post from John Doe on LinkedIn"',
            "trigger · New Post Trigger",
        ]
        assert inputs[2][:4] == [
            "input.cc",
            "lookup_owner.output.owner.email",
            "exact",
            '"owner@example.com"',
        ]
        shown = screen_text(app)
        assert "Input of Notify Sales Channel: 3 values · 2 traced · 1 literal" in shown
        assert "trigger_new_post.output.post.author  contains" in shown


async def test_enter_asks_to_jump_to_the_source_and_a_literal_goes_nowhere() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(140, 30)) as pilot:
        await open_data_flow(app, pilot, find(app.step_tree, "Notify Sales Channel"))
        await pilot.press("enter")  # input.channel: a literal
        await settle(pilot, lambda: app.jumps == [])
        await pilot.press("down", "enter")
        await settle(pilot, lambda: app.jumps == [(0, "output", ("post", "author"))])
        await pilot.press("down", "g")
        await pilot.pause()
        assert app.jumps[-1] == (1, "output", ("owner", "email"))


async def test_a_loop_iteration_input_comes_from_its_collection_item() -> None:
    app = PaneApp(LOOP_LOG, status="FAILED")
    async with app.run_test(size=(140, 30)) as pilot:
        failed = app.step_tree.node_of_entry(3)
        view = await open_data_flow(app, pilot, failed)
        inputs = rows_of(view.query_one("#flow-inputs", TraceTable))
        to = next(row for row in inputs if row[0] == "input.to")
        assert to[1:4] == ["loop_users.output.collection[1]", "contains", '"user2@example.com"']
        assert to[4] == "loop item · Process Each User"
        subject = next(row for row in inputs if row[0] == "input.subject")
        assert subject[1:3] == ["trigger.output.campaign", "exact"]
        template = next(row for row in inputs if row[0] == "input.template")
        assert template[1:3] == ["!ref(loop_users.output.template)", "⚠ unresolved"]
        shown = screen_text(app)
        assert "⚠ 1 unresolved !ref" in shown
        assert "iteration 2 of 3" in shown

        await pilot.press("enter")
        await settle(pilot, lambda: app.jumps == [(1, "output", ("collection", 1))])


async def test_used_by_lists_later_steps_and_enter_jumps_to_their_input() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(140, 30)) as pilot:
        view = await open_data_flow(app, pilot, find(app.step_tree, "New Post Trigger"))
        uses = view.query_one("#flow-uses", TraceTable)
        rows = rows_of(uses)
        assert ["output.post.author", "Look Up Owner", "input.author", "exact"] in rows
        assert ["output.post.author", "Notify Sales Channel", "input.message", "contains"] in rows
        shown = screen_text(app)
        assert "No input recorded for New Post Trigger." in shown
        assert "Output used by later steps: 4 uses" in shown

        uses.focus()
        await pilot.press("enter")
        await settle(pilot, lambda: app.jumps == [(1, "input", ("author",))])


async def test_groups_and_malformed_nodes_ask_for_a_step() -> None:
    app = PaneApp([*LOOP_LOG, "garbage"], status="FAILED")
    async with app.run_test(size=(140, 30)) as pilot:
        loop = app.step_tree.nodes[1]
        for node in (loop, loop.iteration_node(2), find(app.step_tree, "malformed entry #4")):
            await open_data_flow(app, pilot, node)
            await settle(pilot, lambda: "Select a step to trace its input." in screen_text(app))
            assert app.pane.query_one("#flow-inputs", TraceTable).row_count == 0


async def test_moving_on_drops_a_stale_trace() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(140, 30)) as pilot:
        await open_data_flow(app, pilot, find(app.step_tree, "Notify Sales Channel"))
        # Two selections in a row: only the last one's trace may fill the table.
        app.select(find(app.step_tree, "New Post Trigger"))
        app.select(find(app.step_tree, "Look Up Owner"))
        await finish_workers(pilot)
        rows = rows_of(app.pane.query_one("#flow-inputs", TraceTable))
        assert [row[0] for row in rows] == ["input.author"]
        assert rows[0][1] == "trigger_new_post.output.post.author"


def test_rows_of_a_leaf_with_several_sources_each_lead_to_one_place() -> None:
    first = Source(
        SourceKind.LOOP_ITEM,
        Match.EXACT,
        1,
        "Loop",
        "loop.output.collection[0]",
        "output",
        ("collection", 0),
    )
    second = Source(
        SourceKind.RUN_INPUT,
        Match.CONTAINS,
        None,
        "run input",
        "input_payload.user",
        "input_payload",
        ("user",),
    )
    rows = trace_rows([LeafTrace("input.to", ("to",), "ann@x.io", (first, second))])
    assert [cells[0].plain for cells, _ in rows] == ["input.to", "  ↳ or"]
    assert [cells[4].plain for cells, _ in rows] == ["loop item · Loop", "run input"]
    assert [target.entry_index for _, target in rows] == [1, None]
    assert rows[1][1].field == "input_payload"


def test_values_are_cut_escaped_and_quoted() -> None:
    assert value_text("a\x1b[2Jb") == '"a\\x1b[2Jb"'
    assert value_text(3.5) == "3.5"
    assert value_text({}) == "{}"
    assert value_text(None) == "null"
    long = value_text("x" * 5_000_000)
    assert len(long) == 40 and long.endswith('…"')


async def test_hostile_paths_and_values_are_shown_literally() -> None:
    hostile = "[bold]x[/] \x1b[2J\u202e"
    log = [
        {
            "status": "COMPLETED",
            "stepId": "trigger",
            "operation": "trigger",
            "output": {hostile: "a value from " + hostile},
        },
        {
            "status": "COMPLETED",
            "stepId": "s",
            "operation": "http",
            "input": {hostile: "a value from " + hostile},
        },
    ]
    app = PaneApp(log)
    async with app.run_test(size=(160, 30)) as pilot:
        await open_data_flow(app, pilot, find(app.step_tree, "s"))
        shown = screen_text(app)
        # Keys are quoted as JSON strings (so ESC reads \u001b); the value is escaped as text.
        assert 'input["[bold]x[/] \\u001b[2J\\u202e"]' in shown
        assert 'trigger.output["[bold]x[/] \\u001b[2J\\u202e"]' in shown
        assert '"a value from [bold]x[/] \\x1b[2J\\u202e"' in shown
        assert not any(char in shown for char in "\x1b\u202e")


async def test_uses_inside_a_loop_name_their_iteration() -> None:
    app = PaneApp(LOOP_LOG, status="FAILED")
    async with app.run_test(size=(140, 30)) as pilot:
        view = await open_data_flow(app, pilot, find(app.step_tree, "trigger"))
        uses = view.query_one("#flow-uses", TraceTable)
        assert rows_of(uses) == [
            ["output.campaign", "send_email · iteration 1", "input.subject", "exact"],
            ["output.campaign", "send_email · iteration 2", "input.subject", "exact"],
        ]
        uses.focus()
        await pilot.press("down", "enter")
        await settle(pilot, lambda: app.jumps == [(3, "input", ("subject",))])
