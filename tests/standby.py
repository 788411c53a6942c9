"""A hot standby of the embedded test server, for what must behave on a read replica."""

from __future__ import annotations

import contextlib
import os

import pytest

from tests.replica_server import streaming_standby


@contextlib.asynccontextmanager
async def standby_of(pg_dsn: str):
    """A hot standby of the embedded test server, streaming from it; yields its DSN.

    Skipped against a server of your own (WFLOG_TEST_DSN), which this cannot clone
    (tests/test_replica.py builds a primary of its own for that).
    """
    if os.environ.get("WFLOG_TEST_DSN"):
        pytest.skip("WFLOG_TEST_DSN server: not cloning it into a standby")
    async with streaming_standby(pg_dsn) as dsn:
        yield dsn
