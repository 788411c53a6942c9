"""A big loop's iterations added a stretch at a time (`LoopMembers`): the tree of a
skeleton whose loops run in step is the tree of the same log read whole."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as hs

from wflog_tui.model.log_skeleton import LogSkeleton, SkeletonColumns
from wflog_tui.model.step_tree import LoopMembers, LoopNode, StepTree, build_tree, member_count


def _plain(entry: dict[str, Any]) -> bool:
    """What the server sends as a plain entry (`queries._skeleton`)."""
    iteration = entry.get("iteration")
    return (
        entry.get("status") in ("COMPLETED", "CANCELED")
        and isinstance(entry.get("stepId"), str)
        and "error" not in entry
        and entry.get("operation") not in ("trigger", "builtin:loop")
        and (iteration is None or (type(iteration) is int and 0 < iteration < 10**9))
    )


def _skeleton(log: list[dict[str, Any]]) -> LogSkeleton:
    plain = [_plain(entry) for entry in log]
    shown = [entry if is_plain else None for entry, is_plain in zip(log, plain, strict=True)]
    return LogSkeleton(
        SkeletonColumns(
            step_ids=[e["stepId"] if e else None for e in shown],
            names=[e.get("stepName") if e else None for e in shown],
            iterations=[e.get("iteration") if e else None for e in shown],
            canceled=[e["status"] == "CANCELED" if e else None for e in shown],
            whole={i: e for i, (e, p) in enumerate(zip(log, plain, strict=True)) if not p},
        )
    )


def _loops(tree: StepTree) -> list[LoopNode]:
    return [node for node in tree.nodes if isinstance(node, LoopNode)]


def _shape(tree: StepTree) -> list[Any]:
    loops = _loops(tree)
    return [
        [(n.key, n.kind.value, n.status, n.label) for n in tree.nodes],
        [(f.entry_index, f.keys) for f in tree.failures],
        [sorted(loop.iteration_status.items()) for loop in loops],
        [sorted((k, list(v)) for k, v in loop.member_indexes.items()) for loop in loops],
        [(loop.span_indexes, member_count(loop.member_indexes), loop.total) for loop in loops],
        [tree.keys_of_entry(i) for i in range(len(tree.entries))],
        list(tree._loop_of_index),
    ]


def _loop(step: str, width: int, count: int, start: int = 1) -> list[dict[str, Any]]:
    return [{"stepId": step, "operation": "builtin:loop", "status": "COMPLETED"}] + [
        {"stepId": f"{step}-{j}", "status": "COMPLETED", "iteration": number}
        for number in range(start, start + count)
        for j in range(width)
    ]


_change = hs.tuples(
    hs.integers(0, 10_000),
    hs.sampled_from(["fail", "cancel", "renumber", "drop", "unnumber", "repeat"]),
    hs.integers(1, 40),
)


@settings(max_examples=200, deadline=None)
@given(
    loops=hs.lists(
        hs.tuples(hs.sampled_from(["a", "b"]), hs.integers(1, 3), hs.integers(1, 40)),
        min_size=1,
        max_size=3,
    ),
    changes=hs.lists(_change, max_size=4),
)
def test_a_skeletons_loops_in_step_make_the_tree_of_the_whole_log(loops, changes):
    """Loops whose iterations run in step (and logs a few entries away from that: a
    failure, a cancel, a number out of place, one missing, one repeated, a loop retried)
    give the same nodes, members, spans and keys from the skeleton as from the log."""
    log: list[dict[str, Any]] = [{"stepId": "t", "operation": "trigger", "status": "COMPLETED"}]
    for step, width, count in loops:
        log += _loop(step, width, count)
    for where, change, number in changes:
        index = where % len(log)
        entry = dict(log[index])
        if change == "fail":
            entry.update(status="FAILED", error={"message": "boom"})
        elif change == "cancel":
            entry["status"] = "CANCELED"
        elif change == "renumber":
            entry["iteration"] = number
        elif change == "unnumber":
            entry.pop("iteration", None)
        if change == "drop":
            del log[index]
        elif change == "repeat":
            log.insert(index, entry)
        else:
            log[index] = entry
    whole = build_tree(log, run_status="FAILED")
    skeleton = build_tree(_skeleton(log), run_status="FAILED")
    assert _shape(skeleton) == _shape(whole)


def test_a_big_loop_in_step_is_held_as_one_block():
    """5,000 iterations of two entries, the last one failing: one block of 4,999
    iterations, the last iteration's entries as lists; read as a dict reads."""
    log = [{"stepId": "t", "operation": "trigger", "status": "COMPLETED"}, *_loop("a", 2, 5_000)]
    log[-1] = {**log[-1], "status": "FAILED", "error": {"message": "boom"}}
    tree = build_tree(_skeleton(log), run_status="FAILED")
    (loop,) = _loops(tree)
    members = loop.member_indexes
    assert isinstance(members, LoopMembers)
    assert members[1] == [2, 3] and members[5_000] == [10_000, 10_001]
    assert len(members) == 5_000 and 5_000 in members and 5_001 not in members
    assert member_count(members) == 10_000 and loop.span_indexes == (2, 10_001)
    assert loop.iteration_status[5_000] == "FAILED" and loop.iteration_status[4_999] == "COMPLETED"
    assert tree.failures[0].keys == (loop.key, f"{loop.key}/i5000", f"{loop.key}/i5000/s10001")
