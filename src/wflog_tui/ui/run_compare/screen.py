"""The diff screen: this run's step tree marked against a baseline, and what changed.

Opened from the run view (`d`, or `D` to name the baseline), it reuses the run view's
open run (`load_comparison(loaded=…)`), so only the baseline is fetched, and of a big
run's skeleton only the entries whose shapes differ. The rest is fetched as it is looked
at: the nodes that come into view (their times) and, for a pair compared by its shape
only, both entries of the selected step. One query at a time, under the screen's lock.
Where `n`/`N` are among the differences is `DifferenceWalk`'s (`difference_walk.py`).
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import Footer, Static

from wflog_tui.model.collector_pause import pause_collector
from wflog_tui.model.display_text import one_line
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.run_diff import EntryDiff, Mark, RunDiff, compare_entries
from wflog_tui.model.step_tree import StepNode
from wflog_tui.store import RunNotFound, Store, StoreError
from wflog_tui.store.run_comparison import LoadedComparison, load_comparison
from wflog_tui.store.run_loading import LoadedRun
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_compare.baseline_prompt import BaselinePrompt
from wflog_tui.ui.run_compare.change_pane import ChangePane, node_text, pair_text
from wflog_tui.ui.run_compare.difference_walk import DifferenceWalk
from wflog_tui.ui.run_compare.ghost_rows import ghost_rows
from wflog_tui.ui.run_compare.header import CompareHeader
from wflog_tui.ui.run_compare.marked_tree import MarkedTreeView, legend
from wflog_tui.ui.run_view.entry_fill import EntryFill, EntryRequest, shown_needs
from wflog_tui.ui.styled_once import StyledOnceScreen

# Below this many columns the tree and the changes are stacked, not side by side.
NARROW_BELOW = 110


class CompareScreen(StyledOnceScreen[None]):
    """This run beside its baseline: marked tree, changes of the selected step, header."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to run"),
        Binding("n", "next_difference", "Next difference"),
        Binding("N", "previous_difference", "Prev difference", key_display="N"),
        Binding("D", "compare_with", "Compare with run…", key_display="D"),
        Binding("tab", "switch_focus", "Tree/changes", show=False),
        Binding("shift+tab", "switch_focus", "Tree/changes", show=False),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | n / N | Next / previous difference, in run order (wraps around). |
    | D | Compare with another run, named by its run id. |
    | tab / shift+tab | Move focus between the tree and the changes. |
    | esc | Back to the run. |
    """

    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen #compare-body { height: 1fr; }
    CompareScreen #compare-body.-hidden { visibility: hidden; }
    CompareScreen MarkedTreeView { width: 50%; min-width: 30; border-right: vkey $foreground 20%; }
    CompareScreen ChangePane { width: 1fr; }
    CompareScreen.-narrow #compare-body { layout: vertical; }
    CompareScreen.-narrow MarkedTreeView {
        width: 1fr; height: 1fr; min-width: 0; border-right: none;
        border-bottom: hkey $foreground 20%;
    }
    CompareScreen.-narrow ChangePane { height: 1fr; }
    CompareScreen #compare-legend { height: 1; padding: 0 1; background: $panel; }
    """

    live: LiveRefresh
    """Holds the screen's one query at a time (the comparison is not refreshed)."""
    entry_fill: EntryFill
    """What of this run's skeleton comes into view, fetched whole."""

    def __init__(
        self,
        run_id: str,
        *,
        loaded: LoadedRun | None = None,
        against: str | None = None,
        query_lock: asyncio.Lock | None = None,
    ) -> None:
        """Compare run `run_id` (open already as `loaded`, when given) with `against`,
        or with its last good run.

        `query_lock` is the lock of the view below (the run view), whose fill queue may
        still be at work: sharing it keeps the app at one query at a time.
        """
        super().__init__()
        self.run_id = run_id
        self.against = against
        self._loaded = loaded
        self._query_lock = query_lock
        self.comparison: LoadedComparison | None = None
        """The comparison shown (None while loading, or when the run is not there)."""
        self.walk = DifferenceWalk()
        """Where `n`/`N` are among the differences, and the ghost rows' pairs."""
        self._shown_key: str | None = None

    def compose(self) -> ComposeResult:
        """Header, the tree and the changes, the legend, the footer."""
        yield CompareHeader(id="compare-header")
        with Horizontal(id="compare-body", classes="-hidden"):
            yield MarkedTreeView(id="compare-steps")
            yield ChangePane(id="compare-changes")
        yield Static(legend(()), id="compare-legend")
        yield Footer()

    def on_mount(self) -> None:
        """Start comparing; the header says so meanwhile."""
        self.live = LiveRefresh(self, wflog_app(self).config, self._load)
        if self._query_lock is not None:
            self.live.lock = self._query_lock
        self.entry_fill = EntryFill(
            self,
            self.live,
            fetch=self._fetch_this,
            tree=lambda: self.comparison.this.tree if self.comparison else None,
            filled=lambda batch: self.step_view.refresh_nodes(batch.keys),
            failed=self._fill_failed,
        )
        self._load()

    def on_resize(self, event: Resize) -> None:
        """Stack the panes on a narrow terminal."""
        self.set_class(event.size.width < NARROW_BELOW, "-narrow")

    def on_unmount(self) -> None:
        """Nothing is refreshed, but a late answer must find the screen gone."""
        self.live.stop()

    def on_screen_resume(self) -> None:
        """Fetch what was left queued while another screen covered this one."""
        self.entry_fill.resume()

    @property
    def step_view(self) -> MarkedTreeView:
        """The marked step tree."""
        return self.query_one(MarkedTreeView)

    @property
    def changes(self) -> ChangePane:
        """The pane of the selected step's changes."""
        return self.query_one(ChangePane)

    @property
    def _store(self) -> Store:
        return wflog_app(self).store

    @property
    def _diff(self) -> RunDiff | None:
        return self.comparison.diff if self.comparison is not None else None

    # Loading

    @work(exclusive=True, group="compare-load")
    async def _load(self) -> None:
        """Load the comparison, then show it."""
        header = self.query_one(CompareHeader)
        with_what = f"run {one_line(self.against, 60)}" if self.against else "its last good run"
        header.show_message(Text(f"Comparing run {one_line(self.run_id, 60)} with {with_what} …"))
        release = pause_collector()
        try:
            try:
                async with self.live.lock:
                    comparison = await load_comparison(
                        self._store, self.run_id, self.against, loaded=self._loaded
                    )
            except RunNotFound:
                if self.live.on_screen:
                    self._failed(
                        f"No run {one_line(self.against or '', 80)} to compare with (or it is "
                        "outside the organisation scope)."
                    )
                return
            except StoreError as error:
                if self.live.on_screen:
                    self._failed(f"Could not compare: {one_line(error.message, 300)}")
                return
            if not self.live.on_screen:
                return
            if comparison is None:
                self._failed(
                    f"No run {one_line(self.run_id, 80)} here (or it is outside the "
                    "organisation scope)."
                )
                return
            self._show(comparison)
        finally:
            self.app.call_after_refresh(release)

    def _failed(self, message: str) -> None:
        text = Text(message, style="bold")
        text.append("\nPress D to compare with another run, esc to go back.")
        self.query_one(CompareHeader).show_message(text)

    def _show(self, comparison: LoadedComparison) -> None:
        """Show a comparison: header, marked tree, cursor on the first divergence."""
        self.comparison = comparison
        self._loaded = comparison.this
        self.entry_fill.clear()
        self.query_one(CompareHeader).show_comparison(comparison)
        body = self.query_one("#compare-body")
        diff = comparison.diff
        if diff is None:
            body.add_class("-hidden")
            return
        self._take_differences(diff)
        tree = comparison.this.tree
        ghosts = ghost_rows(diff, tree)
        self.walk.place_ghosts(ghosts)
        view = self.step_view
        view.show_marked(diff.node_marks(tree), tree, ghosts)
        body.remove_class("-hidden")
        view.focus()
        first = diff.first_divergence
        if first is not None:
            self._land(self.walk.index(first.diff))
        elif self.walk.differences:
            self._land(0)
        elif view.selected_node is not None:
            self._show_node(view.selected_node)

    def _take_differences(self, diff: RunDiff) -> None:
        """Hold `diff`'s differences for `n`/`N` (the one the cursor is at stays current),
        and spell out their marks in the legend."""
        self.query_one("#compare-legend", Static).update(legend(self.walk.take(diff)))

    # Moving between differences

    def _land(self, position: int) -> None:
        """Put the cursor on difference `position`, and show it.

        A step only the baseline ran is shown by its ghost row; with none (its iteration
        never ran here), the cursor goes to its loop, and the pane shows the baseline's step.
        """
        diff, comparison = self._diff, self.comparison
        if diff is None or comparison is None:
            return
        self.walk.position = position
        pair = self.walk.differences[position]
        view = self.step_view
        ghost = self.walk.ghost_keys(pair)
        keys = ghost or diff.keys_in_this(pair, comparison.this.tree)
        if keys:
            view.select_keys(keys)
        if pair.this is None and ghost is None:
            # Highlights of the node the cursor sits on must not replace the baseline's step.
            selected = view.selected_node
            self._shown_key = selected.key if selected is not None else None
            self._show_pair(pair)
        elif view.selected_node is not None:
            self._show_node(view.selected_node)

    def _step(self, direction: int) -> None:
        count = len(self.walk.differences)
        if not count:
            message = "No differences." if self._diff is not None else "Nothing compared."
            self.notify(message, markup=False, timeout=2)
            return
        position = self.walk.next(direction)
        self._land(position)
        pair = self.walk.differences[position]
        marks = ", ".join(m.value for m in Mark if m in pair.marks)
        self.notify(
            f"Difference {position + 1:,} of {count:,}: {one_line(pair.label, 60)} ({marks})",
            markup=False,
            timeout=2,
        )

    # The pane

    def _show_node(self, node: StepNode) -> None:
        self._shown_key = node.key
        pair = self.walk.pair_of(node, self._diff)
        if pair is None:
            self.changes.show(node_text(node, self.step_view.marks_of(node)))
            return
        self.walk.visit(pair)
        self._show_pair(pair)
        if pair.by_shape_only:
            self._fetch_pair(pair, node.key)

    def _show_pair(self, pair: EntryDiff) -> None:
        pane = self.changes
        pane.show(pair_text(pair, pane.styles_of_values))

    @on(MarkedTreeView.StepSelected)
    def _step_selected(self, event: MarkedTreeView.StepSelected) -> None:
        event.stop()
        node = event.node
        if node is self.step_view.selected_node and node.key != self._shown_key:
            self._show_node(node)

    @on(MarkedTreeView.NodesShown)
    def _nodes_shown(self, event: MarkedTreeView.NodesShown) -> None:
        """Fetch the times of a skeleton's entries that just came into view."""
        event.stop()
        comparison = self.comparison
        if comparison is None or not isinstance(comparison.this.detail.steps_log, LogSkeleton):
            return
        indexes, keys = shown_needs(comparison.this.tree, event.nodes)
        if indexes:
            self.entry_fill.request(EntryRequest(indexes, keys))

    def _fetch_this(self, indexes: list[int]):
        assert self.comparison is not None
        return self._store.fetch_entries(self.comparison.this.detail.summary.id, indexes)

    def _fill_failed(self, error: StoreError) -> None:
        message = f"Could not load the steps' payloads: {one_line(error.message, 200)}"
        self.notify(message, severity="error", markup=False)

    @work(exclusive=True, group="compare-pair")
    async def _fetch_pair(self, pair: EntryDiff, key: str) -> None:
        """Fetch both entries of a pair compared by its shape only, compare them again,
        and mark the tree if they differ after all."""
        comparison = self.comparison
        if comparison is None or comparison.baseline is None:
            return
        this, baseline = comparison.this, comparison.baseline
        assert pair.this is not None and pair.baseline is not None
        sides = ((this, pair.this.index), (baseline, pair.baseline.index))
        try:
            async with self.live.lock:
                for run, index in sides:
                    if run.tree.entries.is_pending(index):
                        found = await self._store.fetch_entries(run.detail.summary.id, [index])
                        run.tree.entries.fill(index, found.get(index))
        except StoreError as error:
            if self.live.on_screen:
                self._fill_failed(error)
            return
        if not self.live.on_screen or self.comparison is not comparison:
            return
        refined = compare_entries(
            pair.key, this.tree.entries[pair.this.index], baseline.tree.entries[pair.baseline.index]
        )
        diff = comparison.diff
        assert diff is not None
        refined = diff.refine(refined)
        keys = this.tree.keys_of_entry(pair.this.index) or (key,)
        if refined.differs:
            self.step_view.add_marks(keys, refined.marks)
            # A late difference is one `n`/`N` visit and the header counts.
            self._take_differences(diff)
            self.query_one(CompareHeader).show_comparison(comparison)
        self.step_view.refresh_nodes(keys)
        if self._shown_key == key:
            self.walk.visit(refined)
            self._show_pair(refined)

    # Actions

    def action_back(self) -> None:
        """Back to the run."""
        self.dismiss()

    def action_next_difference(self) -> None:
        """Move to the next difference, in run order, wrapping to the first."""
        self._step(1)

    def action_previous_difference(self) -> None:
        """Move to the previous difference, wrapping to the last."""
        self._step(-1)

    def action_compare_with(self) -> None:
        """Compare with another run, named by its run id (or row id)."""

        def chosen(run_id: str | None) -> None:
            if run_id:
                self.against = run_id
                self.comparison = None
                self.walk.reset()
                self.query_one("#compare-body").add_class("-hidden")
                self._load()

        self.app.push_screen(BaselinePrompt(), chosen)

    def action_switch_focus(self) -> None:
        """Move focus from the tree to the changes, or back."""
        view = self.step_view
        if view.has_focus:
            self.changes.focus()
        else:
            view.focus()
