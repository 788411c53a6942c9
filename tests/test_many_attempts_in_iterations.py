"""A step retried thousands of times inside one loop iteration pages like a top-level
step of very many attempts: its attempts are indexes, built when asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as hs

from wflog_tui.model import status as st
from wflog_tui.model import step_tree
from wflog_tui.model.run_report import _node_json, tree_lines
from wflog_tui.model.step_tree import EAGER_ATTEMPTS, LoopNode, RetriedNode, StepNode, build_tree

BASE = datetime(2026, 11, 26, 10, tzinfo=UTC)


def _stamp(index: int, offset_ms: int = 0) -> str:
    return (BASE + timedelta(seconds=index, milliseconds=offset_ms)).isoformat()


def loop_log(members: list[Any], *, times: bool = True, total: int = 3) -> list[Any]:
    """A trigger, a loop of `total` items, then `members` (dicts get times by position)."""
    log: list[Any] = [
        {"stepId": "t", "operation": "trigger", "status": "COMPLETED", "output": {}},
        {
            "stepId": "loop",
            "operation": "builtin:loop",
            "status": "COMPLETED",
            "output": {"totalItems": total},
        },
    ]
    for member in members:
        if isinstance(member, dict) and times:
            index = len(log)
            member = {**member, "startedAt": _stamp(index), "endedAt": _stamp(index, 500)}
        log.append(member)
    return log


def shape(node: StepNode) -> tuple:
    """Everything a view reads of `node` and, through `child_count`/`child_at`, below it."""
    return (
        node.key,
        node.parent.key if node.parent is not None else None,
        node.kind,
        node.label,
        node.status,
        node.iteration,
        node.started_at,
        node.ended_at,
        node.duration_ms,
        node.attempts,
        [entry.index for entry in node.entries],
        node.malformed.index if node.malformed is not None else None,
        node.has_children,
        [shape(node.child_at(i)) for i in range(node.child_count())],
    )


def tree_shape(log: list[Any], eager_attempts: int) -> tuple:
    with patch.object(step_tree, "EAGER_ATTEMPTS", eager_attempts):
        tree = build_tree(log, run_status="FAILED")
        nodes = tuple(shape(node) for node in tree.nodes)
        keys = tuple(tree.keys_of_entry(i) for i in range(len(tree.entries)))
        failures = tuple((f.entry_index, f.keys, f.status) for f in tree.failures)
    return nodes, keys, failures


member_entries = hs.one_of(
    hs.fixed_dictionaries(
        {
            "stepId": hs.sampled_from(["poll", "poll", "poll", "send", "save"]),
            "status": hs.sampled_from([st.COMPLETED, st.COMPLETED, st.FAILED, st.RUNNING]),
            "iteration": hs.integers(min_value=1, max_value=4),
        },
        optional={"stepName": hs.sampled_from(["poll status", "send mail"])},
    ),
    # No stepId: each is a step of its own, never grouped.
    hs.fixed_dictionaries(
        {"status": hs.just(st.COMPLETED), "iteration": hs.integers(min_value=1, max_value=4)}
    ),
)


@settings(max_examples=80, deadline=None)
@given(
    members=hs.lists(member_entries, max_size=40),
    times=hs.booleans(),
    eager_attempts=hs.integers(min_value=1, max_value=3),
)
def test_iterations_built_lazily_equal_the_eager_ones(members, times, eager_attempts):
    log = loop_log(members, times=times, total=4)
    # The same tree, with steps of few attempts paged (`RetriedNode`) or not.
    assert tree_shape(log, eager_attempts) == tree_shape(log, 10**9)


def test_5000_attempts_in_one_iteration_build_few_nodes_and_parse_few_entries():
    polls = [
        {"stepId": "poll", "stepName": "poll status", "status": st.COMPLETED, "iteration": 2}
        for _ in range(4999)
    ]
    failed = {"stepId": "poll", "stepName": "poll status", "status": st.FAILED, "iteration": 2}
    after = {"stepId": "save", "status": st.COMPLETED, "iteration": 2}
    first = {"stepId": "poll", "status": st.COMPLETED, "iteration": 1}
    tree = build_tree(loop_log([first, *polls, failed, after]), run_status="FAILED")
    loop = tree.nodes[1]
    assert isinstance(loop, LoopNode)
    assert loop.iteration_status[2] == st.FAILED

    iteration = loop.child_at(1)
    poll = iteration.children[0]
    assert isinstance(poll, RetriedNode)
    assert poll.key == "s1/i2/s3" and poll.parent is iteration
    assert poll.attempts == 5000 and poll.child_count() == 5000 and poll.status == st.FAILED
    assert poll.summary() == "5,000 attempts" and poll.label == "poll status"
    assert [child.key for child in iteration.children] == ["s1/i2/s3", "s1/i2/s5003"]
    # The iteration's span is read from the first and last attempts, not all 5,000.
    assert iteration.started_at == datetime.fromisoformat(_stamp(3))
    assert iteration.ended_at == datetime.fromisoformat(_stamp(5003, 500))
    # Two nodes in the iteration, no attempt node, and a handful of entries parsed.
    assert poll.built_attempts() == [] and poll.children == []
    assert sum(1 for entry in tree.entries.parsed() if entry is not None) < 12

    # The failure is found by index and reached by key, building one attempt.
    failure = tree.failures[0]
    assert failure.keys == ("s1", "s1/i2", "s1/i2/s3", "s1/i2/s3/a5000")
    node = tree.find(failure.keys)
    assert node is not None and node.status == st.FAILED and node.label == "attempt 5,000"
    assert poll.built_attempts() == [node]
    assert tree.keys_of_entry(9) == ("s1", "s1/i2", "s1/i2/s3", "s1/i2/s3/a7")
    assert tree.find(tree.keys_of_entry(9)).attempt_number == 7

    # What data flow reads before the last attempt: the latest polls, not all 4,999.
    last = tree.entries[5002]
    earlier = tree.earlier_in_scope(last)
    assert [e.index for e in earlier[:2]] == [5001, 5000]
    assert len(earlier) == EAGER_ATTEMPTS + 1  # and the loop's own entry
    after_polls = tree.earlier_in_scope(tree.entries[5003])
    assert after_polls[0].index == 5002 and len(after_polls) == EAGER_ATTEMPTS + 1

    # Reports summarise them as they do at the top level.
    lines = tree_lines(tree)
    assert len(lines) < 20
    assert any("COMPLETED attempts 2–4,999 (4,998)" in line for line in lines)
    report = _node_json(poll)
    assert report["attempts"] == 5000 and len(report["entries"]) <= EAGER_ATTEMPTS + 2
