"""Fixtures for driving the app against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.database import TableHandle
from wflog_tui.store import Store, StoreSettings, open_store


@pytest.fixture
async def open_store_for() -> AsyncIterator:
    """Open a read-only store on a test table; closed after the test."""
    stores: list[Store] = []

    async def factory(handle: TableHandle, **settings) -> Store:
        store = await open_store(StoreSettings(dsn=handle.dsn, table=handle.name, **settings))
        stores.append(store)
        return store

    try:
        yield factory
    finally:
        for store in stores:
            await store.close()
