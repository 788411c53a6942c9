"""The incident note: what it says about a failure, and that no value can break its Markdown."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from wflog_tui.model.incident_note import INPUT_LIMIT, incident_note
from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.model.step_tree import build_tree

T0 = "2024-01-15T12:00:00Z"
NOW = datetime(2024, 1, 15, 12, 5, tzinfo=UTC)


def step(step_id, status="COMPLETED", **extra):
    entry = {"status": status, "stepId": step_id, "operation": extra.pop("operation", "http")}
    entry.setdefault("startedAt", T0)
    entry.update(extra)
    return entry


def spec_loop(failing_input=None, error=None):
    return [
        step("trigger", operation="trigger", endedAt=T0),
        step(
            "loop_users",
            operation="builtin:loop",
            stepName="Process Each User",
            output={"collection": ["user1", "user2", "user3"], "totalItems": 3},
        ),
        step("send_email", operation="email", iteration=1, totalItems=3, input={"to": "u1"}),
        step(
            "send_email",
            "FAILED",
            operation="email",
            iteration=2,
            totalItems=3,
            input=failing_input if failing_input is not None else {"to": "invalid-email"},
            error=error or {"message": "Invalid email address format", "name": "ValidationError"},
        ),
    ]


def detail_of(steps_log, **summary) -> RunDetail:
    fields = {
        "id": "c123",
        "run_id": "01HX9",
        "status": "FAILED",
        "workflow_name": "Onboard Users",
        "event_name": "user/created",
        "event_id": "01EV",
        "organisation_id": "org_a",
        "started_at": datetime(2024, 1, 15, 12, 0, tzinfo=UTC),
        "duration_ms": 4200,
    }
    fields.update(summary)
    return RunDetail(summary=RunSummary(**fields), steps_log=steps_log, error="Action failed")


def note_for(steps_log, node=None, **summary) -> str:
    detail = detail_of(steps_log, **summary)
    tree = build_tree(steps_log, run_status=detail.summary.status)
    return incident_note(detail, tree, node, now=NOW)


def code_spans(note: str) -> list[str]:
    """Inline code spans outside fenced blocks, as a Markdown reader pairs the backticks."""
    outside = re.sub(r"```json\n.*?\n```", "", note, flags=re.S)
    return re.findall(r"`([^`]*)`", outside)


def test_the_note_names_the_run_and_its_first_failure():
    note = note_for(spec_loop())
    assert note.startswith("**✗ FAILED** · workflow `Onboard Users`\n")
    assert "- Run: `01HX9` (id `c123`)" in note
    assert "- Started: 2024-01-15 12:00:00.000 UTC · duration 4.2 s" in note
    assert "- Event: `user/created` (id `01EV`)" in note
    assert "- Organisation: `org_a`" in note
    assert "- Run error: `Action failed`" in note
    assert "- Step: `Process Each User › iteration 2 › send_email` — ✗ FAILED" in note
    assert "- Iteration: 2 of 3 · item `user2`" in note
    assert "- Error: `ValidationError`: `Invalid email address format`" in note
    assert 'Input:\n```json\n{"to":"invalid-email"}\n```' in note
    assert "- Open it: `wflog-tui --run 01HX9`" in note


def test_the_note_describes_the_node_it_is_given():
    steps = spec_loop()
    detail = detail_of(steps)
    tree = build_tree(steps, run_status="FAILED")
    trigger = tree.nodes[0]
    note = incident_note(detail, tree, trigger, now=NOW)
    assert "- Step: `trigger` — ✓ COMPLETED" in note
    assert "- Input: none logged" in note
    assert "Iteration" not in note


def test_a_running_run_says_so_and_has_no_failure_section():
    steps = [step("trigger", operation="trigger"), step("fetch", "RUNNING")]
    note = note_for(steps, status="RUNNING", duration_ms=None)
    assert note.startswith("**● RUNNING**")
    assert "(still running)" in note
    assert "Failures" not in note and "- Step:" not in note


def test_a_long_input_is_cut_and_says_by_how_much():
    big = {"blob": "x" * 10_000}
    note = note_for(spec_loop(failing_input=big))
    block = note.split("```json\n", 1)[1].split("\n```", 1)[0]
    assert len(block) == INPUT_LIMIT + 1 and block.endswith("…")
    assert f"_(input cut to {INPUT_LIMIT:,} of 10,011 characters)_" in note


def test_hostile_values_cannot_break_out_of_code_or_onto_new_lines():
    hostile = "a`b ``` \n# heading\n@here <!channel> \x1b[2J \u202eevil [x](http://e)"
    steps = spec_loop(
        failing_input={"text": hostile, "`key`": "```"},
        error={"message": hostile, "name": "Err`or"},
    )
    steps[1]["output"]["collection"][1] = hostile
    steps[1]["stepName"] = hostile
    note = note_for(steps, workflow_name=hostile, run_id="01`X", organisation_id="org\nb")
    # No raw control, bidi or escape character reaches the note.
    assert "\x1b" not in note and "\u202e" not in note
    # Every line is one the note wrote: nothing from the data started a heading or a list.
    for line in note.splitlines():
        assert not line.startswith("#")
    # Backticks from data are shown escaped, so the only backticks are the note's own:
    # each code span holds exactly the value it was given.
    spans = code_spans(note)
    assert (
        "a\\u0060b \\u0060\\u0060\\u0060 \\x0a# heading\\x0a@here <!channel> \\x1b[2J" in (spans[0])
    )
    assert "01\\u0060X" in spans
    assert "org\\x0ab" in spans
    # The fenced block opens and closes once, and holds one line of JSON.
    assert note.count("```") == 2
    block = note.split("```json\n", 1)[1].split("\n```", 1)[0]
    assert "\n" not in block and "`" not in block
    assert '"\\u0060key\\u0060":"\\u0060\\u0060\\u0060"' in block


def test_malformed_entries_and_unexpected_termination_are_described():
    steps = [
        step("trigger", operation="trigger"),
        "not a step ```",
        step("charge", "FAILED", error="card declined"),
    ]
    detail = detail_of(steps)
    tree = build_tree(steps, run_status="FAILED", run_ended_at=NOW)
    malformed = tree.nodes[1]
    note = incident_note(detail, tree, malformed, now=NOW)
    assert "- Malformed entry: `entry is a string, not an object`" in note
    assert '```json\n"not a step \\u0060\\u0060\\u0060"\n```' in note
    failing = incident_note(detail, tree, None, now=NOW)
    assert "- Step: `charge` — ✗ FAILED" in failing
    assert "- Error: `card declined`" in failing
    assert "unexpected termination" in failing
