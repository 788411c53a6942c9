"""Grouping failures and ranking what their runs share, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as s

from wflog_tui.model.failure_groups import (
    TIMED_OUT_SIGNATURE,
    Failure,
    FailureFacts,
    FailureLog,
    GroupKey,
    TimeWindow,
    facts_from_log,
    group_key,
    summarise,
)
from wflog_tui.model.failure_splitters import (
    MAX_ARRAY_ITEMS,
    MAX_VALUE_CHARS,
    SampleRun,
    rank_splitters,
    scalar_leaves,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = TimeWindow(NOW - timedelta(hours=24), NOW)


def _failed(step, message, status="FAILED"):
    return {"stepId": step, "status": status, "error": {"message": message}, "endedAt": "x"}


def test_key_is_workflow_first_failed_step_and_signature():
    log = [
        {"stepId": "trigger", "status": "COMPLETED", "endedAt": "x"},
        _failed("charge", "card_declined for ORDER1042 (req_9f8e7d6c5b4a)"),
        _failed("refund", "other"),
    ]
    key = group_key("wf_1", "Billing", facts_from_log(log, "FAILED", "Action failed"))
    assert key == GroupKey("wf_1", False, "charge", "card_declined for ORDER<n> (req_<hex>)")
    assert group_key(None, "Billing", facts_from_log(log, "FAILED", None)).workflow == "Billing"
    assert group_key(None, "Billing", facts_from_log(log, "FAILED", None)).by_name


def test_timed_out_without_failed_step_groups_under_last_open_step():
    log = [
        {"stepId": "a", "status": "COMPLETED", "endedAt": "x"},
        {"stepId": "wait", "status": "RUNNING"},
        {"stepId": "b", "status": "COMPLETED", "endedAt": "x"},
    ]
    key = group_key("wf", None, facts_from_log(log, "TIMED_OUT", "deadline 30012 ms"))
    assert (key.step_id, key.signature) == ("wait", TIMED_OUT_SIGNATURE)
    # With a failed step, a timed-out run groups by it like any failure.
    log.append(_failed("c", "boom 1"))
    assert group_key("wf", None, facts_from_log(log, "TIMED_OUT", None)).step_id == "c"


def test_malformed_or_missing_log_falls_back_to_top_level_error():
    for log in (None, {"not": "an array"}, "text", [1, "x", None], []):
        key = group_key("wf", None, facts_from_log(log, "FAILED", "Action failed: 42 rows"))
        assert (key.step_id, key.signature) == (None, "Action failed: <n> rows")


def test_failed_entry_without_message_uses_top_level_error():
    key = group_key(
        "wf", None, facts_from_log([{"stepId": "s", "status": "FAILED"}], "FAILED", "x 1")
    )
    assert (key.step_id, key.signature) == ("s", "x <n>")


def _failure(n, key, *, at, org="org_a", version="v1"):
    return Failure(
        id=f"id{n}",
        run_id=f"run{n}",
        status="FAILED",
        key=key,
        workflow_name="Billing",
        organisation_id=org,
        workflow_version_id=version,
        started_at=at,
        at=at,
    )


A = GroupKey("wf", False, "charge", "declined")
B = GroupKey("wf", False, "email", "timeout")


def test_aggregates_of_a_group():
    failures = [
        _failure(1, A, at=NOW - timedelta(hours=23, minutes=30), org="org_a"),
        _failure(2, A, at=NOW - timedelta(hours=1), org="org_b", version="v2"),
        _failure(3, A, at=NOW - timedelta(minutes=5), org="org_b", version="v2"),
        _failure(4, B, at=NOW - timedelta(hours=2)),
    ]
    groups = summarise(failures, DAY, previous_keys=frozenset({B}), buckets=24)
    assert [g.key for g in groups] == [A, B]  # newest activity first
    a = groups[0]
    assert a.count == 3
    assert a.first_seen == NOW - timedelta(hours=23, minutes=30)
    assert a.last_seen == NOW - timedelta(minutes=5)
    assert a.buckets[0] == 1 and a.buckets[-1] == 2 and sum(a.buckets) == 3
    assert a.organisations == {"org_b": 2, "org_a": 1}
    assert a.versions == {"v2": 2, "v1": 1}
    assert a.run_ids == ("run3", "run2", "run1")
    assert a.new and not groups[1].new


def test_no_previous_window_means_nothing_is_new():
    groups = summarise([_failure(1, A, at=NOW)], TimeWindow(None, NOW))
    assert not groups[0].new
    assert TimeWindow(None, NOW).previous is None
    assert DAY.previous == TimeWindow(NOW - timedelta(hours=48), NOW - timedelta(hours=24))


def test_failure_log_merges_by_id_and_drops_what_leaves_the_window():
    log = FailureLog(DAY)
    log.merge(
        [_failure(1, A, at=NOW - timedelta(hours=23)), _failure(2, A, at=NOW - timedelta(hours=1))]
    )
    log.merge([_failure(2, B, at=NOW - timedelta(hours=1))])
    assert len(log) == 2
    assert log.newest_at == NOW - timedelta(hours=1)
    assert {g.key for g in log.groups()} == {A, B}
    log.move_to(TimeWindow(NOW - timedelta(hours=2), NOW + timedelta(hours=22)))
    assert [g.key for g in log.groups()] == [B]


def test_facts_agree_whatever_the_entry_types():
    facts = facts_from_log(
        [{"stepId": 7, "status": "FAILED", "error": {"message": {"a": 1}}}], "FAILED", None
    )
    assert facts == FailureFacts("FAILED", None, True, "7", '{"a":1}')


# ---- splitters --------------------------------------------------------------------------


def test_leaves_are_paths_and_values_bounded():
    payload = {"invoice": {"currency": "JPY", "lines": list(range(50))}, "odd key": "x" * 500}
    leaves = dict(scalar_leaves(payload))
    assert leaves["input.invoice.currency"] == "JPY"
    assert len([p for p in leaves if p.startswith("input.invoice.lines[")]) == MAX_ARRAY_ITEMS
    assert leaves['input["odd key"]'] == "x" * MAX_VALUE_CHARS + "…"
    assert dict(scalar_leaves(7)) == {"input": 7}
    assert dict(scalar_leaves({"a": {}, "b": []})) == {}


def test_splitters_show_their_evidence():
    failing = [
        SampleRun({"invoice": {"currency": "JPY"}, "n": i}, "org_a", "v2") for i in range(60)
    ]
    passing = [
        SampleRun({"invoice": {"currency": "EUR"}, "n": i}, "org_a", "v1") for i in range(300)
    ]
    best = rank_splitters(failing, passing)
    assert (best[0].path, best[0].value) in {
        ("input.invoice.currency", "JPY"),
        ("workflow_version_id", "v2"),
    }
    top = {(sp.path, sp.value): sp for sp in best}
    jpy = top[("input.invoice.currency", "JPY")]
    assert (jpy.failing, jpy.failing_total, jpy.passing, jpy.passing_total) == (60, 60, 0, 300)
    # Shared by every run: no evidence either way, so not a splitter.
    assert ("organisation_id", "org_a") not in top
    assert rank_splitters([], passing) == []


_scalars = s.one_of(s.integers(-5, 5), s.sampled_from(["a", "b", "c"]), s.booleans(), s.none())
_payloads = s.dictionaries(s.sampled_from(["x", "y", "z", "w"]), _scalars, max_size=4)


@settings(max_examples=60, deadline=None)
@given(
    failing_noise=s.lists(_payloads, min_size=1, max_size=20),
    extra_passing=s.lists(_payloads, max_size=20),
    planted_value=s.sampled_from(["JPY", 42, True]),
)
def test_a_planted_separating_attribute_ranks_first(failing_noise, extra_passing, planted_value):
    # Passing runs include every failing run's noise, so no noise value separates fully;
    # the planted attribute is in every failing run and in no passing one.
    failing = [SampleRun({**p, "plan": planted_value}, "org", "v") for p in failing_noise]
    passing = [
        SampleRun({**p, "plan": "other"}, "org", "v") for p in [*failing_noise, *extra_passing]
    ]
    best = rank_splitters(failing, passing)
    assert (best[0].path, best[0].value) == ("input.plan", planted_value)
    assert (best[0].failing, best[0].passing) == (len(failing), 0)


def test_run_ids_of_a_group_and_keys_that_leave_the_window():
    log = FailureLog(DAY)
    log.previous_keys = frozenset()
    log.merge(
        [
            _failure(1, A, at=NOW - timedelta(hours=23)),
            _failure(2, A, at=NOW - timedelta(hours=2)),
            _failure(3, B, at=NOW - timedelta(hours=1)),
        ]
    )
    assert log.run_ids(A) == ["run2", "run1"]
    assert all(g.new for g in log.groups())
    # Run 1 leaves the window and is in the previous one now: A is no longer new.
    log.move_to(TimeWindow(NOW - timedelta(hours=22), NOW + timedelta(hours=2)))
    assert {g.key: g.new for g in log.groups()} == {A: False, B: True}
    assert log.run_ids(A) == ["run2"]
