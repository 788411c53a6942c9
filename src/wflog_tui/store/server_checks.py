"""Doctor's first checks: whom it reached, which server, and whether the session only reads.

They come first because everything after them is read through this session: a server
older than PostgreSQL 12, a session that could write, or a superuser role are findings
before any table is looked at; and whether the server is a standby decides how push
refresh is judged at the end (`push_check`).
"""

from __future__ import annotations

from typing import Final

from wflog_tui.store.doctor_report import ReportWriter
from wflog_tui.store.doctor_session import DoctorSession

MIN_SERVER_VERSION: Final = 120000


async def check_server(writer: ReportWriter, session: DoctorSession) -> bool:
    """Add the connection, server version, read-only, standby and role checks.

    Returns whether the server is a standby (a read replica).
    """
    row = await session.fetchrow(
        "SELECT current_user::text AS role, current_database()::text AS db, "
        "current_setting('server_version') AS version, "
        "current_setting('server_version_num')::int AS version_num, "
        "pg_is_in_recovery() AS standby, "
        "(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS super"
    )
    writer.add(
        "connection",
        True,
        f"connected to {writer.report.target} as {row['role']}, database {row['db']}",
    )
    version = f"PostgreSQL {row['version']}"
    if row["version_num"] < MIN_SERVER_VERSION:
        writer.add("server version", False, f"{version}: older than 12, which is not supported")
    else:
        writer.add("server version", True, version)
    await _check_read_only(writer, session)
    if row["standby"]:
        writer.add("standby", True, "a standby (read replica): the best place for a viewer")
    else:
        writer.add(
            "standby",
            None,
            "the primary: a read replica would keep this tool's reads off it",
        )
    if row["super"]:
        writer.add(
            "role",
            False,
            f"{row['role']} is a superuser",
            "connect as a role that may only read the table (see privileges)",
        )
    return bool(row["standby"])


async def _check_read_only(writer: ReportWriter, session: DoctorSession) -> None:
    setting = (
        "transaction_read_only" if writer.settings.pgbouncer else "default_transaction_read_only"
    )
    async with session.scope() as conn:
        read_only = await conn.fetchval(f"SHOW {setting}")
        timeout = await conn.fetchval("SHOW statement_timeout")
    how = "each transaction" if writer.settings.pgbouncer else "the session"
    writer.add(
        "read-only",
        read_only == "on",
        f"{how} is read-only ({setting}={read_only}), statement_timeout {timeout}",
    )
