"""The fill queue of a big run's skeleton: entries fetched whole, a batch at a time.

A run whose `steps_log` is too big to load at once arrives as a skeleton (see
`model/log_skeleton.py` and ARCHITECTURE.md, "The skeleton of big runs"): every entry's
shape, none of its payloads. What the reader looks at is then fetched whole, through this
queue: the selection first, the nodes that came into view next, long background loads the
reader asked for last. One worker drains it, `ENTRY_BATCH` entries per query, under the
view's query lock, at most `ENTRY_BATCH` entries and `ENTRY_BATCH_BYTES` stored bytes per
query, so neither a page of big payloads nor a step of 200,000 attempts floods a fill.
`EntryFill` is the queue (the diff screen has one too); `RunViewFill` is the run view's,
with what it asks for and what it redraws.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widget import Widget

from wflog_tui.model.display_text import one_line
from wflog_tui.model.entries import StepEntry
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.step_tree import LoopNode, StepNode, StepTree, entries_to_show
from wflog_tui.store import StoreError
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_view.data_flow import DataFlowView

if TYPE_CHECKING:
    from wflog_tui.ui.run_view.screen import RunScreen

# Whole entries fetched at most per query: two pages of iterations of two steps each.
ENTRY_BATCH = 400
# And at most this many bytes of them as stored: a page of steps with big payloads is
# fetched in several bites, each read and decoded before the next is asked for.
ENTRY_BATCH_BYTES = 4 * 1024 * 1024
# Entries around the selected one whose payloads data flow reads.
PAYLOAD_NEIGHBOURS = 20


@dataclass(eq=False)
class EntryRequest:
    """Pending entries to fetch whole, the nodes of the tree view to redraw after, and
    what to do once all of them are in."""

    indexes: list[int]
    keys: list[str]
    when_done: Callable[[], None] | None = None
    # A long load the reader asked for and waits on less than on what is on screen.
    background: bool = False


def pending_indexes(entries: Sequence[object]) -> list[int]:
    """The indexes of the entries still waiting for their whole element, ascending."""
    return sorted({e.index for e in entries if isinstance(e, StepEntry) and e.payload_pending})


def selection_needs(tree: StepTree | None, node: StepNode | None) -> list[int]:
    """Entries of a skeleton that showing `node` needs whole: its own, and the ones
    data flow reads (earlier in scope, and later in its iteration)."""
    if tree is None or node is None:
        return []
    # `entries_to_show` bounds a step of very many attempts to what its pane shows.
    wanted = [
        *entries_to_show(node),
        *(e for c in node.children for e in entries_to_show(c, detail=False)),
    ]
    entry = node.entry
    if entry is not None:
        wanted += tree.earlier_in_scope(entry)[:PAYLOAD_NEIGHBOURS]
        loop = tree.loop_of(entry)
        if loop is not None and entry.iteration is not None:
            later = [i for i in loop.member_indexes.get(entry.iteration, []) if i > entry.index]
            wanted += [tree.entries[i] for i in later[:PAYLOAD_NEIGHBOURS]]
    return pending_indexes(wanted)


def shown_needs(tree: StepTree, nodes: Sequence[StepNode]) -> tuple[list[int], list[str]]:
    """The pending entries of nodes that just came into view (their own, a loop's spans,
    their children's), and the keys of the nodes to redraw once they are in."""
    wanted: list[object] = []
    keys: list[str] = []
    for node in nodes:
        keys.append(node.key)
        wanted += entries_to_show(node, detail=False)
        if isinstance(node, LoopNode):
            wanted += [tree.entries[i] for i in node.span_indexes]
        for child in node.children:
            keys.append(child.key)
            wanted += entries_to_show(child, detail=False)
    return pending_indexes(wanted), keys


class EntryFill:
    """The queue of entries one run view wants whole, and the one worker that fetches them.

    `fetch` asks the store for entries by index; `tree` is the step tree shown now;
    `filled` redraws what a fetched batch showed; `failed` says a fetch failed (the
    queue is then dropped: the reader asks again by moving).
    """

    def __init__(
        self,
        host: Widget,
        live: LiveRefresh,
        *,
        fetch: Callable[[list[int]], Awaitable[dict[int, Any]]],
        tree: Callable[[], StepTree | None],
        filled: Callable[[EntryRequest], None],
        failed: Callable[[StoreError], None],
    ) -> None:
        self._host = host
        self._live = live
        self._fetch = fetch
        self._tree = tree
        self._filled = filled
        self._failed = failed
        self._queue: list[EntryRequest] = []
        self._filling = False

    @property
    def idle(self) -> bool:
        """True when nothing is queued or being fetched."""
        return not self._filling and not self._queue

    def clear(self) -> None:
        """Forget every request (a new tree replaces the one they were for)."""
        self._queue.clear()

    def request(self, request: EntryRequest, *, urgent: bool = False) -> None:
        """Queue `request` (the selection's first, background loads last), and start the
        one worker if idle."""
        queue = self._queue
        if urgent:
            queue.insert(0, request)
        elif request.background:
            queue.append(request)
        else:
            first_background = next((i for i, r in enumerate(queue) if r.background), len(queue))
            queue.insert(first_background, request)
        self.resume()

    def resume(self) -> None:
        """Start the one worker if entries are queued and none is fetching (the view is
        back on top after another screen covered it)."""
        if self._queue and not self._filling:
            self._filling = True
            self._host.run_worker(self._fill, group="run-entries")

    @property
    def _covered(self) -> bool:
        # Another screen on top (the diff of this run, help): what it shows does not wait
        # behind fills for a view nobody sees; they go on when the view is back.
        return self._host.screen is not self._host.app.screen

    async def _fill(self) -> None:
        """Fetch queued entries whole, batch by batch, and redraw what showed them."""
        live = self._live
        try:
            while self._queue and live.on_screen and not self._covered:
                batch = self._next_batch()
                tree = self._tree()
                if not batch.indexes or tree is None:
                    if batch.when_done is not None:
                        batch.when_done()
                    continue
                try:
                    async with live.lock:
                        found = await self._fetch(batch.indexes)
                except StoreError as error:
                    if live.on_screen:
                        self._failed(error)
                    self._queue.clear()
                    return
                if not live.on_screen:
                    return
                self._apply(batch, found)
                if batch.when_done is not None:
                    batch.when_done()
        finally:
            self._filling = False

    def _next_batch(self) -> EntryRequest:
        """Still-pending entries from the front of the queue: up to `ENTRY_BATCH` of them,
        and up to `ENTRY_BATCH_BYTES` as stored (at least one, however big)."""
        tree = self._tree()
        indexes: list[int] = []
        keys: list[str] = []
        done: list[Callable[[], None]] = []
        size = 0
        while self._queue and len(indexes) < ENTRY_BATCH and size < ENTRY_BATCH_BYTES:
            request = self._queue[0]
            used = 0
            for index in request.indexes:
                if len(indexes) >= ENTRY_BATCH or (indexes and size >= ENTRY_BATCH_BYTES):
                    break
                used += 1
                if tree is None or tree.entries.is_pending(index):
                    indexes.append(index)
                    size += 0 if tree is None else tree.entries.stored_size(index)
            request.indexes = request.indexes[used:]
            keys += request.keys
            if not request.indexes:
                self._queue.pop(0)
                if request.when_done is not None:
                    done.append(request.when_done)

        def when_done() -> None:
            for callback in done:
                callback()

        return EntryRequest(sorted(set(indexes)), keys, when_done if done else None)

    def _apply(self, batch: EntryRequest, found: dict[int, Any]) -> None:
        tree = self._tree()
        if tree is None:
            return
        for index in batch.indexes:
            # An entry gone from the log meanwhile keeps what its shape said.
            if 0 <= index < len(tree.entries):
                tree.entries.fill(index, found.get(index))
        self._filled(batch)


class RunViewFill(EntryFill):
    """The run view's fill queue: what it asks for (the step shown, the nodes that come
    into view, every later step for data flow) and what it redraws when a batch is in."""

    def __init__(self, screen: RunScreen) -> None:
        super().__init__(
            screen,
            screen.live,
            fetch=lambda indexes: wflog_app(screen).store.fetch_entries(screen.run_id, indexes),
            tree=lambda: screen.step_tree,
            filled=self._redraw,
            failed=self._say_failed,
        )
        self.screen = screen

    def selection_shown(self, node: StepNode | None) -> None:
        """Fetch, before anything else, what the pane needs whole to show `node`."""
        pending = selection_needs(self.screen.step_tree, node)
        if pending and node is not None:
            keys = [node.key, *(child.key for child in node.children)]
            self.request(EntryRequest(pending, keys), urgent=True)

    def nodes_shown(self, nodes: Sequence[StepNode]) -> None:
        """Fetch the times and payloads of a skeleton's entries that just came into view."""
        screen = self.screen
        tree = screen.step_tree
        if tree is None or not isinstance(screen.raw, LogSkeleton):
            return
        indexes, keys = shown_needs(tree, nodes)
        if indexes:
            self.request(EntryRequest(indexes, keys))

    def search_all(self, entry: StepEntry) -> None:
        """Load every step after `entry` a skeleton left out, then trace the step again."""
        screen = self.screen
        tree = screen.step_tree
        if tree is None:
            return
        indexes = tree.entries.pending_after(entry.index)
        screen.detail_pane.query_one(DataFlowView).searching_all(len(indexes))
        node = screen.shown_node

        def trace_again() -> None:
            if node is screen.shown_node and screen.detail is not None and screen.step_tree:
                screen.detail_pane.show(
                    node, tree=screen.step_tree, detail=screen.detail, force=True
                )

        self.request(EntryRequest(indexes, [], when_done=trace_again, background=True))

    def _redraw(self, batch: EntryRequest) -> None:
        """Redraw the nodes a batch of whole entries showed, and the pane if it shows one."""
        screen = self.screen
        tree = screen.step_tree
        assert tree is not None
        screen.step_view.refresh_nodes(batch.keys)
        shown = screen.shown_node
        if shown is not None and screen.detail is not None and shown.key in batch.keys:
            screen.detail_pane.show(shown, tree=tree, detail=screen.detail, force=True)

    def _say_failed(self, error: StoreError) -> None:
        message = f"Could not load the steps' payloads: {one_line(error.message, 200)}"
        self.screen.set_badge(Text(message), problem=True)
