"""Push instead of polling: LISTEN on a channel that a trigger on the table notifies.

A viewer that polls every 2 s queries the database 1,800 times an hour even when nothing
happens. With the trigger from `trigger_sql` installed, the table says when a run starts
or changes status, and the viewer refreshes then (still paced by `RefreshPacer`).

Where it cannot work, `Listener.start` returns False with a `reason`, and the caller
polls: on a standby (NOTIFY is never delivered to one), behind PgBouncer in transaction
mode (LISTEN needs a session of its own), with a pool of one connection, and when no
trigger on the table notifies the channel.

The listening connection is taken from the store's pool (`Store.dedicated_connection`)
rather than opened beside it, so the tool keeps to its three backends whatever the caller
does; it is idle but for notifications, and leaves the other pooled connections to the
queries, which never run more than one at a time per view.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from typing import Any, Final

import asyncpg

from wflog_tui.store.connection import MAX_CONNECTIONS, Store
from wflog_tui.store.error_translation import translate
from wflog_tui.store.errors import StoreError
from wflog_tui.store.schema import TableInfo, parse_table_name, quote_ident

NOTIFY_CHANNEL_DEFAULT: Final = "wflog_tui"
TRIGGER_FUNCTION: Final = "wflog_tui_notify"
INSERT_TRIGGER: Final = "wflog_tui_notify_insert"
STATUS_TRIGGER: Final = "wflog_tui_notify_status"

# A trigger counts as notifying `channel` when its function sends notifications and
# either names the channel in its body or receives it as an argument (as ours does).
# `tgargs` holds the arguments, each ending in a NUL byte.
_NOTIFY_TRIGGERS: Final = r"""
SELECT t.tgname::text AS name
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
WHERE t.tgrelid = to_regclass($1) AND NOT t.tgisinternal AND t.tgenabled <> 'D'
  AND p.prosrc ~* '(pg_notify|\mnotify\M)'
  AND (strpos(p.prosrc, $2) > 0
       OR position('\x00'::bytea || convert_to($2, 'UTF8') || '\x00'::bytea
                   IN '\x00'::bytea || t.tgargs) > 0)
