"""The detail pane as an on-call engineer meets it: select a step, read the tabs, switch tabs."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Footer
from textual.worker import WorkerCancelled

from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.model.step_tree import NodeKind, StepNode, StepTree, build_tree
from wflog_tui.ui.run_view.detail_pane import DetailPane
from wflog_tui.ui.themes import DEFAULT_THEME, register_themes, status_variable_defaults
from wflog_tui.ui.widgets.json_view import JsonView

POST = {"post": {"id": "post_123", "platform": "linkedin", "author": "John Doe", "content": "…"}}

STACK = (
    "SlackAPIError: channel_not_found\n"
    "    at SlackAction.execute (actions/slack.ts:42:11)\n"
    "    at async runStep (engine/run.ts:118:5)"
)

# The spec's "New Post to Slack" run, with the Slack step failing on its third attempt.
SLACK_LOG: list[Any] = [
    {
        "status": "COMPLETED",
        "stepId": "trigger_new_post",
        "operation": "trigger",
        "stepName": "New Post Trigger",
        "output": POST,
        "startedAt": "2024-01-15T10:30:00Z",
        "endedAt": "2024-01-15T10:30:00.010Z",
        "durationMs": 10,
    },
    {
        "status": "COMPLETED",
        "stepId": "lookup_owner",
        "operation": "hubspot",
        "stepName": "Look Up Owner",
        "input": {"author": "John Doe"},
        "output": {"owner": {"email": "owner@example.com", "team": None}},
        "startedAt": "2024-01-15T10:30:00.100Z",
        "endedAt": "2024-01-15T10:30:00.600Z",
        "durationMs": 500,
    },
    *(
        {
            "status": "FAILED",
            "stepId": "action_slack_notify",
            "operation": "slack",
            "stepName": "Notify Sales Channel",
            "input": {
                "channel": "#sales-alerts",
                "message": "New post from John Doe on LinkedIn",
                "cc": "owner@example.com",
            },
            "error": {"message": "channel_not_found", "name": "SlackAPIError", "stack": STACK},
            "startedAt": f"2024-01-15T10:30:0{second}Z",
            "endedAt": f"2024-01-15T10:30:0{second}.900Z",
            "durationMs": 900,
        }
        for second in (1, 2, 3)
    ),
]

# The spec's batch loop: iteration 2 of 3 failed, iteration 3 never ran.
LOOP_LOG: list[Any] = [
    {
        "status": "COMPLETED",
        "stepId": "trigger",
        "operation": "trigger",
        "output": {"campaign": "Winter launch", "audience": "beta"},
        "startedAt": "2024-01-15T12:00:00Z",
        "endedAt": "2024-01-15T12:00:00Z",
    },
    {
        "status": "COMPLETED",
        "stepId": "loop_users",
        "operation": "builtin:loop",
        "stepName": "Process Each User",
        "output": {"collection": ["user1", "user2", "user3"], "totalItems": 3},
        "startedAt": "2024-01-15T12:00:01Z",
        "endedAt": "2024-01-15T12:00:01Z",
    },
    {
        "status": "COMPLETED",
        "stepId": "send_email",
        "operation": "email",
        "iteration": 1,
        "totalItems": 3,
        "input": {"to": "user1@example.com", "subject": "Winter launch"},
        "output": {"messageId": "msg-0001"},
        "startedAt": "2024-01-15T12:00:02Z",
        "endedAt": "2024-01-15T12:00:03Z",
    },
    {
        "status": "FAILED",
        "stepId": "send_email",
        "operation": "email",
        "iteration": 2,
        "totalItems": 3,
        "input": {
            "to": "user2@example.com",
            "subject": "Winter launch",
            "template": "!ref(loop_users.output.template)",
        },
        "error": {"message": "Invalid email address format"},
        "startedAt": "2024-01-15T12:00:04Z",
        "endedAt": "2024-01-15T12:00:04Z",
    },
]


def run_detail(
    steps_log: Any, *, status: str = "COMPLETED", input_payload: Any = None
) -> RunDetail:
    """A run as the store returns it, with the given steps."""
    return RunDetail(
        summary=RunSummary(
            id="clxyz123abc",
            run_id="01HW0000",
            status=status,
            workflow_name="New Post to Slack",
            started_at=datetime(2024, 1, 15, 10, 30, tzinfo=UTC),
            ended_at=datetime(2024, 1, 15, 10, 30, 5, tzinfo=UTC),
            duration_ms=5000,
        ),
        input_payload=input_payload,
        steps_log=steps_log,
    )


def screen_text(app: App) -> str:
    """The whole screen as text, one line per terminal row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


