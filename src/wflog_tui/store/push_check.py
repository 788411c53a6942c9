"""Doctor's last check: whether a trigger notifies the channel the TUI LISTENs on.

Without one the TUI polls, which is fine; the report then carries the trigger SQL a DBA
can install (`notify.trigger_sql`). A standby or PgBouncer in transaction mode cannot
deliver notifications at all, so there the check only says the TUI polls.
"""

from __future__ import annotations

from wflog_tui.store.doctor_report import PUSH_CHECK, ReportWriter
from wflog_tui.store.doctor_session import DoctorSession
from wflog_tui.store.notify import notify_triggers, trigger_sql
from wflog_tui.store.schema import TableInfo


async def check_push(
    writer: ReportWriter, session: DoctorSession, info: TableInfo, channel: str, standby: bool
) -> None:
    """Add the push refresh check; keep the trigger SQL on the report."""
    sql = trigger_sql(info, channel)
    writer.report.trigger_sql = sql
    async with session.scope() as conn:
        found = await notify_triggers(conn, info, channel)
    if standby:
        writer.add(PUSH_CHECK, None, "a standby never receives notifications: the TUI polls")
    elif writer.settings.pgbouncer:
        writer.add(PUSH_CHECK, None, "PgBouncer in transaction mode cannot LISTEN: the TUI polls")
    elif found:
        writer.add(PUSH_CHECK, True, f"trigger {', '.join(found)} notifies channel {channel!r}")
    else:
        writer.add(
            PUSH_CHECK,
            None,
            f"no trigger notifies channel {channel!r}: the TUI polls; a DBA can install "
            "one (below)",
            sql,
        )