ORDER BY 1
"""


def quote_literal(text: str) -> str:
    """An SQL string literal holding `text`."""
    return "'" + text.replace("'", "''") + "'"


def trigger_sql(table: TableInfo | str, channel: str = NOTIFY_CHANNEL_DEFAULT) -> str:
    """The SQL a DBA can run (on the primary, as the table's owner) to install push.

    `table` is the introspected table, or `[schema.]table` as `--table` takes it. The
    script is one transaction and can be run again: it replaces what an earlier run made.
    """
    if isinstance(table, TableInfo):
        schema: str | None = table.schema
        qualified = table.qualified
    else:
        schema, name, _ = parse_table_name(table)
        qualified = (
            quote_ident(name) if schema is None else f"{quote_ident(schema)}.{quote_ident(name)}"
        )
    function = quote_ident(TRIGGER_FUNCTION)
    if schema is not None:
        function = f"{quote_ident(schema)}.{function}"
    arg = quote_literal(channel)
    status = quote_ident("status")
    return f"""\
-- wflog-tui: notify channel {channel!r} when a run starts or its status changes, so
-- viewers refresh then instead of polling. Run on the primary as the table's owner.
--
-- Only inserts and status changes notify, not steps_log updates: those are the
-- platform's most frequent writes, and a transaction that sends a notification takes a
-- database-wide lock as it commits, which would slow the writers down. A viewer
-- following one run polls that row by primary key instead.
-- The payload is the table's name, not the run's id: PostgreSQL sends identical
-- notifications of one transaction once, so a bulk insert or update notifies once.
BEGIN;
-- CREATE and DROP TRIGGER lock the table: give up rather than queue behind a long write
-- (and hold up every write queued behind us). Just run it again later.
SET LOCAL lock_timeout = '2s';
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
    LANGUAGE plpgsql AS $wflog$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
    RETURN NULL;
END
$wflog$;
DROP TRIGGER IF EXISTS {quote_ident(INSERT_TRIGGER)} ON {qualified};
CREATE TRIGGER {quote_ident(INSERT_TRIGGER)} AFTER INSERT ON {qualified}
    FOR EACH STATEMENT EXECUTE FUNCTION {function}({arg});
DROP TRIGGER IF EXISTS {quote_ident(STATUS_TRIGGER)} ON {qualified};
CREATE TRIGGER {quote_ident(STATUS_TRIGGER)} AFTER UPDATE OF {status} ON {qualified}
    FOR EACH ROW WHEN (OLD.{status} IS DISTINCT FROM NEW.{status})
    EXECUTE FUNCTION {function}({arg});
COMMIT;
"""


async def notify_triggers(conn: asyncpg.Connection, info: TableInfo, channel: str) -> list[str]:
    """Names of the enabled triggers on the table that notify `channel`."""
    rows = await conn.fetch(_NOTIFY_TRIGGERS, info.qualified, channel)
    return [row["name"] for row in rows]


class Wakeup(enum.Enum):
    """Why `Listener.wait` returned."""

    CHANGED = "changed"  # at least one notification: refresh now
    TIMEOUT = "timeout"  # nothing arrived within max_wait: refresh anyway, as a safety net
    LOST = "lost"  # the listener stopped (see `reason`): refresh and poll from now on


class Listener:
    """Wakes a view when the table changes, from LISTEN on `channel`.

    Use: `if await listener.start():` refresh once (changes made before LISTEN took
    effect are not notified), then loop on `wait(...)`; otherwise poll and show
    `listener.reason`. Call `stop()` before closing the store.
    """

    def __init__(self, store: Store, channel: str = NOTIFY_CHANNEL_DEFAULT) -> None:
        self.store = store
        self.channel = channel
        self.reason: str | None = "not started"
        self.notifications = 0
        self._event = asyncio.Event()
        self._pending = False
        self._active = False
        self._conn: Any = None
        self._hold: contextlib.AsyncExitStack | None = None

    @property
    def active(self) -> bool:
        """True while notifications can arrive."""
        return self._active

    async def start(self) -> bool:
        """Start listening; False (with `reason`) when the caller must poll instead."""
        if self._active:
            return True
        await self.stop()
        settings = self.store.settings
        if settings.pgbouncer:
            return self._refuse("PgBouncer in transaction mode keeps no session to LISTEN on")
        if min(settings.max_connections, MAX_CONNECTIONS) < 2:
            return self._refuse("a pool of one connection has none to spare for LISTEN")
        hold = contextlib.AsyncExitStack()
        try:
            conn = await hold.enter_async_context(self.store.dedicated_connection())
            if await conn.fetchval("SELECT pg_is_in_recovery()"):
                await hold.aclose()
                return self._refuse("a standby does not receive notifications")
            if not await notify_triggers(conn, self.store.info, self.channel):
                await hold.aclose()
                return self._refuse(
                    f"no trigger on {self.store.info.display_name} notifies channel "
                    f"{self.channel!r} (see `wflog-tui doctor`)"
                )
            await conn.add_listener(self.channel, self._notified)
            conn.add_termination_listener(self._terminated)
        except (StoreError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            await hold.aclose()
            return self._refuse(f"LISTEN failed: {translate(exc, settings.dsn).message}")
        except asyncio.CancelledError:
            # Cancelled halfway (the app quit while starting): give the connection back, or
            # closing the pool waits out its timeout for it.
            await asyncio.shield(hold.aclose())
            raise
        self._hold, self._conn = hold, conn
        self._active, self._pending, self.reason = True, False, None
        self._event.clear()
        return True

    async def wait(self, max_wait: float, min_wait: float = 0.0) -> Wakeup:
        """Wait for a change, at least `min_wait` and at most `max_wait` seconds.

        Every notification that arrives before this returns is folded into one
        `CHANGED`, so a burst of writes means one refresh. Pass the pacer's interval as
        `min_wait` to keep pushed refreshes within its budget.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, max_wait)
        earliest = loop.time() + max(0.0, min(min_wait, max_wait))
        while self._active and not self._pending:
            try:
                async with asyncio.timeout_at(deadline):
                    await self._event.wait()
            except TimeoutError:
                break
            self._event.clear()
        if self._active and self._pending and loop.time() < earliest:
            await asyncio.sleep(earliest - loop.time())
        if not self._active:
            return Wakeup.LOST
        if self._pending:
            self._pending = False
            self._event.clear()
            return Wakeup.CHANGED
        return Wakeup.TIMEOUT

    async def stop(self) -> None:
        """Stop listening and give the connection back to the pool."""
        conn, hold = self._conn, self._hold
        self._conn = self._hold = None
        if self._active:
            self._deactivate("stopped")
        if conn is not None:
            # A connection the server killed is already back in the pool: nothing to undo.
            with contextlib.suppress(Exception):
                # Releasing (or closing) the connection must not report it lost.
                conn.remove_termination_listener(self._terminated)
                async with asyncio.timeout(self.store.settings.connect_timeout_s):
                    await conn.remove_listener(self.channel, self._notified)
        if hold is not None:
            await hold.aclose()

    def _notified(self, _conn: object, _pid: int, _channel: str, _payload: str) -> None:
        self.notifications += 1
        self._pending = True
        self._event.set()

    def _terminated(self, _conn: object) -> None:
        self._deactivate("the listening connection was lost")

    def _deactivate(self, reason: str) -> None:
        self._active = False
        self.reason = reason
        self._event.set()

    def _refuse(self, reason: str) -> bool:
        self.reason = reason
        return False
