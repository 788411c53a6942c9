"""Comparing two runs in the model: alignment, marks, JSON diff, divergence and root causes."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from tests.compared_runs import publish_log
from tests.strategies import json_values, steps_logs
from wflog_tui.model.diff_report import report_json, report_lines
from wflog_tui.model.error_signature import normalise_message
from wflog_tui.model.json_diff import ABSENT, diff_json
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.log_skeleton import LogSkeleton, SkeletonColumns
from wflog_tui.model.run import RunSummary
from wflog_tui.model.run_diff import Mark, compare_entries, compare_runs, entries_to_fetch
from wflog_tui.model.step_tree import LoopNode, build_tree


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


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(log=steps_logs)
def test_a_run_compared_with_itself_is_empty(log):
    diff = compare_runs(_tree(log), _tree(log), this_version="v", baseline_version="v")
    assert diff.is_empty
    assert diff.first_divergence is None and diff.root_causes == []


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(a=steps_logs, b=steps_logs)
def test_diff_of_a_against_b_mirrors_b_against_a(a, b):
    forward = compare_runs(_tree(a), _tree(b))
    backward = compare_runs(_tree(b), _tree(a))

    def changes(leaf_diff):
        return frozenset((c.json_path, repr(c.before), repr(c.after)) for c in leaf_diff.changes)

    def facts(pair):
        return (pair.marks, changes(pair.input), changes(pair.output))

    # Exactly: much slower one way is much faster the other, and an error changed both ways.
    mirrored = {pair.key: facts(pair.mirrored()) for pair in forward.pairs}
    assert mirrored == {pair.key: facts(pair) for pair in backward.pairs}
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


def _failed(step_id, message, **fields):
    return _step(step_id, "FAILED", error={"message": message, "name": "Error"}, **fields)


def test_a_different_error_message_in_both_failed_runs_is_a_change():
    this = _tree([_step("a"), _failed("send", "SMTP timeout after 30012 ms")], "FAILED")
    baseline = _tree([_step("a"), _failed("send", "mailbox full: ada@example.com")], "FAILED")
    diff = compare_runs(this, baseline)
    assert _pair_marks(diff)[("send", None, 1)] == {Mark.ERROR}
    first = diff.first_divergence
    assert first is not None and (first.kind, first.diff.key.step_id) == ("error", "send")
    data = report_json(
        RunSummary(id="c1", run_id="r1", status="FAILED"),
        RunSummary(id="c2", run_id="r2", status="FAILED"),
        "why",
        diff,
    )
    # The messages as logged, not their signatures.
    assert data["changes"] == [
        {
            "step_id": "send",
            "iteration": None,
            "attempt": 1,
            "side": "error",
            "path": "error.message",
            "before": "mailbox full: ada@example.com",
            "after": "SMTP timeout after 30012 ms",
        }
    ]
    # A status change says the error came or went already: no second mark for it.
    now_fails = compare_runs(this, _tree([_step("a"), _step("send")]))
    assert _pair_marks(now_fails)[("send", None, 1)] == {Mark.STATUS}


# Two values of one kind, as two runs of one failure log them.
numbers = s.integers(0, 10**12).map(str)
uuids = s.uuids().map(str)
times = s.datetimes().map(lambda moment: moment.isoformat(timespec="seconds"))
per_run_values = s.tuples(numbers, numbers) | s.tuples(uuids, uuids) | s.tuples(times, times)
message_heads = s.text(alphabet="abcdefghijklmnopqrstuvwxyz_: ", min_size=1, max_size=40)


@given(head=message_heads, values=per_run_values)
def test_error_messages_that_differ_only_in_per_run_values_are_the_same(head, values):
    first, second = values
    this = _tree([_failed("send", f"{head} {first}")], "FAILED")
    baseline = _tree([_failed("send", f"{head} {second}")], "FAILED")
    assert compare_runs(this, baseline).is_empty


@given(before=s.text(max_size=60) | s.none(), after=s.text(max_size=60) | s.none())
def test_an_error_is_changed_exactly_when_its_signature_is_and_shown_as_logged(before, after):
    def log(message):
        return [_step("send", "FAILED", **({} if message is None else {"error": message}))]

    diff = compare_runs(_tree(log(after), "FAILED"), _tree(log(before), "FAILED"))
    [pair] = diff.pairs
    changed = (before is None) != (after is None) or (
        before is not None and normalise_message(before) != normalise_message(after)
    )
    assert (Mark.ERROR in pair.marks) == changed
    rows = [c for c in report_json(*_summaries(), "why", diff)["changes"] if c["side"] == "error"]
    if changed:
        assert [(r["before"], r["after"]) for r in rows] == [(before, after)]
        assert Mark.ERROR in pair.mirrored().marks
    else:
        assert rows == []


def _summaries():
    return (
        RunSummary(id="c1", run_id="r1", status="FAILED"),
        RunSummary(id="c2", run_id="r2", status="COMPLETED"),
    )


def test_much_faster_is_the_mirror_of_much_slower():
    def run(ms):
        return _tree([_step("a", durationMs=ms)])

    assert compare_runs(run(150), run(350)).pairs[0].marks == {Mark.FASTER}
    assert compare_runs(run(30), run(90)).pairs[0].marks == {Mark.SAME}  # only 60 ms less
    slower = compare_runs(run(350), run(150)).pairs[0]
    assert slower.marks == {Mark.SLOWER} and slower.mirrored().marks == {Mark.FASTER}
    lines = report_lines(*_summaries(), "why", compare_runs(run(150), run(350)))
    assert "  a  [much faster]" in lines
    assert "      duration  350 ms → 150 ms" in lines


def test_the_first_divergence_says_what_kind_it_is():
    this = _tree([_step("a"), _step("c", input={"n": 2})])
    baseline = _tree([_step("a"), _step("b"), _step("c", input={"n": 1})])
    diff = compare_runs(this, baseline)
    # A step only the baseline ran comes first in run order, before the changed input.
    assert diff.first_divergence is not None and diff.first_divergence.kind == "missing"
    lines = report_lines(*_summaries(), "why", diff)
    assert "first divergence: b — only in the baseline run" in lines
    added = report_lines(*_summaries(), "why", compare_runs(baseline, this))
    assert "first divergence: b — only in this run" in added
    status = compare_runs(_tree([_step("a", "FAILED")], "FAILED"), _tree([_step("a")]))
    assert "first divergence: a — status COMPLETED → FAILED" in report_lines(
        *_summaries(), "why", status
    )


def test_a_difference_found_once_payloads_came_is_among_the_differences():
    this = _tree(_skeleton(["COMPLETED"] * 4), "FAILED")
    baseline = _tree(_skeleton(["COMPLETED"] * 4))
    diff = compare_runs(this, baseline)
    assert diff.differences == [] and diff.shape_only == 4
    # Iteration 3, looked at: both entries fetched, and their inputs differ after all.
    this.entries.fill(3, _step("send", iteration=3, input={"to": "b@x.io"}))
    baseline.entries.fill(3, _step("send", iteration=3, input={"to": "a@x.io"}))
    shape = diff.for_entry(3)
    assert shape is not None and shape.by_shape_only
    held = diff.refine(compare_entries(shape.key, this.entries[3], baseline.entries[3]))
    assert diff.differences == [held] and held.marks == {Mark.INPUT}
    assert diff.for_entry(3) is held and diff.shape_only == 3
    assert diff.first_divergence is not None and diff.first_divergence.diff is held
    # Another, earlier in run order, takes its place there, and becomes the first.
    this.entries.fill(1, _step("send", iteration=1, input={"to": "z@x.io"}))
    baseline.entries.fill(1, _step("send", iteration=1, input={"to": "y@x.io"}))
    first = diff.refine(
        compare_entries(diff.for_entry(1).key, this.entries[1], baseline.entries[1])
    )
    assert diff.differences == [first, held]
    assert diff.first_divergence.diff is first
    assert [p.this.index for p in diff.pairs] == sorted(p.this.index for p in diff.pairs)


def _loop_skeleton(entries):
    """A loop's entries, (stepId, iteration, status) each, as the store's skeleton has
    them: plain when completed or canceled, whole otherwise."""
    loop = {"status": "COMPLETED", "stepId": "loop", "operation": "builtin:loop"}
    plain = [status in ("COMPLETED", "CANCELED") for _, _, status in entries]
    whole = {0: loop}
    for index, (step_id, iteration, status) in enumerate(entries, start=1):
        if not plain[index - 1]:
            whole[index] = _step(step_id, status, iteration=iteration, error="x")
    return LogSkeleton(
        SkeletonColumns(
            step_ids=[None] + [e[0] if p else None for e, p in zip(entries, plain, strict=True)],
            names=[None] * (len(entries) + 1),
            iterations=[None] + [e[1] for e in entries],
            canceled=[None] + [e[2] == "CANCELED" for e in entries],
            whole=whole,
        )
    )


def _alike_one_by_one(this, baseline):
    """What `alike_iterations` means, iteration by iteration and entry by entry."""
    alike, base_mask = [-1] * len(this.facts), [0] * len(baseline.facts)
    loops = [
        [node for node in tree.nodes if isinstance(node, LoopNode)] for tree in (this, baseline)
    ]
    for loop, other in zip(*loops, strict=False):
        for number, mine in loop.member_indexes.items():
            them = other.member_indexes.get(number)
            if them is None or len(them) != len(mine):
                continue
            if all(
                this.facts[i] == baseline.facts[j]
                and this.entries.is_pending(i)
                and baseline.entries.is_pending(j)
                for i, j in zip(mine, them, strict=True)
            ):
                for i, j in zip(mine, them, strict=True):
                    alike[i], base_mask[j] = j, 1
    return alike, base_mask


_loop_entries = s.integers(1, 12).flatmap(
    lambda count: s.lists(
        s.sampled_from(["COMPLETED", "COMPLETED", "COMPLETED", "CANCELED", "FAILED"]),
        min_size=count * 2,
        max_size=count * 2,
    ).map(
        lambda statuses: [
            (step_id, number, statuses[2 * (number - 1) + k])
            for number in range(1, count + 1)
            for k, step_id in enumerate(("get", "send"))
        ]
    )
)


@settings(max_examples=300, deadline=None)
@given(entries=_loop_entries, data=s.data())
def test_iterations_alike_in_step_are_the_iterations_alike_one_by_one(entries, data):
    """Comparing two loops' stretches of the log position by position finds exactly the
    iterations the entry-by-entry comparison does, whatever moved, changed, went, came
    or was filled whole in between."""
    from wflog_tui.model.run_diff import alike_iterations

    other = list(entries)
    for _ in range(data.draw(s.integers(0, 3))):
        change = data.draw(s.sampled_from(["status", "swap", "move", "step", "drop", "add"]))
        i = data.draw(s.integers(0, len(other) - 1))
        j = data.draw(s.integers(0, len(other) - 1))
        step_id, number, status = other[i]
        if change == "status":
            other[i] = (step_id, number, data.draw(s.sampled_from(["COMPLETED", "FAILED"])))
        elif change == "swap":
            other[i], other[j] = other[j], other[i]
        elif change == "move":
            other[i] = (step_id, other[j][1], status)
        elif change == "step":
            other[i] = ("other", number, status)
        elif change == "drop" and len(other) > 1:
            del other[i]
        elif change == "add":
            other.insert(i, ("get", data.draw(s.integers(1, 14)), "COMPLETED"))
    this, baseline = _tree(_loop_skeleton(entries)), _tree(_loop_skeleton(other))
    for tree, log in ((this, entries), (baseline, other)):
        for index in data.draw(s.sets(s.integers(1, len(log)), max_size=3)):
            step_id, number, status = log[index - 1]
            tree.entries.fill(index, _step(step_id, status, iteration=number))
    alike, base_mask = alike_iterations(this, baseline)
    assert (list(alike), list(base_mask)) == _alike_one_by_one(this, baseline)


def _every_leaf(value, path=()):
    """Every (path, leaf) of a JSON value in document order: `_leaves`' definition."""
    if isinstance(value, dict | list) and value:
        items = enumerate(value) if isinstance(value, list) else value.items()
        for key, child in items:
            yield from _every_leaf(child, (*path, key if isinstance(key, (str, int)) else str(key)))
    else:
        yield path, value


@settings(max_examples=200, deadline=None)
@given(value=json_values, most=s.integers(1, 12))
def test_the_leaves_of_a_value_stop_where_they_are_counted_out(value, most):
    """However few leaves are wanted, they are the first ones in document order: the walk
    spells out no more children than it can still reach (a 50,000-item collection
    compared with another reads only the first `MAX_LEAVES`)."""
    from itertools import islice

    from wflog_tui.model.json_diff import _leaves

    assert list(_leaves(value, most)) == list(islice(_every_leaf(value), most))
