"""Read-only: no action of the app, `show` or `doctor` issues a statement that writes.

Three proofs, each sufficient on its own for what it covers:

1. The app runs as a role that may only SELECT the table, in sessions whose default is
   read-only; every action is driven and none fails (a write would fail loudly with
   42501 or 25006 and be counted in `store.stats.failures` or shown on screen).
2. Every statement our connections send is recorded at asyncpg's entry points and must be
   a read: SELECT, SHOW, EXPLAIN of a SELECT, LISTEN/UNLISTEN, or the pool's own reset.
3. The table's write counters in `pg_stat_user_tables` do not move during the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from datetime import timedelta

import asyncpg
import pytest
from textual.command import CommandPalette

from tests.database import run_row
from tests.roles import dsn_as, role
from tests.ui.harness import (
    list_app,
    loaded,
    queries_done,
    recent,
    screen_text,
    settle,
    table_of,
    workers_idle,
)
from tests.ui.step_entries import entry, trigger
from wflog_tui.cli import run
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.ui.run_list import RunListScreen

_LITERAL = re.compile(r"'(?:[^']|'')*'")
# What a read-only viewer may send. asyncpg's pool resets a connection it takes back with
# `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`.
_READS = re.compile(
    r"^(SELECT|SHOW|WITH|EXPLAIN|LISTEN|UNLISTEN|CLOSE ALL|RESET ALL|BEGIN READ ONLY|"
    r"BEGIN ISOLATION LEVEL \w+( \w+)? READ ONLY|COMMIT|ROLLBACK)\b"
)
_WRITE_WORDS = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|ALTER|DROP|GRANT|REVOKE|COPY|VACUUM|"
    r"ANALYZE|CLUSTER|REINDEX|LOCK|NOTIFY|COMMENT|SECURITY LABEL|REFRESH|CALL|DO|SET)\b"
)


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """Every statement sent by a connection of ours (application_name wflog-tui)."""
    sent: list[str] = []
    original_execute = asyncpg.connection.Connection._execute
    original_simple = asyncpg.connection.Connection.execute

    def ours(conn) -> bool:
        try:
            return conn.get_settings().application_name == "wflog-tui"
        except Exception:
            return False

    async def _execute(self, query, *args, **kwargs):
        if ours(self):
            sent.append(query)
        return await original_execute(self, query, *args, **kwargs)

    async def execute(self, query, *args, **kwargs):
        if ours(self) and not args:
            sent.append(query)  # with args, execute goes through _execute
        return await original_simple(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "_execute", _execute)
    monkeypatch.setattr(asyncpg.connection.Connection, "execute", execute)
    return sent


def assert_all_reads(sent: list[str]) -> None:
    assert sent, "no statement was recorded"
    for query in sent:
        for statement in _LITERAL.sub("''", query).split(";"):
            words = " ".join(statement.split()).upper()
            if not words:
                continue
            assert _READS.match(words), f"not a read: {words[:300]}"
            if words.startswith(("SELECT", "WITH", "EXPLAIN")):
                assert not _WRITE_WORDS.search(words), words[:300]


async def write_counters(admin, qualified: str) -> tuple:
    await admin.execute("SELECT pg_stat_force_next_flush()")
    return await admin.fetchrow(
        "SELECT n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd FROM pg_stat_user_tables "
        "WHERE relid = $1::regclass",
        qualified,
    )


@pytest.mark.slow
async def test_every_action_as_a_select_only_role_issues_only_reads(pg_dsn, table, statements):
    running_steps = [trigger(), entry("fetch_user", t=1), entry("send", "RUNNING", t=2)]
    await table.insert(
        recent(1, id="r1", run_id="01RO1", status="RUNNING", ended_at=None,
               steps_log=running_steps, workflow_name="Alpha"),
        recent(2, id="r2", run_id="01RO2", status="FAILED", error="boom", workflow_name="Beta",
               steps_log=[trigger(), entry("x", "FAILED", t=1, error={"message": "boom"})]),
        recent(3, id="r3", run_id="01RO3", organisation_id="org_b"),
    )  # fmt: skip
    admin = await asyncpg.connect(pg_dsn)
    async with role(pg_dsn, table) as name:
        privileges = await admin.fetchrow(
            "SELECT has_table_privilege($1, $2, 'INSERT, UPDATE, DELETE, TRUNCATE, "
            "REFERENCES, TRIGGER') AS table_write, has_schema_privilege($1, $3, 'CREATE') "
            "AS schema_create, (SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles "
            "WHERE rolname = $1) AS powers",
            name,
            table.shape.qualified,
            table.shape.schema,
        )
        assert dict(privileges) == {"table_write": False, "schema_create": False, "powers": False}
        before = await write_counters(admin, table.shape.qualified)
        store = await open_store(StoreSettings(dsn=dsn_as(table.dsn, name), table=table.name))
        async with store:
            async with store._pool.acquire() as conn:
                assert await conn.fetchval("SHOW default_transaction_read_only") == "on"
                assert await conn.fetchval("SHOW transaction_read_only") == "on"
                assert await conn.fetchval("SELECT current_user") == name
            app = list_app(store, run_filter=RunFilter(since=timedelta(hours=24)))
            async with app.run_test(size=(180, 45)) as pilot:
                await settle(pilot, lambda: table_of(app).row_count == 3)
                for key in ("3", "3", "ctrl+z", "ctrl+z", "1", "0", "right_square_bracket",
                            "left_square_bracket", "p", "p", "space", "f", "f", "t", "S", "D",
                            "plus", "minus", "y", "x"):  # fmt: skip
                    await pilot.press(key)
                    await settle(pilot, lambda: workers_idle(app))  # its query, if any, ran
                await pilot.press("slash", *"01RO", "enter")
                await settle(pilot, lambda: "search=01RO" in screen_text(app))
                await queries_done(pilot, store)
                await pilot.press("escape", "escape")
                # The search language: a payload term and a step term.
                await pilot.press("slash", *"input~a step.status:FAILED", "enter")
                await pilot.pause(0.3)
                await pilot.press("escape", "escape")
                await pilot.press("w")
                await settle(
                    pilot, lambda: "Workflow" in screen_text(app) and "Beta" in screen_text(app)
                )
                await pilot.press("down", "down", "enter")
                await settle(pilot, lambda: "workflow=Beta" in screen_text(app))
                await queries_done(pilot, store)
                await pilot.press("o")
                await settle(pilot, lambda: "org_b" in screen_text(app))
                await pilot.press("escape", "x")
                await settle(pilot, lambda: table_of(app).row_count == 3)
                await pilot.press("ctrl+p")
                await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
                await pilot.press("escape", "question_mark")
                await settle(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
                await pilot.press("escape")
                # Open the running run: load, tail, every tab, copy, reload, failures.
                screen = app.screen
                assert isinstance(screen, RunListScreen)
                table_of(app).move_cursor(row=screen.table.index_of("r1"))
                await pilot.press("enter")
                await settle(pilot, lambda: loaded(app), within=20)
                await queries_done(pilot, store, 3)  # a few tail cycles
                await pilot.press("tab")
                for key in "1234567":
                    await pilot.press(key)
                    await settle(pilot, lambda: workers_idle(app))
                await pilot.press("tab", "c", "n", "f", "f", "r")
                await settle(pilot, lambda: loaded(app))
                # Search inside the run (a query of its own), then move and clear.
                await pilot.press("slash", *"a", "enter")
                await settle(pilot, lambda: "find_in_steps" in store.stats.last)
                await pilot.press("n", "N", "escape")
                await pilot.press("escape")
                await settle(pilot, lambda: isinstance(app.screen, RunListScreen))
                text = screen_text(app)
                assert "permission denied" not in text and "read-only" not in text
                assert "DISCONNECTED" not in text
            assert store.stats.failures == 0
            assert isinstance(screen, RunListScreen)
        # show and doctor, as the same role.
        for argv in (["show", "01RO2"], ["show", "01RO1", "--json"], ["doctor"],
                     ["doctor", "--json"]):  # fmt: skip
            out, err = io.StringIO(), io.StringIO()
            dsn = dsn_as(table.dsn, name)

            def cli(argv=argv, out=out, err=err, dsn=dsn) -> int:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    return run(["--dsn", dsn, "--table", table.name, *argv], {})

            assert await asyncio.to_thread(cli) == 0, (argv, err.getvalue())
            assert "permission denied" not in out.getvalue() + err.getvalue()
        after = await write_counters(admin, table.shape.qualified)
    await admin.close()
    assert after == before
    assert_all_reads(statements)
    # The app did its work through those statements (this is not an empty proof).
    assert any("01RO" in s or "LIKE" in s for s in statements)
    assert any(s.lstrip().upper().startswith("EXPLAIN") for s in statements)


def test_the_read_filter_refuses_writes():
    """The statement check itself: each kind of write is caught."""
    for write in (
        "INSERT INTO t VALUES (1)",
        "update t set a = 1",
        "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
        "SELECT 1; DROP TABLE t",
        "CREATE TEMP TABLE x (a int)",
        "SET default_transaction_read_only = off",
        "NOTIFY wflog_tui",
        "SELECT * FROM t FOR UPDATE",
    ):
        with pytest.raises(AssertionError):
            assert_all_reads([write])
    assert_all_reads(["SELECT 'DROP TABLE t' AS text_only", "SHOW statement_timeout"])


async def test_even_a_writing_role_cannot_write_through_the_store(table):
    """The session default is read-only whatever the role may do (here: the superuser)."""
    await table.insert(run_row(id="w1"))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    async with store:
        for statement in (
            f"DELETE FROM {table.shape.qualified}",
            f"UPDATE {table.shape.qualified} SET status = 'FAILED'",
            f"CREATE TABLE {table.shape.schema}.x (a int)",
            "CREATE TEMP TABLE x (a int)",
        ):
            with pytest.raises(Exception, match=r"25006|read-only"):
                await store._run("write", lambda conn, s=statement: conn.execute(s), lambda _: 0)
    assert len(await store_rows(table)) == 1


async def store_rows(table) -> list:
    conn = await asyncpg.connect(table.dsn)
    try:
        return await conn.fetch(f"SELECT id FROM {table.shape.qualified}")
    finally:
        await conn.close()
