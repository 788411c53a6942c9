"""Saved views in the run list: "Save view" (a name, then `[views.NAME]` in the config
file), `v` to open one, the view `--view` named applied at mount, and the window and time
display remembered for the profile (`sticky_state`) as they change.

A view is the list's filters, search, window, order and columns (`config_file.SavedView`);
the file is written by `config_file.save_view`, which keeps the user's comments and layout.
Nothing here is fatal: a file that does not check, or a state directory that cannot be
written, is one notification and the list goes on as it was.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from wflog_tui.config_file import (
    SORT_COLUMNS,
    ConfigError,
    SavedView,
    list_views,
    load_config,
    load_view,
    save_view,
)
from wflog_tui.model.display_text import one_line
from wflog_tui.model.search_query import SearchSyntaxError, parse_query
from wflog_tui.sticky_state import remember_state
from wflog_tui.store import parse_since
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.run_list.lines import window_label
from wflog_tui.ui.run_list.table import COLUMN_KEYS, COLUMNS
from wflog_tui.ui.widgets.picker import Picker

if TYPE_CHECKING:
    from wflog_tui.ui.run_list.screen import RunListScreen


class ViewNameScreen(ModalScreen[str | None]):
    """Ask for the name to save the list's view under (enter saves, esc cancels)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ViewNameScreen { align: center middle; }
    ViewNameScreen > Vertical {
        width: 60; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        """A title and the name's input, filled with the view opened last."""
        with Vertical():
            yield Static(Text("Save this view as (enter saves, esc cancels)", style="bold"))
            yield Input(value=self.current or "", placeholder="view name", id="view-name")

    @on(Input.Submitted, "#view-name")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


def view_of(screen: RunListScreen, name: str) -> SavedView:
    """The list as it is now, as a view called `name`: its statuses, workflow, the
    organisation it chose (not the one the session's scope fixes), search, window and
    order, and its columns (none named when every column shows)."""
    config = wflog_app(screen).config
    run_filter = screen.run_filter
    scope = screen.store.settings.organisation_scope
    org = run_filter.organisation if run_filter.organisation != scope else None
    search = config.search_text if run_filter.query is not None else None
    table = screen.table
    return SavedView(
        name=name,
        status=tuple(sorted(run_filter.statuses)),
        workflow=run_filter.workflow,
        org=org,
        search=search or None,
        since=window_label(run_filter.since),
        # The error column sorts too (its header), but a view cannot name it.
        sort=table.sort_column if table.sort_column in SORT_COLUMNS else None,
        reverse=table.sort_reverse if table.sort_column in SORT_COLUMNS else None,
        columns=tuple(c.key for c in COLUMNS if c.key in table.wanted)
        if table.wanted != COLUMN_KEYS
        else (),
    )


def sort_table(screen: RunListScreen, column: str | None, reverse: bool | None) -> None:
    """Order the list by `column` (None: as it is), ascending or not as `reverse` says."""
    if column is None:
        return
    table = screen.table
    # `sort_by` on the column already sorted reverses it: set the opposite, then sort.
    table.sort_column = column
    table.sort_reverse = not (reverse if reverse is not None else column in ("started", "duration"))
    table.sort_by(column)
    screen.show_filter()


def show_columns(screen: RunListScreen, keys: tuple[str, ...] | None) -> None:
    """Show the columns `keys` names (None: all), laid out to fit the screen."""
    screen.table.show_columns(keys)


def apply_start_view(screen: RunListScreen) -> None:
    """Apply at mount what the configuration (a `--view`) set for the list's order and
    columns; the filters and search are already in `config.run_filter`."""
    config = wflog_app(screen).config
    show_columns(screen, config.columns)
    sort_table(screen, config.sort_column, config.sort_reverse)


def apply_view(screen: RunListScreen, view: SavedView) -> None:
    """Show the list as `view` says: its filters, search, window, order and columns. Fields the
    view leaves out are cleared to the list's defaults, but the session's organisation
    scope (`--org`, a profile's `org`) always holds."""
    config = wflog_app(screen).config
    try:
        query = parse_query(view.search) if view.search else None
    except SearchSyntaxError as error:
        screen.notify(f"View {one_line(view.name, 60)}: search: {error}", markup=False)
        return
    scope = screen.store.settings.organisation_scope
    run_filter = replace(
        screen.run_filter,
        statuses=frozenset(view.status),
        workflow=view.workflow,
        organisation=scope or view.org,
        event_name=None,
        search=None,
        query=query,
        since=parse_since(view.since) if view.since else screen.run_filter.since,
    )
    config.view_name = view.name
    config.search_text = view.search
    config.columns = view.columns or None
    show_columns(screen, config.columns)
    sort_table(screen, view.sort, view.reverse)
    screen.set_filter(run_filter)
    screen.notify(f"View {one_line(view.name, 60)}", markup=False, timeout=3)


async def save_current_view(screen: RunListScreen) -> SavedView | None:
    """Ask for a name, then write the list's view into the configuration file."""
    config = wflog_app(screen).config
    name = await screen.app.push_screen_wait(ViewNameScreen(config.view_name))
    if name is None:
        return None
    view = view_of(screen, name)
    try:
        saved = save_view(view, config.config_path)
    except ConfigError as error:
        screen.notify(str(error), title="View not saved", severity="error", markup=False)
        return None
    except OSError as error:
        screen.notify(f"View not saved: {error}", severity="error", markup=False)
        return None
    config.config_path = saved.path
    config.view_name = name
    screen.notify(f"Saved view {one_line(name, 60)} in {saved.path}", markup=False)
    return view


async def open_saved_view(screen: RunListScreen) -> SavedView | None:
    """List the saved views; open the one chosen."""
    config = wflog_app(screen).config
    try:
        names = list_views(load_config(config.config_path))
    except ConfigError as error:
        screen.notify(str(error), title="Views", severity="error", markup=False)
        return None
    if not names:
        screen.notify("No saved views yet: ctrl+s saves this one.", markup=False)
        return None
    choice = await screen.app.push_screen_wait(
        Picker("Saved views", names, config.view_name, clearable=False)
    )
    if not choice:
        return None
    try:
        view = load_view(load_config(config.config_path), choice)
    except ConfigError as error:
        screen.notify(str(error), title="Views", severity="error", markup=False)
        return None
    apply_view(screen, view)
    return view


def remember_list_state(screen: RunListScreen) -> None:
    """Remember the profile's window and time display for its next session; a state
    that cannot be written is said, and the list goes on."""
    config = wflog_app(screen).config
    try:
        remember_state(
            config.profile,
            since=window_label(screen.run_filter.since),
            time_display=screen.table.time_mode,
        )
    except (OSError, ValueError) as error:
        screen.notify(
            f"The window and time display are not remembered: {error}",
            severity="warning",
            markup=False,
        )
