"""The store's queries against every table shape: paging, filters, counts, refresh, detail."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.database import BASE_TIME, run_row
from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.store import (
    PageCursor,
    RunFilter,
    RunNotFound,
    Store,
    StoreSettings,
    open_store,
)

SHAPES = [
    pytest.param({}, id="enum-jsonb-timestamp3"),
    pytest.param(
        {"status_enum": False, "json_type": "json", "timestamp_type": "timestamptz"},
        id="text-json-timestamptz",
    ),
    pytest.param(
        {"status_enum": False, "json_type": "jsonb", "timestamp_type": "timestamp(3)"},
        id="text-jsonb-timestamp3",
    ),
    pytest.param(
        {"json_type": "json", "timestamp_type": "timestamptz", "recommended_indexes": False},
        id="enum-json-timestamptz-noindex",
    ),
]


async def open_for(handle, **settings) -> Store:
    return await open_store(StoreSettings(dsn=handle.dsn, table=handle.name, **settings))


def ago(**delta) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


@pytest.fixture(params=SHAPES)
async def shaped(request, make_table):
    return await make_table(**request.param)


async def test_page_returns_summaries_newest_first_with_aware_times(shaped):
    await shaped.insert(
        run_row(id="a", run_id="r-a", started_at=BASE_TIME, error="x" * 2000, status="FAILED"),
        run_row(
            id="b",
            run_id="r-b",
            started_at=BASE_TIME + timedelta(seconds=1),
            ended_at=BASE_TIME + timedelta(seconds=1, milliseconds=500),
        ),
    )
    async with await open_for(shaped) as store:
        page = await store.fetch_page(RunFilter())
    assert [r.id for r in page] == ["b", "a"]
    assert all(isinstance(r, RunSummary) for r in page)
    assert page[1].started_at == BASE_TIME
    assert page[1].started_at.tzinfo is not None
    assert page[1].status == "FAILED"
    # The error travels cut short; the full text comes with the run's detail.
    assert page[1].error == "x" * 500
    assert page[0].ended_at == BASE_TIME + timedelta(seconds=1, milliseconds=500)
    assert page[0].duration_ms == 500
    assert store.stats.last["fetch_page"].rows == 2


async def test_keyset_paging_visits_every_row_once_despite_tied_start_times(shaped):
    rows = [
        run_row(id=f"id{i:03d}", started_at=BASE_TIME + timedelta(seconds=i // 4))
        for i in range(37)
    ]
    await shaped.insert(*rows)
    seen: list[str] = []
    async with await open_for(shaped) as store:
        cursor = None
        while True:
            page = await store.fetch_page(RunFilter(), before=cursor, limit=5)
            if not page:
                break
            seen += [r.id for r in page]
            cursor = PageCursor.after(page[-1])
    assert sorted(seen) == sorted(r["id"] for r in rows)
    assert len(seen) == len(set(seen))
    expected = sorted(rows, key=lambda r: (r["started_at"], r["id"]), reverse=True)
    assert seen == [r["id"] for r in expected]


async def test_unknown_status_is_kept_verbatim_and_filterable(make_table):
    handle = await make_table(status_enum=False)
    await handle.insert(run_row(id="p", status="PAUSED"), run_row(id="c"))
    async with await open_for(handle) as store:
        page = await store.fetch_page(RunFilter(statuses=frozenset({"PAUSED"})))
        counts = await store.count_by_status(RunFilter())
    assert [(r.id, r.status) for r in page] == [("p", "PAUSED")]
    assert counts["PAUSED"] == 1
    assert counts["COMPLETED"] == 1
    assert counts["RUNNING"] == 0


async def test_status_filter_on_enum_ignores_labels_the_enum_lacks(table):
    await table.insert(run_row(id="f", status="FAILED"), run_row(id="c"))
    async with await open_for(table) as store:
        both = await store.fetch_page(RunFilter(statuses=frozenset({"FAILED", "PAUSED"})))
        none = await store.fetch_page(RunFilter(statuses=frozenset({"PAUSED"})))
    assert [r.id for r in both] == ["f"]
    assert none == []


async def test_each_filter_narrows_the_list(shaped):
    now = datetime.now(UTC)
    await shaped.insert(
        run_row(id="old", run_id="01OLD", started_at=now - timedelta(hours=3)),
        run_row(
            id="wf",
            run_id="01WFX",
            workflow_name="Sync HubSpot",
            started_at=now - timedelta(minutes=5),
        ),
        run_row(
            id="org",
            run_id="01ORG",
            organisation_id="org_b",
            event_name="user/signup",
            event_id="EVT_SPECIAL_1",
            started_at=now - timedelta(minutes=4),
        ),
        run_row(
            id="pct",
            run_id="01P%_X",
            workflow_name="100% legit_flow",
            status="FAILED",
            started_at=now - timedelta(minutes=3),
        ),
    )

    async def ids(**fields) -> set[str]:
        return {r.id for r in await store.fetch_page(RunFilter(**fields))}

    async with await open_for(shaped) as store:
        assert await ids() == {"old", "wf", "org", "pct"}
        assert await ids(statuses=frozenset({"FAILED"})) == {"pct"}
        assert await ids(workflow="Sync HubSpot") == {"wf"}
        assert await ids(organisation="org_b") == {"org"}
        assert await ids(event_name="user/signup") == {"org"}
        assert await ids(since=timedelta(hours=1)) == {"wf", "org", "pct"}
        assert await ids(since=timedelta(hours=1), statuses=frozenset({"COMPLETED"})) == {
            "wf",
            "org",
        }
        # Search: run id prefix, event id prefix, workflow name substring in any case.
        assert await ids(search="01OL") == {"old"}
        assert await ids(search="evt_special") == set()  # prefixes are case-sensitive ids
        assert await ids(search="EVT_SPEC") == {"org"}
        assert await ids(search="hubspot") == {"wf"}
        # LIKE wildcards in user text are literal.
        assert await ids(search="01P%") == {"pct"}
        assert await ids(search="%") == {"pct"}
        assert await ids(search="_") == {"pct"}
        assert await ids(search="0% l") == {"pct"}
        assert await ids(search="   ") == {"old", "wf", "org", "pct"}


async def test_counts_cover_every_status_in_the_window_whatever_the_status_filter(shaped):
    now = datetime.now(UTC)
    await shaped.insert(
        run_row(status="FAILED", started_at=now - timedelta(minutes=1)),
        run_row(status="FAILED", started_at=now - timedelta(minutes=2)),
        run_row(status="RUNNING", ended_at=None, started_at=now - timedelta(minutes=2)),
        run_row(status="TIMED_OUT", started_at=now - timedelta(minutes=2)),
        run_row(status="FAILED", started_at=now - timedelta(days=2)),
    )
    async with await open_for(shaped) as store:
        counts = await store.count_by_status(
            RunFilter(statuses=frozenset({"RUNNING"}), since=timedelta(hours=1))
        )
        everything = await store.count_by_status(RunFilter())
    assert counts == {"RUNNING": 1, "COMPLETED": 0, "FAILED": 2, "TIMED_OUT": 1, "CANCELED": 0}
    assert everything["FAILED"] == 3


async def test_failures_per_minute_is_zero_filled_and_counts_by_end_time(shaped):
    # The buckets are the server's minutes: the rows written in this minute must still be
    # in it when they are counted, so the test starts clear of a minute's end.
    clock = datetime.now(UTC)
    if clock.second >= 55:
        await asyncio.sleep(60.05 - clock.second - clock.microsecond / 1e6)
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    if datetime.now(UTC) > now:
        now = datetime.now(UTC)
    minute = timedelta(minutes=1)
    await shaped.insert(
        # Failed in the current minute, after running for 20 minutes: counts now.
        run_row(status="FAILED", started_at=now - 20 * minute, ended_at=now),
        run_row(status="TIMED_OUT", started_at=now - 3 * minute, ended_at=now - 2 * minute),
        run_row(status="FAILED", started_at=now - 3 * minute, ended_at=now - 2 * minute),
        # Still running, or succeeded: not failures.
        run_row(status="RUNNING", started_at=now - minute, ended_at=None),
        run_row(status="COMPLETED", started_at=now - minute, ended_at=now),
        # Failed before the window.
        run_row(status="FAILED", started_at=now - 90 * minute, ended_at=now - 89 * minute),
    )
    async with await open_for(shaped) as store:
        # A status filter and a short window do not change the sparkline.
        line = await store.failures_per_minute(
            RunFilter(statuses=frozenset({"COMPLETED"}), since=timedelta(minutes=1))
        )
        short = await store.failures_per_minute(RunFilter(), minutes=5)
    assert len(line) == 60
    assert sum(line) == 3
    assert line[-1] == 1
    assert line[-3] == 2
    assert len(short) == 5
    assert short == [0, 0, 2, 0, 1]


async def test_delta_brings_new_rows_and_the_current_state_of_watched_ones(shaped):
    now = datetime.now(UTC)
    await shaped.insert(
        run_row(id="old", started_at=now - timedelta(minutes=10)),
        run_row(id="run", status="RUNNING", ended_at=None, started_at=now - timedelta(minutes=9)),
        run_row(id="seen", started_at=now - timedelta(minutes=8)),
    )
    async with await open_for(shaped) as store:
        page = await store.fetch_page(RunFilter(statuses=frozenset({"RUNNING", "COMPLETED"})))
        newest = PageCursor.after(page[0])
        await shaped.execute(
            f"UPDATE {shaped.shape.qualified} SET status = 'FAILED', error = 'boom' "
            "WHERE id = 'run'"
        )
        await shaped.insert(
            run_row(id="new1", started_at=now - timedelta(minutes=1)),
            run_row(id="new2", status="FAILED", started_at=now),
        )
        delta = await store.fetch_delta(
            RunFilter(statuses=frozenset({"RUNNING", "COMPLETED"})),
            newest=newest,
            running_ids=["run"],
        )
        first = await store.fetch_delta(RunFilter(), newest=None, running_ids=[])
    # New rows match the filter; the overlap may repeat rows seen within a few seconds.
    assert {r.id for r in delta.new} - {"seen"} == {"new1"}
    # The watched row comes back although it no longer matches the RUNNING filter.
    assert [(r.id, r.status, r.error) for r in delta.changed] == [("run", "FAILED", "boom")]
    assert [r.id for r in first.new] == ["new2", "new1", "seen", "run", "old"]
    assert store.stats.last["fetch_delta"].rows == 5


async def test_delta_overlap_catches_a_row_that_committed_late(table):
    now = datetime.now(UTC)
    await table.insert(run_row(id="a", started_at=now - timedelta(seconds=10)))
    async with await open_for(table) as store:
        newest = PageCursor.after((await store.fetch_page(RunFilter()))[0])
        await table.insert(run_row(id="late", started_at=now - timedelta(seconds=12)))
        delta = await store.fetch_delta(RunFilter(), newest=newest, running_ids=[])
    assert {r.id for r in delta.new} == {"a", "late"}


async def test_fetch_run_by_run_id_then_by_id(shaped):
    steps = [{"stepId": "trigger", "operation": "trigger", "status": "COMPLETED"}]
    await shaped.insert(
        run_row(
            id="cid1",
            run_id="01RUNX",
            steps_log=steps,
            input_payload={"post": {"id": 1}},
            output_payload=None,
            error="e" * 800,
            error_stack="Trace\n at x",
            workflow_version_id="wfv_9",
        ),
        # Another row whose id equals the first row's run_id: run_id wins.
        run_row(id="01RUNX", run_id="01OTHER"),
    )
    async with await open_for(shaped) as store:
        by_run_id = await store.fetch_run(" 01RUNX ")
        by_id = await store.fetch_run("cid1")
        missing = await store.fetch_run("nope")
    assert isinstance(by_run_id, RunDetail)
    assert by_run_id.summary.id == "cid1"
    assert by_run_id.steps_log == steps
    assert by_run_id.input_payload == {"post": {"id": 1}}
    assert by_run_id.output_payload is None
    assert by_run_id.error == "e" * 800
    assert by_run_id.summary.error == "e" * 500
    assert by_run_id.error_stack == "Trace\n at x"
    assert by_run_id.workflow_version_id == "wfv_9"
    assert by_id is not None and by_id.summary.run_id == "01RUNX"
    assert missing is None


@pytest.mark.parametrize(
    ("steps_log", "start", "total", "entries"),
    [
        ([{"stepId": "a"}, 2, "three", None, {"s": "e"}], 2, 5, ["three", None, {"s": "e"}]),
        ([{"stepId": "a"}], 0, 1, [{"stepId": "a"}]),
        ([{"stepId": "a"}], 5, 1, []),
        ([], 0, 0, []),
        (None, 0, 0, []),
        ({"not": "an array"}, 0, 0, []),
        ("a string", 0, 0, []),
        (42, 1, 0, []),
    ],
)
@pytest.mark.parametrize("json_type", ["jsonb", "json"])
async def test_steps_tail_slices_on_the_server_and_tolerates_non_arrays(
    make_table, json_type, steps_log, start, total, entries
):
    handle = await make_table(json_type=json_type)
    await handle.insert(
        run_row(id="t1", run_id="01TAIL", status="RUNNING", ended_at=None, steps_log=steps_log)
    )
    async with await open_for(handle) as store:
        tail = await store.fetch_steps_from("01TAIL", start)
        by_id = await store.fetch_steps_from("t1", start)
    assert (tail.total, tail.start, tail.entries) == (total, start, entries)
    assert tail.status == "RUNNING"
    assert tail.ended_at is None
    assert by_id == tail


async def test_steps_tail_of_an_unknown_run_raises_run_not_found(table):
    async with await open_for(table) as store:
        with pytest.raises(RunNotFound, match="nope"):
            await store.fetch_steps_from("nope", 0)


async def test_pickers_list_distinct_values(shaped):
    now = datetime.now(UTC)
    await shaped.insert(
        run_row(workflow_name="B flow", organisation_id="org_a", started_at=now),
        run_row(workflow_name="A flow", organisation_id="org_b", started_at=now),
        run_row(workflow_name="A flow", organisation_id=None, started_at=now),
        run_row(workflow_name=None, started_at=now),
        run_row(workflow_name="Ancient", started_at=now - timedelta(days=30)),
    )
    async with await open_for(shaped) as store:
        recent = await store.workflow_names(RunFilter(since=timedelta(days=1), workflow="A flow"))
        every = await store.workflow_names(RunFilter())
        orgs = await store.organisations()
    assert recent == ["A flow", "B flow"]
    assert every == ["A flow", "Ancient", "B flow"]
    assert orgs == ["org_a", "org_b"]


async def test_missing_optional_columns_read_as_empty(make_table):
    handle = await make_table(
        omit_columns=("workflow_name", "ended_at", "duration_ms", "error", "organisation_id"),
        recommended_indexes=False,
    )
    await handle.insert(run_row(id="x", status="FAILED", started_at=ago(minutes=1)))
    async with await open_for(handle) as store:
        page = await store.fetch_page(RunFilter(search="01"))
        detail = await store.fetch_run("x")
        line = await store.failures_per_minute(RunFilter(), minutes=3)
        names = await store.workflow_names(RunFilter())
        by_workflow = await store.fetch_page(RunFilter(workflow="New Post to Slack"))
        tail = await store.fetch_steps_from("x", 0)
    assert "workflow_name" in " ".join(store.warnings)
    assert [(r.id, r.workflow_name, r.ended_at, r.error) for r in page] == [("x", None, None, None)]
    assert detail is not None and detail.summary.duration_ms is None
    assert line == [0, 1, 0]
    assert names == []
    assert by_workflow == []
    assert tail.ended_at is None and tail.error is None


@pytest.mark.slow
@pytest.mark.parametrize("json_type", ["jsonb", "json"])
async def test_steps_tail_of_a_huge_log_stays_fast(make_table, json_type):
    # 30,000 iterations: reading element by element would re-read the whole value each
    # time and run into the statement timeout.
    steps = [
        {"stepId": "send", "iteration": i, "input": {"to": f"u{i}@x.io"}} for i in range(30_000)
    ]
    handle = await make_table(json_type=json_type)
    await handle.insert(run_row(id="big", status="RUNNING", ended_at=None, steps_log=steps))
    settings = StoreSettings(dsn=handle.dsn, table=handle.name, statement_timeout_s=3)
    async with await open_store(settings) as store:
        head = await store.fetch_steps_from("big", 0)
        tail = await store.fetch_steps_from("big", 29_998)
    assert head.total == 30_000 and len(head.entries) == 30_000
    assert head.entries[12_345] == steps[12_345]
    assert tail.entries == steps[29_998:]


async def test_columns_outside_the_spec_come_as_text_in_the_detail(table):
    await table.execute(f'ALTER TABLE {table.shape.qualified} ADD COLUMN "tier" int')
    await table.insert(run_row(id="x"))
    await table.execute(f"UPDATE {table.shape.qualified} SET tier = 3")
    async with await open_for(table) as store:
        detail = await store.fetch_run("x")
    assert detail is not None and detail.extra == {"tier": "3"}


async def test_json_kept_in_a_text_column_is_decoded_and_tailed(pg_dsn, make_table):
    handle = await make_table(status_enum=False, json_type="text", recommended_indexes=False)
    await handle.execute(
        f"INSERT INTO {handle.shape.qualified} (id, run_id, status, steps_log, input_payload) "
        """VALUES ('x', 'r', 'RUNNING', '[{"stepId": "a"}, {"stepId": "b"}]', 'not json')"""
    )
    async with await open_for(handle) as store:
        detail = await store.fetch_run("r")
        tail = await store.fetch_steps_from("r", 1)
        warnings = store.warnings
    assert detail is not None and detail.steps_log == [{"stepId": "a"}, {"stepId": "b"}]
    assert detail.input_payload.text == "not json"
    assert (tail.total, tail.entries) == (2, [{"stepId": "b"}])
    assert "column steps_log is text, not json or jsonb" in warnings
