"""StepTreeView as a reader meets it: labels, opening loops page by page, jumps, live updates."""

from __future__ import annotations

from textual.app import App, ComposeResult

from wflog_tui.model.step_tree import StepNode, StepTree, build_tree
from wflog_tui.ui.run_view.step_tree_view import StepTreeView

T0 = "2024-01-15T12:00:00Z"
T1 = "2024-01-15T12:00:01Z"


def step(step_id, status="COMPLETED", **extra):
    entry = {"status": status, "stepId": step_id, "operation": extra.pop("operation", "http")}
    entry.setdefault("startedAt", T0)
    if status != "RUNNING":
        entry.setdefault("endedAt", T1)
    entry.update(extra)
    return entry


def loop_log(total: int, failing: set[int] = frozenset(), reached: int | None = None) -> list:
    reached = total if reached is None else reached
    log = [
        step("trigger", operation="trigger"),
        step(
            "loop_users",
            operation="builtin:loop",
            stepName="Process Each User",
            output={"collection": [f"user{i}" for i in range(1, total + 1)], "totalItems": total},
        ),
    ]
    for number in range(1, reached + 1):
        status = "FAILED" if number in failing else "COMPLETED"
        extra = {"error": {"message": f"bounce {number}"}} if number in failing else {}
        log.append(step("send_email", status, iteration=number, totalItems=total, **extra))
    return log


class TreeApp(App[None]):
    """One StepTreeView filling the screen, recording the nodes it announces."""

    def __init__(self, tree: StepTree) -> None:
        super().__init__()
        self.step_tree = tree
        self.selected: list[StepNode] = []

    def compose(self) -> ComposeResult:
        yield StepTreeView(self.step_tree)

    def on_mount(self) -> None:
        self.query_one(StepTreeView).focus()

    def on_step_tree_view_step_selected(self, event: StepTreeView.StepSelected) -> None:
        self.selected.append(event.node)


def shown(view: StepTreeView) -> list[str]:
    """Every line of the tree, scrolled or not, as the screen draws it."""
    lines = []
    for number in range(len(view._tree_lines)):
        line = view._tree_lines[number]
        lines.append(line.node.label.plain)
    return lines


def labels_under(node) -> list[str]:
    return [child.label.plain for child in node.children]


async def test_labels_carry_status_glyph_word_summary_duration_and_flags() -> None:
    log = [
        step("trigger", operation="trigger", stepName="New User"),
        step("charge", "FAILED", error={"message": "declined"}),
        step("charge", "FAILED", error={"message": "declined"}),
        step("charge", stepName="Charge Card"),
        step("crash", "FAILED", stepName="Crash", endedAt=None, error="killed"),
        "a bare string",
        {"status": "COMPLETED", "operation": "http"},
        *loop_log(3, failing={2}, reached=2)[1:],
    ]
    tree = build_tree(log, run_status="FAILED", run_ended_at=None)
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        await pilot.pause()
        lines = shown(view)
        assert lines[0] == "✓ COMPLETED  New User trigger  1.0 s"
        assert lines[1] == "✓ COMPLETED  Charge Card charge · 3 attempts  1.0 s"
        assert lines[2].startswith("✗ FAILED  Crash  ⚠ ended without endedAt  — killed")
        assert lines[3] == (
            "? UNKNOWN  malformed entry #5  — entry is a string, not an object: a bare string"
        )
        assert lines[4] == "✓ COMPLETED  http  ⚠ data: no stepId"
        assert lines[5] == (
            "✗ FAILED  Process Each User loop_users · 3 items · 1 failed · 1 not reached  1.0 s"
        )
        # Only the top level exists until something is opened.
        assert view.node_count == 6


