"""Moving about a run: where the cursor lands, the next or previous failure, the same step
in another iteration, data-flow jumps and `b` back from them, and a failure a tail brought.

`RunNavigator` moves the run view's cursor; the functions below it are the pure parts
it decides with.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wflog_tui.model.display_text import one_line
from wflog_tui.model.step_tree import Failure, NodeKind, StepNode, StepTree
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.run_view.step_links import link_landing

if TYPE_CHECKING:
    from wflog_tui.ui.run_view.screen import RunScreen

# A reader who moved the cursor this recently is not moved to a new failure, only told.
READER_BUSY_S = 30.0


@dataclass(frozen=True)
class Location:
    """Where the reader was before a data-flow jump: a node, and what the pane showed."""

    keys: tuple[str, ...]
    field: str | None = None
    json_path: tuple = ()
    tab: str | None = None
    """The detail pane's tab the jump was made from, to land on it again."""


class RunNavigator:
    """Moves the cursor of one run view, and tells the reader's moves from its own (a
    landing, a new failure), so a tail never drags a busy reader away."""

    def __init__(self, screen: RunScreen) -> None:
        self.screen = screen
        self.back: list[Location] = []
        """Where each data-flow jump started, the last on top (what `b` returns to)."""
        self._auto_key: str | None = None
        """The node this navigator selected itself, until its highlight arrives."""
        self._reader_moved_at = 0.0
        """When the reader last moved the cursor (monotonic); landing and tails do not count."""

    def land(self) -> None:
        """Cursor on the first failure; else on the last running step; else the first."""
        screen = self.screen
        assert screen.step_tree is not None and screen.detail is not None
        if self._land_on_link():
            return
        for keys in landing_keys(screen.step_tree, running=screen.detail.summary.is_running):
            if screen.step_view.select_keys(keys):
                self._auto_key = keys[-1]
                return

    def _land_on_link(self) -> bool:
        """Land where `--step`, `--iteration` and `--tab` asked, once; False to land as
        usual (no step asked for, or none to select), after any note on what was missing."""
        screen = self.screen
        config = wflog_app(screen).config
        link = config.open_step
        if link is None or link.run_id != screen.run_id or screen.step_tree is None:
            return False
        config.open_step = None
        landing = link_landing(screen.step_tree, link, screen.run_id)
        if landing is not None and landing.note:
            where = f"--step {one_line(link.step_id or '', 80)}"
            screen.notify(f"{where}: {landing.note}", severity="warning", markup=False, timeout=8)
        node = landing.node if landing is not None else None
        if node is not None and not screen.step_view.select_keys(tuple(n.key for n in node.path)):
            node = None
        if link.tab:
            if node is None:
                self.land()  # as usual: the link is spent
            screen.show_in_pane(screen.step_view.selected_node)
            screen.detail_pane.action_show_tab(link.tab)
            return True
        return node is not None

    def selected(self, node: StepNode) -> None:
        """Note who moved the cursor to `node`: the reader, unless this navigator did or
        the pane already shows it."""
        shown = self.screen.shown_node
        if node.key not in (self._auto_key, shown.key if shown is not None else None):
            self._reader_moved_at = time.monotonic()
        self._auto_key = None

    def move_to_new_failure(self, before: StepTree, after: StepTree) -> None:
        """Move to the first failure a tail brought, as landing does; a reader who moved
        the cursor in the last `READER_BUSY_S` is only told, in the badge."""
        failed = new_failures(before, after)
        if not failed:
            return
        if time.monotonic() - self._reader_moved_at < READER_BUSY_S:
            # toolong's manner: say so, and let the reader go there when ready.
            self.screen.tail.news = f"✗ failed at {one_line(failed[0].label, 60)} — press n"
        elif self.screen.step_view.select_keys(failed[0].keys):
            self._auto_key = failed[0].keys[-1]

    def jump(self, entry_index: int | None, field: str | None, json_path: tuple) -> None:
        """Go to where a value came from: select its node, then reveal the path in the pane.

        The run's input has no node (`entry_index` None): the selection stays and the pane
        reveals the path in its Run input tab. Either way the place left is pushed for `b`
        to come back to.
        """
        screen = self.screen
        tree = screen.step_tree
        here = screen.step_view.selected_keys
        if tree is None or here is None:
            return
        keys: Sequence[str] | None = here
        if entry_index is not None:
            keys = tree.keys_of_entry(entry_index)
            if keys is None:
                screen.notify(
                    "That entry is not in the step tree.", severity="warning", markup=False
                )
                return
        pane = screen.detail_pane
        self.back.append(Location(here, *pane.location(), tab=pane.active_tab))
        self._go(keys, field, json_path)
        screen.refresh_bindings()

    def jump_back(self) -> None:
        """Return to where the last data-flow jump started."""
        screen = self.screen
        if not self.back:
            screen.notify("No jump to go back from.", markup=False, timeout=2)
            return
        location = self.back.pop()
        self._go(location.keys, location.field, location.json_path)
        if location.tab is not None:
            screen.detail_pane.show_tab(location.tab, focus=True)
        screen.refresh_bindings()

    def _go(self, keys: Sequence[str], field: str | None, json_path: tuple) -> None:
        """Select `keys`, show the node in the pane, and reveal `field`/`json_path` in it."""
        screen = self.screen
        view = screen.step_view
        if not view.select_keys(keys):
            screen.notify("That step is not in the tree.", severity="warning", markup=False)
            return
        # Shown now rather than on the highlight message, so `reveal` acts on this node.
        screen.show_in_pane(view.selected_node)
        if field:
            screen.detail_pane.reveal(field, json_path)

    def step_failure(self, direction: int) -> None:
        """Move to the next failure after the cursor (`direction` 1) or the previous one
        (-1), wrapping around; what a tail said about a new failure is then read."""
        screen = self.screen
        tree = screen.step_tree
        if tree is None:
            return
        step = failure_step(tree, screen.step_view.selected_node, direction)
        if step is None:
            screen.notify("No failures in this run.", markup=False)
            return
        screen.step_view.select_keys(step.keys)
        screen.tail.news = ""
        screen.tail.update_badge()
        screen.notify(step.message, markup=False, timeout=2)

    def sibling_iteration(self, delta: int) -> None:
        """The same step in the next (1) or previous (-1) iteration that ran it."""
        screen = self.screen
        tree, node = screen.step_tree, screen.step_view.selected_node
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
            screen.notify(message, markup=False, timeout=2)
            return
        screen.step_view.select_keys(tuple(n.key for n in target.path))


