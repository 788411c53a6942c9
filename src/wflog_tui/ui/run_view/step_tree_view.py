"""The step tree of one run: trigger, steps, loops and their iterations, attempts.

A run can log 100,000 entries, a loop 50,000 iterations. So only the top level exists when
a run opens; a node's children are created when it is first expanded, and then at most a
page at a time, with "… N more" nodes standing for the rest. A jump (`select_keys`) creates
only the page that holds its target. Tailing a running run updates the nodes that exist in
place, keyed by `StepNode.key`, so the reader's cursor and open nodes never move.

Every string from the data reaches the screen through `display_text`, inside a `Text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Unpack

from rich.style import Style
from rich.text import Text
from textual import on
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.step_identity import label_parts
from wflog_tui.model.step_tree import LoopNode, NodeKind, StepNode, StepTree, refresh_spans
from wflog_tui.ui.widgets.lazy_tree import LazyTree, LazyTreeMessage, WidgetOptions
from wflog_tui.ui.widgets.status_text import status_style

# Label spans carry names, resolved when a line is drawn: `status:<STATUS>` takes the theme's
# status colour (`$status-…`, as every view does), the others the widget's component styles.
# A theme change restyles the tree without rebuilding a single label.
_STATUS_PREFIX = "status:"
_ERROR = _STATUS_PREFIX + st.FAILED
_WARNING = "step-tree--warning"
_MUTED = "step-tree--muted"
_LABEL = "step-tree--label"

_LABEL_LIMIT = 120
_MESSAGE_LIMIT = 100
_ITEM_LIMIT = 40


def node_label(node: StepNode) -> Text:
    """The label of a step tree node: glyph, status word, name, summary, duration, flags.

    Status is always glyph and word; colour only repeats it: a loop's is the one it rolls up
    to, the words the detail pane and `show` use (`model.loop_status`). The stepId follows
    the name, dimmed, where the two differ: it is what a workflow's `!ref(...)` and a
    developer's grep use. Nothing in the result is markup.
    """
    status = node.rollup_status if isinstance(node, LoopNode) else node.status
    style = _STATUS_PREFIX + status
    text = Text()
    text.append(f"{st.glyph(status)} {one_line(st.word(status), 24)}", style=style)
    text.append("  ")
    if node.kind is NodeKind.ITERATION:
        _iteration_part(text, node)
    else:
        parts = label_parts(node)
        text.append(one_line(parts.name, _LABEL_LIMIT), style=_LABEL)
        if parts.step_id is not None:
            text.append(f" {one_line(parts.step_id, _LABEL_LIMIT)}", style=_MUTED)
        summary = node.summary()
        if summary:
            rolled_up = isinstance(node, LoopNode) and st.is_failure(node.rollup_status)
            text.append(f" · {summary}", style=_ERROR if rolled_up else _MUTED)
    if node.duration_ms is not None:
        text.append(f"  {format_duration(node.duration_ms)}", style=_MUTED)
    _flags(text, node)
    if status == st.NOT_REACHED:
        text.stylize(_MUTED)
    return text


def _iteration_part(text: Text, node: StepNode) -> None:
    text.append(one_line(node.label, _LABEL_LIMIT), style=_LABEL)
    loop = node.parent
    if isinstance(loop, LoopNode):
        item = loop.item(node.iteration or 0)
        # Objects and arrays say nothing in a few characters; the detail pane shows them.
        if item is not None and not isinstance(item, dict | list):
            preview = item if isinstance(item, str) else to_json_text(item)
            text.append(f" · {one_line(preview, _ITEM_LIMIT)}")


def _flags(text: Text, node: StepNode) -> None:
    entry = node.entry
    if node.unexpected_termination:
        text.append("  ⚠ ended without endedAt", style=_ERROR)
    if entry is not None and entry.error is not None and node.kind is not NodeKind.LOOP:
        message = entry.error.message or entry.error.name or ""
        if message:
            text.append(f"  — {one_line(message, _MESSAGE_LIMIT)}", style=_ERROR)
    if node.malformed is not None:
        raw = node.malformed.raw
        preview = raw if isinstance(raw, str) else to_json_text(raw)
        text.append(f"  — {one_line(node.malformed.reason, 80)}: ", style=_WARNING)
        text.append(one_line(preview, 60), style=_MUTED)
    if entry is not None and entry.problems:
        text.append(f"  ⚠ data: {one_line('; '.join(entry.problems), 100)}", style=_WARNING)


@dataclass(eq=False)
class _StepItem:
    """A tree node that stands for a `StepNode` (or, with `node` None, the tree's root).

    `children` maps positions in the node's child list (top-level steps, iterations 1…N as
    0…N-1, steps of an iteration, attempts) to the tree nodes created for them so far.
    """

    node: StepNode | None
    loaded: bool = False
    count: int = 0
    children: dict[int, TreeNode[_Item]] = field(default_factory=dict)


@dataclass(eq=False)
class _GapItem:
    """Children of `owner` not created yet: positions `start` to `end` (end excluded)."""

    owner: TreeNode[_Item]
    start: int
    end: int


_Item = _StepItem | _GapItem


class StepTreeView(LazyTree[_Item]):
    """A run's step tree, built lazily and paged, updated in place while a run is tailed."""

    PAGE_SIZE: ClassVar[int] = 100
    """Children created at a time under one node (iterations of a loop, top-level steps)."""

    """
    | Key(s) | Description |
    | :- | :- |
    | enter / space | Open or close the node; on "… N more", load the next page. |
    | right / left | Expand, or go to the first child / collapse, or go to the parent. |
    | j / k | Move the cursor down / up. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | {_WARNING, _MUTED, _LABEL}
    """
    Status words, and error messages, take the theme's status colours (`status_style`).

    | Class | Description |
    | :- | :- |
    | `step-tree--warning` | Data problems, malformed entries, unexpected termination. |
    | `step-tree--muted` | Durations, summaries, not-reached iterations, "… N more". |
    | `step-tree--label` | Step names. |
    """

    # `dim` rather than a translucent colour for quiet parts: a label span cannot resolve one.
    DEFAULT_CSS = """
    StepTreeView {
        & > .step-tree--warning { color: $text-warning; }
        & > .step-tree--muted { text-style: dim; }
        & > .step-tree--label { text-style: none; }
    }
    """

    class StepSelected(LazyTreeMessage["StepTreeView"]):
        """Posted when the cursor moves onto a step node (not onto a "… N more" node).

        Also posted after `update_tree` when the node under the cursor changed.
        """

        def __init__(self, view: StepTreeView, node: StepNode) -> None:
            super().__init__(view)
            self.node = node
            """The step tree node now under the cursor."""

    class NodesShown(LazyTreeMessage["StepTreeView"]):
        """Posted when a page of nodes is created (the top level, a page of iterations, an
        iteration's steps): what a big run's skeleton must now fill in."""

        def __init__(self, view: StepTreeView, nodes: list[StepNode]) -> None:
            super().__init__(view)
            self.nodes = nodes
            """The step nodes just given a place in the tree."""

    def __init__(self, tree: StepTree | None = None, **options: Unpack[WidgetOptions]) -> None:
        """Show `tree` (or nothing until `show_tree` is called)."""
        super().__init__(Text("steps"), **options)
        self.show_root = False
        self._step_tree: StepTree = tree or StepTree([], [], [], [])
        self._by_key: dict[str, TreeNode[_Item]] = {}
        self._top_positions: dict[str, int] | None = None
        self._scroll_target: tuple[TreeNode[_Item], bool] | None = None
        self.show_tree(self._step_tree)

    # Public API

    @property
    def step_tree(self) -> StepTree:
        """The step tree shown."""
        return self._step_tree

    @property
    def selected_node(self) -> StepNode | None:
        """The step node under the cursor; None on a "… N more" node or with no cursor."""
        node = self.cursor_node
        if node is None or not isinstance(node.data, _StepItem):
            return None
        return node.data.node

    @property
    def selected_keys(self) -> tuple[str, ...] | None:
        """The key path of the step node under the cursor, for `select_keys` later."""
        node = self.selected_node
        return None if node is None else tuple(n.key for n in node.path)

    def show_tree(self, tree: StepTree) -> None:
        """Replace what is shown by `tree`, top level only, cursor on the first node."""
        self._step_tree = tree
        self._top_positions = None
        self.reset_nodes()
        self._by_key.clear()
        self.root.data = _StepItem(node=None)
        self.root.expand()
        self._load(self.root)
        if self.is_mounted and self.root.children:
            self._reveal(self.root.children[0])

    def select_keys(self, keys: Sequence[str]) -> bool:
        """Open the tree along the key path `keys`, put the cursor on its end, scroll to it.

        Only the page of children that holds each step is created, so landing on iteration
        4,812 of 5,000 makes about a hundred iteration nodes. Returns False, leaving the
        cursor where it was, when the path is not in the tree.
        """
        node = self._node_for(keys)
        if node is None:
            return False
        self.open_to(node)
        return True

    def refresh_nodes(self, keys: Sequence[str]) -> None:
        """Redraw the nodes keyed `keys` that exist, after their entries were filled in:
        their times are read again and their labels made anew."""
        for key in dict.fromkeys(keys):
            tree_node = self._by_key.get(key)
            item = None if tree_node is None else tree_node.data
            if tree_node is None or not isinstance(item, _StepItem) or item.node is None:
                continue
            refresh_spans(item.node)
            label = self.label_for(item.node)
            if label != tree_node.label:
                tree_node.set_label(label)

    def label_for(self, node: StepNode) -> Text:
        """The label `node` is shown with; a view that adds to every label (the diff
        screen's marks) overrides this one method."""
        return node_label(node)

    def update_tree(self, tree: StepTree) -> None:
        """Show `tree`, a later state of the same run, changing only what changed.

        Nodes that exist are matched by key and get the new label and data; new children
        are appended (inside a "… N more" node when there are many). The cursor, the scroll
        position and which nodes are open stay as the reader left them. Where keys no longer
        line up (a log rewritten, not appended to), that one level is rebuilt.
        """
        before = self.selected_node
        keys = self.selected_keys
        self._step_tree = tree
        self._top_positions = None
        self._sync(self.root)
        cursor = self.cursor_node
        if cursor is not None and not self.holds(cursor) and keys is not None:
            # The cursor's node was rebuilt: find it again, or the nearest ancestor that exists.
            for depth in range(len(keys), 0, -1):
                if self.select_keys(keys[:depth]):
                    break
            return
        after = self.selected_node
        if after is not None and before is not None and _changed(before, after):
            self.post_message(self.StepSelected(self, after))

    # Building

    def _count(self, item: _StepItem) -> int:
        node = item.node
        if node is None:
            return len(self._step_tree.nodes)
        return node.child_count()

    def _child(self, item: _StepItem, position: int) -> StepNode:
        node = item.node
        if node is None:
            return self._step_tree.nodes[position]
        return node.child_at(position)

    def _position_of(self, item: _StepItem, key: str) -> int | None:
        """Where the child keyed `key` sits among `item`'s children, without building them."""
        node = item.node
        if node is None:
            if self._top_positions is None:
                self._top_positions = {n.key: i for i, n in enumerate(self._step_tree.nodes)}
            return self._top_positions.get(key)
        return node.child_position(key)

    def _load(self, owner: TreeNode[_Item], around: int | None = None) -> None:
        """Create `owner`'s first page of children (or the page holding `around`), once."""
        item = owner.data
        if not isinstance(item, _StepItem) or item.loaded:
            return
        item.loaded = True
        item.count = self._count(item)
        if item.count:
            gap = owner.add_leaf(Text(""), _GapItem(owner, 0, item.count))
            self._open_gap(gap, around=around)

    def _add_child(self, owner: TreeNode[_Item], position: int, before: int) -> TreeNode[_Item]:
        owner_item = owner.data
        assert isinstance(owner_item, _StepItem)
        node = self._child(owner_item, position)
        child = owner.add(
            self.label_for(node), _StepItem(node), before=before, allow_expand=node.has_children
        )
        owner_item.children[position] = child
        self._by_key[node.key] = child
        return child

    def _add_gap(self, owner: TreeNode[_Item], before: int, start: int, end: int) -> None:
        label = self._gap_label(owner, start, end)
        owner.add_leaf(label, _GapItem(owner, start, end), before=before)

    def _gap_label(self, owner: TreeNode[_Item], start: int, end: int) -> Text:
        item = owner.data
        assert isinstance(item, _StepItem)
        hidden = end - start
        node = item.node
        numbered = isinstance(node, LoopNode) or (
            node is not None and node.kind in (NodeKind.STEP, NodeKind.TRIGGER)
        )
        # A loop's children are iterations, a step's are its attempts, both numbered.
        noun = "step" if not numbered else "iteration" if isinstance(node, LoopNode) else "attempt"
        label = f"… {hidden:,} more {noun}{'s' if hidden != 1 else ''}"
        if numbered:
            label += f" ({start + 1:,}–{end:,})" if hidden > 1 else f" ({end:,})"
        label += f" — enter to load {min(hidden, self.PAGE_SIZE):,}"
        return Text(label, style=_MUTED)

    def _open_gap(self, gap: TreeNode[_Item], around: int | None = None) -> TreeNode[_Item]:
        """Replace one page of `gap` with real nodes and return the first of them.

        The page is the aligned one holding position `around` when given; otherwise the
        page next to what is already shown (the gap's end for a gap at the top, else its
        start). What stays hidden on either side keeps a gap node of its own.
        """
        entry = gap.data
        assert isinstance(entry, _GapItem)
        owner = entry.owner
        position = list(owner.children).index(gap)
        page = self.PAGE_SIZE
        if around is not None:
            start = max(entry.start, around // page * page)
        elif entry.start == 0 and entry.end < self._total(owner):
            # A gap above a page a jump opened: load the part just above that page.
            start = max(entry.start, entry.end - page)
        else:
            start = entry.start
        end = min(entry.end, start + page)
        gap.remove()
        if start > entry.start:
            self._add_gap(owner, position, entry.start, start)
            position += 1
        first: TreeNode[_Item] | None = None
        shown: list[StepNode] = []
        for index in range(start, end):
            child = self._add_child(owner, index, position)
            position += 1
            first = first or child
            if isinstance(child.data, _StepItem) and child.data.node is not None:
                shown.append(child.data.node)
        if end < entry.end:
            self._add_gap(owner, position, end, entry.end)
        assert first is not None
        self.post_message(self.NodesShown(self, shown))
        return first

    @staticmethod
    def _total(owner: TreeNode[_Item]) -> int:
        item = owner.data
        assert isinstance(item, _StepItem)
        return item.count

    def _node_for(self, keys: Sequence[str]) -> TreeNode[_Item] | None:
        """The tree node at the end of `keys`, creating the pages on the way."""
        owner = self.root
        for key in keys:
            item = owner.data
            assert isinstance(item, _StepItem)
            child = self._by_key.get(key)
            if child is None or child.parent is not owner:
                position = self._position_of(item, key)
                if position is None or position >= self._count(item):
                    return None
                # Opening a loop for a jump creates the target's page, not the first one.
                self._load(owner, around=position)
                child = self._open_child(owner, item.children, position, _GapItem)
            owner = child
        return owner if owner is not self.root else None

    # Updating

    def _sync(self, owner: TreeNode[_Item]) -> None:
        """Bring `owner`'s existing children up to date with the current step tree."""
        item = owner.data
        assert isinstance(item, _StepItem)
        if not item.loaded:
            return
        count = self._count(item)
        if count < item.count or any(
            self._child(item, position).key != _key_of(child)
            for position, child in item.children.items()
        ):
            self._rebuild(owner)
            return
        for position, child in item.children.items():
            node = self._child(item, position)
            child_item = child.data
            assert isinstance(child_item, _StepItem)
            child_item.node = node
            self._by_key[node.key] = child
            label = self.label_for(node)
            if label != child.label:
                child.set_label(label)
            if child.allow_expand != node.has_children:
                child.allow_expand = node.has_children
                self._invalidate()
            self._sync(child)
        if count > item.count:
            self._grow(owner, item, count)

    def _grow(self, owner: TreeNode[_Item], item: _StepItem, count: int) -> None:
        """Show children `item.count … count-1`, which a tail has just added."""
        old = item.count
        item.count = count
        last = owner.children[-1] if owner.children else None
        if last is not None and isinstance(last.data, _GapItem) and last.data.end == old:
            # The reader has not loaded the end yet: the "more" node just says more.
            last.data.end = count
            last.set_label(self._gap_label(owner, last.data.start, count))
            return
        self._add_gap(owner, len(owner.children), old, count)
        self._open_gap(owner.children[-1])

    def _rebuild(self, owner: TreeNode[_Item]) -> None:
        item = owner.data
        assert isinstance(item, _StepItem)
        stack = list(owner.children)
        while stack:
            node = stack.pop()
            if isinstance(node.data, _StepItem) and node.data.node is not None:
                self._by_key.pop(node.data.node.key, None)
            stack.extend(node.children)
        owner.remove_children()
        item.loaded = False
        item.children = {}
        item.count = 0
        self._load(owner)

    # Moving

    def _scroll_into_view(self, node: TreeNode[_Item], *, center: bool) -> None:
        """Scroll `node` into view, now and whenever the view is laid out again."""
        self._scroll_target = (node, center)
        self._scroll_to_target()
        self.call_after_refresh(self._scroll_to_target)

    def _before_expand(self, node: TreeNode[_Item]) -> None:
        """Make the node's first page of children."""
        self._load(node)

    def _scroll_to_target(self) -> None:
        """Scroll the node of the last jump into view, if the cursor is still on it."""
        if self._scroll_target is None:
            return
        node, center = self._scroll_target
        if node is not self.cursor_node:
            self._scroll_target = None
            return
        region = self.label_region(node)
        if region is not None:
            # origin_visible=False: a label wider than the view would otherwise make Textual
            # give up centring and put the node at the top, hiding the path above it.
            self.scroll_to_region(
                region,
                animate=False,
                center=center,
                force=True,
                x_axis=False,
                origin_visible=False,
            )

    def on_resize(self) -> None:
        """Scroll to a jump made before the view had its final size (as a run opens)."""
        self._scroll_to_target()

    def on_mount(self) -> None:
        """Start with the cursor on the first node."""
        if self.cursor_node is None and self.root.children:
            self._reveal(self.root.children[0])

    @on(Tree.NodeExpanded)
    def _load_expanded(self, event: Tree.NodeExpanded[_Item]) -> None:
        event.stop()
        self._load(event.node)

    @on(Tree.NodeSelected)
    def _show_more(self, event: Tree.NodeSelected[_Item]) -> None:
        event.stop()
        if isinstance(event.node.data, _GapItem):
            self._reveal(self._open_gap(event.node))

    @on(Tree.NodeHighlighted)
    def _announce_step(self, event: Tree.NodeHighlighted[_Item]) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, _StepItem) and data.node is not None:
            self.post_message(self.StepSelected(self, data.node))

    @on(Tree.NodeCollapsed)
    def _quiet_collapse(self, event: Tree.NodeCollapsed[_Item]) -> None:
        event.stop()

    # Rendering

    def _label_style(self, label: Text) -> Style | str:
        """A label's own style (a status colour for a whole label) takes the theme's too."""
        return self._themed(label.style)

    def _themed(self, style: str | Style) -> Style | str:
        """The theme's status colours, and the tree's component styles."""
        if isinstance(style, str):
            if style.startswith(_STATUS_PREFIX):
                return status_style(style[len(_STATUS_PREFIX) :], self.app.theme_variables)
            if style.startswith("step-tree--"):
                return self.get_component_rich_style(style, partial=True)
        return style


def _key_of(node: TreeNode[_Item]) -> str | None:
    data = node.data
    if isinstance(data, _StepItem) and data.node is not None:
        return data.node.key
    return None


def _changed(before: StepNode, after: StepNode) -> bool:
    """True when a tail changed what the detail pane would show for a node."""
    return before is not after and (
        before.status != after.status
        or before.attempts != after.attempts
        or before.ended_at != after.ended_at
        or before.duration_ms != after.duration_ms
        or len(before.children) != len(after.children)
        or node_label(before) != node_label(after)
    )