def find(tree: StepTree, label: str, kind: NodeKind | None = None) -> StepNode:
    """The first node (top level or already built) called `label`."""
    return next(n for n in tree.walk() if n.label == label and (kind is None or n.kind is kind))


class PaneApp(App[None]):
    """The pane alone, with a footer, playing the run view: it records jump requests.

    Themed like `WflogApp`, so status colours come from the same `$status-…` variables.
    """

    def __init__(
        self, steps_log: Any, *, status: str = "COMPLETED", input_payload: Any = None
    ) -> None:
        super().__init__()
        register_themes(self)
        self.theme = DEFAULT_THEME
        self.detail = run_detail(steps_log, status=status, input_payload=input_payload)
        self.step_tree = build_tree(
            steps_log, run_status=status, run_ended_at=self.detail.summary.ended_at
        )
        self.jumps: list[tuple[int | None, str, tuple]] = []
        self.notices: list[str] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return status_variable_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield DetailPane(id="pane")
        yield Footer()

    @property
    def pane(self) -> DetailPane:
        return self.query_one(DetailPane)

    def select(self, node: StepNode | None) -> None:
        """What the run view does when the cursor lands on `node`."""
        self.pane.show(node, tree=self.step_tree, detail=self.detail)

    def notify(self, message: str, **kwargs: Any) -> None:
        self.notices.append(message)
        super().notify(message, **kwargs)

    def on_detail_pane_jump_requested(self, event: DetailPane.JumpRequested) -> None:
        self.jumps.append((event.entry_index, event.field, event.json_path))


async def settle(pilot: Any) -> None:
    """Let workers finish (a superseded trace is cancelled) and the screen catch up."""
    for worker in list(pilot.app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()
    await pilot.pause()


# --- tabs --------------------------------------------------------------------------------


async def test_a_failed_step_opens_on_the_error_tab_with_name_message_and_stack() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "Notify Sales Channel"))
        await settle(pilot)
        assert app.pane.active_tab == "error"
        shown = screen_text(app)
        assert "Notify Sales Channel · slack · ✗ FAILED · attempt 3 of 3 · 900 ms" in shown
        assert "Name     SlackAPIError" in shown
        assert "Message  channel_not_found" in shown
        assert "    at SlackAction.execute (actions/slack.ts:42:11)" in shown
        assert "Earlier attempts (2):" in shown
        assert "attempt 1  ✗ FAILED  channel_not_found" in shown


async def test_healthy_steps_keep_the_tab_the_user_chose() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "New Post Trigger"))
        await settle(pilot)
        assert app.pane.active_tab == "input"
        app.pane.query_one("#input-json").focus()
        await pilot.press("2")
        assert app.pane.active_tab == "output"

        app.select(find(app.step_tree, "Look Up Owner"))
        await settle(pilot)
        assert app.pane.active_tab == "output"
        assert "owner@example.com" not in screen_text(app)  # first level only, until opened
        assert "▶ owner {…} 2 keys" in screen_text(app)

        app.select(find(app.step_tree, "Notify Sales Channel"))
        await settle(pilot)
        assert app.pane.active_tab == "error"

        # Back on a healthy step, the user's Output tab returns.
        app.select(find(app.step_tree, "New Post Trigger"))
        await settle(pilot)
        assert app.pane.active_tab == "output"
        assert "output {…} 1 key" in screen_text(app)