async def test_opening_a_loop_shows_its_iterations_a_page_at_a_time() -> None:
    tree = build_tree(loop_log(250, failing={7}, reached=240), run_status="FAILED")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        await pilot.press("down", "enter")
        loop = view.root.children[1]
        assert loop.is_expanded
        children = labels_under(loop)
        assert len(children) == 101
        assert children[0] == "✓ COMPLETED  iteration 1 · user1  1.0 s"
        assert children[6] == "✗ FAILED  iteration 7 · user7  1.0 s"
        assert children[-1] == "… 150 more iterations (101–250) — enter to load 100"
        # Iterations have no children until opened.
        assert len(loop.children[6].children) == 0
        view.move_cursor(loop.children[-1])
        await pilot.press("enter")
        children = labels_under(loop)
        assert len(children) == 201
        assert view.selected_node is not None and view.selected_node.label == "iteration 101"
        assert children[-1] == "… 50 more iterations (201–250) — enter to load 50"
        view.move_cursor(loop.children[-1])
        await pilot.press("enter")
        children = labels_under(loop)
        assert view.selected_node is not None and view.selected_node.label == "iteration 201"
        assert len(children) == 250
        assert children[-1] == "· not reached  iteration 250 · user250"
        view.move_cursor(loop.children[239])
        await pilot.press("right")
        assert labels_under(loop.children[239]) == ["✓ COMPLETED  send_email  1.0 s"]
        await pilot.press("right")
        assert view.selected_node is not None and view.selected_node.label == "send_email"
        await pilot.press("left")
        assert view.selected_node is not None and view.selected_node.label == "iteration 240"


async def test_a_jump_creates_only_the_page_that_holds_its_target() -> None:
    tree = build_tree(loop_log(5000, failing={4812}), run_status="FAILED")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        keys = tree.failures[0].keys
        assert view.select_keys(keys)
        await pilot.pause()
        node = view.selected_node
        assert node is not None and [n.label for n in node.path] == [
            "Process Each User",
            "iteration 4,812",
            "send_email",
        ]
        assert view.node_count < 110
        loop = view.root.children[1]
        children = labels_under(loop)
        assert children[0] == "… 4,800 more iterations (1–4,800) — enter to load 100"
        assert children[1].startswith("✓ COMPLETED  iteration 4,801")
        assert children[-2].startswith("✓ COMPLETED  iteration 4,900")
        assert children[-1] == "… 100 more iterations (4,901–5,000) — enter to load 100"
        assert len(children) == 102
        # The gap above a jump loads the page next to what is shown, not the top of the loop.
        view.move_cursor(loop.children[0])
        await pilot.press("enter")
        children = labels_under(loop)
        assert children[0] == "… 4,700 more iterations (1–4,700) — enter to load 100"
        assert children[1].startswith("✓ COMPLETED  iteration 4,701")
        # The target is on screen.
        assert view.select_keys(keys)
        await pilot.pause()
        top = int(view.scroll_offset.y)
        assert top <= view.cursor_line < top + view.size.height


async def test_select_keys_refuses_a_path_that_is_not_there() -> None:
    tree = build_tree(loop_log(3), run_status="COMPLETED")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        await pilot.pause()
        before = view.cursor_line
        assert not view.select_keys(("nope",))
        assert not view.select_keys((tree.nodes[1].key, f"{tree.nodes[1].key}/i99"))
        assert view.cursor_line == before


async def test_a_huge_flat_log_pages_its_top_level() -> None:
    log = [step(f"s{i}") for i in range(100_000)]
    tree = build_tree(log, run_status="COMPLETED")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        await pilot.pause()
        assert view.node_count == 101
        assert shown(view)[-1] == "… 99,900 more steps — enter to load 100"
        assert view.select_keys((tree.nodes[77_777].key,))
        assert view.selected_node is tree.nodes[77_777]
        assert view.node_count < 210


