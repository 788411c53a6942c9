"""The run view: one run's header, its step tree, and the detail of the step under the cursor.

It opens on the run's first failure, with the path to it expanded, because that is what
the person who opened it mid-incident came for. The screen composes, binds the keys and
hands each job to its part: `loading.py` fetches the run, `navigation.py` moves the cursor,
`tail.py` follows a RUNNING run, `entry_fill.py` fetches what a big run's skeleton left out,
`run_body.py` lays out the tree and the detail, `hand_offs.py` and `step_links.py` hand
the run on (a note, the diff screen, a link).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.widgets import Footer, Static

from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_tree import StepNode, StepTree
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_view.data_flow import DataFlowView
from wflog_tui.ui.run_view.detail_pane import TAB_NAMES, DetailPane
from wflog_tui.ui.run_view.entry_fill import RunViewFill
from wflog_tui.ui.run_view.hand_offs import ask_and_compare, copy_incident_note, open_compare
from wflog_tui.ui.run_view.header import RunHeader
from wflog_tui.ui.run_view.loading import RunLoad
from wflog_tui.ui.run_view.navigation import RunNavigator
from wflog_tui.ui.run_view.run_body import RunBody
from wflog_tui.ui.run_view.step_links import copy_step_link, show_dashboard_link
from wflog_tui.ui.run_view.step_search import StepSearchBar
from wflog_tui.ui.run_view.step_tree_view import StepTreeView
from wflog_tui.ui.run_view.tail import RunTail
from wflog_tui.ui.styled_once import StyledOnceScreen
from wflog_tui.ui.widgets.profile_badge import ProfileBadge


class RunScreen(StyledOnceScreen[None]):
    """One run: header, step tree on the left, detail of the selected step on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # While a search is on, n, N and esc are its (check_action hides them otherwise,
        # and the key falls through to the binding after).
        Binding("slash", "search_steps", "Search in this run", key_display="/", show=False),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", key_display="N", show=False),
        Binding("escape", "clear_search", "Clear search", show=False),
        Binding("escape", "back", "Back"),
        Binding("n", "next_failure", "Next failure"),
        # The footer keeps to what fits 80 columns; `?` and the palette list every key.
        Binding("N", "previous_failure", "Previous failure", key_display="N", show=False),
        Binding(
            "right_square_bracket",
            "sibling_iteration(1)",
            "Next iteration",
            key_display="]",
            show=False,
        ),
        Binding(
            "left_square_bracket",
            "sibling_iteration(-1)",
            "Previous iteration",
            key_display="[",
            show=False,
        ),
        Binding("f", "toggle_follow", "Follow"),
        Binding("r", "reload", "Reload", show=False),
        Binding("c", "copy_note", "Copy note", show=False),
        Binding("d", "compare", "Compare with last good run", show=False),
        Binding("D", "compare_with", "Compare with run…", key_display="D", show=False),
        Binding("L", "copy_step_link", "Copy link to this step", key_display="L", show=False),
        Binding("o", "open_dashboard", "Open in dashboard", show=False),
        Binding("b,backspace", "jump_back", "Jump back", key_display="b"),
        Binding("plus", "refresh_rate(-1)", "Faster refresh", key_display="+", show=False),
        Binding("minus", "refresh_rate(1)", "Slower refresh", key_display="-", show=False),
        *[
            Binding(str(number), f"show_tab('{tab}')", f"{name} tab", show=False)
            for number, (tab, name) in enumerate(TAB_NAMES.items(), start=1)
        ],
        Binding("y", "json('copy_value')", "Copy JSON value", show=False),
        Binding("Y", "json('copy_path')", "Copy JSON path", show=False),
        Binding(
            "ctrl+y",
            "json('copy_value_raw')",
            "Copy raw JSON value",
            show=False,
            tooltip="Copy a string exactly as stored: control and invisible characters too",
        ),
        Binding("e", "json('expand_all')", "Expand all JSON", show=False),
        Binding("E", "json('collapse_all')", "Collapse all JSON", show=False),
        Binding("z", "zoom", "Zoom pane"),
        Binding("tab", "switch_focus", "Tree/detail", show=False),
        Binding("shift+tab", "switch_focus", "Tree/detail", show=False),
    ]

    DEFAULT_CSS = """
    RunScreen { layout: vertical; }
    RunScreen #run-badge { height: 1; padding: 0 1; background: $panel; }
    RunScreen #run-badge.-following { color: $text-success; }
    RunScreen #run-badge.-problem { color: $text-error; }
    """

    # Below 120 columns the tree and the detail are stacked, each the terminal's width
    # (the body's style, `run_body.py`, follows the class).
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]

    live: LiveRefresh
    """The tail's refresh loop (made on mount, when the app's config is at hand)."""
    entry_fill: RunViewFill
    """What of a skeleton the reader looks at, fetched whole."""
    loader: RunLoad
    """The run's load (not `loading`: that is Textual's reactive for a spinner)."""
    navigator: RunNavigator
    """What moves the cursor: landing, failures, iterations, data-flow jumps and `b`."""

    def __init__(self, run_id: str) -> None:
        """A view of the run `run_id` (a `run_id`, or else a row `id`), loaded on mount."""
        super().__init__()
        self.run_id = run_id
        self.detail: RunDetail | None = None
        """The run as last fetched (its status and times updated by tails)."""
        self.step_tree: StepTree | None = None
        """The step tree shown."""
        self.raw: list[Any] | LogSkeleton = []
        """The entries the tree was built from (a list, or a big log's skeleton)."""
        self.shown_node: StepNode | None = None
        """The node the detail pane shows (None: the run's input, or nothing yet)."""

    # Layout

    def compose(self) -> ComposeResult:
        """Header, then the tree and the detail side by side, the tail badge, the footer."""
        yield ProfileBadge()
        yield RunHeader(id="run-header")
        # Hidden by its own style, not a class, until the run is there: showing it then
        # lays it out again, where removing a class would restyle all it holds.
        body = RunBody(id="run-body")
        body.display = False
        yield body
        yield StepSearchBar(id="step-search")
        yield Static(id="run-badge")
        yield Footer()

    def on_mount(self) -> None:
        """Fetch the run; the header says "Loading run …" meanwhile."""
        self.live = LiveRefresh(self, self._config, lambda: self.tail.cycle())
        self.tail = RunTail(self, self.live)
        self.loader = RunLoad(self)
        self.entry_fill = RunViewFill(self)
        self.navigator = RunNavigator(self)
        self.loader.start()

    @property
    def step_view(self) -> StepTreeView:
        """The step tree widget."""
        return self.query_one(StepTreeView)

    @property
    def _config(self) -> AppConfig:
        return wflog_app(self).config

    @property
    def detail_pane(self) -> DetailPane:
        """The detail pane."""
        return self.query_one(DetailPane)

    # Loading

    def show_run(self, detail: RunDetail, tree: StepTree) -> None:
        """Show a freshly fetched run and its tree, land the cursor, start tailing."""
        raw = detail.steps_log
        self.raw = raw if isinstance(raw, list | LogSkeleton) else []
        self.entry_fill.clear()
        first = self.detail is None
        self.detail, self.step_tree = detail, tree
        self.tail.clear()
        self.query_one(RunHeader).show_run(detail, tree.notes)
        self.query_one(RunBody).display = True
        view = self.step_view
        if first:
            view.show_tree(tree)
            self.navigator.land()
            view.focus()
        else:
            view.update_tree(tree)
            if view.selected_node is not None:
                self.show_in_pane(view.selected_node)
        # The clock runs for an ended run too: "ended 10 seconds ago" must not freeze.
        if self._config.animations:
            self.query_one(RunHeader).start_clock()
        self.tail.start_or_stop(detail.summary.is_running)

    def on_unmount(self) -> None:
        """Stop the tail with the screen."""
        self.live.stop()
        self.stop_timers()

    def on_screen_resume(self) -> None:
        """Fetch what was left queued while another screen covered this one."""
        self.entry_fill.resume()

    # Tailing

    def stop_timers(self) -> None:
        """Stop tailing: the run ended, or the view goes (the header's clock runs on)."""
        self.live.cancel()

    def show_merged(self, raw: list[Any] | LogSkeleton, detail: RunDetail, tree: StepTree) -> None:
        """Show a run the tail brought up to date, the tree updated in place; move to a
        new failure as landing does, unless the reader is busy elsewhere."""
        previous = self.step_tree
        self.raw, self.detail, self.step_tree = raw, detail, tree
        self.show_header()
        self.step_view.update_tree(tree)
        if previous is not None:
            self.navigator.move_to_new_failure(previous, tree)

    def show_header(self) -> None:
        """Redraw the header from the run as last fetched."""
        assert self.detail is not None
        notes = self.step_tree.notes if self.step_tree is not None else ()
        self.query_one(RunHeader).show_run(self.detail, notes)

    def reload(self) -> None:
        """Fetch the whole run again (the tail found its log rewritten)."""
        self.loader.start()

    def resume_tail(self) -> None:
        """Tail again after a failed reload, if the run is still running."""
        if self.detail is not None and self.detail.summary.is_running:
            self.live.schedule()

    def set_badge(self, text: Text, *, following: bool = False, problem: bool = False) -> None:
        """Show `text` in the badge (green when `following`, red for a `problem`)."""
        badge = self.query_one("#run-badge", Static)
        badge.update(text)
        badge.set_class(following, "-following")
        badge.set_class(problem, "-problem")

    # Detail

    def show_in_pane(self, node: StepNode | None) -> None:
        """Show `node` in the detail pane (the run input when None), fetching first what
        a skeleton left out of it."""
        if self.step_tree is None or self.detail is None:
            return
        self.shown_node = node
        self.detail_pane.show(node, tree=self.step_tree, detail=self.detail)
        self.entry_fill.selection_shown(node)

    @on(StepTreeView.StepSelected)
    def _step_selected(self, event: StepTreeView.StepSelected) -> None:
        event.stop()
        # A highlight the cursor has already left (key repeat, a landing right after the
        # tree was filled) is not worth drawing.
        if event.node is not self.step_view.selected_node:
            return
        self.navigator.selected(event.node)
        if event.node is not self.shown_node:
            self.show_in_pane(event.node)

    @on(StepTreeView.NodesShown)
    def _nodes_shown(self, event: StepTreeView.NodesShown) -> None:
        event.stop()
        self.entry_fill.nodes_shown(event.nodes)

    @on(DataFlowView.SearchAllRequested)
    def _search_all(self, event: DataFlowView.SearchAllRequested) -> None:
        event.stop()
        self.entry_fill.search_all(event.entry)

    @on(DetailPane.JumpRequested)
    def _jump_requested(self, event: DetailPane.JumpRequested) -> None:
        event.stop()
        self.navigator.jump(event.entry_index, event.field, tuple(event.json_path))

    # Actions

    def action_back(self) -> None:
        """Back to the run list (or whatever screen opened this run)."""
        self.stop_timers()
        if len(self.app.screen_stack) > 2:
            self.dismiss()
        else:
            # Opened with `--run`: the list is made now, in this screen's place.
            wflog_app(self).show_run_list()

    @property
    def step_search(self) -> StepSearchBar:
        """The in-run search: its prompt and its matches."""
        return self.query_one(StepSearchBar)

    def action_search_steps(self) -> None:
        """Search the run's step ids, names, errors, inputs and outputs for some text."""
        if self.step_tree is not None:
            self.step_search.open()

    def action_next_match(self) -> None:
        """Move to the next match of the search, wrapping to the first."""
        self.step_search.move(1)

    def action_previous_match(self) -> None:
        """Move to the previous match of the search, wrapping to the last."""
        self.step_search.move(-1)

    def action_clear_search(self) -> None:
        """Close the search prompt; with it closed, end the search (n/N move between
        failures again)."""
        self.step_search.step_back()

    def action_next_failure(self) -> None:
        """Move to the next failure after the cursor, wrapping to the first."""
        self.navigator.step_failure(1)

    def action_previous_failure(self) -> None:
        """Move to the previous failure before the cursor, wrapping to the last."""
        self.navigator.step_failure(-1)

    def action_sibling_iteration(self, delta: int) -> None:
        """The same step in the next (1) or previous (-1) iteration that ran it."""
        self.navigator.sibling_iteration(delta)

    def action_toggle_follow(self) -> None:
        """Follow the running run (apply what arrives), or pause to read."""
        self.tail.toggle_follow()
        self.refresh_bindings()

    def action_reload(self) -> None:
        """Fetch the run again; the cursor and open nodes stay where they are."""
        self.tail.cancel()
        self.loader.start()

    def action_refresh_rate(self, step: int) -> None:
        """Refresh every live view more often (-1) or less often (+1)."""
        self.tail.change_rate(step)

    def action_copy_note(self) -> None:
        """Copy a Markdown note about the run and the step under the cursor (OSC 52)."""
        copy_incident_note(self)

    def action_compare(self, against: str | None = None) -> None:
        """Open the diff screen: this run against its last good run, or run `against`."""
        open_compare(self, against)

    def action_compare_with(self) -> None:
        """Ask for a run id, then compare this run with that run."""
        ask_and_compare(self)

    def action_copy_step_link(self) -> None:
        """Copy the command line that reopens this run on this step and tab (OSC 52)."""
        if self.detail is not None:
            node = self.step_view.selected_node
            copy_step_link(
                self, self._config, self.detail.summary, node, self.detail_pane.active_tab
            )

    def action_open_dashboard(self) -> None:
        """Copy the run's dashboard link and show it; never starts a browser."""
        if self.detail is not None:
            show_dashboard_link(self, self._config, self.detail.summary)

    def action_jump_back(self) -> None:
        """Return to where the last data-flow jump started."""
        self.navigator.jump_back()

    def action_show_tab(self, tab: str) -> None:
        """Show a tab of the detail pane; focus stays where it is, so the tree still moves."""
        self.detail_pane.show_tab(tab, focus=False)

    def action_json(self, action: str) -> None:
        """A JSON key (copy, expand, collapse) for the tab on screen, whatever has focus."""
        self.detail_pane.run_on_json(action)

    def action_zoom(self) -> None:
        """Show the focused pane (tree or detail) on the whole screen; again to show both."""
        self.query_one(RunBody).zoom()

    def action_switch_focus(self) -> None:
        """Move focus from the step tree to the detail pane, or back."""
        self.query_one(RunBody).switch_focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer `f` only for a running run (or one with a paused tail), `o` only with a
        dashboard URL, the search's keys only while it is on; dim `b` when unused."""
        if action == "toggle_follow":
            running = self.detail is not None and self.detail.summary.is_running
            return running or self.tail.pending is not None
        if action == "jump_back":
            return True if self.navigator.back else None
        if action in ("next_match", "previous_match", "clear_search"):
            try:
                search = self.step_search
            except NoMatches:  # asked while the screen is being taken down
                return False
            return search.clearable if action == "clear_search" else search.active
        if action == "open_dashboard":
            return bool(self._config.dashboard_url)
        return True
