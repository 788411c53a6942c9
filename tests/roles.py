"""Login roles on the test server, and DSNs that log in as them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from tests.waiting import EVENTUALLY_WITHIN_S


def dsn_as(dsn: str, user: str, password: str | None = None) -> str:
    """The test server's DSN, logging in as another role."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit((parts.scheme, f"{auth}@{host}", parts.path, parts.query, ""))


@contextlib.asynccontextmanager
async def role(pg_dsn: str, handle, password: str | None = None):
    """A login role that may read the handle's table; dropped afterwards."""
    name = f"r_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(pg_dsn)
    try:
        secret = "" if password is None else f" PASSWORD '{password}'"
        await conn.execute(f"CREATE ROLE {name} LOGIN{secret}")
        await conn.execute(f'GRANT USAGE ON SCHEMA "{handle.shape.schema}" TO {name}')
        await conn.execute(f"GRANT SELECT ON {handle.shape.qualified} TO {name}")
        yield name
    finally:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", name
        )
        await conn.execute(f"DROP OWNED BY {name}")
        await conn.execute(f"DROP ROLE {name}")
        await conn.close()


async def alter_role(pg_dsn: str, name: str, clause: str) -> None:
    """`ALTER ROLE name clause`, as the test server's superuser (`CONNECTION LIMIT 0`,
    `SET temp_file_limit = 0`, ...): what a role may do, set before it logs in."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f"ALTER ROLE {name} {clause}")
    finally:
        await conn.close()


def free_port() -> int:
    """A local TCP port nothing listens on (for "server unreachable" tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def password_required(pg_dsn: str, name: str):
    """Make the test server ask `name` (only) for a password, by a line atop pg_hba.conf.

    The embedded server trusts every local connection; a superuser can rewrite its
    pg_hba.conf and reload it. The file is restored afterwards.
    """
    conn = await asyncpg.connect(pg_dsn)
    try:
        hba_file = await conn.fetchval("SHOW hba_file")
        original = await conn.fetchval("SELECT pg_read_file($1)", hba_file)
        lines = [f"local all {name} scram-sha-256", f"host all {name} all scram-sha-256"]
        await _write_lines(conn, hba_file, lines + original.split("\n"))
        await _reload(pg_dsn, conn)
        try:
            yield
        finally:
            await _write_lines(conn, hba_file, original.split("\n"))
            await _reload(pg_dsn, conn)
    finally:
        await conn.close()


async def _reload(pg_dsn: str, conn) -> None:
    """Have the server re-read its configuration, and return once new sessions use it.

    The postmaster reloads on a signal, in its own time; a session started after that
    inherits the new load time, so a fresh session's `pg_conf_load_time()` says when.
    """
    before = await conn.fetchval("SELECT pg_conf_load_time()")
    await conn.fetchval("SELECT pg_reload_conf()")

    async def loaded_at():
        fresh = await asyncpg.connect(pg_dsn)
        try:
            return await fresh.fetchval("SELECT pg_conf_load_time()")
        finally:
            await fresh.close()

    deadline = asyncio.get_running_loop().time() + EVENTUALLY_WITHIN_S
    while await loaded_at() <= before:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the server did not reload its configuration")
        await asyncio.sleep(0.02)


async def _write_lines(conn, path: str, lines: list[str]) -> None:
    # COPY writes one row per line; ORDER BY keeps the file's order.
    await conn.execute("CREATE TEMP TABLE IF NOT EXISTS hba_lines (n int, line text)")
    await conn.execute("TRUNCATE hba_lines")
    await conn.executemany("INSERT INTO hba_lines VALUES ($1, $2)", list(enumerate(lines)))
    quoted = path.replace("'", "''")
    await conn.execute(f"COPY (SELECT line FROM hba_lines ORDER BY n) TO '{quoted}'")


async def can_rewrite_hba(pg_dsn: str) -> bool:
    """Whether `password_required` can work here: an embedded server we are superuser of."""
    if os.environ.get("WFLOG_TEST_DSN"):
        return False
    conn = await asyncpg.connect(pg_dsn)
    try:
        return bool(
            await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        )
    finally:
        await conn.close()
