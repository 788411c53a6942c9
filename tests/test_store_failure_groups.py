"""Failure groups read from a real PostgreSQL: keys, fallbacks, NEW, splitters, scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.database import run_row
from wflog_tui.model.failure_groups import TIMED_OUT_SIGNATURE, facts_from_log, group_key
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.failure_loading import (
    group_splitters,
    load_previous_keys,
    open_failure_log,
    refresh_failure_log,
)
from wflog_tui.store.failure_queries import FailurePage

DAY = RunFilter(since=timedelta(hours=24))


def _ago(**delta):
    return datetime.now(UTC) - timedelta(**delta)


def _failed(step, message, **fields):
    entry = {"stepId": step, "status": "FAILED", "error": {"message": message}}
    log = [{"stepId": "trigger", "status": "COMPLETED", "endedAt": "x"}, entry]
    return run_row(status="FAILED", steps_log=log, error="Action failed", **fields)


def _at(minutes):
    return {"started_at": _ago(minutes=minutes), "ended_at": _ago(minutes=minutes - 0.5)}


async def _groups(table, run_filter=DAY, scope=None):
    settings = StoreSettings(dsn=table.dsn, table=table.name, organisation_scope=scope)
    async with await open_store(settings) as store:
        log = await open_failure_log(store, run_filter)
        # Until the previous window is read, no group can be called new.
        assert not any(g.new for g in log.groups())
        await load_previous_keys(store, log, run_filter)
        return log.groups()


@pytest.fixture
async def incident(table):
    """Card declines that differ per run, a timeout, malformed logs, and passing runs."""
    rows = []
    for i in range(6):
        rows.append(
            _failed(
                "charge",
                f"card_declined for ORDER{1000 + i * 37} (req_{i:02d}9f8e7d6c5b4a)",
                input_payload={"invoice": {"currency": "JPY", "n": i}},
                workflow_version_id="v2",
                **_at(10 + i),
            )
        )
    for i in range(20):
        rows.append(
            run_row(
                input_payload={"invoice": {"currency": "EUR" if i % 2 else "USD", "n": i}},
                workflow_version_id="v2" if i % 3 else "v1",
                **_at(5 + i),
            )
        )
    rows.append(
        run_row(
            status="TIMED_OUT",
            steps_log=[
                {"stepId": "trigger", "status": "COMPLETED", "endedAt": "x"},
                {"stepId": "wait_for_reply", "status": "RUNNING"},
            ],
            **_at(30),
        )
    )
    # An object that looks like a failed entry is no log: it must not name a step.
    entry_alone = {"stepId": "alone", "status": "FAILED", "error": {"message": "no"}}
    malformed = [None, {"an": "object"}, entry_alone, "a string", [1, None, "x", [2]], 7]
    for n, log in enumerate(malformed):
        rows.append(
            run_row(
                status="FAILED", steps_log=log, error=f"Worker crashed after {n}1 ms", **_at(40 + n)
            )
        )
    rows.append(
        run_row(
            status="FAILED",
            steps_log=[{"stepId": 42, "status": "FAILED", "error": "not an object"}],
            error="Top 5",
            **_at(50),
        )
    )
    await table.insert(*rows)
    return table


async def test_groups_collapse_messages_and_apply_the_fallbacks(incident):
    groups = {(g.key.step_id, g.key.signature): g for g in await _groups(incident)}
    declined = groups[("charge", "card_declined for ORDER<n> (req_<hex>)")]
    assert declined.count == 6
    assert declined.key.workflow == "wf_1"
    assert declined.versions == {"v2": 6}
    assert len(declined.run_ids) == 6
    assert groups[("wait_for_reply", TIMED_OUT_SIGNATURE)].count == 1
    assert groups[(None, "Worker crashed after <n> ms")].count == 6
    # A failed entry without an error object falls back to the run's error, keeps its step.
    assert groups[("42", "Top <n>")].count == 1
    assert len(groups) == 4


async def test_groups_are_newest_activity_first_with_sparkline(incident):
    groups = await _groups(incident)
    assert [g.last_seen for g in groups] == sorted((g.last_seen for g in groups), reverse=True)
    assert all(sum(g.buckets) == g.count for g in groups)
    assert groups[0].run_ids[0] != groups[0].run_ids[-1]


async def test_json_and_text_columns_group_alike(make_table):
    for shape in ({"json_type": "json"}, {"status_enum": False, "timestamp_type": "timestamptz"}):
        table = await make_table(**shape)
        await table.insert(
            _failed("send", "SMTP timeout after 30012 ms", **_at(3)),
            _failed("send", "SMTP timeout after 5 ms", **_at(4)),
            run_row(status="TIMED_OUT", steps_log=[{"stepId": "w"}], **_at(5)),
            run_row(status="FAILED", steps_log={"x": 1}, error="boom", **_at(6)),
        )
        groups = {(g.key.step_id, g.key.signature): g.count for g in await _groups(table)}
        assert groups == {
            ("send", "SMTP timeout after <n> ms"): 2,
            ("w", TIMED_OUT_SIGNATURE): 1,
            (None, "boom"): 1,
        }, shape


async def test_a_group_is_new_only_without_failures_in_the_previous_window(table):
    await table.insert(
        _failed("a", "old failure 1", **_at(60)),
        _failed("a", "old failure 2", started_at=_ago(hours=30), ended_at=_ago(hours=30)),
        _failed("b", "fresh failure 1", **_at(60)),
        # Older than the previous window: does not make the group old.
        _failed("b", "fresh failure 3", started_at=_ago(hours=50), ended_at=_ago(hours=50)),
    )
    groups = {g.key.step_id: g for g in await _groups(table)}
    assert groups["b"].new
    assert not groups["a"].new
    assert groups["a"].count == 1  # the previous window's failure is not counted
    everything = {g.key.step_id: g for g in await _groups(table, RunFilter())}
    assert not everything["b"].new and everything["b"].count == 2


async def test_splitters_name_the_failing_input(incident):
    settings = StoreSettings(dsn=incident.dsn, table=incident.name)
    async with await open_store(settings) as store:
        log = await open_failure_log(store, DAY)
        group = next(g for g in log.groups() if g.key.step_id == "charge")
        report = await group_splitters(store, DAY, log.window, group)
    assert (report.failing_total, report.passing_total) == (6, 20)
    best = report.splitters[0]
    assert (best.path, best.value) == ("input.invoice.currency", "JPY")
    assert (best.failing, best.failing_total, best.passing, best.passing_total) == (6, 6, 0, 20)
    assert len(report.splitters) <= 5


async def test_refresh_asks_only_for_newer_failures(table):
    await table.insert(*[_failed("a", f"x {i}", **_at(30 + i)) for i in range(5)])
    settings = StoreSettings(dsn=table.dsn, table=table.name)
    async with await open_store(settings) as store:
        log = await open_failure_log(store, DAY)
        assert len(log) == 5
        await table.insert(_failed("b", "new kind 7", **_at(0.5)))
        # The new failure, and the newest one held again (the overlap starts at it).
        assert await refresh_failure_log(store, log, DAY) == 2
        assert {g.key.step_id: g.count for g in log.groups()} == {"a": 5, "b": 1}
        assert await refresh_failure_log(store, log, DAY) == 1  # the overlap, merged by id
        assert len(log) == 6


async def test_org_scope_holds_for_groups_samples_and_splitters(table):
    rows = []
    for i in range(4):
        rows.append(
            _failed(
                "charge",
                f"declined {i}",
                organisation_id="org_a",
                input_payload={"currency": "JPY"},
                **_at(5 + i),
            )
        )
        rows.append(
            _failed(
                "charge",
                f"declined {i}",
                organisation_id="org_b",
                run_id=f"01SECRET{i}",
                input_payload={"currency": "SECRET"},
                **_at(5 + i),
            )
        )
        rows.append(
            run_row(organisation_id="org_a", input_payload={"currency": "EUR"}, **_at(5 + i))
        )
        # Another tenant's passing runs share the failing value: in scope they must not count.
        rows.append(
            run_row(organisation_id="org_b", input_payload={"currency": "JPY"}, **_at(5 + i))
        )
    rows.append(_failed("only_b", "secret failure", organisation_id="org_b", **_at(3)))
    await table.insert(*rows)
    settings = StoreSettings(dsn=table.dsn, table=table.name, organisation_scope="org_a")
    async with await open_store(settings) as store:
        # A filter naming the other organisation cannot widen the scope.
        for run_filter in (DAY, RunFilter(since=timedelta(hours=24), organisation="org_b")):
            log = await open_failure_log(store, run_filter)
            for group in log.groups():
                assert set(group.organisations) <= {"org_a"}
                assert not any(r.startswith("01SECRET") for r in group.run_ids)
        log = await open_failure_log(store, DAY)
        (group,) = log.groups()
        assert group.count == 4
        report = await group_splitters(store, DAY, log.window, group)
    assert (report.failing_total, report.passing_total) == (4, 4)
    top = {(s.path, s.value): s for s in report.splitters}
    assert top[("input.currency", "JPY")].passing == 0
    assert all(s.value not in ("SECRET", "org_b") for s in report.splitters)


async def test_extreme_logs_never_fail_the_query(table):
    deep: object = {"message": "deep"}
    for _ in range(250):
        deep = {"n": deep}
    big = [{"stepId": f"s{i}", "status": "COMPLETED", "endedAt": "x"} for i in range(20_000)]
    big.append({"stepId": "last", "status": "FAILED", "error": {"message": "m" * 100_000}})
    await table.insert(
        run_row(status="FAILED", steps_log=big, **_at(3)),
        run_row(
            status="FAILED", steps_log=[{"status": "FAILED", "error": deep}], error="e", **_at(4)
        ),
        run_row(
            status="TIMED_OUT", steps_log=[{"status": "RUNNING", "stepId": {"x": 1}}], **_at(5)
        ),
        run_row(status="FAILED", steps_log=[], error=None, **_at(6)),
    )
    groups = {(g.key.step_id, g.key.signature) for g in await _groups(table)}
    assert ("last", "m" * 200) in groups
    assert (None, "e") in groups
    assert (None, TIMED_OUT_SIGNATURE) in groups  # a stepId that is an object names no step
    assert (None, "(no error message)") in groups


def _text(size: int):
    # PostgreSQL text holds no NUL, and JSON no lone surrogate.
    return st.text(
        st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=size
    )


_entry = st.fixed_dictionaries(
    {},
    optional={
        "stepId": st.one_of(
            st.sampled_from(["a", "b", "c"]), st.integers(0, 3), st.none(), st.just({"x": 1})
        ),
        "status": st.sampled_from(["FAILED", "RUNNING", "COMPLETED", "TIMED_OUT", "failed", 3]),
        "error": st.one_of(
            st.fixed_dictionaries(
                {"message": st.one_of(_text(30), st.integers(-(2**60), 2**60), st.none())}
            ),
            _text(10),
            st.none(),
        ),
        "endedAt": st.just("2026-11-26T09:00:00Z"),
    },
)
_log = st.one_of(
    st.lists(st.one_of(_entry, st.integers(-(2**60), 2**60), _text(5), st.none()), max_size=6),
    st.dictionaries(st.sampled_from(["status", "stepId"]), st.sampled_from(["FAILED", "x"])),
    st.none(),
    _text(5),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    logs=st.lists(
        st.tuples(_log, st.sampled_from(["FAILED", "TIMED_OUT"]), st.none() | _text(20)),
        min_size=1,
        max_size=15,
    )
)
async def test_the_server_reads_a_log_as_facts_from_log_does(make_table, logs):
    # The jsonb table's keys come from SQL; facts_from_log is the reading for text logs.
    table = await make_table()
    rows = [
        run_row(status=status, steps_log=log, error=error, **_at(1 + i))
        for i, (log, status, error) in enumerate(logs)
    ]
    await table.insert(*rows)
    settings_ = StoreSettings(dsn=table.dsn, table=table.name)
    async with await open_store(settings_) as store:
        found = {f.id: f.key for f in await store.fetch_failures(DAY, FailurePage(None))}
    for row in rows:
        expected = group_key(
            "wf_1", None, facts_from_log(row["steps_log"], row["status"], row["error"])
        )
        assert found[row["id"]] == expected, row["steps_log"]
