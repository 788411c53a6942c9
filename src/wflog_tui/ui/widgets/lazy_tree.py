"""A Textual `Tree` whose nodes are made lazily and in pages: the base of JsonView and
StepTreeView, and the one place that touches Textual's private tree internals.

On a Textual upgrade (it is pinned below 9 in pyproject.toml), check against
`textual/widgets/_tree.py` that:

- `_TreeLine(path, last)`, `TreeNode._line`, `Tree._tree_lines_cached` and
  `_TreeLine._get_guide_width` still exist, and `Tree._build` still does what `_build`
  below repeats without recursion;
- reading `Tree._tree_lines` still rebuilds the lines at once;
- `Tree.clear` still keeps the old nodes in `Tree._tree_nodes` (if not, `reset_nodes`
  can go back to a plain `clear`);
- `Tree._get_label_region` still gives a line's label region.

tests/ui/test_json_view.py (900 levels deep, paging, jumps) and tests/ui/test_step_tree_view.py
(node counts, in-place updates) fail when one of these breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypedDict, TypeVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Span, Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.widgets import Tree
from textual.widgets._tree import TreeNode, _TreeLine

T = TypeVar("T")
V = TypeVar("V", bound="LazyTree[Any]")


class WidgetOptions(TypedDict, total=False):
    """The keywords every Textual widget takes, which a lazy tree passes on unchanged."""

    name: str | None
    id: str | None
    classes: str | None
    disabled: bool


class LazyTreeMessage(Message, Generic[V]):
    """A message a lazy tree posts about itself: `control` is that tree, so a handler can
    pick the tree it listens to by selector (`@on(JsonView.PathHighlighted, "#input-json")`)."""

    def __init__(self, view: V) -> None:
        self.view = view
        """The tree that posted the message."""
        super().__init__()

    @property
    def control(self) -> V:
        """The tree that posted the message."""
        return self.view


class LazyTree(Tree[T], Generic[T]):
    """A tree with vi keys, expand-or-step-in / collapse-or-step-out, literal Text labels
    themed by span style name, and a build that survives values thousands of levels deep."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "expand_or_child", "Expand", show=False),
        Binding("left", "collapse_or_parent", "Collapse", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    @property
    def node_count(self) -> int:
        """How many tree nodes exist: what laziness and paging keep small."""
        return len(self._tree_nodes) - 1

    def holds(self, node: TreeNode[T]) -> bool:
        """True while `node` is in the tree (not removed by a rebuild or a reset)."""
        return node.id in self._tree_nodes

    def reset_nodes(self) -> None:
        """Remove every node but the root, and forget them."""
        self.clear()
        # Tree.clear keeps every old node in its id map, and with them the data they hold
        # (megabytes of old values, a whole old run).
        self._tree_nodes.clear()
        self._tree_nodes[self.root.id] = self.root

    # Paging

    def _open_gap(self, gap: TreeNode[T], around: int | None = None) -> TreeNode[T]:
        """Replace one page of the gap node `gap` with real nodes (the aligned page holding
        position `around`, when given) and return the first of them. Each paged tree says
        how its children are made."""
        raise NotImplementedError

    def _open_child(
        self, owner: TreeNode[T], made: Mapping[int, TreeNode[T]], position: int, gap: type
    ) -> TreeNode[T]:
        """`owner`'s child at `position`, one of its positions: the node `made` holds for it
        already, else the one made now by opening the page of the gap node (its data a `gap`,
        hiding positions `start` to `end`, end excluded) that holds it."""
        child = made.get(position)
        if child is None:
            hiding = next(
                candidate
                for candidate in owner.children
                if isinstance(candidate.data, gap)
                and candidate.data.start <= position < candidate.data.end
            )
            self._open_gap(hiding, around=position)
            child = made[position]
        return child

    # Moving

    def _reveal(self, node: TreeNode[T], *, center: bool = False) -> None:
        """Put the cursor on `node` and scroll it into view."""
        previous_node, previous_line = self.cursor_node, self.cursor_line
        # Lines are rebuilt now, not on idle, so the node's line number is current.
        self._tree_lines  # noqa: B018
        self.move_cursor(node)
        if previous_node is not node and node.line == previous_line:
            # Tree announces a highlight only when the cursor's line changes; after a page
            # is loaded or a jump lands, the line may be the same but the node is new.
            self.post_message(Tree.NodeHighlighted(node))
        self._scroll_into_view(node, center=center)

    def label_region(self, node: TreeNode[T]) -> Region | None:
        """Where `node`'s label is drawn, to scroll it into view; None when not drawn."""
        return self._get_label_region(node.line)

    def open_to(self, node: TreeNode[T]) -> None:
        """Expand every ancestor of `node`, then put the cursor on it, centred."""
        ancestor = node.parent
        while ancestor is not None:
            if not ancestor.is_expanded:
                ancestor.expand()
            ancestor = ancestor.parent
        self._reveal(node, center=True)

    def _scroll_into_view(self, node: TreeNode[T], *, center: bool) -> None:
        """Scroll `node`'s label into view, now and again after the next layout."""

        def scroll() -> None:
            region = self.label_region(node)
            if region is not None:
                self.scroll_to_region(region, animate=False, center=center, force=True)

        scroll()
        # Before the first layout there is no size to scroll within; try again after it.
        self.call_after_refresh(scroll)

    def _before_expand(self, node: TreeNode[T]) -> None:
        """Make `node`'s children before `right` expands it or steps into it."""

    def action_expand_or_child(self) -> None:
        """Expand the node under the cursor, or step into it if it is already open."""
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        self._before_expand(node)
        if node.is_expanded and node.children:
            self._reveal(node.children[0])
        else:
            node.expand()

    def action_collapse_or_parent(self) -> None:
        """Collapse the node under the cursor, or step out to its parent if it is closed."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and (self.show_root or node.parent is not self.root):
            self._reveal(node.parent)

    # Rendering

    def process_label(self, label: str | Text) -> Text:
        """Turn `label` into a one-line `Text`; a `str` is taken literally, never as markup."""
        return super().process_label(Text(label) if isinstance(label, str) else label)

    def _themed(self, style: str | Style) -> Style | str:
        """The style a label span named `style` takes in the current theme."""
        return style

    def _label_style(self, label: Text) -> Style | str:
        """The style of a whole label, under its spans' (none unless a subclass says)."""
        return ""

    def render_label(self, node: TreeNode[T], base_style: Style, style: Style) -> Text:
        """Render `node`'s label, its named span styles resolved by `_themed`."""
        label = node.label
        assert isinstance(label, Text)
        spans = [
            Span(span.start, span.end, self._themed(span.style))
            if isinstance(span.style, str)
            else span
            for span in label.spans
        ]
        themed = Text(label.plain, spans=spans, end="", style=self._label_style(label))
        themed.stylize(style)
        icon = ""
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        # Cut what the pane cannot show with an ellipsis, rather than mid-number.
        room = self._label_room(node) - cell_len(icon)
        if 0 < room < themed.cell_len:
            themed.truncate(room, overflow="ellipsis")
        if icon:
            prefix = Text(icon, style=base_style + Style(meta={"toggle": True}))
            return Text.assemble(prefix, themed)
        return themed

    def _label_room(self, node: TreeNode[T]) -> int:
        """The cells a label of `node` has on screen, right of its guides."""
        width = self.scrollable_content_region.width
        lines = self._tree_lines_cached
        line = node._line
        if lines is None or not 0 <= line < len(lines):
            return width
        return width - lines[line]._get_guide_width(self.guide_depth, self.show_root)

    def get_label_width(self, node: TreeNode[T]) -> int:
        """The label's width in cells, without rendering it (called for every line)."""
        label = node.label
        assert isinstance(label, Text)
        icon = cell_len(self.ICON_NODE) if node.allow_expand else 0
        return label.cell_len + icon

    def _build(self) -> None:
        # Textual's Tree builds its lines with one recursive call per level, which overflows
        # Python's stack on a 900-deep value; this is the same walk with an explicit stack.
        lines: list[_TreeLine[T]] = []
        stack: list[tuple[list[TreeNode[T]], TreeNode[T], bool]] = []
        if self.show_root:
            stack.append(([], self.root, True))
        else:
            stack.extend(([], child, True) for child in reversed(self.root.children))
        while stack:
            path, node, last = stack.pop()
            node_path = [*path, node]
            node._line = len(lines)
            lines.append(_TreeLine(node_path, last))
            if node.is_expanded:
                children = node.children
                final = len(children) - 1
                stack.extend(
                    (node_path, children[index], index == final) for index in range(final, -1, -1)
                )
        self._tree_lines_cached = lines

        # A label is cut to the pane's width (`render_label`) unless its guides alone fill
        # the pane (900 levels down): only those scroll sideways.
        guide_depth, show_root = self.guide_depth, self.show_root
        room = self.scrollable_content_region.width
        width = 0
        for line in lines:
            guide = line._get_guide_width(guide_depth, show_root)
            label = self.get_label_width(line.node)
            width = max(width, guide + (label if guide >= room else min(label, room - guide)))
        self.virtual_size = Size(width, len(lines))
        if self.cursor_line != -1:
            if self.cursor_node is not None:
                self.cursor_line = self.cursor_node._line
            if self.cursor_line >= len(lines):
                self.cursor_line = -1
