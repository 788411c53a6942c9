"""The step tree: every shape of `steps_log` the platform (or a bug) can write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wflog_tui.model import status as st
from wflog_tui.model.entries import MISSING, MalformedEntry, StepEntry, parse_entry
from wflog_tui.model.step_tree import LoopNode, NodeKind, build_tree

T0 = "2024-01-15T12:00:00Z"


def step(step_id, status="COMPLETED", **extra):
    entry = {"status": status, "stepId": step_id, "operation": extra.pop("operation", "http")}
    entry.update(extra)
    return entry


SPEC_LOOP = [
    step("trigger", operation="trigger", startedAt=T0, endedAt=T0),
    step(
        "loop_users",
        operation="builtin:loop",
        stepName="Process Each User",
        output={"collection": ["user1", "user2", "user3"], "totalItems": 3},
        startedAt="2024-01-15T12:00:01Z",
        endedAt="2024-01-15T12:00:01Z",
    ),
    step(
        "send_email",
        operation="email",
        iteration=1,
        totalItems=3,
        input={"to": "user1@example.com"},
        startedAt="2024-01-15T12:00:02Z",
        endedAt="2024-01-15T12:00:03Z",
    ),
    step(
        "send_email",
        "FAILED",
        operation="email",
        iteration=2,
        totalItems=3,
        input={"to": "invalid-email"},
        error={"message": "Invalid email address format"},
        startedAt="2024-01-15T12:00:04Z",
        endedAt="2024-01-15T12:00:04Z",
    ),
]


def test_spec_loop_example_becomes_trigger_then_loop_with_iterations():
    tree = build_tree(SPEC_LOOP, run_status="FAILED")
    kinds = [node.kind for node in tree.nodes]
    assert kinds == [NodeKind.TRIGGER, NodeKind.LOOP]
    loop = tree.nodes[1]
    assert isinstance(loop, LoopNode)
    assert loop.summary() == "3 items · 1 failed · 1 not reached"
    assert loop.rollup_status == st.FAILED
    assert loop.iteration_node(1).status == st.COMPLETED
    assert loop.iteration_node(2).status == st.FAILED
    third = loop.iteration_node(3)
    assert third.status == st.NOT_REACHED and third.children == []
    assert loop.item(2) == "user2"


def test_failure_index_points_into_the_iteration():
    tree = build_tree(SPEC_LOOP, run_status="FAILED")
    [failure] = tree.failures
    assert failure.entry_index == 3
    assert failure.iteration == 2
    assert failure.message == "Invalid email address format"
    node = tree.find(failure.keys)
    assert node is not None and node.entry is not None and node.entry.index == 3
    assert [n.label for n in node.path] == ["Process Each User", "iteration 2", "send_email"]


def test_iterations_are_built_only_when_asked_for():
    body = [
        step("work", iteration=n, totalItems=50_000, startedAt=T0, endedAt=T0)
        for n in range(1, 1001)
    ]
    loop_entry = step("loop", operation="builtin:loop", output={"totalItems": 50_000})
    tree = build_tree([loop_entry, *body], run_status="RUNNING")
    loop = tree.nodes[0]
    assert isinstance(loop, LoopNode)
    assert loop.iteration_count == 50_000
    assert loop._built == {}
    assert loop.counts()[st.NOT_REACHED] == 49_000
    assert loop.iteration_node(49_999).status == st.NOT_REACHED
    assert len(loop._built) == 1


def test_iterations_logged_before_their_loop_entry_still_belong_to_it():
    log = [
        step("work", iteration=1, totalItems=2),
        step("work", iteration=2, totalItems=2),
        step("loop", operation="builtin:loop", output={"collection": [1, 2]}),
    ]
    tree = build_tree(log)
    assert [n.kind for n in tree.nodes] == [NodeKind.LOOP]
    assert tree.nodes[0].label == "loop"
    assert sorted(tree.nodes[0].members) == [1, 2]


def test_iterations_without_any_loop_entry_get_a_visible_loop():
    tree = build_tree([step("work", iteration=1, totalItems=2)])
    [loop] = tree.nodes
    assert isinstance(loop, LoopNode)
    assert loop.label == "iterations with no loop step"
    assert loop.summary() == "2 items · 1 not reached"


def test_same_step_id_without_iteration_is_grouped_as_attempts():
    log = [
        step("charge", "FAILED", error="card declined", startedAt=T0, endedAt=T0),
        step("other"),
        step("charge", "COMPLETED", startedAt=T0, endedAt="2024-01-15T12:00:02Z"),
    ]
    tree = build_tree(log, run_status="COMPLETED")
    assert [n.label for n in tree.nodes] == ["charge", "other"]
    charge = tree.nodes[0]
    assert charge.attempts == 2
    assert charge.status == st.COMPLETED
    assert [c.label for c in charge.children] == ["attempt 1", "attempt 2"]
    assert charge.summary() == "2 attempts"
    assert charge.duration_ms == 2000
    [failure] = tree.failures
    assert tree.find(failure.keys).label == "attempt 1"


def test_retries_inside_an_iteration_are_attempts_of_that_iteration():
    log = [
        step("loop", operation="builtin:loop", output={"totalItems": 1}),
        step("work", "FAILED", iteration=1),
        step("work", "COMPLETED", iteration=1),
    ]
    tree = build_tree(log)
    iteration = tree.nodes[0].iteration_node(1)
    assert iteration.status == st.COMPLETED
    [work] = iteration.children
    assert work.attempts == 2
    assert tree.find(tree.keys_of_entry(1)).label == "attempt 1"


@pytest.mark.parametrize("run_status", ["FAILED", "COMPLETED", "CANCELED"])
def test_failed_or_running_step_without_end_after_the_run_ended_is_flagged(run_status):
    log = [step("a", "FAILED", startedAt=T0), step("b", "RUNNING", startedAt=T0)]
    tree = build_tree(log, run_status=run_status)
    assert all(node.unexpected_termination for node in tree.nodes)


def test_running_step_of_a_running_run_is_not_flagged():
    tree = build_tree([step("a", "RUNNING", startedAt=T0)], run_status="RUNNING")
    assert not tree.nodes[0].unexpected_termination


def test_duration_is_derived_from_timestamps_when_missing():
    entry = parse_entry(0, step("a", startedAt=T0, endedAt="2024-01-15T12:00:01.250Z"))
    assert isinstance(entry, StepEntry)
    assert entry.duration_ms == 1250 and entry.duration_derived


def test_negative_duration_is_reported_and_replaced_by_the_timestamps():
    entry = parse_entry(0, step("a", durationMs=-5, startedAt=T0, endedAt=T0))
    assert entry.duration_ms == 0 and entry.duration_derived
    assert any("durationMs -5" in p for p in entry.problems)


def test_end_before_start_gives_no_duration_and_says_why():
    entry = parse_entry(0, step("a", startedAt="2024-01-15T12:00:05Z", endedAt=T0))
    assert entry.duration_ms is None
    assert "endedAt is before startedAt" in entry.problems


# Every malformed shape the foundation issue lists: null, a non-array, non-object entries,
# missing fields, unknown statuses, bad dates, negative durations, a string error.


def test_null_steps_log_is_an_empty_tree_with_a_note():
    tree = build_tree(None, run_status="COMPLETED")
    assert tree.nodes == [] and tree.failures == []
    assert tree.notes == ["steps_log is null: the run recorded no steps"]


@pytest.mark.parametrize("value", [{"stepId": "x"}, "text", 42, True])
def test_non_array_steps_log_becomes_one_malformed_node_holding_it(value):
    tree = build_tree(value)
    [node] = tree.nodes
    assert node.kind is NodeKind.MALFORMED
    assert node.malformed.raw == value
    assert "not an array" in tree.notes[0]


@pytest.mark.parametrize("value", [None, "x", 3, [1, 2], True, {"unrelated": 1}])
def test_non_step_entries_are_malformed_nodes_that_keep_the_raw_value(value):
    tree = build_tree([step("a"), value, step("b")])
    assert [n.kind for n in tree.nodes] == [NodeKind.STEP, NodeKind.MALFORMED, NodeKind.STEP]
    malformed = tree.nodes[1].malformed
    assert isinstance(malformed, MalformedEntry)
    assert malformed.raw == value and malformed.index == 1


def test_missing_fields_are_survived_and_named():
    entry = parse_entry(4, {"status": "COMPLETED"})
    assert isinstance(entry, StepEntry)
    assert entry.label == "entry #4"
    assert entry.input is MISSING and entry.output is MISSING
    assert "no stepId" in entry.problems


def test_status_missing_or_not_a_string_is_unknown():
    assert parse_entry(0, {"stepId": "a"}).status == st.UNKNOWN
    assert parse_entry(0, {"stepId": "a", "status": 7}).status == st.UNKNOWN


def test_unknown_status_is_kept_verbatim_and_noted():
    entry = parse_entry(0, step("a", "PAUSED"))
    assert entry.status == "PAUSED"
    assert any("PAUSED" in p for p in entry.problems)
    tree = build_tree([step("a", "PAUSED")])
    assert tree.nodes[0].status == "PAUSED"


@pytest.mark.parametrize("bad", ["yesterday", "", "2024-13-45T99:00:00Z", [], {"a": 1}])
def test_dates_that_do_not_parse_become_none_and_a_problem(bad):
    entry = parse_entry(0, step("a", startedAt=bad, endedAt=T0))
    assert entry.started_at is None
    assert entry.duration_ms is None
    if bad != "" and not isinstance(bad, list | dict):
        assert any("startedAt" in p for p in entry.problems)


def test_string_error_becomes_the_message():
    entry = parse_entry(0, step("a", "FAILED", error="socket hang up"))
    assert entry.error.message == "socket hang up"
    assert entry.error.name is None


def test_error_object_without_message_still_says_something():
    entry = parse_entry(0, step("a", "FAILED", error={"code": 503}))
    assert "503" in entry.error.message


def test_sibling_iteration_moves_between_reached_iterations_of_the_same_step():
    log = [step("loop", operation="builtin:loop", output={"totalItems": 10})]
    for n in (1, 4, 7):
        log.append(step("fetch", iteration=n))
        log.append(step("save", iteration=n))
    tree = build_tree(log)
    save_4 = tree.node_of_entry(4)
    assert save_4.entry.iteration == 4
    assert tree.sibling_iteration(save_4, 1).entry.index == 6
    assert tree.sibling_iteration(save_4, -1).entry.index == 2
    assert tree.sibling_iteration(tree.node_of_entry(6), 1) is None


def test_tail_merge_reuses_parsed_entries_before_start():
    first = build_tree([step("t", operation="trigger"), step("a", "RUNNING")], run_status="RUNNING")
    assert first.first_unfinished_index() == 1
    grown = [step("t", operation="trigger"), step("a", "COMPLETED"), step("b", "RUNNING")]
    merged = build_tree(grown, run_status="RUNNING", previous=first, start=1)
    assert merged.entries[0] is first.entries[0]
    assert [n.status for n in merged.nodes] == [st.COMPLETED, st.COMPLETED, st.RUNNING]
    assert [n.key for n in merged.nodes] == [n.key for n in first.nodes] + ["s2"]


def test_data_flow_scope_for_an_iteration_step():
    log = [
        *SPEC_LOOP[:2],
        step("lookup", iteration=1),
        step("send_email", iteration=1),
        step("lookup", iteration=2),
    ]
    tree = build_tree(log)
    send = tree.entries[3]
    assert tree.loop_of(send).key == "s1"
    assert [e.index for e in tree.earlier_in_scope(send)] == [2, 1]
    assert tree.trigger.index == 0
    assert [e.index for e in tree.later_than(send)] == [4]


def test_timestamps_are_utc():
    entry = parse_entry(0, step("a", startedAt="2024-01-15T13:00:00+01:00"))
    assert entry.started_at == datetime(2024, 1, 15, 12, tzinfo=UTC)


def test_walk_visits_built_nodes_depth_first_without_opening_loops():
    tree = build_tree(
        [step("t", operation="trigger"), step("a", "FAILED"), step("a"), *SPEC_LOOP[1:]],
        run_status="FAILED",
    )
    assert [n.key for n in tree.walk()] == ["s0", "s1", "s1/a1", "s1/a2", "s3"]
