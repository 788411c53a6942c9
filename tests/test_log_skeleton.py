"""The skeleton of a big log, without a database: columns in, entries and facts out."""

from __future__ import annotations

import gc
import threading

from hypothesis import given, settings
from hypothesis import strategies as hs

from wflog_tui.model.collector_pause import pause_collector, paused_collector
from wflog_tui.model.entries import StepEntry, entry_facts, parse_entry
from wflog_tui.model.log_skeleton import LogSkeleton, SkeletonColumns
from wflog_tui.model.step_tree import build_tree, refresh_spans

TRIGGER = {"stepId": "t", "operation": "trigger", "status": "COMPLETED", "output": {"n": 2}}
LOOP = {
    "stepId": "each",
    "operation": "builtin:loop",
    "status": "COMPLETED",
    "output": {"collection": ["a", "b"], "totalItems": 2},
}


def skeleton() -> LogSkeleton:
    """Trigger and loop whole; two plain iterations; a plain step of spaces after."""
    return LogSkeleton(
        SkeletonColumns(
            step_ids=[None, None, "send", "send", "  "],
            names=[None, None, "Send", None, None],
            iterations=[None, None, 1, 2, None],
            canceled=[None, None, False, True, False],
            whole={0: TRIGGER, 1: LOOP},
        )
    )


def test_plain_entries_read_as_their_shape_and_come_pending():
    log = skeleton()
    assert len(log) == 5 and [log.is_plain(i) for i in range(5)] == [False, False, True, True, True]
    assert log[0] == TRIGGER and log[-5] == TRIGGER
    assert log[2] == {"stepId": "send", "status": "COMPLETED", "stepName": "Send", "iteration": 1}
    assert log[3] == {"stepId": "send", "status": "CANCELED", "iteration": 2}
    entry = log.parse(2)
    assert isinstance(entry, StepEntry) and entry.payload_pending and entry.label == "Send"
    assert not log.parse(0).payload_pending  # type: ignore[union-attr]


def test_facts_agree_with_the_facts_of_the_shapes():
    """Read one by one from the columns, or made all at once: the facts of the shapes."""
    log = skeleton()
    expected = [entry_facts(log[i]) for i in range(len(log))]
    facts = log.facts()
    assert [facts[i] for i in range(len(log))] == expected
    assert facts[-1] == expected[-1] and facts[1:3] == expected[1:3]
    assert log.fact_list() == expected == list(facts)
    assert facts[4] == (None, "COMPLETED", None, None)  # a stepId of spaces is none


def test_a_tail_replaces_everything_from_its_start_and_keeps_the_rest():
    log = skeleton()
    new = {"stepId": "send", "status": "RUNNING", "iteration": 2}
    longer = log.with_tail(3, [new, {"stepId": "after", "status": "COMPLETED"}])
    assert len(longer) == 5 and longer[2] == log[2] and longer[3] == new
    assert not longer.is_plain(3) and longer.is_plain(2)
    assert len(log) == 5 and log[3]["status"] == "CANCELED"  # the old one is unchanged
    tree = build_tree(longer, run_status="RUNNING")
    assert tree.first_unfinished_index() == 3


def test_filling_an_entry_gives_its_node_the_times_it_lacked():
    whole = {
        "stepId": "send",
        "stepName": "Send",
        "status": "COMPLETED",
        "iteration": 1,
        "startedAt": "2026-11-26T10:00:00Z",
        "endedAt": "2026-11-26T10:00:02Z",
        "input": {"to": "a"},
    }
    tree = build_tree(skeleton(), run_status="COMPLETED")
    iteration = tree.find(("s1", "s1/i1"))
    assert iteration is not None and iteration.duration_ms is None
    tree.entries.fill(2, whole)
    refresh_spans(iteration)
    assert iteration.duration_ms == 2000.0
    assert iteration.children[0].duration_ms == 2000.0
    entry = tree.entries[2]
    assert entry == parse_entry(2, whole)  # the same as if it had come whole


def test_a_filled_entry_that_is_gone_from_the_log_keeps_its_shape():
    tree = build_tree(skeleton(), run_status="COMPLETED")
    tree.entries.fill(3, None)
    entry = tree.entries[3]
    assert isinstance(entry, StepEntry) and not entry.payload_pending
    assert entry.status == "CANCELED"


def test_collector_pauses_nest_and_leave_it_as_found():
    assert gc.isenabled()
    release = pause_collector()
    with paused_collector():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the outer pause still holds
    release()
    release()  # a second call does nothing
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_collector():
            pass
        assert not gc.isenabled()  # found off, left off
    finally:
        gc.enable()