async def test_a_click_on_a_tab_is_remembered_like_a_key() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "New Post Trigger"))
        await settle(pilot)
        await pilot.click("#--content-tab-raw")
        await settle(pilot)
        assert app.pane.active_tab == "raw"
        app.select(find(app.step_tree, "Look Up Owner"))
        await settle(pilot)
        assert app.pane.active_tab == "raw"
        assert "steps_log[1] {…} 9 keys" in screen_text(app)


async def test_number_keys_switch_every_tab_and_the_footer_names_them() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(180, 30)) as pilot:
        app.select(find(app.step_tree, "Look Up Owner"))
        await settle(pilot)
        app.pane.query_one("#input-json").focus()
        tabs = ("input", "output", "error", "timing", "data-flow", "raw", "run-input")
        for key, tab in zip("1234567", tabs, strict=True):
            await pilot.press(key)
            await settle(pilot)
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
        await settle(pilot)
        shown = screen_text(app)
        assert "▼ input {…} 1 key" in shown
        assert 'url: "https://x"' in shown

        app.select(find(app.step_tree, "b"))
        await settle(pilot)
        shown = screen_text(app)
        assert "The input was recorded as null." in shown
        assert "input: null" in shown

        app.select(find(app.step_tree, "c"))
        await settle(pilot)
        shown = screen_text(app)
        assert "No input recorded" in shown
        assert "input: null" not in shown
        assert not app.pane.query_one("#input-json").display

        await pilot.press("tab")  # focus into the pane, then ask for the output
        app.pane.action_show_tab("output")
        await settle(pilot)
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
        await settle(pilot)
        assert 'body: "lorem ipsum lorem' in screen_text(app)
        label = app.pane.query_one("#input-json", JsonView).root.children[0].label.plain
        assert label.endswith('…" (5.4 MB)')
        app.pane.query_one("#input-json").focus()
        await pilot.press("5")
        await settle(pilot)
        assert "t.output.hi" in screen_text(app) and "contains" in screen_text(app)
        await pilot.press("6")
        await settle(pilot)
        assert "└── ▶ input {…} 1 key" in screen_text(app)


async def test_an_attempt_shows_its_own_input_and_number() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        step = find(app.step_tree, "Notify Sales Channel")
        app.select(step.children[0])
        await settle(pilot)
        assert "attempt 1 of 3" in screen_text(app)
        assert app.pane.active_tab == "error"


# --- loops, iterations, malformed -----------------------------------------------------------


async def test_an_iteration_shows_its_item_its_entries_and_its_failing_step() -> None:
    app = PaneApp(LOOP_LOG, status="FAILED")
    async with app.run_test(size=(110, 30)) as pilot:
        loop = app.step_tree.nodes[1]
        iteration = loop.iteration_node(2)
        app.select(iteration)
        await settle(pilot)
        shown = screen_text(app)
        assert "iteration 2 · ✗ FAILED · iteration 2 of 3" in shown
        assert app.pane.active_tab == "error"
        assert "FAILED: send_email" in shown
        assert "Message  Invalid email address format" in shown

        app.pane.query_one("#error-scroll").focus()
        await pilot.press("1")
        await settle(pilot)
        shown = screen_text(app)
        assert "Iteration 2 works on this item of the loop's collection." in shown
        assert 'loop_users.output.collection[1]: "user2"' in shown

        await pilot.press("6")
        await settle(pilot)
        shown = screen_text(app)
        assert "Iteration 2: its item from the loop's collection and its 1 entry." in shown
        assert 'item: "user2"' in shown
        assert "entries […] 1 item" in shown

        app.select(loop)
        await settle(pilot)
        assert app.pane.active_tab == "error"
        assert "send_email in iteration 2" in screen_text(app)


async def test_a_step_inside_an_iteration_says_which_iteration() -> None:
    app = PaneApp(LOOP_LOG, status="FAILED")
    async with app.run_test(size=(110, 30)) as pilot:
        node = app.step_tree.node_of_entry(2)
        app.select(node)
        await settle(pilot)
        assert "send_email · email · ✓ COMPLETED · iteration 1 of 3" in screen_text(app)