def landing_keys(tree: StepTree, *, running: bool) -> Iterator[tuple[str, ...]]:
    """Where a run opens, best first: each failure; for a running run, its last running
    step; the first node. The first the tree can select wins."""
    for failure in tree.failures:
        if failure.keys:
            yield tuple(failure.keys)
    index = tree.last_running_index() if running else None
    if index is not None:
        keys = tree.keys_of_entry(index)
        if keys:
            yield tuple(keys)
    if tree.nodes:
        yield (tree.nodes[0].key,)


def new_failures(before: StepTree, after: StepTree) -> list[Failure]:
    """The failures on `after` (a tail's tree) that `before` did not have, in log order."""
    known = {failure.entry_index for failure in before.failures}
    return [f for f in after.failures if f.keys and f.entry_index not in known]


@dataclass(frozen=True)
class FailureStep:
    """The failure to move to, and what to say about it."""

    keys: tuple[str, ...]
    message: str


def failure_step(tree: StepTree, here: StepNode | None, direction: int) -> FailureStep | None:
    """The next failure after `here` (`direction` > 0) or the previous one, wrapping around;
    None when the run has no failure on the tree."""
    failures = [f for f in tree.failures if f.keys]
    if not failures:
        return None
    position = _position(here)
    if direction > 0:
        target = next((i for i, f in enumerate(failures) if f.entry_index > position), None)
        wrapped, target = target is None, 0 if target is None else target
    else:
        before = [i for i, f in enumerate(failures) if f.entry_index < position]
        wrapped = not before
        target = before[-1] if before else len(failures) - 1
    message = f"failure {target + 1:,} of {len(failures):,}"
    if wrapped and len(failures) > 1:
        message += " (wrapped around)"
    return FailureStep(tuple(failures[target].keys), message)


def _position(node: StepNode | None) -> int:
    """Where `node` sits in `steps_log` order, for "the next failure after the cursor"."""
    while node is not None:
        if node.entries:
            return node.entries[0].index
        if node.malformed is not None:
            return node.malformed.index
        for child in node.children:
            if child.entries:
                return child.entries[0].index
        node = node.parent
    return -1