async def test_update_tree_keeps_the_reader_where_they_were() -> None:
    log = loop_log(5, reached=2)
    log.append(step("send_email", "RUNNING", iteration=3, totalItems=5))
    tree = build_tree(log, run_status="RUNNING")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        loop_key = tree.nodes[1].key
        assert view.select_keys((loop_key, f"{loop_key}/i2"))
        await pilot.pause()
        loop = view.root.children[1]
        iteration_2 = view.cursor_node
        line = view.cursor_line
        assert labels_under(loop)[2] == "● RUNNING  iteration 3 · user3"
        app.selected.clear()

        log[-1] = step("send_email", iteration=3, totalItems=5)
        log.append(step("send_email", iteration=4, totalItems=5))
        log.append(step("notify", "RUNNING", stepName="Notify"))
        new_tree = build_tree(log, run_status="RUNNING", previous=tree, start=4)
        view.update_tree(new_tree)
        await pilot.pause()
        # Same widget nodes, same cursor line, loop still open, new labels, new step at the end.
        assert view.cursor_node is iteration_2
        assert view.cursor_line == line
        assert loop.is_expanded
        assert labels_under(loop)[2] == "✓ COMPLETED  iteration 3 · user3  1.0 s"
        assert labels_under(loop)[3] == "✓ COMPLETED  iteration 4 · user4  1.0 s"
        assert shown(view)[-1] == "● RUNNING  Notify"
        assert view.selected_node is new_tree.find((loop_key, f"{loop_key}/i2"))
        # The node under the cursor did not change, so the detail pane is not asked to redraw.
        assert app.selected == []


async def test_update_tree_announces_a_change_to_the_node_under_the_cursor() -> None:
    log = [step("trigger", operation="trigger"), step("fetch", "RUNNING")]
    tree = build_tree(log, run_status="RUNNING")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        assert view.select_keys((tree.nodes[1].key,))
        await pilot.pause()
        app.selected.clear()
        log[1] = step("fetch", "FAILED", error={"message": "timeout"})
        log.append(step("fetch", stepName="Fetch"))
        view.update_tree(build_tree(log, run_status="RUNNING", previous=tree, start=1))
        await pilot.pause()
        assert [node.status for node in app.selected] == ["COMPLETED"]
        assert view.cursor_node is not None
        assert view.cursor_node.label.plain == "✓ COMPLETED  Fetch · 2 attempts  1.0 s"
        assert view.cursor_node.allow_expand


async def test_update_tree_rebuilds_a_level_whose_keys_changed() -> None:
    log = [step("trigger", operation="trigger"), step("a"), step("b")]
    tree = build_tree(log, run_status="COMPLETED")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        assert view.select_keys((tree.nodes[2].key,))
        await pilot.pause()
        rewritten = [step("trigger", operation="trigger"), step("x"), step("a"), step("b")]
        new_tree = build_tree(rewritten, run_status="COMPLETED")
        view.update_tree(new_tree)
        await pilot.pause()
        assert [line.split("  ")[1] for line in shown(view)] == ["trigger", "x", "a", "b"]
        # The cursor's key (s2) now names "a": the reader is put back on the same key path.
        assert view.selected_node is not None
        assert view.selected_node.key == "s2"


async def test_moving_the_cursor_announces_steps_but_not_more_nodes() -> None:
    tree = build_tree(loop_log(150), run_status="COMPLETED")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        await pilot.pause()
        app.selected.clear()
        await pilot.press("down")
        assert [n.label for n in app.selected] == ["Process Each User"]
        view.root.children[1].expand()
        await pilot.pause()
        view.move_cursor(view.root.children[1].children[-1])
        await pilot.pause()
        assert [n.label for n in app.selected] == ["Process Each User"]
        await pilot.press("enter")
        assert app.selected[-1].label == "iteration 101"


async def test_markup_and_escapes_in_the_data_are_shown_literally() -> None:
    log = [
        step("trigger", operation="trigger", stepName="[bold red]x[/]"),
        step("clear", "FAILED", stepName="\x1b[2J", error={"message": "[link=x]y[/link]\u202e"}),
    ]
    tree = build_tree(log, run_status="FAILED")
    app = TreeApp(tree)
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(StepTreeView)
        await pilot.pause()
        screen = [view.render_line(y).text.rstrip() for y in range(2)]
        assert screen[0] == "✓ COMPLETED  [bold red]x[/] trigger  1.0 s"
        assert screen[1] == "✗ FAILED  \\x1b[2J clear  1.0 s  — [link=x]y[/link]\\u202e"
