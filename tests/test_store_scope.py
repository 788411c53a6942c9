"""`--org` is a tenant boundary: no method of a scoped store shows another organisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.database import run_row
from wflog_tui.store import (
    ConfigurationError,
    PageCursor,
    RunFilter,
    RunNotFound,
    StoreSettings,
    open_store,
)


@pytest.fixture
async def two_orgs(table):
    now = datetime.now(UTC)
    common = {"started_at": now - timedelta(minutes=2), "ended_at": now - timedelta(minutes=1)}
    await table.insert(
        run_row(id="a1", run_id="01A1", organisation_id="org_a", workflow_name="A only", **common),
        run_row(id="a2", run_id="01A2", organisation_id="org_a", status="FAILED", **common),
        run_row(
            id="b1",
            run_id="01B1",
            organisation_id="org_b",
            workflow_name="B only",
            status="FAILED",
            steps_log=[{"stepId": "secret"}],
            **common,
        ),
        run_row(
            id="b2",
            run_id="01B2",
            organisation_id="org_b",
            status="RUNNING",
            ended_at=None,
            started_at=now,
        ),
        run_row(id="n1", run_id="01N1", organisation_id=None, **common),
    )
    return table


@pytest.fixture
async def scoped(two_orgs):
    settings = StoreSettings(dsn=two_orgs.dsn, table=two_orgs.name, organisation_scope="org_a")
    async with await open_store(settings) as store:
        yield store


async def test_page_and_search_stay_in_scope(scoped):
    assert {r.id for r in await scoped.fetch_page(RunFilter())} == {"a1", "a2"}
    assert await scoped.fetch_page(RunFilter(search="01B")) == []
    assert await scoped.fetch_page(RunFilter(workflow="B only")) == []
    # A filter on another organisation cannot widen the scope.
    assert await scoped.fetch_page(RunFilter(organisation="org_b")) == []
    cursor = PageCursor(datetime.now(UTC) + timedelta(days=1), "zzz")
    assert {r.id for r in await scoped.fetch_page(RunFilter(), before=cursor)} == {"a1", "a2"}


async def test_counts_and_sparkline_stay_in_scope(scoped):
    counts = await scoped.count_by_status(RunFilter())
    assert counts["FAILED"] == 1
    assert counts["COMPLETED"] == 1
    assert counts["RUNNING"] == 0
    assert sum(await scoped.failures_per_minute(RunFilter())) == 1


async def test_delta_stays_in_scope_for_new_and_watched_rows(scoped):
    delta = await scoped.fetch_delta(RunFilter(), newest=None, running_ids=["b2", "a1", "b1"])
    assert {r.id for r in delta.new} == {"a1", "a2"}
    assert {r.id for r in delta.changed} == {"a1"}
    old = PageCursor(datetime.now(UTC) - timedelta(hours=1), "")
    later = await scoped.fetch_delta(RunFilter(), newest=old, running_ids=["b2"])
    assert {r.id for r in later.new} == {"a1", "a2"}
    assert later.changed == []


async def test_run_detail_and_tail_of_another_org_are_not_found(scoped):
    assert await scoped.fetch_run("01B1") is None
    assert await scoped.fetch_run("b1") is None
    assert (await scoped.fetch_run("01A1")) is not None
    with pytest.raises(RunNotFound):
        await scoped.fetch_steps_from("01B1", 0)
    with pytest.raises(RunNotFound):
        await scoped.fetch_steps_from("b2", 0)
    assert (await scoped.fetch_steps_from("a1", 0)).total == 0


async def test_pickers_stay_in_scope(scoped):
    assert await scoped.workflow_names(RunFilter()) == ["A only", "New Post to Slack"]
    assert await scoped.organisations() == ["org_a"]


async def test_unscoped_store_sees_every_org(two_orgs):
    async with await open_store(StoreSettings(dsn=two_orgs.dsn, table=two_orgs.name)) as store:
        assert len(await store.fetch_page(RunFilter())) == 5
        assert await store.organisations() == ["org_a", "org_b"]
        assert (await store.fetch_run("01B1")) is not None


async def test_scope_without_an_organisation_column_refuses_to_open(make_table):
    handle = await make_table(omit_columns=("organisation_id",), recommended_indexes=False)
    settings = StoreSettings(dsn=handle.dsn, table=handle.name, organisation_scope="org_a")
    with pytest.raises(ConfigurationError, match="--org needs column organisation_id"):
        await open_store(settings)
