"""The detail pane alone in an app of its own, and the step logs its tests open in it."""

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


async def finish_workers(pilot: Any) -> None:
    """Let workers finish (a superseded trace is cancelled) and the screen catch up."""
    for worker in list(pilot.app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()
    await pilot.pause()
