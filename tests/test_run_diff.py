"""Comparing two runs in the model: alignment, marks, JSON diff, divergence and root causes."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from tests.compared_runs import publish_log
from tests.strategies import json_values, steps_logs
from wflog_tui.model.diff_report import report_json, report_lines
from wflog_tui.model.json_diff import ABSENT, diff_json
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.log_skeleton import LogSkeleton, SkeletonColumns
from wflog_tui.model.run import RunSummary
from wflog_tui.model.run_diff import Mark, compare_runs, entries_to_fetch
from wflog_tui.model.step_tree import build_tree


def _tree(log, status="COMPLETED"):
    return build_tree(log, run_status=status)


def _step(step_id, status="COMPLETED", **fields):
    return {"status": status, "stepId": step_id, "operation": "http", **fields}


def _pair_marks(diff):
    return {(p.key.step_id, p.key.iteration, p.key.attempt): p.marks for p in diff.pairs}


def test_root_cause_two_hops_upstream():
    this = _tree(publish_log("mastodon", failed=True), "FAILED")
    baseline = _tree(publish_log("linkedin", failed=False))
    diff = compare_runs(this, baseline, this_version="wfv_8", baseline_version="wfv_7")
    assert diff.version_change == ("wfv_7", "wfv_8")
    [cause] = diff.root_causes
    assert cause.path == "trigger.output.post.platform"
    assert (cause.before, cause.after) == ("linkedin", "mastodon")
    assert cause.reaches == "post_to_network.input.network"
    assert cause.through == ("format_message.output.network",)
    first = diff.first_divergence
    assert first is not None and first.kind == "input"
    assert first.diff.key.step_id == "format_message"
    marks = _pair_marks(diff)
    assert marks[("trigger", None, 1)] == {Mark.OUTPUT}
    assert marks[("post_to_network", None, 1)] >= {Mark.STATUS, Mark.INPUT}


def test_a_literal_that_changed_is_its_own_root():
    this = _tree([_step("send", "FAILED", input={"channel": "#nope"})], "FAILED")
    baseline = _tree([_step("send", input={"channel": "#sales"})])
    [cause] = compare_runs(this, baseline).root_causes
    assert cause.path == cause.reaches == "send.input.channel"
    assert (cause.before, cause.after) == ("#sales", "#nope")


def test_loops_of_different_lengths_meet_by_item_index():
    def log(items):
        entries = [
            {
                "status": "COMPLETED",
                "stepId": "loop",
                "operation": "builtin:loop",
                "output": {"collection": items, "totalItems": len(items)},
            }
        ]
        for number, item in enumerate(items, start=1):
            entries.append(_step("send", iteration=number, input={"to": item}))
        return entries

    diff = compare_runs(_tree(log(["a@x.io", "b@x.io"])), _tree(log(["a@x.io", "c@x.io", "d@x"])))
    marks = _pair_marks(diff)
    assert marks[("send", 1, 1)] == {Mark.SAME}
    assert marks[("send", 2, 1)] == {Mark.INPUT}
    assert marks[("send", 3, 1)] == {Mark.MISSING}
    [change] = diff.for_entry(2).input.changes
    assert (change.json_path, change.before, change.after) == (("to",), "c@x.io", "b@x.io")
    # The step only the baseline ran marks the loop node of this run's tree.
    tree = _tree(log(["a@x.io", "b@x.io"]))
    node_marks = compare_runs(tree, _tree(log(["a@x.io", "c@x.io", "d@x"]))).node_marks(tree)
    loop_key = tree.nodes[0].key
    assert {Mark.MISSING, Mark.INPUT, Mark.OUTPUT} <= node_marks[loop_key]


def test_retries_are_compared_attempt_by_attempt():
    this = _tree([_step("call", "FAILED", input={"n": 1}), _step("call", input={"n": 1})])
    baseline = _tree([_step("call", input={"n": 1})])
    diff = compare_runs(this, baseline)
    marks = _pair_marks(diff)
    assert marks[("call", None, 1)] == {Mark.STATUS}
    assert marks[("call", None, 2)] == {Mark.ADDED}
    assert diff.first_divergence.kind == "status"
    # Node marks use the attempt nodes' keys, and roll up to the step node.
    node_marks = diff.node_marks(this)
    step = this.nodes[0]
    assert node_marks[step.children[1].key] == {Mark.ADDED}
    assert node_marks[step.key] == {Mark.STATUS, Mark.ADDED}


def test_malformed_entries_are_compared_whole():
    this = _tree([_step("a"), "oops", 7])
    baseline = _tree([_step("a"), "oops", 8])
    marks = _pair_marks(compare_runs(this, baseline))
    assert marks[(None, None, 1)] == {Mark.SAME}
    assert marks[(None, None, 2)] == {Mark.OUTPUT}


def test_much_slower_needs_twice_the_time_and_100_ms_more():
    def run(ms):
        return _tree([_step("a", durationMs=ms)])

    assert Mark.SLOWER in compare_runs(run(350), run(150)).pairs[0].marks
    assert Mark.SLOWER not in compare_runs(run(90), run(30)).pairs[0].marks  # only 60 ms more
    assert Mark.SLOWER not in compare_runs(run(1900), run(1000)).pairs[0].marks  # under 2x


def test_json_diff_tells_null_from_absent_and_true_from_one():
    changes = diff_json({"a": None, "b": 1, "c": [1, 2]}, {"b": True, "c": [1], "d": {}}).changes
    found = {c.json_path: (c.before, c.after) for c in changes}
    assert found == {
        ("a",): (None, ABSENT),
        ("b",): (1, True),
        ("c", 1): (2, ABSENT),
        ("d",): (ABSENT, {}),
    }


def _skeleton(statuses):
    """A loop of `send` iterations as the store's skeleton has it: plain unless odd."""
    count = len(statuses)
    loop = {
        "status": "COMPLETED",
        "stepId": "loop",
        "operation": "builtin:loop",
        "output": {"totalItems": count},
    }
    step_ids = [None] + ["send" if s in ("COMPLETED", "CANCELED") else None for s in statuses]
    whole = {0: loop}
    for i, status in enumerate(statuses, start=1):
        if step_ids[i] is None:
            whole[i] = _step("send", status, iteration=i, error="x")
    return LogSkeleton(
        SkeletonColumns(
            step_ids=step_ids,
            names=[None] * (count + 1),
            iterations=[None, *range(1, count + 1)],
            canceled=[None] + [s == "CANCELED" for s in statuses],
            whole=whole,
        )
    )