def test_collector_pauses_from_threads_are_counted():
    outer = pause_collector()
    paused, done = threading.Event(), threading.Event()

    def worker() -> None:
        with paused_collector():
            paused.set()
            done.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    assert paused.wait(5)
    outer()
    assert not gc.isenabled()  # the thread's pause is still on
    done.set()
    thread.join()
    assert gc.isenabled()


def test_pending_after_lists_unfilled_plain_entries_without_parsing_them():
    five = LogSkeleton(
        SkeletonColumns(
            step_ids=[None, None, *["send"] * 5],
            names=[None] * 7,
            iterations=[None, None, 1, 2, 3, 4, 5],
            canceled=[None, None, *[False] * 5],
            whole={0: TRIGGER, 1: LOOP},
        )
    )
    entries = build_tree(five, run_status="COMPLETED").entries
    assert entries.pending_after(0) == [2, 3, 4, 5, 6]
    assert entries.parsed()[4] is None  # found without being parsed
    entries.fill(3, {"stepId": "send", "status": "COMPLETED", "iteration": 2})
    assert entries.pending_after(2) == [4, 5, 6]
    assert build_tree([TRIGGER, LOOP], run_status="COMPLETED").entries.pending_after(0) == []


def test_what_a_pause_allocated_ends_in_the_oldest_generation():
    """A big read's objects live as long as its run is open: when the last pause ends
    they are moved to the oldest generation, so the young collections right after (as
    the run lands) do not walk them all. Objects frozen by someone else stay frozen."""
    frozen = gc.get_freeze_count()
    gc.unfreeze()  # the suite freezes its heap (conftest); put back in the `finally`
    try:
        with paused_collector():
            kept = [[number] for number in range(1_000)]
        assert any(item is kept[0] for item in gc.get_objects(generation=2))
        assert not any(item is kept[-1] for item in gc.get_objects(generation=0))

        gc.freeze()
        held = gc.get_freeze_count()
        with paused_collector():
            more = [[number] for number in range(10)]
        assert gc.get_freeze_count() == held  # not unfrozen by the pause
        assert more
    finally:
        if frozen:
            gc.freeze()


@settings(max_examples=40, deadline=None)
@given(
    shapes=hs.lists(
        hs.tuples(
            hs.sampled_from(["whole", "done", "canceled"]),
            hs.integers(0, 5_000_000),
            hs.one_of(hs.none(), hs.text(max_size=3)),
        ),
        max_size=30,
    )
)
def test_a_packed_skeleton_reads_as_its_columns(shapes):
    """Kinds, names, iterations and sizes survive packing; a size comes back as a bound
    at most twice as big; the notable entries are exactly those not plain and completed."""
    columns = SkeletonColumns(
        step_ids=[
            None if kind == "whole" else f"s{i % 3}" for i, (kind, _, _) in enumerate(shapes)
        ],
        names=[None if kind == "whole" else name for kind, _, name in shapes],
        iterations=[
            None if kind == "whole" or i % 4 == 0 else i for i, (kind, _, _) in enumerate(shapes)
        ],
        canceled=[None if kind == "whole" else kind == "canceled" for kind, _, _ in shapes],
        whole={
            i: {"stepId": "w", "status": "FAILED"}
            for i, (k, _, _) in enumerate(shapes)
            if k == "whole"
        },
        sizes=[size for _, size, _ in shapes],
    )
    log = LogSkeleton(columns)
    for index, (kind, size, name) in enumerate(shapes):
        if kind == "whole":
            assert not log.is_plain(index) and log.size_of(index) == 0
            assert log[index] == {"stepId": "w", "status": "FAILED"}
            continue
        value = log[index]
        assert value["status"] == ("CANCELED" if kind == "canceled" else "COMPLETED")
        assert value.get("stepName") == name
        assert value.get("iteration") == columns.iterations[index]
        assert size <= log.size_of(index) <= 2 * size
    assert log.notable_indexes() == [i for i, (k, _, _) in enumerate(shapes) if k != "done"]
    facts = log.facts()
    assert [facts[i] for i in range(len(log))] == log.fact_list()
    # The entries no stretch of iterations runs through: all but plain completed ones
    # with an iteration number.
    assert log.stretch_breaks(log.notable_indexes()) == [
        i
        for i, (kind, _, _) in enumerate(shapes)
        if kind != "done" or columns.iterations[i] is None
    ]
