"""What the list says about its connection: a replica's lag, polling on a standby, a
replica's recovery conflict, and a retry armed for when a refused connection may ask again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
from hypothesis import given
from hypothesis import strategies as hs

from tests.roles import dsn_as, role
from tests.ui.harness import list_app, recent, run_ids, screen_text, settle
from wflog_tui.store import ConnectionLost, QueryTimeout, StoreSettings, open_store
from wflog_tui.store.errors import RecoveryConflict
from wflog_tui.ui.connection_state import outage_state, replica_note
from wflog_tui.ui.run_list import RunListScreen


def test_a_replica_behind_says_by_how_much_in_bold():
    note = replica_note(timedelta(seconds=12))
    assert note.plain == "   · replica 12 seconds behind"
    assert note.style == "bold"
    assert replica_note(timedelta(minutes=3)).plain == "   · replica 3 minutes behind"
    assert replica_note(None).plain == ""


@given(seconds=hs.floats(min_value=1.0, max_value=10**8))
def test_any_lag_reads_as_one_phrase(seconds):
    text = replica_note(timedelta(seconds=seconds)).plain
    assert text.startswith("   · replica ") and text.endswith(" behind")
    assert "\n" not in text


def test_each_failure_has_its_own_word():
    assert outage_state(RecoveryConflict("the replica cancelled the query")) == "REPLICA CONFLICT"
    assert outage_state(QueryTimeout("timed out")) == "TOO SLOW"
    assert outage_state(ConnectionLost("gone")) == "DISCONNECTED"


def _status(app) -> str:
    return screen_text(app).splitlines()[-2]


async def test_on_a_standby_the_list_says_it_polls_and_shows_a_conflict(table, open_store_for):
    await table.insert(recent(1, run_id="01A"))
    store = await open_store_for(table)
    # What open_store found on a standby (`pg_is_in_recovery()`); the primary answers the
    # lag query with NULL, so nothing is "behind".
    store.standby = True
    app = list_app(store, notify_channel=None)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: run_ids(app) == ["01A"])
        await settle(pilot, lambda: "polling (standby)" in _status(app))
        assert "replica" not in _status(app)
        screen = app.screen
        assert isinstance(screen, RunListScreen)
        await pilot.press("p")  # paused: no refresh replaces what the failure shows
        message = "the replica cancelled the query: replaying the primary's changes"
        screen.fetch_failed(RecoveryConflict(message))
        await settle(pilot, lambda: "REPLICA CONFLICT since" in _status(app))
        assert "DISCONNECTED" not in _status(app)
        assert message in _status(app)


async def _backends(admin: asyncpg.Connection, user: str) -> int:
    return await admin.fetchval(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE usename = $1 AND backend_type = 'client backend'",
        user,
    )


async def test_a_refused_connection_is_retried_when_the_store_may_ask_again(pg_dsn, table):
    await table.insert(recent(1, run_id="01A"))
    admin = await asyncpg.connect(pg_dsn)
    try:
        async with role(pg_dsn, table) as name:
            await admin.execute(f"ALTER ROLE {name} CONNECTION LIMIT 1")
            viewer = dsn_as(table.dsn, name)
            # The first refusal waits 2–4 s: the list's own backoff (1 s, then 2 s) would
            # ask again before that, and be refused again.
            settings = StoreSettings(dsn=viewer, table=table.name, refused_wait_s=4.0)
            async with await open_store(settings) as store:
                app = list_app(store, notify_channel=None)
                async with app.run_test(size=(160, 40)) as pilot:
                    await settle(pilot, lambda: run_ids(app) == ["01A"])
                    screen = app.screen
                    assert isinstance(screen, RunListScreen)
                    await pilot.press("p")
                    # Someone else takes the only slot once the viewer's connection is gone.
                    await admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                        name,
                    )
                    for _ in range(200):
                        if await _backends(admin, name) == 0:
                            break
                        await asyncio.sleep(0.05)
                    squatter = await asyncpg.connect(viewer)
                    try:
                        await pilot.press("p")
                        await settle(pilot, lambda: "no free connection slots" in _status(app))
                        assert "DISCONNECTED since" in _status(app)
                    finally:
                        await squatter.close()
                    failures = [screen.live.failures]

                    def live_again() -> bool:
                        failures.append(screen.live.failures)
                        return screen.status_line.disconnected_since is None

                    await settle(pilot, live_again)
                    # One refused cycle, then the retry at the end of the store's wait.
                    assert max(failures) == 1
                    assert "● LIVE" in _status(app)
    finally:
        await admin.close()