iteration_statuses = s.lists(s.sampled_from(["COMPLETED", "CANCELED", "FAILED"]), max_size=30)


@settings(max_examples=100, deadline=None)
@given(a=iteration_statuses, b=iteration_statuses)
def test_skeletons_fetch_every_iteration_that_differs_and_none_that_is_alike(a, b):
    this, baseline = _tree(_skeleton(a)), _tree(_skeleton(b))
    assert entries_to_fetch(this, this) == ([], [])
    assert compare_runs(this, _tree(_skeleton(a))).is_empty
    wanted_this, wanted_base = entries_to_fetch(this, baseline)
    for number in range(1, max(len(a), len(b)) + 1):
        mine = a[number - 1] if number <= len(a) else None
        theirs = b[number - 1] if number <= len(b) else None
        plain = ("COMPLETED", "CANCELED")
        if mine == theirs and mine in plain:
            assert number not in wanted_this and number not in wanted_base
        else:
            assert mine not in plain or number in wanted_this
            assert theirs not in plain or number in wanted_base


def test_only_skeleton_entries_that_differ_are_fetched():
    this = _tree(_skeleton(["COMPLETED", "FAILED", "COMPLETED", "COMPLETED"]), "FAILED")
    baseline = _tree(_skeleton(["COMPLETED"] * 4))
    wanted_this, wanted_baseline = entries_to_fetch(this, baseline)
    assert wanted_this == []  # iteration 2 is whole in this run; the others are alike
    assert wanted_baseline == [2]
    diff = compare_runs(this, baseline)
    assert diff.shape_only == 4  # three alike, one still pending on the baseline side
    assert _pair_marks(diff)[("send", 2, 1)] >= {Mark.STATUS}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(log=steps_logs)
def test_a_run_compared_with_itself_is_empty(log):
    diff = compare_runs(_tree(log), _tree(log), this_version="v", baseline_version="v")
    assert diff.is_empty
    assert diff.first_divergence is None and diff.root_causes == []


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(a=steps_logs, b=steps_logs)
def test_diff_of_a_against_b_mirrors_b_against_a(a, b):
    forward = compare_runs(_tree(a), _tree(b))
    backward = compare_runs(_tree(b), _tree(a))

    def changes(leaf_diff):
        return frozenset((c.json_path, repr(c.before), repr(c.after)) for c in leaf_diff.changes)

    def facts(pair):
        return (pair.marks, changes(pair.input), changes(pair.output))

    mirrored = {pair.key: facts(pair.mirrored()) for pair in forward.pairs}
    backward_facts = {}
    for pair in backward.pairs:
        marks = pair.marks - {Mark.SLOWER} or frozenset({Mark.SAME})
        backward_facts[pair.key] = (marks, changes(pair.input), changes(pair.output))
    assert mirrored == backward_facts
    assert (forward.first_divergence is None) == (backward.first_divergence is None)


@given(a=json_values, b=json_values)
def test_json_diff_mirrors_and_is_empty_on_itself(a, b):
    assert not diff_json(a, a)
    forward = {(c.json_path, repr(c.before), repr(c.after)) for c in diff_json(a, b).changes}
    backward = {(c.json_path, repr(c.after), repr(c.before)) for c in diff_json(b, a).changes}
    assert forward == backward


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(a=steps_logs, b=steps_logs, version=s.sampled_from([None, "v1", "v\x1b[2J"]))
def test_any_comparison_renders_as_safe_text_and_json(a, b, version):
    this = RunSummary(id="c1", run_id="r\x1b]0;x\x07", status="FAILED", workflow_name="W\u202e")
    base = RunSummary(id="c2", run_id="r2", status="COMPLETED")
    diff = compare_runs(_tree(a), _tree(b), this_version=version, baseline_version="v1")
    text = "\n".join(report_lines(this, base, "newest \x1b[31m", diff))
    assert not any(ch in text for ch in "\x1b\x07\u202e\x9b")
    data = orjson.loads(to_json_text(report_json(this, base, "why", diff)))
    assert data["identical"] == diff.is_empty
    assert len(data["steps"]) == len(diff.differences)
