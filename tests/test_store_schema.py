"""Finding the table and reading its shape from pg_catalog."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from wflog_tui.store import ConfigurationError, RunFilter, StoreSettings, introspect, open_store
from wflog_tui.store.schema import parse_table_name, quote_ident


async def test_prisma_shape_is_read_in_full(table):
    async with await open_store(StoreSettings(dsn=table.dsn, table=table.name)) as store:
        info = store.info
    assert info.display_name == table.name
    assert info.qualified == table.shape.qualified
    assert info.status_is_enum
    assert info.status_labels == ("RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "CANCELED")
    assert info.status_type.endswith('"WorkflowExecutionStatus"')
    assert info.json_type("steps_log") == "jsonb"
    assert not info.has_time_zone("started_at")
    assert info.missing_optional == ()
    assert info.warnings == ()
    names = {index.name for index in info.indexes}
    assert "workflow_execution_log_pkey" in names
    assert "workflow_execution_log_started_at_id_idx" in names
    pkey = next(i for i in info.indexes if i.primary)
    assert pkey.columns == ("id",)
    assert any(i.partial for i in info.indexes)


async def test_other_shapes_are_recognised(make_table):
    handle = await make_table(
        status_enum=False, json_type="json", timestamp_type="timestamptz", recommended_indexes=False
    )
    async with await open_store(StoreSettings(dsn=handle.dsn, table=handle.name)) as store:
        info = store.info
    assert not info.status_is_enum and info.status_labels is None
    assert info.json_type("input_payload") == "json"
    assert info.has_time_zone("started_at") and info.has_time_zone("ended_at")
    assert {i.name for i in info.indexes} == {
        "workflow_execution_log_pkey",
        "workflow_execution_log_run_id_key",
    }


async def test_missing_required_columns_are_all_named(make_table):
    handle = await make_table(
        status_enum=False, omit_columns=("status", "steps_log"), recommended_indexes=False
    )
    with pytest.raises(ConfigurationError) as caught:
        await open_store(StoreSettings(dsn=handle.dsn, table=handle.name))
    assert caught.value.message == f"table {handle.name} lacks columns: status, steps_log"


async def test_missing_optional_columns_are_warnings(make_table):
    handle = await make_table(omit_columns=("error_stack", "event_id"))
    async with await open_store(StoreSettings(dsn=handle.dsn, table=handle.name)) as store:
        assert store.info.missing_optional == ("event_id", "error_stack")
        assert store.warnings == (
            "column event_id is missing; shown as empty",
            "column error_stack is missing; shown as empty",
        )


async def test_missing_table_is_named(pg_dsn):
    with pytest.raises(ConfigurationError, match=r"^table public\.nope does not exist"):
        await open_store(StoreSettings(dsn=pg_dsn, table="public.nope"))
    with pytest.raises(ConfigurationError, match=r"table nope does not exist in the search path"):
        await open_store(StoreSettings(dsn=pg_dsn, table="nope"))


async def test_unqualified_name_uses_default_schema_then_search_path(table, pg_dsn):
    schema = table.shape.schema
    settings = StoreSettings(dsn=pg_dsn, table="workflow_execution_log", default_schema=schema)
    async with await open_store(settings) as store:
        assert store.info.schema == schema
    conn = await asyncpg.connect(pg_dsn)
    try:
        with pytest.raises(ConfigurationError, match="search path"):
            await introspect(conn, "workflow_execution_log", None)
        await conn.execute(f"SET search_path = {quote_ident(schema)}, public")
        info = await introspect(conn, "WORKFLOW_EXECUTION_LOG", None)
        assert info.display_name == table.name
        with pytest.raises(ConfigurationError, match="does not exist"):
            await introspect(conn, '"WORKFLOW_EXECUTION_LOG"', None)
    finally:
        await conn.close()


async def test_odd_names_are_quoted_everywhere(make_table):
    handle = await make_table(table='Run "Log".v2', recommended_indexes=False)
    await handle.execute(
        f"INSERT INTO {handle.shape.qualified} (id, run_id, steps_log) VALUES ('x', 'y', '[]')"
    )
    table_arg = f'{handle.shape.schema}."Run ""Log"".v2"'
    async with await open_store(StoreSettings(dsn=handle.dsn, table=table_arg)) as store:
        assert store.info.name == 'Run "Log".v2'
        assert [r.id for r in await store.fetch_page(RunFilter())] == ["x"]


async def test_table_without_select_privilege_is_named(pg_dsn, table):
    name = f"r_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg_dsn)
    await admin.execute(f"CREATE ROLE {name} LOGIN")
    await admin.execute(f"GRANT USAGE ON SCHEMA {quote_ident(table.shape.schema)} TO {name}")
    try:
        conn = await asyncpg.connect(pg_dsn, user=name)
        try:
            with pytest.raises(ConfigurationError, match=f"role {name} cannot SELECT"):
                await introspect(conn, table.name, None)
        finally:
            await conn.close()
    finally:
        await admin.execute(f"DROP OWNED BY {name}")
        await admin.execute(f"DROP ROLE {name}")
        await admin.close()


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("log", (None, "log", False)),
        ("app.log", ("app", "log", False)),
        (' app . "Log" ', ("app", "Log", True)),
        ('"a.b"."c""d"', ("a.b", 'c"d', True)),
    ],
)
def test_table_names_parse(text, parsed):
    assert parse_table_name(text) == parsed


@pytest.mark.parametrize("text", ["a.b.c", "a.", ".b", '"open', '"a"b', 'a"b"'])
def test_bad_table_names_are_refused(text):
    with pytest.raises(ConfigurationError):
        parse_table_name(text)
