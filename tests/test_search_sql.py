"""Search terms against a real PostgreSQL: each term, on jsonb and json tables, injection
attempts as plain data, the organisation scope, the time window and keyset paging."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from tests.database import run_row
from tests.strategies import search_queries
from wflog_tui.model.search_query import (
    ColumnMatch,
    PayloadMatch,
    SearchQuery,
    StepField,
    StepMatch,
    Words,
    format_query,
    parse_query,
)
from wflog_tui.store import PageCursor, RunFilter, StoreSettings, open_store

HOSTILE = "a'b\"c\\d $1 @ ? % _ $.x ?? @@ '); DROP TABLE x; -- \" OR 1=1 $$ :: {a,b}"

ROWS = [
    run_row(
        id="jpy",
        workflow_name="Sync Invoices",
        event_name="invoice/created",
        workflow_version_id="wfv_42",
        status="FAILED",
        error="Card_Declined: 100% off",
        input_payload={
            "invoice": {
                "currency": "JPY",
                "amount": 6000,
                "id": "inv_42",
                "paid": True,
                "note": None,
            }
        },
        steps_log=[
            {
                "stepId": "charge_card",
                "status": "FAILED",
                "error": {"message": "Quota exceeded"},
                "input": {"currency": "JPY"},
            },
            {
                "stepId": "send_email",
                "stepName": "Send e-mail",
                "status": "COMPLETED",
                "output": {"id": "msg_5"},
            },
        ],
    ),
    run_row(
        id="usd",
        input_payload={
            "invoice": {"currency": "USD", "amount": 4000, "id": "inv_7", "amount_text": "5000"}
        },
        output_payload={"id": "msg_6", "items": [{"sku": "A"}]},
        steps_log=[
            {"stepId": "charge_card", "status": "COMPLETED", "input": {"currency": "USD"}},
            {"stepId": "notify", "status": "FAILED", "error": "timeout talking to slack"},
        ],
    ),
    run_row(
        id="odd",
        organisation_id="org_b",
        error="100_percent",
        input_payload={"q": HOSTILE, "items": ["x", "y"], HOSTILE: 1},
        steps_log=[{"stepId": HOSTILE, "status": "COMPLETED", "output": {"q": HOSTILE}}],
    ),
    run_row(id="empty", input_payload=None, output_payload=None, steps_log=None),
]
ALL = {"jpy", "usd", "odd", "empty"}


@pytest.fixture(params=["jsonb", "json"])
async def store(request, make_table):
    table = await make_table(json_type=request.param)
    await table.insert(*ROWS)
    async with await open_store(StoreSettings(dsn=table.dsn, table=table.name)) as opened:
        yield opened


async def found(store, query: str | SearchQuery, **filter_fields) -> set[str]:
    parsed = parse_query(query) if isinstance(query, str) else query
    rows = await store.fetch_page(RunFilter(query=parsed, **filter_fields), limit=1000)
    return {row.id for row in rows}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        ("Invoices", {"jpy"}),
        ("status:failed", {"jpy"}),
        ("-status:FAILED", ALL - {"jpy"}),
        ('workflow:"Sync Invoices"', {"jpy"}),
        ("workflow:Sync", set()),
        ("org:org_b", {"odd"}),
        ("version:wfv_42", {"jpy"}),
        ("event:invoice/created", {"jpy"}),
        ("error:card_declined", {"jpy"}),
        ("error:100%", {"jpy"}),
        ("error:100_", {"odd"}),
        ("-error:card", ALL - {"jpy"}),
    ],
)
async def test_words_and_column_filters(store, query: str, expected: set[str]) -> None:
    assert await found(store, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("input.invoice.currency=JPY", {"jpy"}),
        ("-input.invoice.currency=JPY", ALL - {"jpy"}),
        ("input.invoice.amount=6000", {"jpy"}),
        ("input.invoice.amount=6000.0", {"jpy"}),
        ("input.invoice.amount_text=5000", set()),
        ('input.invoice.amount_text="5000"', {"usd"}),
        ("input.invoice.paid=true", {"jpy"}),
        ("input.invoice.note=null", {"jpy"}),
        ("input.invoice=JPY", set()),
        ("input.invoice.amount>5000", {"jpy"}),
        ("input.invoice.amount<5000", {"usd"}),
        ("input.invoice.amount>=6000", {"jpy"}),
        ("input.invoice.amount<=4000", {"usd"}),
        ("input.invoice.amount_text>1", set()),
        ("input.invoice.id~INV_4", {"jpy"}),
        ("input~inv_7", {"usd"}),
        ("input.items.0=x", {"odd"}),
        ("input.items=x", set()),
        ("output.id=msg_6", {"usd"}),
        ("output.items.0.sku=A", {"usd"}),
        ("output~MSG", {"usd"}),
    ],
)
async def test_payload_terms(store, query: str, expected: set[str]) -> None:
    assert await found(store, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("step:charge_card", {"jpy", "usd"}),
        ("step.status:FAILED", {"jpy", "usd"}),
        ("step:(charge_card status:FAILED)", {"jpy"}),
        ("step:(notify status:COMPLETED)", set()),
        ("step:(charge_card -status:FAILED)", {"usd"}),
        ("step.error~QUOTA", {"jpy"}),
        ("step.error~slack", {"usd"}),
        ("step:(charge_card error~slack)", set()),
        ("step.name~e-mail", {"jpy"}),
        ("step.input.currency=JPY", {"jpy"}),
        ("step:(charge_card input.currency=USD)", {"usd"}),
        ("step:(charge_card input.currency~us)", {"usd"}),
        ("step.output.id=msg_5", {"jpy"}),
        ("step:(send_email output.id=msg_5 -status:FAILED)", {"jpy"}),
        ("step:(id:charge_card id:notify)", set()),
        ("step:(input.currency=JPY input.currency.x=1)", set()),
        ("-step:notify", ALL - {"usd"}),
        ("step:charge_card status:COMPLETED", {"usd"}),
    ],
)
async def test_step_terms(store, query: str, expected: set[str]) -> None:
    assert await found(store, query) == expected


async def test_hostile_values_are_plain_data(store) -> None:
    hostile_terms = [
        PayloadMatch("input", ("q",), "=", HOSTILE),
        PayloadMatch("input", ("q",), "~", HOSTILE[5:30]),
        PayloadMatch("input", (), "~", HOSTILE[:40]),
        PayloadMatch("input", (HOSTILE,), "=", Decimal(1)),
        StepMatch((StepField("id", HOSTILE),)),
        StepMatch((PayloadMatch("output", ("q",), "=", HOSTILE),)),
        StepMatch((StepField("id", HOSTILE), PayloadMatch("output", ("q",), "~", HOSTILE))),
    ]
    for term in hostile_terms:
        query = SearchQuery((term,))
        # Through the text form too: what a user would type.
        assert await found(store, parse_query(format_query(query))) == {"odd"}, term
    for text in (HOSTILE, "%", "_", "\\", "'", "$1", "@@", "?|", "$.**"):
        assert await found(store, SearchQuery((ColumnMatch("error", text),))) <= {"jpy", "odd"}
        assert await found(store, SearchQuery((Words(text),))) == set()
        assert await found(store, SearchQuery((ColumnMatch("workflow", text),))) == set()
    assert await found(store, SearchQuery((ColumnMatch("error", "%"),))) == {"jpy"}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=hs.text(max_size=20), path=hs.lists(hs.text(max_size=6), min_size=1, max_size=3))
async def test_any_value_or_path_is_data(store, value: str, path: list[str]) -> None:
    terms = [
        PayloadMatch("input", ("q",), "=", value),
        PayloadMatch("input", tuple(path), "~", value or "x"),
        StepMatch(
            (StepField("error", value or "x"), PayloadMatch("input", tuple(path), "=", value))
        ),
    ]
    for term in terms:
        result = await found(store, SearchQuery((term,)))
        if term == terms[0]:
            assert result == ({"odd"} if value == HOSTILE else set())


async def test_org_scope_holds_under_search(make_table) -> None:
    table = await make_table()
    await table.insert(*ROWS)
    settings = StoreSettings(dsn=table.dsn, table=table.name, organisation_scope="org_a")
    async with await open_store(settings) as scoped:
        assert await found(scoped, "org:org_b") == set()
        assert await found(scoped, "-org:org_a") == set()
        assert await found(scoped, SearchQuery((StepMatch((StepField("id", HOSTILE),)),))) == set()
        assert await found(scoped, "input~percent") == set()
        assert await found(scoped, "step.status:COMPLETED") == {"jpy", "usd"}


async def test_window_and_keyset_paging(table) -> None:
    now = datetime.now(UTC)
    recent = [
        run_row(id=f"r{i}", started_at=now - timedelta(minutes=i), input_payload={"n": i})
        for i in range(5)
    ]
    await table.insert(*ROWS, *recent)
    async with await open_store(StoreSettings(dsn=table.dsn, table=table.name)) as store:
        query = parse_query("input.n>=1")
        window = timedelta(hours=1)
        assert await found(store, query, since=window) == {"r1", "r2", "r3", "r4"}
        assert await found(store, "input.invoice.currency=JPY", since=window) == set()
        pages, before = [], None
        while True:
            page = await store.fetch_page(
                RunFilter(query=query, since=window), before=before, limit=2
            )
            if not page:
                break
            pages.append([row.id for row in page])
            before = PageCursor.after(page[-1])
        assert pages == [["r1", "r2"], ["r3", "r4"]]
        counts = await store.count_by_status(RunFilter(query=parse_query("status:FAILED")))
        assert counts["COMPLETED"] > 0


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=search_queries)
async def test_any_query_runs_without_an_sql_error(store, query: SearchQuery) -> None:
    rows = await store.fetch_page(RunFilter(query=query), limit=1000)
    assert {row.id for row in rows} <= ALL
    negated = SearchQuery(tuple(replace(t, negated=not t.negated) for t in query.terms[:1]))
    if query.terms:
        # A term and its negation split the runs between them.
        alone = await found(store, SearchQuery(query.terms[:1]))
        assert alone | await found(store, negated) == ALL
        assert not alone & await found(store, negated)


async def test_text_json_columns_allow_only_text_search(make_table) -> None:
    table = await make_table(json_type="text")
    await table.insert(*ROWS)
    async with await open_store(StoreSettings(dsn=table.dsn, table=table.name)) as text_store:
        assert await found(text_store, "input~inv_7") == {"usd"}
        # Path and step terms need JSON the server can read; on text they match nothing.
        assert await found(text_store, "input.invoice.currency=JPY") == set()
        assert await found(text_store, "step:charge_card") == set()
        assert await found(text_store, "-step:charge_card") == ALL
