"""What the app was asked to show and how: filled by the CLI, read by every screen."""

from __future__ import annotations

from dataclasses import dataclass, field

from wflog_tui.model.refresh_pacing import DEFAULT_REFRESH_S
from wflog_tui.model.search_history import SearchHistory
from wflog_tui.store import RunFilter
from wflog_tui.store.notify import NOTIFY_CHANNEL_DEFAULT


@dataclass
class AppConfig:
    """Start-up choices: the filter, the refresh period, the theme, a run to open."""

    run_filter: RunFilter = field(default_factory=RunFilter)
    refresh_s: float = DEFAULT_REFRESH_S
    theme: str | None = None
    open_run: str | None = None
    # LISTEN on this channel when a trigger notifies it (see `doctor`); None polls only.
    notify_channel: str | None = NOTIFY_CHANNEL_DEFAULT
    # Where the data comes from, for the header: a masked DSN or "embedded demo".
    source_label: str = ""
    # The share of wall-clock time refresh queries may take before refresh slows down.
    query_budget: float = 0.05
    # How the list shows start times: "relative", "utc" or "local" (`t` cycles them).
    time_mode: str = "relative"
    # Tests and screenshots set this so nothing blinks or ticks between frames.
    animations: bool = True
    # The list's searches of this session (↑/↓ in its search box); a run list made again
    # (after `--run`, esc) finds them here.
    search_history: SearchHistory = field(default_factory=SearchHistory)
