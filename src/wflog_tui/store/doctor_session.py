"""The one connection `wflog-tui doctor` examines the database through.

Doctor does not open a `Store`: it needs a single connection that stays usable when the
table is missing or broken, with the store's own read-only, time-limited session settings
(per transaction behind PgBouncer), so what it measures is what the TUI would see.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Final

import asyncpg

from wflog_tui.store.codecs import install_codecs
from wflog_tui.store.connection import APPLICATION_NAME, StoreSettings

# How much longer than the statement timeout the client waits for an answer.
_CLIENT_SLACK_S: Final = 5.0


class DoctorSession:
    """One read-only connection; behind PgBouncer, each statement in its own transaction.

    `timeout` is the client's own limit on one statement: the server's statement timeout
    plus some slack, so the server's cancellation is what normally ends a slow query.
    """

    def __init__(self, conn: asyncpg.Connection, settings: StoreSettings) -> None:
        self.conn = conn
        self.settings = settings
        self.timeout = settings.statement_timeout_s + _CLIENT_SLACK_S

    @contextlib.asynccontextmanager
    async def scope(self) -> AsyncIterator[asyncpg.Connection]:
        """The connection, read-only and time-limited for the block."""
        if not self.settings.pgbouncer:
            yield self.conn
            return
        async with self.conn.transaction(readonly=True):
            await self.conn.execute(
                "SELECT set_config('statement_timeout', $1, true), set_config('jit', 'off', true)",
                str(self.settings.statement_timeout_ms),
            )
            yield self.conn

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """Rows of one statement."""
        async with self.scope() as conn:
            return await conn.fetch(sql, *args, timeout=self.timeout)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        """The first row of one statement."""
        async with self.scope() as conn:
            return await conn.fetchrow(sql, *args, timeout=self.timeout)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first value of one statement."""
        async with self.scope() as conn:
            return await conn.fetchval(sql, *args, timeout=self.timeout)


async def connect_read_only(settings: StoreSettings) -> asyncpg.Connection:
    """A connection with the store's session settings, able to decode any stored row."""
    server_settings = settings.session_settings()
    if settings.pgbouncer:
        server_settings = {"application_name": APPLICATION_NAME}
    conn = await asyncpg.connect(
        dsn=settings.dsn,
        server_settings=server_settings,
        timeout=settings.connect_timeout_s,
        command_timeout=settings.statement_timeout_s + _CLIENT_SLACK_S,
        statement_cache_size=0 if settings.pgbouncer else 100,
    )
    # The cost checks read real rows: an infinite or year-12000 timestamp must decode.
    await install_codecs(conn)
    return conn
