"""What the app was asked to show and how: filled by the CLI, read by every screen."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wflog_tui.model.refresh_pacing import DEFAULT_REFRESH_S
from wflog_tui.model.search_history import SearchHistory
from wflog_tui.model.step_link import StepLink
from wflog_tui.store import RunFilter
from wflog_tui.store.notify import NOTIFY_CHANNEL_DEFAULT


@dataclass
class AppConfig:
    """Start-up choices: the filter, the refresh period, the theme, a run to open."""

    run_filter: RunFilter = field(default_factory=RunFilter)
    refresh_s: float = DEFAULT_REFRESH_S
    theme: str | None = None
    open_run: str | None = None
    # Open on the failure groups screen (`--groups`) rather than the run list.
    open_groups: bool = False
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
    # The profile chosen (--profile or $WFLOG_PROFILE), for the header; None: none.
    profile: str | None = None
    # The profile asks for its name in the theme's warning colour (a production database).
    profile_warning: bool = False
    # The profile's `dashboard_url`, holding {run_id} (see model.step_link.dashboard_link).
    dashboard_url: str | None = None
    # The configuration file read (None: none exists yet); "Save view" writes into it
    # with config_file.save_view (None there means the default path).
    config_path: Path | None = None
    # What a copied link carries to reopen in the same place (model.step_link.reopen_argv).
    link_scope: tuple[str, ...] = ()
    # --run with --step/--iteration/--tab: where the run view lands (model.step_link).
    open_step: StepLink | None = None
    # A view opened with --view: its name, the search-language text in `run_filter.query`,
    # and the list's order and columns (None: the list's own).
    view_name: str | None = None
    search_text: str | None = None
    sort_column: str | None = None
    sort_reverse: bool | None = None
    columns: tuple[str, ...] | None = None
    # The list's searches of this session (↑/↓ in its search box); a run list made again
    # (after `--run`, esc) finds them here.
    search_history: SearchHistory = field(default_factory=SearchHistory)
