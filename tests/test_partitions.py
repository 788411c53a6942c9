"""A log table partitioned by day on started_at: found, read, pruned, and indexed by doctor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from tests.database import TableHandle, run_row
from wflog_tui.cli import run
from wflog_tui.demo.table_ddl import partition_bounds
from wflog_tui.model.failure_groups import GroupKey
from wflog_tui.model.run import RunSummary
from wflog_tui.model.search_query import parse_query
from wflog_tui.store import RunFilter, StoreSettings, introspect, open_store
from wflog_tui.store.codecs import install_codecs
from wflog_tui.store.doctor import diagnose
from wflog_tui.store.failure_loading import group_splitters, open_failure_log
from wflog_tui.store.failure_queries import FailurePage, FailureQueries
from wflog_tui.store.partitions import RANGE_OF_STARTED_AT, Partition, Partitioning
from wflog_tui.store.queries import PageCursor
from wflog_tui.store.run_comparison import load_comparison

DAYS_BACK = 10
DAYS_AHEAD = 3


async def partitioned(make_table, *, days_ahead: int = DAYS_AHEAD, **shape) -> TableHandle:
    """Daily partitions from DAYS_BACK days ago to `days_ahead` days on (UTC)."""
    today = datetime.now(UTC).date()
    return await make_table(
        partition_by="day",
        first_partition=today - timedelta(days=DAYS_BACK),
        partitions=DAYS_BACK + 1 + days_ahead,
        **shape,
    )


def at_day(days_ago: int, hour: int = 12) -> datetime:
    """Noon (or `hour`) UTC, `days_ago` days back."""
    today = datetime.now(UTC).date()
    return datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), UTC).replace(
        hour=hour
    )


async def test_a_partitioned_table_is_found_and_read_across_partitions(make_table):
    handle = await partitioned(make_table)
    old = run_row(id="old", run_id="01OLD", started_at=at_day(8), status="FAILED")
    new = run_row(id="new", run_id="01NEW", started_at=datetime.now(UTC) - timedelta(minutes=5))
    await handle.insert(old, new)
    async with await open_store(StoreSettings(dsn=handle.dsn, table=handle.name)) as store:
        assert store.info.kind == "partitioned table" and store.info.partitioned
        assert len(store.info.columns) == 18 and store.warnings == ()
        # The window keeps to the newest partitions; 'all' reads every one.
        assert [r.id for r in await store.fetch_page(RunFilter(since=timedelta(hours=24)))] == [
            "new"
        ]
        assert [r.id for r in await store.fetch_page(RunFilter())] == ["new", "old"]
        # Run-id lookups find a run in any partition, by run_id or id, seen or not.
        for key in ("01OLD", "old", "01NEW"):
            run = await store.fetch_run(key)
            assert run is not None and run.summary.run_id == key.replace("old", "01OLD")
        tail = await store.fetch_steps_from("01OLD", 0)
        assert tail.status == "FAILED"


async def test_a_run_moved_to_another_partition_is_still_found(make_table):
    handle = await partitioned(make_table)
    await handle.insert(run_row(id="r", run_id="01R", started_at=at_day(6), status="RUNNING"))
    async with await open_store(StoreSettings(dsn=handle.dsn, table=handle.name)) as store:
        (seen,) = await store.fetch_page(RunFilter())
        # A writer corrects the start time: the row moves to another partition.
        await handle.execute(
            f"UPDATE {handle.shape.qualified} SET started_at = $1, status = 'FAILED'",
            at_day(2).replace(tzinfo=None),
        )
        newest = PageCursor.after(seen)
        running = RunFilter(statuses=frozenset({"RUNNING"}))
        delta = await store.fetch_delta(running, newest=newest, running_ids=["r"])
        # Not in its old partition: looked for everywhere on the next refresh.
        assert delta.changed == []
        delta = await store.fetch_delta(running, newest=newest, running_ids=["r"])
        assert [(r.id, r.status) for r in delta.changed] == [("r", "FAILED")]
        run = await store.fetch_run("01R")
        assert run is not None and run.summary.started_at == at_day(2)


# ---- every query prunes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Pruning:
    """One query of the store: how to build it, and how far back its window reaches.

    `reach` None: a lookup with no time bound, which must probe each partition by an
    index instead of reading any whole. `until`, for a query bounded on both sides, is
    where its window ends: no partition starting at or after it is read either.
    """

    name: str
    build: Callable[[FailureQueries, RunSummary], tuple[str, list]]
    reach: Callable[[RunSummary], timedelta | datetime] | None
    until: Callable[[RunSummary], timedelta | datetime] | None = None


DAY = RunFilter(since=timedelta(hours=24))


def _recent(run: RunSummary) -> PageCursor:
    return PageCursor.after(run)


def _just_after(run: RunSummary) -> datetime:
    """The end of a lookup's window at the run's known start."""
    return run.started_at + timedelta(seconds=1)


def _ago(delta: timedelta) -> datetime:
    return datetime.now(UTC) - delta


def _searching(text: str, **fields) -> RunFilter:
    return RunFilter(since=timedelta(hours=24), query=parse_query(text), **fields)


# Search terms of each kind, compiled into the list's WHERE clause beside the window.
PAYLOAD_TERMS = "input.invoice.currency=JPY input.invoice.amount>5000 input.invoice.id~inv_4"
STEP_TERMS = "step:(charge_card status:FAILED) step.error~quota step.input.currency=JPY"
NEGATED_TERMS = "-status:COMPLETED -input.invoice.currency=EUR -step:refund -error:timeout"
GROUP = GroupKey("wf_1", False, "charge_card", "card declined")


# Queries added to the store join this table; each names the oldest instant it may read.
PRUNING_CASES = [
    Pruning("list page", lambda q, r: q.page(DAY, None, 100), lambda r: timedelta(hours=24)),
    Pruning(
        "list next page", lambda q, r: q.page(DAY, _recent(r), 100), lambda r: timedelta(hours=24)
    ),
    Pruning("counts", lambda q, r: q.counts(DAY), lambda r: timedelta(hours=24)),
    Pruning(
        "counts, one status",
        lambda q, r: q.counts(RunFilter(since=timedelta(hours=1), statuses=frozenset({"FAILED"}))),
        lambda r: timedelta(hours=1),
    ),
    Pruning(
        "sparkline",
        lambda q, r: q.failures_per_minute(DAY, 60),
        # Its hour, and runs that started up to an hour before it.
        lambda r: timedelta(hours=2, minutes=1),
    ),
    Pruning(
        "refresh: new rows",
        lambda q, r: q.newer(RunFilter(), _recent(r)),
        lambda r: r.started_at - timedelta(seconds=5),
    ),
    Pruning(
        "refresh: running rows",
        lambda q, r: q.by_ids([r.id], [r.started_at]),
        lambda r: r.started_at,
        _just_after,
    ),
    Pruning(
        "run lookup, start known",
        lambda q, r: q.run(r.run_id, skeleton_over=256 * 1024, started_at=r.started_at),
        lambda r: r.started_at,
        _just_after,
    ),
    Pruning(
        "skeleton entries, start known",
        lambda q, r: q.entries(r.run_id, [0, 1], r.started_at),
        lambda r: r.started_at,
        _just_after,
    ),
    Pruning(
        "follow a run, start known",
        lambda q, r: q.steps_from(r.run_id, 3, r.started_at),
        lambda r: r.started_at,
        _just_after,
    ),
    Pruning(
        "baseline",
        lambda q, r: q.baseline(r, timedelta(days=2)),
        lambda r: r.started_at - timedelta(days=2),
        # Runs that started before this one only.
        lambda r: r.started_at,
    ),
    Pruning("workflow picker", lambda q, r: q.workflow_names(DAY), lambda r: timedelta(hours=24)),
    Pruning("run lookup", lambda q, r: q.run(r.run_id), None),
    Pruning("follow a run", lambda q, r: q.steps_from(r.run_id, 0), None),
    # The search language, compiled into the list's queries.
    Pruning(
        "search: words",
        lambda q, r: q.page(_searching("01TARGET invoice"), None, 100),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "search: payload terms",
        lambda q, r: q.page(_searching(PAYLOAD_TERMS), None, 100),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "search: step terms",
        lambda q, r: q.page(_searching(STEP_TERMS), None, 100),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "search: negated terms",
        lambda q, r: q.page(_searching(NEGATED_TERMS), None, 100),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "search: next page",
        lambda q, r: q.page(_searching(STEP_TERMS), _recent(r), 100),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "search: counts",
        lambda q, r: q.counts(_searching(f"{PAYLOAD_TERMS} {NEGATED_TERMS}")),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "search: sparkline",
        lambda q, r: q.failures_per_minute(_searching(STEP_TERMS), 60),
        lambda r: timedelta(hours=2, minutes=1),
    ),
    Pruning(
        "search: refresh",
        lambda q, r: q.newer(_searching(f"{STEP_TERMS} {NEGATED_TERMS}"), _recent(r)),
        lambda r: r.started_at - timedelta(seconds=5),
    ),
    # Failure groups.
    Pruning(
        "failures of a window",
        lambda q, r: q.failures(DAY, FailurePage(_ago(timedelta(hours=24)))),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "failures of a window, next page",
        lambda q, r: q.failures(DAY, FailurePage(_ago(timedelta(hours=24)), before=_recent(r))),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "failures of a window, one workflow",
        lambda q, r: q.failures(
            RunFilter(since=timedelta(hours=24), workflow=r.workflow_name),
            FailurePage(_ago(timedelta(hours=24))),
        ),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "the previous window's keys",
        lambda q, r: q.failures(
            DAY, FailurePage(_ago(timedelta(hours=72)), end=_ago(timedelta(hours=48)))
        ),
        lambda r: timedelta(hours=72),
        lambda r: timedelta(hours=48),
    ),
    Pruning(
        "failures: refresh",
        lambda q, r: q.failures(
            DAY, FailurePage(_ago(timedelta(hours=24)), newer_than=r.started_at)
        ),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "splitter sample: failing runs",
        lambda q, r: q.failing_sample([r.id], start=_ago(timedelta(hours=24))),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "splitter sample: passing runs",
        lambda q, r: q.passing_sample(DAY, GROUP, start=_ago(timedelta(hours=24)), limit=200),
        lambda r: timedelta(hours=24),
    ),
    Pruning(
        "splitter sample: passing runs, by workflow name",
        lambda q, r: q.passing_sample(
            DAY,
            GroupKey(r.workflow_name, True, None, ""),
            start=_ago(timedelta(hours=24)),
            limit=200,
        ),
        lambda r: timedelta(hours=24),
    ),
    # Searching inside one run.
    Pruning(
        "search in a run, start known",
        lambda q, r: q.steps_matching(r.run_id, "quota", 1000, r.started_at),
        lambda r: r.started_at,
        _just_after,
    ),
    Pruning("search in a run", lambda q, r: q.steps_matching(r.run_id, "quota", 1000), None),
    # No window (the picker takes none): the newest rows of each partition, by its index.
    Pruning("organisation picker", lambda q, r: q.organisations(), None),
]


def _scans(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Relation Name") else []
    for child in plan.get("Plans") or []:
        found += _scans(child)
    return found


@pytest.mark.parametrize("timestamp_type", ["timestamp(3)", "timestamptz"])
@pytest.mark.parametrize("case", PRUNING_CASES, ids=lambda c: c.name)
async def test_every_query_reads_only_the_partitions_of_its_window(
    make_table, case, timestamp_type
):
    handle = await partitioned(make_table, timestamp_type=timestamp_type)
    now = datetime.now(UTC)
    target = run_row(
        id="target", run_id="01TARGET", started_at=now - timedelta(minutes=30), status="FAILED"
    )
    rows = [target] + [run_row(started_at=at_day(days)) for days in range(DAYS_BACK)]
    await handle.insert(*rows)
    conn = await asyncpg.connect(handle.dsn)
    await install_codecs(conn)  # parameters as the store's pool sends them (aware instants)
    try:
        info = await introspect(conn, handle.name)
        run = RunSummary(
            id="target",
            run_id="01TARGET",
            status="FAILED",
            workflow_name=target["workflow_name"],
            workflow_function_id=None,
            workflow_id=target["workflow_id"],
            event_id=None,
            event_name=None,
            organisation_id=target["organisation_id"],
            started_at=target["started_at"].replace(microsecond=0),
            ended_at=None,
            duration_ms=None,
            error=None,
        )
        sql, args = case.build(FailureQueries(info, "org_a"), run)
        if case.reach is None:
            # Tiny partitions would be read whole anyway; what matters is that an
            # index can find the run in each one.
            await conn.execute("SET enable_seqscan = off")
        raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    finally:
        await conn.close()
    plan = raw[0]["Plan"]  # the store's JSON codec has decoded it
    scans = _scans(plan)
    bounds = {name: (start, end) for name, start, end in partition_bounds(handle.shape)}
    scanned = {s["Relation Name"] for s in scans}
    assert scanned and scanned <= set(bounds), scanned
    if case.reach is None:
        assert scanned == set(bounds)
        assert all(s["Node Type"] != "Seq Scan" for s in scans), scans
        return
    reach = case.reach(run)
    oldest = now - reach if isinstance(reach, timedelta) else reach
    # A partition ending before the window began is never read.
    too_old = {
        name
        for name, (_, end) in bounds.items()
        if datetime.combine(end, datetime.min.time(), UTC) <= oldest
    }
    assert too_old, "the table should hold partitions older than the window"
    assert not scanned & too_old, f"{case.name} reads {sorted(scanned & too_old)}"
    if case.until is not None:
        until = case.until(run)
        newest = now - until if isinstance(until, timedelta) else until
        # A partition starting after the window ended is never read either.
        too_new = {
            name
            for name, (start, _) in bounds.items()
            if datetime.combine(start, datetime.min.time(), UTC) >= newest
        }
        assert too_new, "the table should hold partitions newer than the window"
        assert not scanned & too_new, f"{case.name} reads {sorted(scanned & too_new)}"


# ---- lookups name the start the store knows -------------------------------------------------


def _starts_asked(store, method: str) -> list[datetime | None]:
    """The `started_at` each `Queries.<method>` statement of `store` is built with.

    The real statement still runs; this only records what bounded it.
    """
    asked: list[datetime | None] = []
    build = getattr(store._queries, method)

    def recording(*args, started_at=None, **kwargs):
        asked.append(started_at)
        return build(*args, started_at=started_at, **kwargs)

    setattr(store._queries, method, recording)
    return asked


async def test_search_in_a_run_reads_the_partition_it_was_seen_in(make_table):
    handle = await partitioned(make_table)
    log = [
        {"stepId": "charge_card", "status": "FAILED", "error": {"message": "quota exceeded"}},
        {"stepId": "send_receipt", "status": "COMPLETED", "output": {"to": "a@example.com"}},
    ]
    await handle.insert(
        run_row(id="s", run_id="01S", started_at=at_day(3), status="FAILED", steps_log=log),
        run_row(started_at=at_day(0)),
    )
    async with await open_store(StoreSettings(dsn=handle.dsn, table=handle.name)) as store:
        await store.fetch_page(RunFilter())
        asked = _starts_asked(store, "steps_matching")
        assert await store.find_in_steps("01S", "QUOTA") == [0]
        assert await store.find_in_steps("s", "example.com") == [1]
        # The run is there and nothing matches: no second look across partitions.
        assert await store.find_in_steps("01S", "nothing like it") == []
        assert asked == [at_day(3)] * 3
        # A writer corrects the start time: the row moves to another partition.
        await handle.execute(
            f"UPDATE {handle.shape.qualified} SET started_at = $1 WHERE id = 's'",
            at_day(6).replace(tzinfo=None),
        )
        assert await store.find_in_steps("01S", "quota") == [0]
        assert asked[3:] == [at_day(3), None]  # not where it was seen: looked for everywhere
        assert await store.find_in_steps("01NONE", "quota") == []


async def test_groups_and_comparisons_open_runs_in_their_own_partition(make_table):
    handle = await partitioned(make_table)
    now = datetime.now(UTC).replace(microsecond=0)
    failed, good = now - timedelta(minutes=20), now - timedelta(hours=30)
    await handle.insert(
        run_row(
            id="f",
            run_id="01F",
            started_at=failed,
            status="FAILED",
            error="card declined",
            input_payload={"currency": "JPY"},
        ),
        run_row(id="g", run_id="01G", started_at=good, input_payload={"currency": "USD"}),
        run_row(id="h", run_id="01H", started_at=now - timedelta(hours=2)),
        run_row(id="old", run_id="01OLD", started_at=at_day(8), status="FAILED", error="x"),
    )
    day = RunFilter(since=timedelta(hours=24))
    async with await open_store(StoreSettings(dsn=handle.dsn, table=handle.name)) as store:
        log = await open_failure_log(store, day)
        (group,) = log.groups()
        assert group.run_ids == ("01F",)
        # The samples keep to the window: the failing run and the one passing run in it.
        report = await group_splitters(store, day, log.window, group)
        assert (report.failing_total, report.passing_total) == (1, 1)
        asked = _starts_asked(store, "run")
        loaded = await load_comparison(store, group.run_ids[0])
        assert loaded is not None and loaded.baseline is not None
        # The failure read for the group, then its baseline (the newest good run before
        # it), each opened in its own partition.
        assert loaded.baseline.detail.summary.run_id == "01H"
        assert asked == [failed, now - timedelta(hours=2)]


# ---- doctor -------------------------------------------------------------------------------


async def test_doctor_statements_index_a_partitioned_table_and_it_then_passes(make_table):
    handle = await partitioned(make_table, recommended_indexes=False)
    await handle.insert(run_row(started_at=at_day(1)), run_row(started_at=at_day(5)))
    settings = StoreSettings(dsn=handle.dsn, table=handle.name)
    report = await diagnose(settings)
    names = [name for name, _, _ in partition_bounds(handle.shape)]
    assert report.check("table").detail == f"{handle.name}, a partitioned table of 18 columns"
    assert report.check("partitions").ok
    assert report.check("partitions").detail == f"{len(names)} partitions, by RANGE (started_at)"
    assert [line.split()[0] for line in report.partitions] == names
    assert "FOR VALUES FROM" in report.partitions[0]
    assert report.check("partitions ahead").ok
    lacking = report.check("partition indexes")
    assert lacking.ok is False
    assert lacking.detail == (
        f"partitions without a recommended index (list: all {len(names)}; running: all "
        f"{len(names)}; organisation: all {len(names)})"
    )
    statements = report.index_statements
    # Never CONCURRENTLY on the parent, which PostgreSQL refuses.
    parent = handle.shape.qualified
    assert not any(
        s.startswith("CREATE INDEX CONCURRENTLY") and s.split(" ON ", 1)[1].startswith(parent)
        for s in statements
    )
    assert sum(s.startswith("CREATE INDEX CONCURRENTLY") for s in statements) == 3 * len(names)
    assert sum(" ON ONLY " in s for s in statements) == 3
    text = report.render_text()
    assert "then the table's" in text and "ATTACH PARTITION" in text

    # A DBA runs them as printed, one at a time, outside a transaction; the first one,
    # then doctor again: what is left starts after it.
    conn = await asyncpg.connect(handle.dsn)
    try:
        await conn.execute(statements[0])
        halfway = await diagnose(settings)
        assert halfway.check("partition indexes").detail.startswith(
            f"partitions without a recommended index (list: {', '.join(names[1:])}; running: all"
        )
        assert statements[0] not in halfway.index_statements
        assert halfway.index_statements == statements[1:]
        for statement in statements:
            await conn.execute(statement)
        # Run again after a partial failure: every statement may be repeated.
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()

    # The failure groups' index, suggested, comes as the same partition-wise sequence.
    suggested = (await diagnose(settings)).check("suggested index: failure groups")
    assert suggested.ok is None
    fix = suggested.fix.splitlines()
    assert sum(s.startswith("CREATE INDEX CONCURRENTLY") for s in fix) == len(names)
    assert sum(" ON ONLY " in s for s in fix) == 1
    assert sum(" ATTACH PARTITION " in s for s in fix) == len(names)
    conn = await asyncpg.connect(handle.dsn)
    try:
        for statement in fix:
            await conn.execute(statement)
    finally:
        await conn.close()

    again = await diagnose(settings)
    assert again.index_statements == []
    again_check = again.check("suggested index: failure groups")
    assert again_check.ok is True and "workflow_id, started_at" in again_check.detail
    assert all(again.check(name).ok for name in ("index: list", "index: running"))
    assert again.check("index: organisation").ok
    assert again.check("partition indexes").ok
    # A partition made later gets the indexes by itself.
    await handle.execute(
        f'CREATE TABLE {handle.shape.schema}."later" PARTITION OF {handle.shape.qualified} '
        "FOR VALUES FROM ('2099-01-01') TO ('2099-01-02')"
    )
    assert (await diagnose(settings)).check("partition indexes").ok


async def test_doctor_warns_when_the_coming_days_have_no_partition(make_table):
    handle = await partitioned(make_table, days_ahead=0)
    report = await diagnose(StoreSettings(dsn=handle.dsn, table=handle.name))
    ahead = report.check("partitions ahead")
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert ahead.ok is False
    assert ahead.detail == (
        f"no partition for runs started from {tomorrow.isoformat()} 00:00 UTC on: the "
        "platform's inserts will fail from then"
    )
    assert "create the partitions for the next 3 days" in ahead.fix

    await handle.execute(
        f'CREATE TABLE {handle.shape.schema}."rest" PARTITION OF {handle.shape.qualified} DEFAULT'
    )
    ahead = (await diagnose(StoreSettings(dsn=handle.dsn, table=handle.name))).check(
        "partitions ahead"
    )
    assert ahead.ok is False and "go to the default partition rest" in ahead.detail


async def test_show_finds_a_run_in_an_old_partition(make_table, capsys):
    handle = await partitioned(make_table)
    await handle.insert(
        run_row(run_id="01SHOW", started_at=at_day(9), status="FAILED", error="disk full"),
        run_row(started_at=at_day(0)),
    )
    code = await asyncio.to_thread(
        run, ["--dsn", handle.dsn, "--table", handle.name, "show", "01SHOW"], {}
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Run           01SHOW" in out and "disk full" in out


# ---- coverage of the coming days (pure) ---------------------------------------------------

NOW = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)


def _partition(lower: datetime | None, upper: datetime | None, name: str = "p") -> Partition:
    return Partition("s", name, "r", "FOR VALUES ...", False, lower, upper, ())


@given(
    hs.lists(hs.integers(min_value=-48, max_value=120), min_size=0, max_size=12, unique=True),
    hs.integers(min_value=1, max_value=72),
)
def test_the_first_uncovered_hour_is_found_whatever_the_partitions(starts, width):
    # Partitions of `width` hours starting at each of `starts` hours from NOW (may overlap
    # in this model; PostgreSQL's never do, which changes nothing for the question).
    parts = [_partition(NOW + timedelta(hours=h), NOW + timedelta(hours=h + width)) for h in starts]
    found = Partitioning(RANGE_OF_STARTED_AT, tuple(parts), NOW).uncovered_from()
    covered = {h for start in starts for h in range(start, start + width)}
    expected = next((h for h in range(72) if h not in covered), None)
    assert found == (None if expected is None else NOW + timedelta(hours=expected))


def test_unbounded_and_default_partitions():
    everything = _partition(None, None)
    assert Partitioning(RANGE_OF_STARTED_AT, (everything,), NOW).uncovered_from() is None
    default = Partition("s", "rest", "r", "DEFAULT", True, None, None, ())
    # Rows would land in the default partition, not fail; it is not a partition for them.
    assert Partitioning(RANGE_OF_STARTED_AT, (default,), NOW).uncovered_from() == NOW
    # Partitioned by something else: the question does not apply.
    assert Partitioning("LIST (organisation_id)", (), NOW).uncovered_from() is None


async def test_doctor_builds_the_search_gin_index_partition_by_partition(make_table):
    handle = await partitioned(make_table)
    await handle.insert(run_row(started_at=at_day(1), input_payload={"invoice": {"c": "JPY"}}))
    settings = StoreSettings(dsn=handle.dsn, table=handle.name)
    advice = (await diagnose(settings)).check("search index: input_payload")
    assert advice.ok is None
    fix = advice.fix.splitlines()
    names = [name for name, _, _ in partition_bounds(handle.shape)]
    # Never CONCURRENTLY on the parent (PostgreSQL refuses it): each partition, then ON ONLY.
    assert sum(s.startswith("CREATE INDEX CONCURRENTLY") for s in fix) == len(names)
    assert sum(" ON ONLY " in s for s in fix) == 1
    conn = await asyncpg.connect(handle.dsn)
    try:
        for statement in fix:
            await conn.execute(statement)
    finally:
        await conn.close()
    assert (await diagnose(settings)).check("search index: input_payload").ok is True
