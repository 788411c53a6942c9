"""Big logs come as a skeleton; the entries someone looks at are fetched whole after.

What a skeleton says of an entry before its whole element arrives must agree with what
the whole element says: the tree built from a skeleton has the same shape, statuses,
failures and keys as the tree built from the log itself.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hs

from tests.database import run_row
from tests.roles import alter_role, dsn_as, role
from wflog_tui.model.entries import StepEntry
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.step_tree import StepTree, build_tree
from wflog_tui.store import StoreSettings, load_run, open_store

LOG = [
    {"stepId": "t", "operation": "trigger", "status": "COMPLETED", "output": {"user": "ann"}},
    {
        "stepId": "each",
        "operation": "builtin:loop",
        "status": "COMPLETED",
        "output": {"collection": ["a", "b"], "totalItems": 2},
    },
    {
        "stepId": "send",
        "stepName": "Send mail",
        "operation": "email",
        "status": "COMPLETED",
        "iteration": 1,
        "totalItems": 2,
        "startedAt": "2026-11-26T10:00:00Z",
        "endedAt": "2026-11-26T10:00:01Z",
        "input": {"to": "a"},
        "output": {"id": 1},
    },
    {
        "stepId": "send",
        "operation": "email",
        "status": "FAILED",
        "iteration": 2,
        "input": {"to": "b"},
        "error": {"message": "bounced"},
    },
    "not a step",
    {"stepId": "after", "status": "CANCELED", "iteration": "3"},
]


@pytest.mark.parametrize("json_type", ["jsonb", "json"])
async def test_a_big_log_comes_as_a_skeleton_and_fetch_entries_fills_it(make_table, json_type):
    table = await make_table(json_type=json_type)
    await table.insert(run_row(run_id="01BIG", status="FAILED", steps_log=LOG))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        detail = await store.fetch_run("01BIG", skeleton_over=10)
        skeleton = detail.steps_log
        assert isinstance(skeleton, LogSkeleton) and len(skeleton) == len(LOG)
        # The trigger, the loop, the failure and the non-step come whole.
        assert [skeleton.is_plain(i) for i in range(len(LOG))] == [
            False, False, True, False, False, True
        ]  # fmt: skip
        assert skeleton[0] == LOG[0] and skeleton[1] == LOG[1] and skeleton[3] == LOG[3]
        assert skeleton[4] == "not a step"
        # A plain entry is its shape: no payloads, no times until filled.
        assert skeleton[2] == {
            "stepId": "send",
            "status": "COMPLETED",
            "stepName": "Send mail",
            "iteration": 1,
        }
        assert skeleton[5] == {"stepId": "after", "status": "CANCELED", "iteration": 3}

        tree = build_tree(skeleton, run_status="FAILED")
        sent = tree.entries[2]
        assert isinstance(sent, StepEntry) and sent.payload_pending
        assert sent.label == "Send mail" and sent.started_at is None
        failed = tree.entries[3]
        assert isinstance(failed, StepEntry) and not failed.payload_pending
        assert tree.failures[0].message == "bounced"

        whole = await store.fetch_entries("01BIG", [2, 5, 99])
        assert whole == {2: LOG[2], 5: LOG[5]}
        tree.entries.fill(2, whole[2])
        assert not sent.payload_pending and sent.input == {"to": "a"}
        assert sent.operation == "email" and sent.duration_ms == 1000.0

        small = await store.fetch_run("01BIG", skeleton_over=10_000_000)
        assert small.steps_log == LOG
    finally:
        await store.close()


async def test_a_big_skeleton_is_read_in_memory_not_through_a_temporary_file(table, pg_dsn):
    """Expanding a log with `jsonb_array_elements` holds all its elements at once, which
    at the default 4 MB of work_mem goes through a temporary file. The skeleton reads them
    by position instead: a role allowed no temporary file at all, at the least work_mem
    there is, still reads the skeleton of a log of about 9 MB."""
    pad = "x" * 250
    log = [
        {"stepId": "s", "status": "COMPLETED", "iteration": i + 1, "output": {"pad": pad}}
        for i in range(30_000)
    ]
    log.append({"stepId": "s", "status": "FAILED", "iteration": 30_001, "error": "boom"})
    await table.insert(run_row(run_id="01BIG", status="FAILED", steps_log=log))
    async with role(pg_dsn, table) as name:
        await alter_role(pg_dsn, name, "SET temp_file_limit = 0")
        await alter_role(pg_dsn, name, "SET work_mem = '64kB'")
        store = await open_store(StoreSettings(dsn=dsn_as(table.dsn, name), table=table.name))
        try:
            detail = await store.fetch_run("01BIG", skeleton_over=10)
        finally:
            await store.close()
    skeleton = detail.steps_log
    assert isinstance(skeleton, LogSkeleton) and len(skeleton) == len(log)
    assert skeleton.is_plain(0) and not skeleton.is_plain(30_000)


async def test_a_big_log_that_is_no_array_comes_whole(table):
    """The server reads a log made one value in memory, which wraps anything but an array
    in an array of one: an object or a number still comes whole and has no entries, and a
    log of one entry is still a log of one entry."""
    one = {"stepId": "a", "status": "COMPLETED"}
    await table.insert(
        run_row(run_id="01OBJ", steps_log={"not": "an array"}),
        run_row(run_id="01NUM", steps_log=5),
        run_row(run_id="01ONE", steps_log=[one]),
    )
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        detail = await store.fetch_run("01OBJ", skeleton_over=1)
        assert detail.steps_log == {"not": "an array"}
        assert await store.fetch_entries("01OBJ", [0]) == {}
        assert (await store.fetch_run("01NUM", skeleton_over=1)).steps_log == 5
        assert await store.fetch_entries("01NUM", [0]) == {}
        skeleton = (await store.fetch_run("01ONE", skeleton_over=1)).steps_log
        assert isinstance(skeleton, LogSkeleton) and list(skeleton) == [one]
        assert await store.fetch_entries("01ONE", [0, 1]) == {0: one}
    finally:
        await store.close()


async def test_fetch_entries_respects_the_organisation_scope(table):
    await table.insert(run_row(run_id="01OTHER", organisation_id="org_b", steps_log=LOG))
    store = await open_store(
        StoreSettings(dsn=table.dsn, table=table.name, organisation_scope="org_a")
    )
    try:
        assert await store.fetch_entries("01OTHER", [2]) == {}
        assert await store.fetch_run("01OTHER", skeleton_over=1) is None
    finally:
        await store.close()


async def test_load_run_builds_the_tree_of_a_skeleton(table, monkeypatch):
    from wflog_tui.store import run_loading

    await table.insert(run_row(run_id="01LOAD", status="FAILED", steps_log=LOG))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        loaded = await load_run(store, "01LOAD")
        assert loaded is not None and loaded.detail.steps_log == LOG  # small: whole
        monkeypatch.setattr(run_loading, "SKELETON_OVER_BYTES", 1)
        loaded = await load_run(store, "01LOAD")
        assert loaded is not None and isinstance(loaded.detail.steps_log, LogSkeleton)
        assert [f.keys for f in loaded.tree.failures] == [("s1", "s1/i2", "s1/i2/s3")]
        assert await load_run(store, "01NOPE") is None
    finally:
        await store.close()


def _shape(tree: StepTree) -> list:
    """What a tree shows before any entry is opened: nodes, statuses, failures, keys."""
    loops = [n for n in tree.nodes if n.kind.value == "loop"]
    return [
        [(n.key, n.kind.value, n.status, n.label) for n in tree.nodes],
        [(f.entry_index, f.keys, f.status, f.message) for f in tree.failures],
        [sorted(loop.iteration_status.items()) for loop in loops],  # type: ignore[attr-defined]
        [tree.keys_of_entry(i) for i in range(len(tree.entries))],
        tree.first_unfinished_index(),
    ]


_scalar = hs.one_of(
    hs.none(),
    hs.booleans(),
    hs.integers(-3, 12),
    hs.sampled_from([0.5, 3.0, 1e3, "", " ", "3", "03", "x", "{", "true", "2026-11-26T10:00:00Z"]),
)
_status = hs.one_of(
    hs.sampled_from(["COMPLETED", "CANCELED", "FAILED", "RUNNING", "completed", " COMPLETED"]),
    _scalar,
)
# Names a label is read from: ASCII ones told from a number or `true` by their bytes
# alone, and those only their JSON type tells (non-ASCII, blank to Python, bracketed).
_name = hs.sampled_from(
    ["n1", "Look up", "~x", "Überprüfen", "検証", "\u3000", "\xa0", " x", "[x]", "\\x", "true"]
)
_entry = hs.one_of(
    hs.fixed_dictionaries(
        {"status": _status},
        optional={
            "stepId": hs.one_of(hs.sampled_from(["a", "b", "loop", " "]), _name, _scalar),
            "operation": hs.one_of(hs.sampled_from(["builtin:loop", "trigger", "http"]), _scalar),
            "iteration": hs.one_of(hs.integers(-1, 4), _scalar),
            "stepName": hs.one_of(_name, _scalar),
            "name": hs.one_of(_name, _scalar),
            "totalItems": hs.one_of(hs.integers(0, 5), _scalar),
            "error": hs.one_of(hs.none(), hs.just({"message": "boom"})),
        },
    ),
    _scalar,
    hs.lists(_scalar, max_size=2),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(log=hs.lists(_entry, max_size=12))
@example(log=[{"status": "COMPLETED", "stepId": "a", "stepName": False, "name": "n1"}])
@example(log=[{"status": "COMPLETED", "stepId": "a", "stepName": "\u3000", "name": "n1"}])
@example(log=[{"status": "COMPLETED", "stepId": "a", "stepName": 1e3}])
async def test_a_tree_from_a_skeleton_has_the_shape_of_the_tree_from_the_log(table, log):
    """Whatever the entries hold, the skeleton's tree and the whole log's agree on every
    node, status, failure and key; and filling every entry makes them agree entry by entry."""
    row = run_row(status="FAILED", steps_log=log)
    await table.insert(row)
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        whole = await store.fetch_run(row["run_id"])
        skeleton = await store.fetch_run(row["run_id"], skeleton_over=0)
    finally:
        await store.close()
    expected = build_tree(whole.steps_log, run_status="FAILED")
    if not isinstance(skeleton.steps_log, LogSkeleton):
        assert skeleton.steps_log == whole.steps_log  # an empty log comes as itself
        return
    tree = build_tree(skeleton.steps_log, run_status="FAILED")
    assert _shape(tree) == _shape(expected)
    for index, value in enumerate(whole.steps_log):
        tree.entries.fill(index, value)
        assert tree.entries[index] == expected.entries[index]


async def test_an_iteration_the_client_cannot_read_for_sure_makes_its_entry_whole(table):
    """Iterations come as text, checked by the client: one that is no plain number
    ("007", 7.0, a number past nine digits) has the server asked again, and its entry
    comes whole, read as `parse_entry` reads it; the others stay plain."""
    log = [
        {"stepId": "a", "status": "COMPLETED", "iteration": 1},
        {"stepId": "a", "status": "COMPLETED", "iteration": "007"},
        {"stepId": "a", "status": "COMPLETED", "iteration": 7.0},
        {"stepId": "a", "status": "COMPLETED", "iteration": 12345678901},
        {"stepId": "a", "status": "COMPLETED", "iteration": "8"},
    ]
    await table.insert(run_row(run_id="01ODD", status="COMPLETED", steps_log=log))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        detail = await store.fetch_run("01ODD", skeleton_over=0)
    finally:
        await store.close()
    skeleton = detail.steps_log
    assert isinstance(skeleton, LogSkeleton)
    assert [skeleton.is_plain(i) for i in range(5)] == [True, False, False, False, True]
    assert [skeleton.parse(i).iteration for i in range(5)] == [1, 7, 7, 12345678901, 8]


async def test_a_started_load_is_ready_before_its_statement_has_ended(table):
    """`start_loading`'s future is done the moment the tree is built, while the store
    still ends the statement (its next query waits for that); a run that is not there is
    None, and a store that cannot answer is the future's error."""
    from wflog_tui.store import StoreError, start_loading

    await table.insert(run_row(run_id="01BIG", status="FAILED", steps_log=LOG))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        loaded = await start_loading(store, "01BIG")
        assert store.stats.in_flight == 1  # the connection is still being given back
        assert loaded is not None and loaded.tree.failures[0].iteration == 2
        assert await start_loading(store, "01NONE") is None
        assert store.stats.peak_in_flight == 1
    finally:
        await store.close()
    with pytest.raises(StoreError):
        await start_loading(store, "01BIG")


_CANONICAL_ITERATION = re.compile(r"0|[1-9][0-9]{0,8}")


@settings(max_examples=300, deadline=None)
@given(
    texts=hs.lists(
        hs.one_of(
            hs.integers(0, 10**10).map(str),
            hs.sampled_from(["", "00", "007", "7.0", "-1", "1e3", "true", " 7", "٣", "0x10"]),
            hs.text(alphabet="0123456789.-e", max_size=11),
        ),
        max_size=30,
    )
)
def test_iteration_texts_are_numbers_only_when_each_is_plainly_one(texts):
    """The client reads the iterations' texts as numbers only when every one is 0 (none)
    or one to nine digits without a leading zero; anything else has the server decide."""
    from wflog_tui.store.queries import _iterations

    packed = "\x00".join(texts).encode() if texts else None
    expected = (
        [int(text) for text in texts]
        if all(_CANONICAL_ITERATION.fullmatch(text) for text in texts)
        else None
    )
    assert _iterations(packed, len(texts)) == expected
    if texts:
        assert _iterations(packed, len(texts) + 1) is None  # a count that does not match
