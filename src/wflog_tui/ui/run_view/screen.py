"""The run view: one run's header, its step tree, and the detail of the step under the cursor.

It opens on the run's first failure, with the path to it expanded, because that is what
the person who opened it mid-incident came for. A RUNNING run is tailed: a worker fetches
the entries from the first unfinished one on, the tree is updated in place, and only then
is the next fetch scheduled, so a slow database never gets overlapping queries.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static

from wflog_tui.model.display_text import one_line
from wflog_tui.model.incident_note import incident_note
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_tree import NodeKind, StepNode, StepTree
from wflog_tui.store import (
    LoadedRun,
    Store,
    StoreError,
)
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_view.data_flow import DataFlowView
from wflog_tui.ui.run_view.detail_pane import TAB_NAMES, DetailPane
from wflog_tui.ui.run_view.entry_fill import EntryFill, EntryRequest, selection_needs, shown_needs
from wflog_tui.ui.run_view.header import RunHeader
from wflog_tui.ui.run_view.loading import RunLoad
from wflog_tui.ui.run_view.navigation import (
    Location,
    failure_step,
    landing_keys,
    new_failures,
)
from wflog_tui.ui.run_view.step_links import copy_step_link, link_landing, show_dashboard_link
from wflog_tui.ui.run_view.step_search import StepSearchBar
from wflog_tui.ui.run_view.step_tree_view import StepTreeView
from wflog_tui.ui.run_view.tail import RunTail
from wflog_tui.ui.styled_once import StyledOnceScreen
from wflog_tui.ui.widgets.profile_badge import ProfileBadge

# A reader who moved the cursor this recently is not moved to a new failure, only told.
READER_BUSY_S = 30.0


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
    RunScreen #run-body { height: 1fr; }
    RunScreen StepTreeView { width: 45%; min-width: 30; border-right: vkey $foreground 20%; }
    RunScreen #detail { width: 1fr; }
    RunScreen #run-badge { height: 1; padding: 0 1; background: $panel; }
    RunScreen.-narrow #run-body { layout: vertical; }
    RunScreen.-narrow StepTreeView {
        width: 100%; height: 45%; min-height: 4;
        border-right: none; border-bottom: hkey $foreground 20%;
    }
    RunScreen.-narrow #detail { width: 100%; height: 1fr; }
    RunScreen #run-body.-zoom-steps #detail { display: none; }
    RunScreen #run-body.-zoom-steps StepTreeView { width: 100%; height: 100%; border: none; }
    RunScreen #run-body.-zoom-detail StepTreeView { display: none; }
    RunScreen #run-badge.-following { color: $text-success; }
    RunScreen #run-badge.-problem { color: $text-error; }
    """

    # Below 120 columns the tree and the detail are stacked, each the terminal's width.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]

    live: LiveRefresh
    """The tail's refresh loop (made on mount, when the app's config is at hand)."""
    entry_fill: EntryFill
    """What of a skeleton the reader looks at, fetched whole."""
    loader: RunLoad
    """The run's load (not `loading`: that is Textual's reactive for a spinner)."""

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
        self._ticker: Timer | None = None
        self._reader_moved_at = 0.0
        """When the reader last moved the cursor (monotonic); landing and tails do not count."""
        self._auto_key: str | None = None
        self._back: list[Location] = []
        self._shown_node: StepNode | None = None

    # Layout

    def compose(self) -> ComposeResult:
        """Header, then the tree and the detail side by side, the tail badge, the footer."""
        yield ProfileBadge()
        yield RunHeader(id="run-header")
        # Hidden by its own style, not a class, until the run is there: showing it then
        # lays it out again, where removing a class would restyle all it holds.
        body = Horizontal(id="run-body")
        body.display = False
        with body:
            yield StepTreeView(id="steps")
            yield DetailPane(id="detail")
        yield StepSearchBar(id="step-search")
        yield Static(id="run-badge")
        yield Footer()

    def on_mount(self) -> None:
        """Fetch the run; the header says "Loading run …" meanwhile."""
        self.live = LiveRefresh(self, self._config, lambda: self.tail.cycle())
        self.tail = RunTail(self, self.live)
        self.loader = RunLoad(self)
        self.entry_fill = EntryFill(
            self,
            self.live,
            fetch=lambda indexes: self._store.fetch_entries(self.run_id, indexes),
            tree=lambda: self.step_tree,
            filled=self._entries_filled,
            failed=self._entries_failed,
        )
        self.loader.start()

    @property
    def step_view(self) -> StepTreeView:
        """The step tree widget."""
        return self.query_one(StepTreeView)

    @property
    def _config(self) -> AppConfig:
        return wflog_app(self).config

    @property
    def _store(self) -> Store:
        return wflog_app(self).store

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
        self.query_one("#run-body").display = True
        view = self.step_view
        if first:
            view.show_tree(tree)
            self._land()
            view.focus()
        else:
            view.update_tree(tree)
            self._refresh_detail()
        self._start_or_stop_tailing()

    def _land(self) -> None:
        """Cursor on the first failure; else on the last running step; else the first."""
        assert self.step_tree is not None and self.detail is not None
        if self._land_on_link():
            return
        for keys in landing_keys(self.step_tree, running=self.detail.summary.is_running):
            if self.step_view.select_keys(keys):
                self._auto_key = keys[-1]
                return

    def _land_on_link(self) -> bool:
        """Land where `--step`, `--iteration` and `--tab` asked, once; False to land as
        usual (no step asked for, or none to select), after any note on what was missing."""
        link = self._config.open_step
        if link is None or link.run_id != self.run_id or self.step_tree is None:
            return False
        self._config.open_step = None
        landing = link_landing(self.step_tree, link, self.run_id)
        if landing is not None and landing.note:
            where = f"--step {one_line(link.step_id or '', 80)}"
            self.notify(f"{where}: {landing.note}", severity="warning", markup=False, timeout=8)
        node = landing.node if landing is not None else None
        if node is not None and not self.step_view.select_keys(tuple(n.key for n in node.path)):
            node = None
        if link.tab:
            if node is None:
                self._land()  # as usual: the link is spent
            self._show_in_pane(self.step_view.selected_node)
            self.detail_pane.action_show_tab(link.tab)
            return True
        return node is not None

    def _on_screen(self) -> bool:
        """False once the screen is being taken down: an answer arriving then is dropped."""
        return self.live.on_screen

    def on_unmount(self) -> None:
        """Stop the tail and the clock with the screen."""
        self.live.stop()
        self.stop_timers()
        if self._ticker is not None:
            self._ticker.stop()

    # Tailing

    def _start_or_stop_tailing(self) -> None:
        if self.detail is not None and self.detail.summary.is_running:
            self.live.schedule()
        else:
            self.stop_timers()
        # The clock runs for an ended run too: "ended 10 seconds ago" must not freeze.
        if self._ticker is None and self._config.animations:
            self._ticker = self.set_interval(1.0, self.query_one(RunHeader).tick)
        self.tail.update_badge()
        self.refresh_bindings()

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
        failed = new_failures(previous, tree) if previous is not None else []
        if not failed:
            return
        if time.monotonic() - self._reader_moved_at < READER_BUSY_S:
            # toolong's manner: say so, and let the reader go there when ready.
            self.tail.news = f"✗ failed at {one_line(failed[0].label, 60)} — press n"
        elif self.step_view.select_keys(failed[0].keys):
            self._auto_key = failed[0].keys[-1]

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
        badge = self.query_one("#run-badge", Static)
        badge.update(text)
        badge.set_class(following, "-following")
        badge.set_class(problem, "-problem")

    # Detail

    def _show_in_pane(self, node: StepNode | None) -> None:
        """Show `node` in the detail pane (the run input when None)."""
        if self.step_tree is None or self.detail is None:
            return
        self._shown_node = node
        self.detail_pane.show(node, tree=self.step_tree, detail=self.detail)
        pending = selection_needs(self.step_tree, node)
        if pending and node is not None:
            keys = [node.key, *(child.key for child in node.children)]
            self.entry_fill.request(EntryRequest(pending, keys), urgent=True)

    @on(StepTreeView.NodesShown)
    def _nodes_shown(self, event: StepTreeView.NodesShown) -> None:
        """Fetch the times and payloads of a skeleton's entries that just came into view."""
        event.stop()
        tree = self.step_tree
        if tree is None or not isinstance(self.raw, LogSkeleton):
            return
        indexes, keys = shown_needs(tree, event.nodes)
        if indexes:
            self.entry_fill.request(EntryRequest(indexes, keys))

    @on(DataFlowView.SearchAllRequested)
    def _search_all(self, event: DataFlowView.SearchAllRequested) -> None:
        """Load every later step a skeleton left out, then trace the step again."""
        event.stop()
        tree = self.step_tree
        if tree is None:
            return
        indexes = tree.entries.pending_after(event.entry.index)
        view = self.detail_pane.query_one(DataFlowView)
        view.searching_all(len(indexes))
        node = self._shown_node

        def trace_again() -> None:
            if node is self._shown_node and self.detail is not None and self.step_tree:
                self.detail_pane.show(node, tree=self.step_tree, detail=self.detail, force=True)

        self.entry_fill.request(EntryRequest(indexes, [], when_done=trace_again, background=True))

    def _entries_filled(self, batch: EntryRequest) -> None:
        """Redraw the nodes a batch of whole entries showed, and the pane if it shows one."""
        tree = self.step_tree
        assert tree is not None
        self.step_view.refresh_nodes(batch.keys)
        shown = self._shown_node
        if shown is not None and self.detail is not None and shown.key in batch.keys:
            self.detail_pane.show(shown, tree=tree, detail=self.detail, force=True)

    def _entries_failed(self, error: StoreError) -> None:
        message = f"Could not load the steps' payloads: {one_line(error.message, 200)}"
        self.set_badge(Text(message), problem=True)

    def _refresh_detail(self) -> None:
        node = self.step_view.selected_node
        if node is not None:
            self._show_in_pane(node)

    @on(StepTreeView.StepSelected)
    def _step_selected(self, event: StepTreeView.StepSelected) -> None:
        event.stop()
        # A highlight the cursor has already left (key repeat, a landing right after the
        # tree was filled) is not worth drawing.
        shown = self._shown_node
        if event.node is not self.step_view.selected_node:
            return
        if event.node.key not in (self._auto_key, shown.key if shown is not None else None):
            self._reader_moved_at = time.monotonic()
        self._auto_key = None
        if event.node is not shown:
            self._show_in_pane(event.node)

    @on(DetailPane.JumpRequested)
    def _jump_requested(self, event: DetailPane.JumpRequested) -> None:
        """Go to where a value came from: select its node, then reveal the path in the pane.

        The run's input has no node: the selection stays and the pane reveals the path in
        its Run input tab. Either way the place left is pushed for `b` to come back to.
        """
        event.stop()
        tree = self.step_tree
        here = self.step_view.selected_keys
        if tree is None or here is None:
            return
        keys: Sequence[str] | None = here
        if event.entry_index is not None:
            keys = tree.keys_of_entry(event.entry_index)
            if keys is None:
                self.notify("That entry is not in the step tree.", severity="warning", markup=False)
                return
        pane = self.detail_pane
        self._back.append(Location(here, *pane.location(), tab=pane.active_tab))
        self._go(keys, event.field, tuple(event.json_path))
        self.refresh_bindings()

    def _go(self, keys: Sequence[str], field: str | None, json_path: tuple) -> None:
        """Select `keys`, show the node in the pane, and reveal `field`/`json_path` in it."""
        view = self.step_view
        if not view.select_keys(keys):
            self.notify("That step is not in the tree.", severity="warning", markup=False)
            return
        # Shown now rather than on the highlight message, so `reveal` acts on this node.
        self._show_in_pane(view.selected_node)
        if field:
            self.detail_pane.reveal(field, json_path)

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
        search = self.step_search
        if search.typing:
            search.close_prompt()
        else:
            search.clear()

    def action_next_failure(self) -> None:
        """Move to the next failure after the cursor, wrapping to the first."""
        self._step_failure(1)

    def action_previous_failure(self) -> None:
        """Move to the previous failure before the cursor, wrapping to the last."""
        self._step_failure(-1)

    def _step_failure(self, direction: int) -> None:
        tree = self.step_tree
        if tree is None:
            return
        step = failure_step(tree, self.step_view.selected_node, direction)
        if step is None:
            self.notify("No failures in this run.", markup=False)
            return
        self.step_view.select_keys(step.keys)
        self.tail.news = ""
        self.tail.update_badge()
        self.notify(step.message, markup=False, timeout=2)

    def action_sibling_iteration(self, delta: int) -> None:
        """The same step in the next (1) or previous (-1) iteration that ran it."""
        tree, node = self.step_tree, self.step_view.selected_node
        if tree is None or node is None:
            return
        target = tree.sibling_iteration(node, delta)
        if target is None:
            inside = any(n.kind is NodeKind.ITERATION for n in node.path)
            message = (
                f"No {'later' if delta > 0 else 'earlier'} iteration ran this step."
                if inside
                else "Not inside a loop iteration."
            )
            self.notify(message, markup=False, timeout=2)
            return
        self.step_view.select_keys(tuple(n.key for n in target.path))

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
        rate = self.live.change_rate(step)
        self.notify(f"Refreshing every {rate:g}s", markup=False)
        if self.live.scheduled:
            self.live.schedule()
        self.tail.update_badge()

    def action_copy_note(self) -> None:
        """Copy a Markdown note about the run and the step under the cursor (OSC 52)."""
        if self.detail is None or self.step_tree is None:
            return
        note = incident_note(self.detail, self.step_tree, self.step_view.selected_node)
        self.app.copy_to_clipboard(note)
        lines = note.count("\n")
        self.notify(f"Copied an incident note ({lines} lines) to the clipboard.", markup=False)

    def action_compare(self, against: str | None = None) -> None:
        """Open the diff screen: this run against its last good run, or run `against`."""
        # Imported here: the diff screen is built from this package's tree and fill queue.
        from wflog_tui.ui.run_compare import CompareScreen

        loaded = None
        if self.detail is not None and self.step_tree is not None:
            loaded = LoadedRun(self.detail, self.step_tree)
        self.app.push_screen(
            CompareScreen(self.run_id, loaded=loaded, against=against, query_lock=self.live.lock)
        )

    def action_compare_with(self) -> None:
        """Ask for a run id, then compare this run with that run."""
        from wflog_tui.ui.run_compare import BaselinePrompt

        self.app.push_screen(
            BaselinePrompt(), lambda run_id: self.action_compare(run_id) if run_id else None
        )

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
        if not self._back:
            self.notify("No jump to go back from.", markup=False, timeout=2)
            return
        location = self._back.pop()
        self._go(location.keys, location.field, location.json_path)
        if location.tab is not None:
            self.detail_pane.show_tab(location.tab, focus=True)
        self.refresh_bindings()

    def action_show_tab(self, tab: str) -> None:
        """Show a tab of the detail pane; focus stays where it is, so the tree still moves."""
        self.detail_pane.show_tab(tab, focus=False)

    def action_json(self, action: str) -> None:
        """A JSON key (copy, expand, collapse) for the tab on screen, whatever has focus."""
        self.detail_pane.run_on_json(action)

    def action_zoom(self) -> None:
        """Show the focused pane (tree or detail) on the whole screen; again to show both."""
        body = self.query_one("#run-body")
        if body.has_class("-zoom-steps") or body.has_class("-zoom-detail"):
            body.remove_class("-zoom-steps", "-zoom-detail")
            return
        focused = self.focused
        in_detail = focused is not None and self.detail_pane in focused.ancestors_with_self
        body.add_class("-zoom-detail" if in_detail else "-zoom-steps")

    def action_switch_focus(self) -> None:
        """Move focus from the step tree to the detail pane, or back."""
        view = self.step_view
        if view.has_focus or self.focused is None:
            pane = self.detail_pane
            target = pane if pane.focusable else None
            if target is None:
                target = next((w for w in pane.walk_children(Widget) if w.focusable), None)
            if target is not None:
                target.focus()
        else:
            view.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer `f` only for a running run (or one with a paused tail), `o` only with a
        dashboard URL, the search's keys only while it is on; dim `b` when unused."""
        if action == "toggle_follow":
            running = self.detail is not None and self.detail.summary.is_running
            return running or self.tail.pending is not None
        if action == "jump_back":
            return True if self._back else None
        if action in ("next_match", "previous_match", "clear_search"):
            try:
                search = self.step_search
            except NoMatches:  # asked while the screen is being taken down
                return False
            return search.clearable if action == "clear_search" else search.active
        if action == "open_dashboard":
            return bool(self._config.dashboard_url)
        return True
