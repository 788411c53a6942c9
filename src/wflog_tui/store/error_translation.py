"""Driver, socket and timeout exceptions said in one line a person can act on.

`translate` maps what asyncpg and the network raise to the `StoreError` kinds of
`store/errors.py`, with every secret of the DSN masked.
"""

from __future__ import annotations

import errno
import socket
import ssl

import asyncpg

from wflog_tui.store.dsn import describe_target, mask_secrets
from wflog_tui.store.errors import (
    ConfigurationError,
    ConnectionLost,
    QueryTimeout,
    StoreError,
)

# SQLSTATEs that mean the session is gone: admin shutdown, crash shutdown, cannot connect now.
_GONE_STATES = frozenset({"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"})
# Login and catalogue errors: nothing a retry would fix.
_CONFIG_STATES = {
    "28P01": ConfigurationError,  # invalid_password
    "28000": ConfigurationError,  # invalid_authorization_specification (pg_hba, no role)
    "3D000": ConfigurationError,  # invalid_catalog_name: no such database
    "42P01": ConfigurationError,  # undefined_table
    "42703": ConfigurationError,  # undefined_column
    "42501": ConfigurationError,  # insufficient_privilege
    "53300": ConfigurationError,  # too_many_connections
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return "connection refused"
    if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
        return "no server socket there"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if exc.errno == errno.EHOSTUNREACH:
        return "host unreachable"
    if exc.errno == errno.ENETUNREACH:
        return "network unreachable"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    return exc.strerror or str(exc) or type(exc).__name__


def translate(
    exc: BaseException,
    dsn: str | None,
    *,
    connecting: bool = False,
    at_start: bool = False,
) -> StoreError:
    """Map an asyncpg, socket or timeout exception to a `StoreError` with a clear message.

    `connecting` says the error happened while opening a connection; `at_start` that it
    happened before the store was ever usable, when nothing is "lost" and the CLI must
    exit instead: every failure at start is a `ConfigurationError`.
    """
    if isinstance(exc, StoreError):
        return exc
    target = describe_target(dsn)
    sqlstate: str | None = None
    kind: type[StoreError]
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = getattr(exc, "sqlstate", None)
        text = str(exc) or type(exc).__name__
        if sqlstate in _CONFIG_STATES:
            kind = _CONFIG_STATES[sqlstate]
        elif sqlstate == "57014":
            kind = QueryTimeout
            if "statement timeout" in text:
                text = "the query took longer than statement_timeout and was cancelled"
        elif sqlstate in _GONE_STATES:
            kind = ConnectionLost
            text = f"connection to PostgreSQL at {target} lost: {text}"
        else:
            kind = StoreError
            text = f"PostgreSQL error {sqlstate}: {text}"
    elif isinstance(exc, TimeoutError):
        # asyncpg raises the builtin TimeoutError (asyncio.TimeoutError is an alias) for
        # a connect timeout and for its client-side command_timeout.
        if connecting:
            kind = ConnectionLost
            text = f"cannot reach PostgreSQL at {target}: timed out"
        else:
            kind = QueryTimeout
            text = "no answer from PostgreSQL in time (the network may be down)"
    elif isinstance(exc, asyncpg.ConnectionDoesNotExistError | ConnectionResetError):
        kind = ConnectionLost
        text = f"connection to PostgreSQL at {target} lost"
    elif isinstance(exc, OSError):
        kind = ConnectionLost
        text = f"cannot reach PostgreSQL at {target}: {_os_reason(exc)}"
    elif isinstance(exc, asyncpg.InterfaceError):
        closed = "closed" in str(exc) or "released" in str(exc)
        kind = ConnectionLost if closed else StoreError
        text = f"connection to PostgreSQL at {target} lost" if closed else str(exc)
    elif isinstance(exc, ValueError):
        # asyncpg's own DSN parsing: bad port, bad sslmode, unknown target_session_attrs...
        kind = ConfigurationError
        text = f"invalid connection settings: {exc}"
    else:
        kind = StoreError
        text = f"{type(exc).__name__}: {exc}"
    if at_start:
        kind = ConfigurationError
    elif connecting:
        # Mid-session, failing to connect again (refused, login rejected, too many
        # connections) is an outage the UI waits out, not a reason to quit.
        kind = ConnectionLost
    return kind(mask_secrets(_one_line(text), dsn), sqlstate=sqlstate)
