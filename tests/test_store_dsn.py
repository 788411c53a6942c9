"""DSN precedence, Prisma and libpq forms, masking, and error messages without secrets."""

from __future__ import annotations

import errno
import socket
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import asyncpg
import pytest
from hypothesis import assume, given
from hypothesis import strategies as hs

from wflog_tui.store import (
    ConfigurationError,
    ConnectionLost,
    DsnError,
    QueryTimeout,
    ResolvedDsn,
    StoreError,
    StoreSettings,
    describe_target,
    mask_dsn,
    mask_secrets,
    resolve_dsn,
    translate,
)
from wflog_tui.store.dsn import parse_conninfo


def test_precedence_is_flag_then_wflog_dsn_then_database_url_then_pg_environment():
    env = {"WFLOG_DSN": "postgresql://w/db", "DATABASE_URL": "postgresql://d/db"}
    assert resolve_dsn("postgresql://f/db", env).source == "--dsn"
    assert resolve_dsn(None, env) == ResolvedDsn("postgresql://w/db", "WFLOG_DSN")
    assert resolve_dsn(None, {"DATABASE_URL": "postgresql://d/db"}).source == "DATABASE_URL"
    # A blank variable, as compose files leave them, counts as unset.
    assert resolve_dsn(None, {"WFLOG_DSN": " ", "DATABASE_URL": "postgresql://d/db"}).dsn == (
        "postgresql://d/db"
    )
    pg = resolve_dsn(None, {"PGHOST": "x"})
    assert (pg.dsn, pg.source, pg.default_schema) == (None, "PG* environment", None)
    with pytest.raises(DsnError, match="--dsn is empty"):
        resolve_dsn("  ", env)


def test_prisma_url_loses_prisma_params_and_gives_its_schema():
    url = (
        "postgresql://app:pw@db.internal:6543/prod?schema=tenant_1&connection_limit=5"
        "&pool_timeout=10&pgbouncer=true&connect_timeout=7&socket_timeout=3"
        "&statement_cache_size=0&sslmode=require&application_name=platform"
    )
    resolved = resolve_dsn(None, {"DATABASE_URL": url})
    assert resolved.dsn == (
        "postgresql://app:pw@db.internal:6543/prod?sslmode=require&application_name=platform"
    )
    assert resolved.default_schema == "tenant_1"
    assert resolved.connect_timeout_s == 7.0
    assert resolved.pgbouncer is True
    assert set(resolved.dropped_params) >= {"schema", "pgbouncer", "connect_timeout"}
    assert "pw" not in repr(resolved)


def test_prisma_accelerate_and_garbage_are_refused_without_echo():
    with pytest.raises(DsnError, match="Prisma Accelerate"):
        resolve_dsn("prisma+postgres://accelerate.prisma-data.net/?api_key=SECRET", {})
    with pytest.raises(ConfigurationError) as caught:
        resolve_dsn("just-a-secret-word", {})
    assert "secret" not in caught.value.message


def test_keyword_value_dsn_becomes_a_url_asyncpg_reads():
    text = r"host=/var/run/postgresql port=5433 dbname=app user=bob password='it\'s a b&c' "
    text += "sslmode=disable keepalives=1 options='-c geqo=off'"
    resolved = resolve_dsn(text, {})
    assert resolved.dsn is not None
    params = parse_qs(urlsplit(resolved.dsn).query)
    assert params == {
        "host": ["/var/run/postgresql"],
        "port": ["5433"],
        "dbname": ["app"],
        "user": ["bob"],
        "password": ["it's a b&c"],
        "sslmode": ["disable"],
        "options": ["-c geqo=off"],
    }
    assert resolved.dropped_params == ("keepalives",)
    assert describe_target(resolved.dsn) == "/var/run/postgresql/.s.PGSQL.5433"
    assert "it's" not in mask_dsn(resolved.dsn)


@pytest.mark.parametrize("text", ["host=db password='unterminated", "=x", "host=db 'x'", "host db"])
def test_bad_keyword_value_dsn_is_refused_by_position(text):
    with pytest.raises(DsnError) as caught:
        parse_conninfo(text)
    assert "unterminated" not in caught.value.message or "quoted" in caught.value.message


_values = hs.text(
    alphabet=hs.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)


@given(values=hs.dictionaries(hs.sampled_from(["host", "user", "password", "dbname"]), _values))
def test_keyword_value_round_trips_through_the_url(values):
    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    text = " ".join(f"{key}={quoted(value)}" for key, value in values.items())
    assume(text)
    assert parse_conninfo(text) == values
    resolved = resolve_dsn(text, {})
    assert resolved.dsn is not None
    query = parse_qs(urlsplit(resolved.dsn).query, keep_blank_values=True)
    assert {k: v[0] for k, v in query.items()} == values


_password = hs.text(
    alphabet=hs.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=4,
    max_size=40,
)


