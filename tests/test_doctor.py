"""`wflog-tui doctor`: what it finds, the fixes it prints (which work), and that it only reads."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager

import asyncpg
import pytest

from tests.database import run_row
from tests.roles import dsn_as, free_port, role
from tests.standby import standby_of
from wflog_tui.demo.table_ddl import quote_ident, recommended_index_sql
from wflog_tui.store import RunFilter, StoreSettings, introspect, query_cost_checks
from wflog_tui.store.connection import APPLICATION_NAME
from wflog_tui.store.doctor import diagnose
from wflog_tui.store.indexes import indexes_missing_hint
from wflog_tui.store.notify import trigger_sql

INDEX_CHECKS = ("index: list", "index: running", "index: organisation")


def settings_for(handle, **extra) -> StoreSettings:
    return StoreSettings(**{"dsn": handle.dsn, "table": handle.name, **extra})


async def table_info(table):
    conn = await asyncpg.connect(table.dsn)
    try:
        return await introspect(conn, table.name)
    finally:
        await conn.close()


async def test_a_table_with_the_recommended_indexes_passes(table):
    await table.insert(run_row(status="RUNNING"), run_row(status="FAILED"), run_row())
    report = await diagnose(settings_for(table))
    t = table.shape.table
    assert report.exit_code == 0 and report.fatal is None
    assert report.index_statements == []
    found = {name: report.check(name) for name in INDEX_CHECKS}
    assert all(check.ok for check in found.values()), found
    assert found["index: list"].detail.startswith(f"{t}_started_at_id_idx: btree (started_at DESC")
    assert found["index: running"].detail.startswith(f"{t}_running_idx:")
    assert found["index: organisation"].detail.startswith(f"{t}_org_started_at_idx:")
    assert report.check("read-only").ok
    assert "default_transaction_read_only=on" in report.check("read-only").detail
    assert report.check("connection").ok
    assert report.check("server version").detail.startswith("PostgreSQL ")
    assert report.check("table").detail == f"{table.name}, a table of 18 columns"
    assert report.check("columns").ok
    assert report.check("status type").detail.startswith('enum "WorkflowExecutionStatus"') or (
        "RUNNING, COMPLETED, FAILED, TIMED_OUT, CANCELED" in report.check("status type").detail
    )
    assert report.check("JSON types").ok
    assert "(read as UTC)" in report.check("timestamps").detail
    # Every query of the TUI was run and timed, with its plan named.
    for name in ("cost: list", "cost: refresh", "cost: counts", "cost: sparkline"):
        assert "ms (median of 3); plan: " in report.check(name).detail
    assert report.check("cost: refresh cycle").ok
    text = report.render_text()
    assert "\x1b" not in text
    assert "Missing indexes" not in text
    assert text.rstrip().endswith("doctor only reads: it changed nothing in the database.")


async def test_a_bare_table_gets_statements_that_work(make_table):
    handle = await make_table(recommended_indexes=False)
    await handle.insert(run_row(status="RUNNING"), run_row())
    info = await table_info(handle)
    assert indexes_missing_hint(info) == "no index on started_at, see `wflog-tui doctor`"

    report = await diagnose(settings_for(handle))
    assert report.exit_code == 0
    assert [report.check(name).ok for name in INDEX_CHECKS] == [False, False, False]
    # Exactly the indexes the demo creates, built without blocking writes.
    assert report.index_statements == recommended_index_sql(handle.shape, concurrently=True)
    text = report.render_text()
    for statement in report.index_statements:
        assert statement.startswith(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{handle.shape.table}_'
        )
        assert f"ON {handle.shape.qualified} (" in statement
        assert f"{statement};" in text

    # A DBA runs them as printed (CONCURRENTLY refuses to run inside a transaction).
    for statement in report.index_statements:
        await handle.execute(statement)

    after = await diagnose(settings_for(handle))
    assert [after.check(name).ok for name in INDEX_CHECKS] == [True, True, True]
    assert after.index_statements == []
    assert indexes_missing_hint(await table_info(handle)) is None


@pytest.mark.parametrize("omit, column", [((), "workflow_id"), (("workflow_id",), "workflow_name")])
async def test_the_failure_groups_index_is_suggested_with_a_statement_that_works(
    make_table, omit, column
):
    handle = await make_table(omit_columns=omit)
    await handle.insert(*[run_row(status="FAILED"), run_row()])
    report = await diagnose(settings_for(handle))
    check = report.check("suggested index: failure groups")
    # A suggestion, not a problem, nor one of the statements printed as missing.
    assert check.ok is None and check.status == "info"
    assert check not in report.problems and report.index_statements == []
    assert check.detail.startswith(f"no index on ({column}, started_at): a failure group's")
    name = f"{handle.shape.table}_workflow_started_at_idx"
    assert check.fix == (
        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON {handle.shape.qualified} '
        f'("{column}", "started_at" DESC);'
    )
    assert f"fix: {check.fix}" in report.render_text()
    await handle.execute(check.fix)
    after = (await diagnose(settings_for(handle))).check("suggested index: failure groups")
    assert after.ok is True and after.detail.startswith(f"{name}: btree ({column}, started_at")


async def test_awkward_names_are_quoted_in_sql_and_escaped_on_screen(make_table):
    name = 'Run "Log"\x1b[2J'
    handle = await make_table(recommended_indexes=False, table=name)
    flag = f'"{handle.shape.schema}"."{name.replace(chr(34), chr(34) * 2)}"'
    report = await diagnose(settings_for(handle, table=flag))
    text = report.render_text()
    assert report.exit_code == 0, text
    # The terminal sees the escape character spelled out, never the character itself.
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert len(report.index_statements) == 3
    for statement in report.index_statements:
        await handle.execute(statement)
    after = await diagnose(settings_for(handle, table=flag))
    assert after.index_statements == []


async def test_an_invalid_leftover_index_is_dropped_before_the_build(make_table):
    handle = await make_table(recommended_indexes=False)
    await handle.insert(run_row(workflow_name="same"), run_row(workflow_name="same"))
    name = f"{handle.shape.table}_started_at_id_idx"
    # A concurrent build that fails leaves an invalid index under the name behind, and
    # `IF NOT EXISTS` would then skip the real build.
    with pytest.raises(asyncpg.UniqueViolationError):
        await handle.execute(
            f"CREATE UNIQUE INDEX CONCURRENTLY {quote_ident(name)} "
            f"ON {handle.shape.qualified} (workflow_name)"
        )
    report = await diagnose(settings_for(handle))
    assert report.check("invalid indexes").ok is False
    assert name in report.check("invalid indexes").detail
    drop = (
        f"DROP INDEX CONCURRENTLY IF EXISTS {quote_ident(handle.shape.schema)}.{quote_ident(name)}"
    )
    assert report.index_statements[0] == drop
    for statement in report.index_statements:
        await handle.execute(statement)
    after = await diagnose(settings_for(handle))
    assert after.check("index: list").ok
    assert after.check("invalid indexes") is None


async def test_doctor_works_with_select_only_and_says_so(pg_dsn, table):
    await table.insert(run_row())
    async with role(pg_dsn, table) as name:
        report = await diagnose(settings_for(table, dsn=dsn_as(table.dsn, name)))
    assert report.exit_code == 0, report.render_text()
    assert report.check("privileges").ok
    assert report.check("privileges").detail == "SELECT only"
    assert report.check("connection").detail.endswith(f"as {name}, database postgres") or (
        f"as {name}," in report.check("connection").detail
    )
    assert report.check("role") is None


async def test_a_role_that_can_write_is_told_to_use_a_reader(table):
    report = await diagnose(settings_for(table))
    privileges = report.check("privileges")
    assert privileges.ok is False
    assert "INSERT, UPDATE, DELETE, TRUNCATE" in privileges.detail
    assert f"GRANT SELECT ON {table.shape.qualified}" in privileges.fix
    assert report.check("role").detail.endswith("is a superuser")


@asynccontextmanager
async def change_recorder(table):
    """Record every DDL command in the database and every write to the table meanwhile."""
    conn = await asyncpg.connect(table.dsn)
    schema = quote_ident(table.shape.schema)
    log = f"{schema}.changes"
    await conn.execute(f"""
        CREATE TABLE {log} (what text);
        CREATE FUNCTION {schema}.record_dml() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO {log} VALUES (TG_OP); RETURN NULL; END $$;
        CREATE TRIGGER record_dml AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
            ON {table.shape.qualified} FOR EACH STATEMENT EXECUTE FUNCTION {schema}.record_dml();
        -- The trigger fires for the whole server, which other tests share (other workers,
        -- other people): only the app's own sessions, named by APPLICATION_NAME, count.
        CREATE FUNCTION {schema}.record_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('application_name') = '{APPLICATION_NAME}' THEN
                    INSERT INTO {log} VALUES (tg_tag);
                END IF;
            END $$;
        CREATE EVENT TRIGGER wflog_test_record_ddl ON ddl_command_start
            EXECUTE FUNCTION {schema}.record_ddl();
    """)
    try:
        yield lambda: conn.fetch(f"SELECT what FROM {log}")
    finally:
        await conn.execute("DROP EVENT TRIGGER IF EXISTS wflog_test_record_ddl")
        await conn.close()


async def test_doctor_changes_nothing_even_as_a_superuser(table):
    await table.insert(run_row(status="RUNNING"), run_row())
    async with change_recorder(table) as changes:
        report = await diagnose(settings_for(table))
        recorded = await changes()
    assert report.exit_code == 0, report.render_text()
    assert report.check("cost: list").ok is not None  # the queries did run
    assert [r["what"] for r in recorded] == []


async def test_a_missing_table_is_reported_not_raised(table):
    report = await diagnose(settings_for(table, table=f"{table.shape.schema}.no_such_log"))
    assert report.exit_code == 2
    assert report.fatal.startswith(f"table {table.shape.schema}.no_such_log does not exist")
    assert report.check("connection").ok
    assert report.check("table").status == "FAIL"
    assert table.name in report.check("table").fix  # a table with a similar name
    assert report.check("index: list") is None


async def test_missing_required_columns_are_reported(make_table):
    handle = await make_table(omit_columns=("steps_log",))
    report = await diagnose(settings_for(handle))
    assert report.exit_code == 2
    assert report.fatal == f"table {handle.name} lacks columns: steps_log"


async def test_missing_optional_columns_are_a_warning(make_table):
    handle = await make_table(
        omit_columns=("organisation_id", "error_stack"), recommended_indexes=False
    )
    report = await diagnose(settings_for(handle))
    assert report.exit_code == 0
    assert report.check("columns").ok is False
    assert "error_stack, organisation_id" in report.check("columns").detail
    # No organisation column: no organisation index to recommend.
    assert report.check("index: organisation") is None


async def test_an_unreachable_server_is_a_report_with_exit_2_and_no_password():
    dsn = f"postgresql://alice:s3cr%40t-pw@127.0.0.1:{free_port()}/app"
    report = await diagnose(StoreSettings(dsn=dsn, connect_timeout_s=2))
    assert report.exit_code == 2
    assert report.fatal.startswith("cannot reach PostgreSQL at 127.0.0.1:")
    assert [c.name for c in report.checks] == ["connection"]
    rendered = report.render_text() + json.dumps(report.to_json())
    assert "s3cr" not in rendered


async def test_the_password_never_appears(table):
    # The test server trusts local logins, so any password is accepted and ignored.
    dsn = dsn_as(table.dsn, "postgres", "Tr0ub4dor&3")
    report = await diagnose(settings_for(table, dsn=dsn))
    assert report.exit_code == 0
    rendered = report.render_text() + json.dumps(report.to_json())
    assert "Tr0ub4dor" not in rendered


async def test_row_estimate_comes_from_the_catalogue(table):
    await table.insert(*(run_row() for _ in range(40)))
    before = await diagnose(settings_for(table))
    assert before.check("row estimate").detail == "unknown: the table has not been analysed yet"
    await table.execute(f"ANALYZE {table.shape.qualified}")
    after = await diagnose(settings_for(table))
    assert after.check("row estimate").detail.startswith("about 40 rows, ")


async def test_push_status_and_trigger_sql(table):
    report = await diagnose(settings_for(table))
    push = report.check("push refresh")
    assert push.ok is None and "no trigger notifies channel 'wflog_tui'" in push.detail
    assert push.fix == report.trigger_sql
    assert "Push refresh: the trigger a DBA can install." in report.render_text()
    # The SQL printed is the SQL that works.
    await table.execute(report.trigger_sql)
    after = await diagnose(settings_for(table))
    assert after.check("push refresh").ok
    assert "wflog_tui_notify_insert, wflog_tui_notify_status" in after.check("push refresh").detail
    assert after.trigger_sql == trigger_sql(table.name)
    assert "Push refresh:" not in after.render_text()


async def test_pgbouncer_mode_checks_each_transaction(table):
    report = await diagnose(settings_for(table, pgbouncer=True))
    assert report.exit_code == 0, report.render_text()
    assert report.check("read-only").ok
    assert "transaction_read_only=on" in report.check("read-only").detail
    assert "PgBouncer" in report.check("push refresh").detail


async def test_json_report_is_plain_json(make_table):
    handle = await make_table(recommended_indexes=False)
    data = json.loads(json.dumps((await diagnose(settings_for(handle))).to_json()))
    assert data["exit_code"] == 0
    assert {c["status"] for c in data["checks"]} <= {"ok", "warn", "FAIL", "info"}
    assert len(data["index_statements"]) == 3
    assert data["trigger_sql"].startswith("-- wflog-tui")


def test_hint_names_the_index_the_view_needs():
    from wflog_tui.store import ColumnInfo, IndexInfo, TableInfo

    columns = {
        name: ColumnInfo(name, "text", "text")
        for name in ("id", "run_id", "status", "started_at", "steps_log", "organisation_id")
    }

    def with_indexes(*indexes):
        return TableInfo("public", "t", columns, indexes=indexes)

    def index(name, columns, *, partial=False, valid=True, where=""):
        definition = f"CREATE INDEX {name} ON public.t USING btree ({', '.join(columns)}){where}"
        return IndexInfo(name, definition, columns, False, False, partial, valid)

    listing = index("a", ("started_at", "id"))
    running = index("b", ("started_at",), partial=True, where=" WHERE (status = 'RUNNING')")
    org = index("c", ("organisation_id", "started_at"))
    assert indexes_missing_hint(with_indexes(listing, running, org)) is None
    assert indexes_missing_hint(with_indexes(running, org)).startswith("no index on started_at")
    # A failed concurrent build is no index at all.
    invalid = index("a", ("started_at", "id"), valid=False)
    assert indexes_missing_hint(with_indexes(invalid, running, org)).startswith(
        "no index on started_at"
    )
    # A partial index on started_at cannot serve the whole list.
    assert indexes_missing_hint(with_indexes(running, org)) is not None
    assert indexes_missing_hint(with_indexes(listing, org)) == (
        "no index on RUNNING runs, see `wflog-tui doctor`"
    )
    # An index leading with status serves RUNNING rows too.
    by_status = index("d", ("status", "started_at"))
    assert indexes_missing_hint(with_indexes(listing, by_status, org)) is None
    assert indexes_missing_hint(with_indexes(listing, running)) is None
    assert indexes_missing_hint(with_indexes(listing, running), organisation_scope=True) == (
        "no index on (organisation_id, started_at), see `wflog-tui doctor`"
    )


@pytest.mark.slow
async def test_on_a_big_table_the_plans_show_the_indexes_at_work(make_table):
    handle = await make_table(recommended_indexes=False, status_enum=False)
    await handle.execute(
        f"INSERT INTO {handle.shape.qualified} (id, run_id, status, started_at, steps_log, "
        "organisation_id) "
        "SELECT 'g' || i, 'r' || i, CASE WHEN i % 50 = 0 THEN 'RUNNING' ELSE 'COMPLETED' END, "
        "timestamp '2026-01-01' + i * interval '1 second', '[]', 'org_' || (i % 20) "
        "FROM generate_series(1, 200000) AS i"
    )
    await handle.execute(f"ANALYZE {handle.shape.qualified}")
    filters = {"run_filter": RunFilter(statuses=frozenset({"RUNNING"}))}

    bare = await diagnose(settings_for(handle), **filters)
    assert bare.check("row estimate").detail.startswith("about 200,000 rows")
    assert "Seq Scan on workflow_execution_log" in bare.check("cost: list").detail
    assert bare.check("cost: list").ok is False
    assert bare.check("cost: list").fix == "create the missing indexes (below)"

    for statement in bare.index_statements:
        await handle.execute(statement)
    indexed = await diagnose(settings_for(handle), **filters)
    assert indexed.check("cost: list").ok, indexed.check("cost: list")
    assert "Index Scan" in indexed.check("cost: list").detail
    assert "_running_idx" in indexed.check("cost: list").detail
    assert indexed.check("cost: refresh").ok, indexed.check("cost: refresh")


async def test_a_table_locked_by_a_migration_is_reported_not_waited_for(table):
    conn = await asyncpg.connect(table.dsn)
    try:
        # A migration holds the table: the TUI could not start until it is done.
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute(f"LOCK TABLE {table.shape.qualified} IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        report = await diagnose(settings_for(table, statement_timeout_s=0.3))
        elapsed = time.monotonic() - started
        await transaction.rollback()
    finally:
        await conn.close()
    assert report.exit_code == 2
    assert "holding a lock on it?" in report.fatal
    assert "FROM pg_locks" in report.check("table").fix
    assert elapsed < 5


async def test_queries_slower_than_the_statement_timeout_are_reported(table):
    await table.insert(run_row(status="RUNNING"))
    # A view whose every query sleeps: what a table on an overloaded server feels like.
    view = f"{quote_ident(table.shape.schema)}.slow_log"
    await table.execute(
        f"CREATE VIEW {view} AS SELECT * FROM {table.shape.qualified} "
        "WHERE (SELECT pg_sleep(1)) IS NOT NULL"
    )
    report = await diagnose(
        settings_for(table, table=f"{table.shape.schema}.slow_log", statement_timeout_s=0.3)
    )
    text = report.render_text()
    assert report.exit_code == 0, text
    assert report.check("table").detail.endswith("a view of 18 columns")
    assert report.check("indexes").detail == "a view: indexes belong on the table beneath it"
    # Each is reported as the TUI would meet it, and doctor moves on.
    for name in ("cost: list", "cost: refresh", "cost: counts", "cost: sparkline"):
        assert report.check(name).detail == (
            "took longer than statement_timeout (0.3 s); the TUI would too"
        ), text
    assert report.check("cost: refresh cycle") is None


async def test_on_a_standby_doctor_says_so_and_push_falls_back(pg_dsn, table):
    await table.insert(run_row(status="RUNNING"))
    async with standby_of(pg_dsn) as standby_dsn:
        report = await diagnose(settings_for(table, dsn=standby_dsn))
    assert report.exit_code == 0, report.render_text()
    assert report.check("standby").ok
    assert report.check("standby").detail.startswith("a standby (read replica)")
    push = report.check("push refresh")
    assert push.detail == "a standby never receives notifications: the TUI polls"
    assert report.check("cost: list").ok is not None


async def test_a_refresh_slowed_by_a_lock_wait_names_the_lock_not_an_index(make_table, monkeypatch):
    bare = await make_table(recommended_indexes=False)
    await bare.insert(run_row(status="RUNNING"))
    lock = f"LOCK TABLE {bare.shape.qualified} IN ACCESS EXCLUSIVE MODE"
    short, long = await asyncpg.connect(bare.dsn), await asyncpg.connect(bare.dsn)
    releases: list[asyncio.Task] = []
    measure = query_cost_checks.measure

    async def release_soon(transaction) -> None:
        await asyncio.sleep(0.5)
        await transaction.rollback()

    async def measure_under_migrations(writer, samples, session, info, name, statements, **kwargs):
        # Another session takes the table as a migration would: briefly while the refresh
        # is timed (its reads wait, then go on), and again, for good, before the last check.
        if name in ("cost: refresh", "cost: failure groups"):
            conn = short if name == "cost: refresh" else long
            transaction = conn.transaction()
            await transaction.start()
            await conn.execute(lock)
            if conn is short:
                releases.append(asyncio.create_task(release_soon(transaction)))
        return await measure(writer, samples, session, info, name, statements, **kwargs)

    monkeypatch.setattr(query_cost_checks, "measure", measure_under_migrations)
    try:
        report = await diagnose(settings_for(bare, statement_timeout_s=1.5), refresh_s=2)
    finally:
        await asyncio.gather(*releases)
        await short.close()
        await long.close()
    cycle = report.check("cost: refresh cycle")
    assert cycle is not None and not cycle.ok, report.render_text()
    assert "— waiting on a lock held by another session" in cycle.detail
    assert "no index" not in cycle.detail