async def test_a_malformed_entry_shows_its_reason_and_raw_value() -> None:
    log = [{"status": "COMPLETED", "stepId": "a", "operation": "http"}, ["not", "a", "step"]]
    app = PaneApp(log)
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(find(app.step_tree, "malformed entry #1"))
        await settle(pilot)
        shown = screen_text(app)
        assert app.pane.active_tab == "error"
        assert "Not a step: entry is an array, not an object" in shown
        assert '"not",' in shown
        app.pane.query_one("#error-scroll").focus()
        await pilot.press("6")
        await settle(pilot)
        assert "steps_log[1] […] 3 items" in screen_text(app)


async def test_unexpected_termination_and_data_problems_are_flagged() -> None:
    log = [{"status": "FAILED", "stepId": "x", "operation": "http", "startedAt": "yesterday"}]
    app = PaneApp(log, status="FAILED")
    async with app.run_test(size=(120, 24)) as pilot:
        app.select(app.step_tree.nodes[0])
        await settle(pilot)
        shown = screen_text(app)
        assert "⚠ unexpected termination" in shown
        assert "⚠ startedAt 'yesterday' is not a date" in shown
        assert "FAILED with no error recorded." in shown


async def test_nothing_selected() -> None:
    app = PaneApp(SLACK_LOG)
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(None)
        await settle(pilot)
        assert "No step selected" in screen_text(app)


# --- reveal and the run input --------------------------------------------------------------


async def test_reveal_opens_the_field_and_selects_the_path() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(110, 30)) as pilot:
        app.select(find(app.step_tree, "Look Up Owner"))
        await settle(pilot)
        app.pane.reveal("output", ("owner", "email"))
        await settle(pilot)
        assert app.pane.active_tab == "output"
        assert app.pane.query_one("#output-json", JsonView).selected_path == ("owner", "email")
        assert 'email: "owner@example.com"' in screen_text(app)

        app.pane.reveal("input_payload", ("post", "author"))
        await settle(pilot)
        assert app.pane.active_tab == "run-input"
        view = app.pane.query_one("#run-input-json", JsonView)
        assert view.selected_path == ("post", "author")
        assert 'author: "John Doe"' in screen_text(app)

        app.pane.reveal("output", ("nope",))
        await settle(pilot)
        assert app.notices[-1] == "output.nope is not in what this step recorded"

        # The run view's late highlight of the same node must not undo the reveal.
        app.pane.reveal("output", ("owner", "team"))
        app.select(find(app.step_tree, "Look Up Owner"))
        await settle(pilot)
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
        await settle(pilot)
        app.pane.query_one("#error-scroll").focus()
        for key in "3124567":
            await pilot.press(key)
            await settle(pilot)
            shown = screen_text(app)
            assert escaped in shown, f"tab {key}"
            assert not any(char in shown for char in "\x1b\x07\u202e"), f"tab {key}"
        assert app.pane.active_tab == "run-input"


# --- layout --------------------------------------------------------------------------------


def test_snapshot_of_a_failed_step(snap_compare) -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)

    async def select_failure(pilot: Any) -> None:
        app.select(find(pilot.app.step_tree, "Notify Sales Channel"))
        await settle(pilot)

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
        await settle(pilot)
        assert "    at frame (x.js:1:1)" in screen_text(app)
        await pilot.press("end")
        scroll = app.pane.query_one("#error-scroll")
        scroll.scroll_end(animate=False)
        await settle(pilot)
        assert f"… cut at 100,000 of {len(stack):,} characters" in screen_text(app)

        app.select(find(app.step_tree, "ok"))
        await settle(pilot)
        scroll.focus()
        await pilot.press("3")
        await settle(pilot)
        assert "No error recorded." in screen_text(app)


async def test_show_before_the_pane_is_mounted_draws_on_mount() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(100, 24)) as pilot:
        pane = DetailPane()
        pane.show(find(app.step_tree, "Look Up Owner"), tree=app.step_tree, detail=app.detail)
        await app.pane.remove()
        await app.mount(pane)
        await settle(pilot)
        assert "Look Up Owner · hubspot · ✓ COMPLETED" in screen_text(app)
