"""What a skeleton's fill asks for when a node is selected or shown: bounded by what the
screen shows, however many attempts a step made inside an iteration."""

from __future__ import annotations

from wflog_tui.model.log_skeleton import LogSkeleton, SkeletonColumns
from wflog_tui.model.step_tree import EAGER_ATTEMPTS, LoopNode, RetriedNode, build_tree
from wflog_tui.ui.run_view.entry_fill import selection_needs, shown_needs

TRIGGER = {"stepId": "t", "operation": "trigger", "status": "COMPLETED", "output": {}}
LOOP = {
    "stepId": "loop",
    "operation": "builtin:loop",
    "status": "COMPLETED",
    "output": {"collection": ["a", "b"], "totalItems": 2},
}
POLLS = 5000


def test_an_iteration_with_thousands_of_attempts_asks_for_a_bounded_fill():
    # A trigger and a loop whole, then iteration 1 polling 5,000 times, all plain.
    count = 2 + POLLS
    log = LogSkeleton(
        SkeletonColumns(
            step_ids=[None, None, *["poll"] * POLLS],
            names=[None, None, *["Poll"] * POLLS],
            iterations=[None, None, *[1] * POLLS],
            canceled=[None, None, *[False] * POLLS],
            whole={0: TRIGGER, 1: LOOP},
        )
    )
    assert len(log) == count
    tree = build_tree(log, run_status="RUNNING")
    loop = tree.nodes[1]
    assert isinstance(loop, LoopNode)
    iteration = loop.child_at(0)
    (poll,) = iteration.children
    assert isinstance(poll, RetriedNode) and poll.attempts == POLLS
    # Selecting the iteration, or showing it, reads what its pane and label show.
    assert len(selection_needs(tree, iteration)) <= EAGER_ATTEMPTS + 2
    indexes, keys = shown_needs(tree, [iteration])
    assert 0 < len(indexes) <= 2 and poll.key in keys
