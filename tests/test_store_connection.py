"""The pool's promises: read-only, time-limited, recovering, and silent about passwords."""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import pytest

from tests.database import run_row
from tests.roles import can_rewrite_hba, dsn_as, free_port, password_required, role
from wflog_tui.store import (
    ConfigurationError,
    ConnectionLost,
    QueryTimeout,
    RunFilter,
    StoreError,
    StoreSettings,
    open_store,
    resolve_dsn,
)


async def test_sessions_are_read_only_named_and_time_limited(table):
    store = await open_store(
        StoreSettings(dsn=table.dsn, table=table.name, statement_timeout_s=2.5)
    )
    async with store, store._pool.acquire() as conn:
        assert await conn.fetchval("SHOW default_transaction_read_only") == "on"
        assert await conn.fetchval("SHOW statement_timeout") == "2500ms"
        assert await conn.fetchval("SHOW application_name") == "wflog-tui"
        assert await conn.fetchval("SHOW jit") == "off"
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await conn.execute(
                f"INSERT INTO {table.shape.qualified} (id, run_id) VALUES ('x', 'y')"
            )


async def test_pool_is_small(table):
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name, max_connections=10))
    async with store:
        assert store._pool.get_max_size() == 2
        assert store._pool.get_min_size() == 0


async def test_statement_timeout_becomes_query_timeout(table):
    store = await open_store(
        StoreSettings(dsn=table.dsn, table=table.name, statement_timeout_s=0.2)
    )
    async with store:
        with pytest.raises(QueryTimeout) as caught:
            await store._run("sleep", lambda conn: conn.fetchval("SELECT pg_sleep(2)"), int)
        assert "statement_timeout" in caught.value.message
        # The pool is fine afterwards.
        assert await store.fetch_page(RunFilter()) == []


async def test_store_survives_its_backends_being_terminated(pg_dsn, table):
    await table.insert(run_row(id="a"))
    # A role of its own, so only this store's backends are killed: other tests (on other
    # workers, or other people's runs on a shared server) connect as 'wflog-tui' too.
    async with (
        role(pg_dsn, table) as name,
        await open_store(StoreSettings(dsn=dsn_as(table.dsn, name), table=table.name)) as store,
    ):
        assert [r.id for r in await store.fetch_page(RunFilter())] == ["a"]
        admin = await asyncpg.connect(pg_dsn)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'wflog-tui' AND usename = $1",
                name,
            )
        finally:
            await admin.close()
        assert killed >= 1
        # The dead connection is found, discarded and replaced within the call.
        assert [r.id for r in await store.fetch_page(RunFilter())] == ["a"]
        assert (await store.fetch_run("a")) is not None


async def test_connection_lost_while_the_server_refuses_us_then_recovery(pg_dsn, table):
    await table.insert(run_row(id="a"))
    async with role(pg_dsn, table) as name:
        store = await open_store(StoreSettings(dsn=dsn_as(table.dsn, name), table=table.name))
        async with store:
            admin = await asyncpg.connect(pg_dsn)
            try:
                await admin.execute(f"ALTER ROLE {name} NOLOGIN")
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                    name,
                )
                with pytest.raises(ConnectionLost) as caught:
                    await store.fetch_page(RunFilter())
                assert "not permitted to log in" in caught.value.message
                await admin.execute(f"ALTER ROLE {name} LOGIN")
            finally:
                await admin.close()
            assert [r.id for r in await store.fetch_page(RunFilter())] == ["a"]
            assert store.stats.failures >= 1


async def test_pgbouncer_mode_is_still_read_only_and_time_limited(table):
    await table.insert(run_row(id="a"))
    settings = StoreSettings(
        dsn=table.dsn, table=table.name, pgbouncer=True, statement_timeout_s=0.2
    )
    async with await open_store(settings) as store:
        assert [r.id for r in await store.fetch_page(RunFilter())] == ["a"]

        async def write(conn):
            await conn.execute(f"DELETE FROM {table.shape.qualified}")

        with pytest.raises(StoreError, match="25006"):
            await store._run("write", write, lambda _: 0)
        with pytest.raises(QueryTimeout):
            await store._run("sleep", lambda conn: conn.fetchval("SELECT pg_sleep(2)"), int)
    assert len(await asyncio.gather(table.execute("SELECT 1"))) == 1


async def test_unreachable_server_is_a_configuration_error_without_password():
    port = free_port()
    dsn = f"postgresql://alice:s3cr%40t-pw@127.0.0.1:{port}/app?connect_timeout=2"
    resolved = resolve_dsn(dsn, {})
    with pytest.raises(ConfigurationError) as caught:
        await open_store(
            StoreSettings(dsn=resolved.dsn, connect_timeout_s=resolved.connect_timeout_s or 5)
        )
    message = caught.value.message
    assert message == f"cannot reach PostgreSQL at 127.0.0.1:{port}: connection refused"
    assert "s3cr" not in repr(caught.value) and "s3cr" not in str(caught.value)


async def test_missing_socket_is_named(tmp_path):
    with pytest.raises(ConfigurationError) as caught:
        await open_store(StoreSettings(dsn=f"postgresql://u:pw@/db?host={tmp_path}&port=5999"))
    assert caught.value.message.startswith(f"cannot reach PostgreSQL at {tmp_path}/.s.PGSQL.5999")


async def test_unknown_database_is_a_configuration_error(pg_dsn):
    parts = urlsplit(pg_dsn)
    dsn = urlunsplit((parts.scheme, parts.netloc, "/no_such_db", parts.query, ""))
    with pytest.raises(ConfigurationError, match='database "no_such_db" does not exist'):
        await open_store(StoreSettings(dsn=dsn))


async def test_bad_password_is_reported_without_the_password(pg_dsn, table):
    if not await can_rewrite_hba(pg_dsn):
        pytest.skip("WFLOG_TEST_DSN server: not rewriting its pg_hba.conf")
    password = "Tr0ub4dor&3 :@/%"
    async with (
        role(pg_dsn, table, password="right-one") as name,
        password_required(pg_dsn, name),
    ):
        wrong = dsn_as(table.dsn, name, password)
        with pytest.raises(ConfigurationError) as caught:
            await open_store(StoreSettings(dsn=wrong, table=table.name))
        right = dsn_as(table.dsn, name, "right-one")
        async with await open_store(StoreSettings(dsn=right, table=table.name)) as store:
            assert await store.fetch_page(RunFilter()) == []
            assert "right-one" not in repr(store) and "right-one" not in repr(store.settings)
    message = caught.value.message
    assert message == f'password authentication failed for user "{name}"'
    for spelled in (password, quote(password, safe=""), "Tr0ub4dor"):
        assert spelled not in message
        assert spelled not in repr(caught.value)