@given(password=_password)
def test_mask_dsn_hides_any_url_password(password):
    skeleton = "postgresql://alice:@db.example.com:5432/app?sslmode=require"
    assume(password not in skeleton and quote(password, safe="") not in skeleton)
    dsn = f"postgresql://alice:{quote(password, safe='')}@db.example.com:5432/app?sslmode=require"
    masked = mask_dsn(dsn)
    assert masked == "postgresql://alice:***@db.example.com:5432/app?sslmode=require"
    assert password not in masked


@given(password=_password, prefix=hs.text(max_size=20), suffix=hs.text(max_size=20))
def test_mask_secrets_removes_every_spelling_of_the_password(password, prefix, suffix):
    dsn = f"postgresql://alice:{quote(password, safe='')}@db/app"
    for spelled in (password, quote(password, safe=""), quote_plus(password)):
        masked = mask_secrets(f"{prefix}{spelled}{suffix}", dsn)
        assert spelled not in masked or spelled in (prefix + "***" + suffix)


@given(password=_password)
def test_mask_secrets_covers_keyword_value_dsns(password):
    escaped = password.replace("\\", "\\\\").replace("'", "\\'")
    dsn = f"host=db user=bob password='{escaped}'"
    resolved = resolve_dsn(dsn, {})
    message = f"failed: {password} / {resolved.dsn}"
    masked = mask_secrets(message, dsn)
    assert password not in masked.replace("***", "")
    assert password not in mask_dsn(resolved.dsn).replace("***", "")


def test_settings_and_resolved_dsn_reprs_are_masked():
    dsn = "postgresql://bob:hunter2@db/app"
    assert "hunter2" not in repr(StoreSettings(dsn=dsn))
    assert "hunter2" not in repr(resolve_dsn(dsn, {}))
    assert mask_dsn(None) == "PG* environment"


def test_describe_target():
    assert describe_target("postgresql://u:p@db:6543/x") == "db:6543"
    assert describe_target("postgresql://u:p@db/x") == "db:5432"
    assert describe_target("postgresql://h1:1,h2/x") == "h1:1, h2:5432"
    assert describe_target("postgresql://u@[::1]/x") == "[::1]:5432"
    assert describe_target(None, {"PGHOST": "pg.local", "PGPORT": "6000"}) == "pg.local:6000"
    assert describe_target("postgresql://?host=/tmp/s&port=7", {}) == "/tmp/s/.s.PGSQL.7"


DSN = "postgresql://alice:p%40ss-word@db.example:5433/app"


def _pg_error(cls, message: str):
    return cls(message)


@pytest.mark.parametrize(
    ("exc", "kind", "message"),
    [
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
            ConnectionLost,
            "cannot reach PostgreSQL at db.example:5433: connection refused",
        ),
        (
            socket.gaierror(-2, "Name or service not known"),
            ConnectionLost,
            "cannot reach PostgreSQL at db.example:5433: host name not found",
        ),
        (
            _pg_error(
                asyncpg.InvalidPasswordError, 'password authentication failed for user "alice"'
            ),
            ConfigurationError,
            'password authentication failed for user "alice"',
        ),
        (
            _pg_error(asyncpg.QueryCanceledError, "canceling statement due to statement timeout"),
            QueryTimeout,
            "the query took longer than statement_timeout and was cancelled",
        ),
        (
            _pg_error(asyncpg.AdminShutdownError, "terminating connection due to administrator"),
            ConnectionLost,
            "connection to PostgreSQL at db.example:5433 lost: "
            "terminating connection due to administrator",
        ),
        (
            _pg_error(asyncpg.UndefinedTableError, 'relation "x" does not exist'),
            ConfigurationError,
            'relation "x" does not exist',
        ),
        (
            asyncpg.ConnectionDoesNotExistError("connection was closed"),
            ConnectionLost,
            "connection to PostgreSQL at db.example:5433 lost: connection was closed",
        ),
        (
            TimeoutError(),
            QueryTimeout,
            "no answer from PostgreSQL in time (the network may be down)",
        ),
        (
            ValueError("invalid port 'p@ss-word' in DSN\n  p%40ss-word"),
            ConfigurationError,
            "invalid connection settings: invalid port '***' in DSN ***",
        ),
    ],
)
def test_translate_maps_errors_to_clear_password_free_messages(exc, kind, message):
    error = translate(exc, DSN)
    assert type(error) is kind
    assert error.message == message
    assert "p@ss" not in repr(error) and "p%40ss" not in repr(error)


def test_translate_at_start_and_on_reconnect():
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "refused")
    assert type(translate(refused, DSN, connecting=True, at_start=True)) is ConfigurationError
    login = asyncpg.InvalidAuthorizationSpecificationError('role "x" is not permitted to log in')
    assert type(translate(login, DSN, connecting=True)) is ConnectionLost
    assert type(translate(TimeoutError(), DSN, connecting=True)) is ConnectionLost
    assert translate(StoreError("as is"), DSN).message == "as is"
    odd = translate(RuntimeError("postgresql://x:hunter2@h/db broke"), None)
    assert odd.message == "RuntimeError: postgresql://x:***@h/db broke"
