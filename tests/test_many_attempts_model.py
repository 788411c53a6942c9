"""A step retried thousands of times: attempts as indexes, built one at a time, reported
in runs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as hs

from wflog_tui.model import status as st
from wflog_tui.model.run_report import _node_json, tree_lines
from wflog_tui.model.step_tree import (
    EAGER_ATTEMPTS,
    RetriedNode,
    StepNode,
    build_tree,
    entries_to_show,
)


def polls(statuses: list[str]) -> list[dict]:
    trigger = {"stepId": "t", "operation": "trigger", "status": "COMPLETED"}
    return [trigger, *({"stepId": "poll", "stepName": "poll", "status": s} for s in statuses)]


def test_up_to_the_eager_limit_attempts_are_children_as_before():
    tree = build_tree(polls(["COMPLETED"] * EAGER_ATTEMPTS))
    node = tree.nodes[1]
    assert not isinstance(node, RetriedNode)
    assert len(node.children) == EAGER_ATTEMPTS and node.child_count() == EAGER_ATTEMPTS


def test_beyond_it_attempts_are_built_when_asked_for():
    tree = build_tree(polls(["COMPLETED"] * 4999 + ["FAILED"]), run_status="FAILED")
    node = tree.nodes[1]
    assert isinstance(node, RetriedNode)
    assert node.children == [] and node.child_count() == 5000 and node.has_children
    assert node.summary() == "5,000 attempts" and node.status == st.FAILED
    assert sum(1 for entry in tree.entries.parsed() if entry is not None) <= 3
    seventh = node.child_at(6)
    assert seventh.label == "attempt 7" and seventh.attempt_number == 7
    assert node.child_at(6) is seventh and node.built_attempts() == [seventh]
    assert node.child_position("s1/a7") == 6 and node.child_position("s1/a5001") is None
    assert tree.find(("s1", "s1/a5000")).status == st.FAILED
    assert tree.keys_of_entry(5000) == ("s1", "s1/a5000")
    assert tree.failures[0].keys == ("s1", "s1/a5000")
    # What a view fills for it: the last for its label, a bounded set for its detail.
    assert [e.index for e in entries_to_show(node, detail=False)] == [5000]
    # The first 100 (attempt 7 among them), attempt 5,000 (built by `find`): one each.
    assert len(entries_to_show(node)) == EAGER_ATTEMPTS + 1
    assert len(tree.earlier_in_scope(tree.entries[0])) == 0
    after = {"stepId": "next", "status": "COMPLETED"}
    later = build_tree([*polls(["COMPLETED"] * 5000), after])
    assert len(later.earlier_in_scope(later.entries[5001])) <= EAGER_ATTEMPTS + 1


@settings(max_examples=60, deadline=None)
@given(
    hs.lists(
        hs.sampled_from([st.COMPLETED, st.COMPLETED, st.COMPLETED, st.FAILED, st.TIMED_OUT]),
        min_size=EAGER_ATTEMPTS + 1,
        max_size=600,
    )
)
def test_runs_cover_every_attempt_and_the_report_stays_bounded(statuses):
    tree = build_tree(polls(statuses))
    node = tree.nodes[1]
    assert isinstance(node, RetriedNode)
    runs = node.attempt_runs()
    expected = 1
    for first, last, status in runs:
        assert first == expected and last >= first
        assert all(statuses[n - 1] == status for n in range(first, last + 1))
        expected = last + 1
    assert expected == len(statuses) + 1
    lines = tree_lines(tree)
    # Trigger and step, then at most EAGER_ATTEMPTS attempts, first and last, and folds.
    assert len(lines) <= 2 + EAGER_ATTEMPTS + 2 + 2 * len(runs)
    assert lines[-1].strip().startswith(st.glyph(statuses[-1]))
    assert f"attempt {len(statuses):,}" in lines[-1]
    report = _node_json(node)
    assert report["attempts"] == len(statuses)
    assert sum(run["count"] for run in report["attemptRuns"]) == len(statuses)
    assert len(report["entries"]) <= EAGER_ATTEMPTS + 2
    assert all(isinstance(child, StepNode) for child in node.built_attempts())
