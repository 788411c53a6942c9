"""The run view: one run's header, its step tree, and the detail of the step under the cursor.

It opens on the run's first failure, with the path to it expanded, because that is what
the person who opened it mid-incident came for. A RUNNING run is tailed: a worker fetches
the entries from the first unfinished one on, the tree is updated in place, and only then
is the next fetch scheduled, so a slow database never gets overlapping queries.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static

from wflog_tui.model import status as st
from wflog_tui.model.collector_pause import pause_collector
from wflog_tui.model.display_text import one_line
from wflog_tui.model.incident_note import incident_note
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_tree import NodeKind, StepNode, StepTree, build_tree
from wflog_tui.store import (
    ConnectionLost,
    LoadedRun,
    QueryTimeout,
    RunNotFound,
    StepsTail,
    Store,
    StoreError,
    load_run,
)
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.connection_state import replica_note, retry_after_failure
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_view.data_flow import DataFlowView
from wflog_tui.ui.run_view.detail_pane import DetailPane
from wflog_tui.ui.run_view.entry_fill import EntryFill, EntryRequest, selection_needs, shown_needs
from wflog_tui.ui.run_view.header import RunHeader
from wflog_tui.ui.run_view.navigation import Location, failure_step
from wflog_tui.ui.run_view.step_links import copy_step_link, link_landing, show_dashboard_link
from wflog_tui.ui.run_view.step_search import StepSearchBar
from wflog_tui.ui.run_view.step_tree_view import StepTreeView
from wflog_tui.ui.widgets.json_view import JsonView
from wflog_tui.ui.widgets.profile_badge import ProfileBadge

# The detail pane's tabs that show a field a data-flow jump can target.
_FIELD_OF_TAB = {"input": "input", "output": "output", "run-input": "input_payload"}


class RunScreen(Screen[None]):
    """One run: header, step tree on the left, detail of the selected step on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # While a search is on, n, N and esc are its (check_action hides them otherwise,
        # and the key falls through to the binding after).
        Binding("slash", "search_steps", "Search in this run", key_display="/"),
        Binding("n", "next_match", "Next match"),
        Binding("N", "previous_match", "Previous match", key_display="N"),
        Binding("escape", "clear_search", "Clear search"),
        Binding("escape", "back", "Back"),
        Binding("n", "next_failure", "Next failure"),
        Binding("N", "previous_failure", "Prev failure", key_display="N"),
        Binding("right_square_bracket", "sibling_iteration(1)", "Next iter", key_display="]"),
        Binding("left_square_bracket", "sibling_iteration(-1)", "Prev iter", key_display="["),
        Binding("f", "toggle_follow", "Follow"),
        Binding("r", "reload", "Reload"),
        Binding("c", "copy_note", "Copy note"),
        Binding("d", "compare", "Compare with last good run", show=False),
        Binding("D", "compare_with", "Compare with run…", key_display="D", show=False),
        Binding("L", "copy_step_link", "Copy link to this step", key_display="L", show=False),
        Binding("o", "open_dashboard", "Open in dashboard", show=False),
        Binding("b,backspace", "jump_back", "Jump back", key_display="b"),
        Binding("plus", "refresh_rate(-1)", "Faster refresh", key_display="+", show=False),
        Binding("minus", "refresh_rate(1)", "Slower refresh", key_display="-", show=False),
        Binding("tab", "switch_focus", "Tree/detail", show=False),
        Binding("shift+tab", "switch_focus", "Tree/detail", show=False),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | / | Search step ids, names, errors, inputs and outputs (on the server). |
    | n / N | Next / previous match while a search is on, else failure (wraps around). |
    | esc | Clear the search; with none, back to the run list. |
    | ] / [ | The same step in the next / previous iteration that ran it. |
    | f | Follow a running run, or pause following. |
    | r | Load the run again. |
    | c | Copy an incident note (Markdown) about the step under the cursor. |
    | d | Compare with the last good run (the diff screen). |
    | D | Compare with a run named by its run id. |
    | L | Copy the command line that reopens this run on this step and tab. |
    | o | Copy (and show) the run's dashboard link, when the profile has one. |
    | b / backspace | Back to where you were before a data-flow jump. |
    | + / - | Refresh every live view more / less often. |
    | tab / shift+tab | Move focus between the step tree and the detail pane. |
    """

    DEFAULT_CSS = """
    RunScreen { layout: vertical; }
    RunScreen #run-body { height: 1fr; }
    RunScreen #run-body.-hidden { display: none; }
    RunScreen StepTreeView { width: 45%; min-width: 30; border-right: vkey $foreground 20%; }
    RunScreen #detail { width: 1fr; }
    RunScreen #run-badge { height: 1; padding: 0 1; background: $panel; }
    RunScreen #run-badge.-following { color: $text-success; }
    RunScreen #run-badge.-problem { color: $text-error; }
    """

    live: LiveRefresh
    """The tail's refresh loop (made on mount, when the app's config is at hand)."""
    entry_fill: EntryFill
    """What of a skeleton the reader looks at, fetched whole."""

    def __init__(self, run_id: str) -> None:
        """A view of the run `run_id` (a `run_id`, or else a row `id`), loaded on mount."""
        super().__init__()
        self.run_id = run_id
        self.detail: RunDetail | None = None
        """The run as last fetched (its status and times updated by tails)."""
        self.step_tree: StepTree | None = None
        """The step tree shown."""
        self._raw: list[Any] | LogSkeleton = []
        self._following = True
        self._pending: StepsTail | None = None
        self._ticker: Timer | None = None
        self._back: list[Location] = []
        self._shown_node: StepNode | None = None
        # How far behind a hot standby was at the last tail (None: not behind, or primary).
        self._replica_lag: timedelta | None = None

    # Layout

    def compose(self) -> ComposeResult:
        """Header, then the tree and the detail side by side, the tail badge, the footer."""
        yield ProfileBadge()
        yield RunHeader(id="run-header")
        with Horizontal(id="run-body", classes="-hidden"):
            yield StepTreeView(id="steps")
            yield DetailPane(id="detail")
        yield StepSearchBar(id="step-search")
        yield Static(id="run-badge")
        yield Footer()

    def on_mount(self) -> None:
        """Fetch the run; the header says "Loading run …" meanwhile."""
        self.live = LiveRefresh(self, self._config, self._tail)
        self.entry_fill = EntryFill(
            self,
            self.live,
            fetch=lambda indexes: self._store.fetch_entries(self.run_id, indexes),
            tree=lambda: self.step_tree,
            filled=self._entries_filled,
            failed=self._entries_failed,
        )
        self._load()

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

    @work(exclusive=True, group="run-load")
    async def _load(self) -> None:
        """Fetch the whole run, then show it (first time) or merge it (reload)."""
        header = self.query_one(RunHeader)
        first = self.detail is None
        if first:
            header.show_message(Text(f"Loading run {one_line(self.run_id, 80)} …"))
        # With `--run`, the command line started loading before the UI existed.
        prefetched = wflog_app(self).take_prefetched(self.run_id) if first else None
        # The cyclic collector stays off until the run is on screen: the objects of a big
        # run would otherwise set off a full collection in the middle of landing on it.
        release = pause_collector()
        shown = False
        try:
            try:
                if prefetched is not None:
                    loaded: LoadedRun | None = await prefetched
                else:
                    async with self.live.lock:
                        loaded = await load_run(self._store, self.run_id)
            except StoreError as error:
                if self._on_screen():
                    self._load_failed(error)
                return
            if not self._on_screen():
                return
            if loaded is None:
                self._load_failed(None)
                return
            self._show_run(loaded.detail, loaded.tree)
            shown = True
        finally:
            if shown:
                self.app.call_after_refresh(release)  # once the run has been drawn
            else:
                release()

    def _load_failed(self, error: StoreError | None) -> None:
        if error is None:
            message = (
                f"No run {one_line(self.run_id, 80)} here (or it is outside the organisation "
                "scope).\nPress esc to go back."
            )
        else:
            message = (
                f"Could not load run {one_line(self.run_id, 80)}: "
                f"{one_line(error.message, 300)}\nPress r to try again, esc to go back."
            )
        if self.detail is None:
            self.query_one(RunHeader).show_message(Text(message, style="bold"))
        else:
            # A failed reload keeps the run on screen; the badge says what went wrong.
            self._set_badge(Text(one_line(message, 300)), problem=True)
            self._resume_tail()

    def _show_run(self, detail: RunDetail, tree: StepTree) -> None:
        """Show a freshly fetched run and its tree, land the cursor, start tailing."""
        raw = detail.steps_log
        self._raw = raw if isinstance(raw, list | LogSkeleton) else []
        self.entry_fill.clear()
        first = self.detail is None
        self.detail, self.step_tree = detail, tree
        self._pending = None
        self.query_one(RunHeader).show_run(detail, tree.notes)
        self.query_one("#run-body").remove_class("-hidden")
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
        tree, view = self.step_tree, self.step_view
        assert tree is not None
        if self._land_on_link():
            return
        for failure in tree.failures:
            if failure.keys and view.select_keys(failure.keys):
                return
        running = tree.last_running_index()
        if running is not None and self.detail is not None and self.detail.summary.is_running:
            keys = tree.keys_of_entry(running)
            if keys and view.select_keys(keys):
                return
        if tree.nodes:
            view.select_keys((tree.nodes[0].key,))

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
        self._stop_timers()

    # Tailing

    def _start_or_stop_tailing(self) -> None:
        running = self.detail is not None and self.detail.summary.is_running
        if running:
            self.live.schedule()
            if self._ticker is None and self._config.animations:
                header = self.query_one(RunHeader)
                self._ticker = self.set_interval(1.0, header.tick)
        else:
            self._stop_timers()
        self._update_badge()
        self.refresh_bindings()

    def _stop_timers(self) -> None:
        self.live.cancel()
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _resume_tail(self) -> None:
        if self.detail is not None and self.detail.summary.is_running:
            self.live.schedule()

    @work(exclusive=True, group="run-tail")
    async def _tail(self) -> None:
        """Fetch what the run logged since the first unfinished entry, then apply it."""
        if self.step_tree is None:
            return
        start = self.step_tree.first_unfinished_index()
        began = time.perf_counter()
        try:
            async with self.live.lock:
                tail = await self._store.fetch_steps_from(self.run_id, start)
                self._replica_lag = await self._store.replica_lag()
        except RunNotFound:
            if self._on_screen():
                self._stop_timers()
                self._set_badge(Text("The run is gone from the table; not tailing."), problem=True)
            return
        except StoreError as error:
            if self._on_screen():
                self._tail_failed(error)
            return
        if not self._on_screen():
            return
        self.live.succeeded(time.perf_counter() - began)
        if self._following:
            await self._merge(tail)
        else:
            # Paused: keep the newest answer to apply on resume, and say how much it holds.
            self._pending = tail
            self._update_header_status(tail)
        self._after_tail(tail)

    @work(exclusive=True, group="run-tail")
    async def _merge_pending(self) -> None:
        """Apply the tail kept while paused (the reader just resumed following)."""
        tail = self._pending
        if tail is None:
            return
        await self._merge(tail)
        self._after_tail(tail)

    def _after_tail(self, tail: StepsTail) -> None:
        if not self._on_screen():
            return
        if st.normalise(tail.status) == st.RUNNING:
            self.live.schedule()
        else:
            self._stop_timers()
        self._update_badge()
        self.refresh_bindings()

    def _tail_failed(self, error: StoreError) -> None:
        """Keep what is shown, say since when it is stale, and retry with a backoff."""
        delay = retry_after_failure(self.live, self._store)
        assert self.live.trouble_since is not None
        since = self.live.trouble_since.strftime("%H:%M:%S UTC")
        if isinstance(error, ConnectionLost):
            what = f"disconnected since {since}"
        elif isinstance(error, QueryTimeout):
            what = f"database too slow (query timed out) since {since}"
        else:
            what = f"refresh failing since {since}: {one_line(error.message, 120)}"
        self._set_badge(Text(f"{what}, retrying in {delay:.0f} s"), problem=True)

    async def _merge(self, tail: StepsTail) -> None:
        """Merge a tail into the raw entries, rebuild the model off the UI thread, then
        update the tree in place."""
        previous, detail = self.step_tree, self.detail
        assert previous is not None and detail is not None
        self._pending = None
        if tail.total < tail.start or tail.start > len(self._raw):
            # The log shrank or skipped ahead: it was rewritten, not appended to.
            self._load()
            return
        status = st.normalise(tail.status)
        raw, tree = self._raw, previous
        if isinstance(detail.steps_log, list | LogSkeleton) or tail.total:
            # A new list: the tree shown keeps reading the one it was built from.
            if isinstance(self._raw, LogSkeleton):
                raw = self._raw.with_tail(tail.start, tail.entries)
            else:
                raw = self._raw[: tail.start] + list(tail.entries)
            tree = await asyncio.to_thread(
                build_tree,
                raw,
                run_status=status,
                run_ended_at=tail.ended_at,
                previous=previous,
                start=tail.start,
            )
        if not self._on_screen() or self.step_tree is not previous:
            return
        summary = replace(
            detail.summary, status=status, ended_at=tail.ended_at, duration_ms=tail.duration_ms
        )
        self._raw = raw
        steps_log = raw if tree is not previous else detail.steps_log
        self.detail = replace(detail, summary=summary, error=tail.error, steps_log=steps_log)
        self.step_tree = tree
        self.query_one(RunHeader).show_run(self.detail, tree.notes)
        self.step_view.update_tree(tree)

    def _update_header_status(self, tail: StepsTail) -> None:
        assert self.detail is not None
        run = replace(
            self.detail.summary,
            status=st.normalise(tail.status),
            ended_at=tail.ended_at,
            duration_ms=tail.duration_ms,
        )
        self.detail = replace(self.detail, summary=run, error=tail.error)
        notes = self.step_tree.notes if self.step_tree is not None else ()
        self.query_one(RunHeader).show_run(self.detail, notes)

    def _new_while_paused(self) -> int:
        if self._pending is None:
            return 0
        return max(0, self._pending.total - len(self._raw))

    def _update_badge(self) -> None:
        if self.detail is None:
            return
        running = self.detail.summary.is_running
        if self._following and not self.live.scheduled and not running:
            word = one_line(st.word(self.detail.summary.status), 30)
            self._set_badge(Text(f"run {word} · not tailing"))
            return
        if self._following:
            text = Text("TAIL ●", style="bold")
            text.append(f"  following · every {self.live.interval():g} s · f to pause")
            slowed = self.live.pacer.reason()
            if slowed:
                text.append(f"  · {slowed}")
            text.append_text(replica_note(self._replica_lag))
            self._set_badge(text, following=True)
            return
        text = Text("PAUSED", style="bold")
        new = self._new_while_paused()
        if new:
            text.append(f"  +{new:,} new step{'s' if new != 1 else ''}", style="bold")
        if self._pending is not None and st.normalise(self._pending.status) != st.RUNNING:
            text.append("  · the run has ended")
        text.append("  · f to follow")
        self._set_badge(text)

    def _set_badge(self, text: Text, *, following: bool = False, problem: bool = False) -> None:
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
        if tree is None or not isinstance(self._raw, LogSkeleton):
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
        self._set_badge(Text(message), problem=True)

    def _refresh_detail(self) -> None:
        node = self.step_view.selected_node
        if node is not None:
            self._show_in_pane(node)

    @on(StepTreeView.StepSelected)
    def _step_selected(self, event: StepTreeView.StepSelected) -> None:
        event.stop()
        # A highlight the cursor has already left (key repeat, a landing right after the
        # tree was filled) is not worth drawing.
        if event.node is self.step_view.selected_node and event.node is not self._shown_node:
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
        self._back.append(Location(here, *self._pane_location()))
        self._go(keys, event.field, tuple(event.json_path))
        self.refresh_bindings()

    def _pane_location(self) -> tuple[str | None, tuple]:
        """The field and JSON path the detail pane has selected, to come back to them."""
        pane = self.detail_pane
        field = _FIELD_OF_TAB.get(pane.active_tab)
        if field is None:
            return None, ()
        try:
            view = pane.query_one(f"#{pane.active_tab}-json", JsonView)
        except NoMatches:
            return field, ()
        return field, tuple(view.selected_path or ())

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
        self._stop_timers()
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
        self._following = not self._following
        if self._following and self._pending is not None:
            self._merge_pending()
        self._update_badge()
        self.refresh_bindings()

    def action_reload(self) -> None:
        """Fetch the run again; the cursor and open nodes stay where they are."""
        self.live.cancel()
        self.workers.cancel_group(self, "run-tail")
        self._load()

    def action_refresh_rate(self, step: int) -> None:
        """Refresh every live view more often (-1) or less often (+1)."""
        rate = self.live.change_rate(step)
        self.notify(f"Refreshing every {rate:g}s", markup=False)
        if self.live.scheduled:
            self.live.schedule()
        self._update_badge()

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
        self.refresh_bindings()

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
        dashboard URL; dim `b` when unused."""
        if action == "toggle_follow":
            running = self.detail is not None and self.detail.summary.is_running
            return running or self._pending is not None
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
