"""What a live view says about its connection: a replica's lag, polling on a standby, the
kind of outage, and when to try again after the server refused a connection.

Pure functions of the store's state, shared by the run list's status line and the run
view's tail badge, so both say the same thing the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import humanize
from rich.text import Text

from wflog_tui.store import QueryTimeout, Store, StoreError
from wflog_tui.store.errors import RecoveryConflict
from wflog_tui.ui.live_refresh import LiveRefresh


def replica_note(lag: timedelta | None) -> Text:
    """`   · replica 12 seconds behind` (bold) when a standby is behind; empty otherwise.

    The store reports a lag only when it is over a second, so any lag it gives is worth
    saying: what is on screen may be that old.
    """
    if lag is None:
        return Text()
    return Text(f"   · replica {humanize.naturaldelta(lag)} behind", style="bold")


def polling_how(store: Store) -> str:
    """How the list learns of changes without LISTEN: `polling`, or `polling (standby)`
    when the server is a hot standby (which never delivers notifications)."""
    return "polling (standby)" if store.standby else "polling"


def outage_state(error: StoreError) -> str:
    """The word the status line shows for a failed refresh: a statement timeout is a slow
    database and a recovery conflict is the replica's doing, not a lost connection."""
    if isinstance(error, RecoveryConflict):
        return "REPLICA CONFLICT"
    if isinstance(error, QueryTimeout):
        return "TOO SLOW"
    return "DISCONNECTED"


def retry_after_failure(live: LiveRefresh, store: Store) -> float:
    """Arm `live`'s retry after a failed cycle and return its delay in seconds.

    After the server refused a connection for want of slots, the store asks nothing
    before `store.refused_until` (a wait drawn with jitter, so viewers refused together
    come back apart): the retry is armed for that instant rather than after the view's own
    doubling, which would only fail again at once. Otherwise the view's own backoff.
    """
    until = store.refused_until
    if until is None:
        return live.retry()
    live.failed()
    delay = max(0.0, (until - datetime.now(UTC)).total_seconds())
    live.schedule(delay)
    return delay
