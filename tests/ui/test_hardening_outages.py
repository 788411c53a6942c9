"""Outages mid-session, against real servers: the app stays up, says so, and recovers alone.

A stop and restart needs a server of the test's own (the session's server is shared), so
those tests start a throwaway embedded PostgreSQL and stop and start the same data
directory. Killing our backends and hitting the statement timeout use the shared server.
Nothing here presses a key to recover: the app must come back on its own.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import orjson
import pytest

from tests.database import TableHandle, run_row
from tests.ui.harness import (
    RunOnlyApp,
    list_app,
    loaded,
    recent,
    run_ids,
    screen_text,
    settle,
    table_of,
    workers_idle,
)
from tests.ui.step_entries import entry, trigger
from wflog_tui.demo.embedded import EmbeddedPostgres
from wflog_tui.demo.table_ddl import TableShape, create_table_sql, quote_ident
from wflog_tui.store import ConnectionLost, RunFilter, StoreSettings, open_store
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.live_refresh import RETRY_FIRST_S
from wflog_tui.ui.run_list import RunListScreen
from wflog_tui.ui.run_view import RunScreen
from wflog_tui.ui.widgets.picker import Picker

pytestmark = [
    pytest.mark.skipif(
        bool(os.environ.get("WFLOG_TEST_DSN")), reason="stops and starts an embedded server"
    ),
    # Each starts a server of its own and waits out its stop, restart or backoff.
    pytest.mark.slow,
]


@dataclass
class OwnServer:
    """A throwaway embedded server with one table, which a test may stop and start."""

    embedded: EmbeddedPostgres
    handle: TableHandle

    async def stop(self) -> None:
        """Stop the server (pg_ctl stop, fast mode: every client is disconnected)."""
        await asyncio.to_thread(self.embedded._server.stop)

    async def start(self) -> None:
        """Start the same data directory again; it listens on the same socket."""
        server = self.embedded._server

        def restart() -> None:
            with server._lock:
                server.ensure_postgres_running()

        await asyncio.to_thread(restart)


@pytest.fixture
async def own_server() -> AsyncIterator[OwnServer]:
    embedded = EmbeddedPostgres(
        Path(tempfile.mkdtemp(prefix="wflog-outage-")) / "pgdata", cleanup=True
    )
    dsn = await asyncio.to_thread(embedded.start)
    shape = TableShape(schema="outage")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(create_table_sql(shape))
    finally:
        await conn.close()
    server = OwnServer(embedded, TableHandle(dsn, shape))
    try:
        yield server
    finally:
        await server.start()  # a failed test may leave it stopped; cleanup needs it running
        await asyncio.to_thread(embedded.stop)


def selected_run_id(app) -> str:
    screen = app.screen
    assert isinstance(screen, RunListScreen)
    return screen.runs[screen.table.selected_id()].run_id


def disconnected(app) -> bool:
    return "DISCONNECTED since" in screen_text(app)


def too_slow(app) -> bool:
    return "TOO SLOW since" in screen_text(app)


def status_line(app) -> str:
    lines = screen_text(app).splitlines()
    return next(line for line in lines if "DISCONNECTED since" in line or "TOO SLOW since" in line)


def live(app) -> bool:
    text = screen_text(app)
    return "● LIVE" in text and "DISCONNECTED" not in text and "TOO SLOW" not in text


async def test_list_survives_a_server_stop_and_recovers_alone_after_restart(
    own_server, open_store_for
):
    handle = own_server.handle
    await handle.insert(*[recent(2 + i, run_id=f"01OUT{i:02d}") for i in range(8)])
    store = await open_store_for(handle)
    app = list_app(store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 8)
        await pilot.press("down", "down", "down")
        assert selected_run_id(app) == "01OUT03"

        await own_server.stop()
        await settle(pilot, lambda: disconnected(app))
        # Since when, that the rows are old and it retries, and why: all on the status line.
        line = status_line(app)
        assert "data shown is stale, retrying" in line, line
        assert "PostgreSQL at" in line, line
        text = screen_text(app)
        assert table_of(app).has_class("stale")
        # The last data stays on screen, and the reader's place with it.
        assert table_of(app).row_count == 8
        assert "01OUT07" in text
        assert selected_run_id(app) == "01OUT03"
        # Each failure doubles the wait before the next try.
        await settle(pilot, lambda: app.screen.live.retry_s >= 4 * RETRY_FIRST_S, within=20)
        assert disconnected(app)

        await own_server.start()
        await handle.insert(recent(0.5, run_id="01AFTER"))
        await settle(pilot, lambda: "01AFTER" in run_ids(app), within=40)
        # The rows go on screen before the header's queries; the status follows them.
        await settle(pilot, lambda: live(app))
        assert not table_of(app).has_class("stale")
        assert app.screen.live.retry_s == RETRY_FIRST_S
        assert selected_run_id(app) == "01OUT03"
        # Still a working app: keys act.
        await pilot.press("down")
        assert selected_run_id(app) == "01OUT04"
    assert app.return_code in (None, 0)


async def test_run_view_tail_survives_a_server_stop_and_resumes_alone(own_server, open_store_for):
    handle = own_server.handle
    steps = [trigger(), entry("fetch_user", t=1), entry("send_email", "RUNNING", t=2)]
    row = run_row(steps_log=steps, status="RUNNING", ended_at=None, duration_ms=None)
    await handle.insert(row)
    store = await open_store_for(handle)
    app = RunOnlyApp(
        store,
        AppConfig(open_run=row["run_id"], refresh_s=0.1, animations=False, query_budget=1.0),
    )
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await pilot.press("up")
        cursor = screen.step_view.selected_node
        assert cursor is not None and cursor.label == "fetch_user"
        # Tails rebuild the tree: the cursor is kept by its place (keys), not its object.
        keys = screen.step_view.selected_keys

        await own_server.stop()
        await settle(pilot, lambda: "disconnected since" in screen_text(app))
        text = screen_text(app)
        assert "retrying in" in text
        assert "fetch_user" in text and "send_email" in text
        assert screen.step_view.selected_keys == keys

        await own_server.start()
        done = [*steps[:2], entry("send_email", t=2), entry("notify", t=3)]
        await handle.execute(
            f"UPDATE {handle.shape.qualified} SET steps_log = $1::text::jsonb, "
            "status = 'COMPLETED', ended_at = started_at, duration_ms = 4000 WHERE id = $2",
            orjson.dumps(done).decode(),
            row["id"],
        )
        await settle(pilot, lambda: "notify" in screen_text(app), within=75)
        assert "disconnected" not in screen_text(app)
        assert screen.step_view.selected_keys == keys
        assert screen.step_view.selected_node.label == "fetch_user"


async def test_terminated_backends_are_replaced_without_losing_the_list(
    pg_dsn, table, open_store_for
):
    await table.insert(*[recent(2 + i, run_id=f"01KIL{i:02d}") for i in range(5)])
    store = await open_store_for(table)
    app = list_app(store)
    admin = await asyncpg.connect(pg_dsn)
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(pilot, lambda: table_of(app).row_count == 5)
            await pilot.press("down", "down")
            killed = 0
            for _ in range(5):
                killed += await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'wflog-tui' AND pid <> pg_backend_pid()"
                )
                await pilot.pause(0.15)  # kills spread over several refreshes, not a wait
            assert killed >= 1
            await table.insert(recent(0.5, run_id="01REBORN"))
            await settle(pilot, lambda: "01REBORN" in run_ids(app) and live(app), within=30)
            assert selected_run_id(app) == "01KIL02"
            assert table_of(app).row_count == 6
    finally:
        await admin.close()


async def test_a_query_over_the_statement_timeout_marks_the_list_stale_until_it_is_fast(
    table, open_store_for
):
    schema = quote_ident(table.shape.schema)
    await table.execute(f"CREATE TABLE {schema}.knob (slow boolean NOT NULL)")
    await table.execute(f"INSERT INTO {schema}.knob VALUES (false)")
    # Every query of the list reads this view; the knob makes each one sleep past the limit.
    await table.execute(
        f"CREATE VIEW {schema}.slow_log AS SELECT * FROM {table.shape.qualified} WHERE "
        f"(SELECT pg_sleep(CASE WHEN slow THEN 1 ELSE 0 END) FROM {schema}.knob) IS NOT NULL"
    )
    await table.insert(*[recent(2 + i, run_id=f"01SLO{i:02d}") for i in range(4)])
    view = TableHandle(table.dsn, TableShape(schema=table.shape.schema, table="slow_log"))
    store = await open_store_for(view, statement_timeout_s=0.3)
    app = list_app(store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 4)
        await pilot.press("down")
        await table.execute(f"UPDATE {schema}.knob SET slow = true")
        await settle(pilot, lambda: too_slow(app), within=20)
        line = status_line(app)
        assert "statement_timeout" in line and "data shown is stale" in line, line
        assert table_of(app).row_count == 4
        assert selected_run_id(app) == "01SLO01"

        await table.execute(f"UPDATE {schema}.knob SET slow = false")
        await table.insert(recent(0.5, run_id="01FAST"))
        await settle(pilot, lambda: "01FAST" in run_ids(app), within=40)
        assert live(app)
        assert selected_run_id(app) == "01SLO01"


async def test_the_app_opened_on_a_server_that_then_vanishes_never_crashes(
    own_server, open_store_for
):
    """Every action of the list while the server is gone: a message, never a traceback."""
    handle = own_server.handle
    await handle.insert(recent(1, run_id="01GONE", status="FAILED"))
    store = await open_store_for(handle)
    app = list_app(store, refresh_s=30)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 1)
        await own_server.stop()
        await pilot.press("space")
        await settle(pilot, lambda: disconnected(app))
        for keys in (["3"], ["ctrl+z"], ["w"], ["o"], ["slash", "0", "1", "enter"], ["x"]):
            await pilot.press(*keys)
            await settle(pilot, lambda: workers_idle(app))  # its query failed, and was said
            if isinstance(app.screen, Picker):
                # The picker opens at once and says why it has no values; esc closes it.
                assert "cannot reach PostgreSQL" in screen_text(app), keys
                await pilot.press("escape")
            assert isinstance(app.screen, RunListScreen), keys
        await pilot.press("x", "end", "home", "enter")
        await settle(pilot, lambda: isinstance(app.screen, RunScreen))
        await settle(pilot, lambda: "Could not load run 01GONE" in screen_text(app))
        assert "cannot reach PostgreSQL" in screen_text(app)
        await pilot.press("r")
        await settle(pilot, lambda: workers_idle(app, "run-load"))  # the reload failed
        await own_server.start()
        await pilot.press("r")
        await settle(pilot, lambda: loaded(app), within=20)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen) and live(app), within=40)
    assert app.return_code in (None, 0)


async def test_a_store_opened_before_a_restart_reads_again_after_it(own_server):
    """The store on its own: the first call after the restart succeeds (no stale pool)."""
    handle = own_server.handle
    await handle.insert(run_row(run_id="01POOL"))
    settings = StoreSettings(dsn=handle.dsn, table=handle.name)
    async with await open_store(settings) as store:
        assert [r.run_id for r in await store.fetch_page(RunFilter())] == ["01POOL"]
        await own_server.stop()
        with pytest.raises(ConnectionLost):
            await store.fetch_page(RunFilter())
        await own_server.start()
        assert [r.run_id for r in await store.fetch_page(RunFilter())] == ["01POOL"]


async def test_a_failed_load_of_older_runs_does_not_stop_the_retries(own_server, open_store_for):
    """Scrolling to the end during an outage must not cancel the list's own recovery."""
    handle = own_server.handle
    await handle.insert(*[recent(1 + i, run_id=f"01PG{i:03d}") for i in range(130)])
    store = await open_store_for(handle)
    app = list_app(store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 100)
        await own_server.stop()
        await settle(pilot, lambda: disconnected(app))
        await pilot.press("end")  # asks for the next page, which fails too
        await settle(pilot, lambda: workers_idle(app, "list-older"))
        await own_server.start()
        await handle.insert(recent(0.5, run_id="01BACK"))
        await settle(pilot, lambda: "01BACK" in run_ids(app), within=40)
        # A page request still in flight across the restart may fail once more; the
        # refresh loop, left running, clears it on its next cycle.
        await settle(pilot, lambda: live(app), within=40)
