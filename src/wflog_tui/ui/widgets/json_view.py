"""A collapsible, syntax-coloured, lazily built tree of one decoded JSON value.

Step inputs and outputs can be megabytes, 900 levels deep, hold 100,000-element arrays or
multi-megabyte strings, and carry markup-looking text or terminal escapes. So nothing is
walked up front: a node's children are created when it is first expanded, at most a page at
a time, and every string from the data goes through `display_text` into a `rich.text.Text`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Unpack

import humanize
from rich.style import Style
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from wflog_tui.model.clipboard_text import copy_text, raw_copy_text
from wflog_tui.model.display_text import escape_control, one_line
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.provenance import format_path
from wflog_tui.ui.widgets.lazy_tree import LazyTree, LazyTreeMessage, WidgetOptions

PathKey = str | int
"""One step of a JSON path: a dict key or a list index."""

JsonPath = tuple[PathKey, ...]
"""Where a value sits inside the root value; `()` is the root itself."""

# Label spans carry Rich's own JSON style names, so a label rendered outside this widget still
# reads sensibly; `render_label` swaps each for the widget's themed component style.
_KEY = "json.key"
_STRING = "json.str"
_NUMBER = "json.number"
_TRUE = "json.bool_true"
_FALSE = "json.bool_false"
_NULL = "json.null"
_SUMMARY = "dim"

_COMPONENT_FOR_STYLE: dict[str, str] = {
    _KEY: "json-view--key",
    _STRING: "json-view--string",
    _NUMBER: "json-view--number",
    _TRUE: "json-view--boolean",
    _FALSE: "json-view--boolean",
    _NULL: "json-view--null",
    _SUMMARY: "json-view--summary",
}

_KEY_LIMIT = 80
# JavaScript's plain identifiers in ASCII, as the data-flow view writes them: `.a_b`, `.$ref`.
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# Copies above this size get a warning: several terminals and tmux cap OSC 52 payloads.
_LARGE_COPY_BYTES = 100_000


@dataclass(eq=False)
class _ValueEntry:
    """A node that stands for one JSON value."""

    path: JsonPath
    value: object
    loaded: bool = False
    # Dict keys in order, captured on first expansion so pages and jumps can index them.
    keys: list[object] | None = None
    # Child value nodes created so far, by position, so jumps find them without a scan.
    children: dict[int, TreeNode[_Entry]] = field(default_factory=dict)


@dataclass(eq=False)
class _GapEntry:
    """A placeholder for children not created yet: positions `start` to `end` of its owner.

    For a string owner the positions are character offsets, and `line_no`/`continued` say
    where in the text the hidden part begins.
    """

    owner: TreeNode[_Entry]
    start: int
    end: int
    line_no: int = 1
    continued: bool = False


@dataclass(eq=False)
class _ChunkEntry:
    """One line (or a piece of a long line) of a long string, shown under the string's node."""

    owner: TreeNode[_Entry]
    text: str
    line_no: int
    continued: bool


_Entry = _ValueEntry | _GapEntry | _ChunkEntry


def _byte_size(text: str) -> int:
    """The UTF-8 size of `text`, without encoding it when it is plain ASCII."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _scalar_text(value: object) -> tuple[str, str]:
    """The display text and style name of a non-container, non-string value."""
    if value is None:
        return "null", _NULL
    if value is True:
        return "true", _TRUE
    if value is False:
        return "false", _FALSE
    if isinstance(value, int):
        try:
            return str(value), _NUMBER
        except ValueError:
            # Python refuses to print integers of more than 4,300 digits.
            return f"<integer of {value.bit_length():,} bits>", _NUMBER
    if isinstance(value, float):
        return repr(value), _NUMBER
    return one_line(repr(value), 200), _STRING


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


class JsonView(LazyTree[_Entry]):
    """A lazily built, paged tree of one decoded JSON value, with copy and jump-to-path."""

    PAGE_SIZE: ClassVar[int] = 100
    """Children created per page of a container or a long string."""
    LABEL_LIMIT: ClassVar[int] = 200
    """Characters of a string value shown in its node's label."""
    CHUNK_SIZE: ClassVar[int] = 4096
    """Characters of a long string shown per child node when it is expanded."""
    EXPAND_ALL_LIMIT: ClassVar[int] = 1000
    """Nodes that one "expand all" may create, so a huge value cannot freeze the UI."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy_value", "Copy value"),
        Binding(
            "ctrl+y",
            "copy_value_raw",
            "Copy raw value",
            show=False,
            tooltip="Copy a string exactly as stored: control and invisible characters too",
        ),
        Binding("Y", "copy_path", "Copy path"),
        Binding("e", "expand_all", "Expand all"),
        Binding("E", "collapse_all", "Collapse all"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | y | Copy the value under the cursor (JSON for containers, raw text for strings). |
    | Y | Copy the JSON path of the node under the cursor. |
    | e | Expand the node and its descendants (bounded). |
    | E | Collapse the node and all its descendants. |
    | right / left | Expand, or go to the first child / collapse, or go to the parent. |
    | j / k | Move the cursor down / up. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | set(
        _COMPONENT_FOR_STYLE.values()
    )
    """
    | Class | Description |
    | :- | :- |
    | `json-view--key` | Object keys, list indices and the root's name. |
    | `json-view--string` | String values. |
    | `json-view--number` | Numbers. |
    | `json-view--boolean` | `true` and `false`. |
    | `json-view--null` | `null`. |
    | `json-view--summary` | Sizes, counts, line numbers and "more" nodes. |
    """

    # Theme colours, so the tree follows the app's theme; `dim` rather than a muted colour for
    # the quiet parts, because a translucent colour cannot be resolved inside a label span.
    DEFAULT_CSS = """
    JsonView {
        & > .json-view--key { color: $text-primary; text-style: bold; }
        & > .json-view--string { color: $text-success; }
        & > .json-view--number { color: $text-warning; }
        & > .json-view--boolean { color: $text-secondary; text-style: italic; }
        & > .json-view--null { text-style: dim italic; }
        & > .json-view--summary { text-style: dim; }
    }
    """

    class PathHighlighted(LazyTreeMessage["JsonView"]):
        """Posted when the cursor moves to a node; carries the JSON path it stands for.

        Lines and "more" nodes under a string or container report their owner's path.
        """

        def __init__(self, view: JsonView, path: JsonPath) -> None:
            super().__init__(view)
            self.path = path
            """The JSON path of the highlighted value (`()` for the root)."""

    def __init__(
        self, value: object = None, *, root_label: str = "input", **options: Unpack[WidgetOptions]
    ) -> None:
        """Show `value` with its root named `root_label` (the first part of every path)."""
        super().__init__(Text(""), **options)
        self._value: object = None
        self._root_label = root_label
        self.set_value(value, root_label=root_label)

    @property
    def value(self) -> object:
        """The JSON value shown."""
        return self._value

    @property
    def root_label(self) -> str:
        """The root's name, as it begins every formatted path."""
        return self._root_label

    @property
    def selected_path(self) -> JsonPath | None:
        """The JSON path of the value under the cursor, or `None` when there is no cursor."""
        node = self.cursor_node
        return None if node is None else self._path_of(node)

    def format_path(self, path: Iterable[PathKey]) -> str:
        """`path` written out from this view's root, e.g. `input.recipients[2].email`."""
        return format_path(self._root_label, path)

    def set_value(self, value: object, *, root_label: str | None = None) -> None:
        """Replace what is shown by `value`, with its first level open and the cursor on top."""
        self._value = value
        if root_label is not None:
            self._root_label = root_label
        self.reset_nodes()
        entry = _ValueEntry(path=(), value=value)
        self.root.data = entry
        root_key = Text(one_line(self._root_label, _KEY_LIMIT), style=_KEY)
        label, expandable = self._value_label(root_key, value)
        self.root.set_label(label)
        self.root.allow_expand = expandable
        if expandable and not isinstance(value, str):
            self._ensure_loaded(self.root)
            self.root.expand()
        else:
            self.root.collapse()
        if self.is_mounted:
            self.move_cursor(self.root)
            self.scroll_home(animate=False)

    def select_path(self, path: Sequence[PathKey]) -> bool:
        """Open the tree down to `path`, put the cursor there and scroll it into view.

        Only the page holding each step is created, so a jump to element 4,811 of a 5,000
        array makes a hundred nodes, not 4,811. Returns False, leaving the cursor where it was,
        when the path does not exist in the value.
        """
        node = self.root
        for key in path:
            child = self._child_at(node, key)
            if child is None:
                return False
            node = child
        self.open_to(node)
        return True

    def on_mount(self) -> None:
        """Start with the cursor on the root, so `y` copies the whole value at once, unless
        a path was selected before the view was on screen (a jump to a tab not shown yet)."""
        if self.cursor_node is None:
            self.move_cursor(self.root)

    # Building the tree

    def _value_label(self, key: Text, value: object) -> tuple[Text, bool]:
        """The label for `value` under `key`, and whether the node can be expanded."""
        label = key.copy()
        if isinstance(value, dict):
            if not value:
                label.append(" {}", style=_SUMMARY)
                return label, False
            label.append(f" {{…}} {_plural(len(value), 'key')}", style=_SUMMARY)
            return label, True
        if isinstance(value, list | tuple):
            if not value:
                label.append(" []", style=_SUMMARY)
                return label, False
            label.append(f" […] {_plural(len(value), 'item')}", style=_SUMMARY)
            return label, True
        label.append(": ")
        if isinstance(value, str):
            return self._string_label(label, value)
        text, style = _scalar_text(value)
        label.append(text, style=style)
        return label, False

    def _string_label(self, label: Text, value: str) -> tuple[Text, bool]:
        limit = self.LABEL_LIMIT
        truncated = len(value) > limit * 4 or len(escape_control(value)) > limit
        label.append(f'"{one_line(value, limit)}"', style=_STRING)
        lines = value.count("\n") + 1
        notes = []
        if truncated:
            notes.append(humanize.naturalsize(_byte_size(value)))
        if lines > 1:
            notes.append(_plural(lines, "line"))
        if notes:
            label.append(f" ({', '.join(notes)})", style=_SUMMARY)
        return label, truncated or lines > 1

    def _ensure_loaded(self, node: TreeNode[_Entry]) -> None:
        """Create the first page of `node`'s children, once."""
        entry = node.data
        if not isinstance(entry, _ValueEntry) or entry.loaded or not node.allow_expand:
            return
        entry.loaded = True
        value = entry.value
        if isinstance(value, dict):
            entry.keys = list(value)
        size = len(value) if isinstance(value, dict | list | tuple | str) else 0
        gap = node.add_leaf(Text(""), _GapEntry(owner=node, start=0, end=size))
        self._open_gap(gap)

    def _open_gap(self, gap: TreeNode[_Entry], around: int | None = None) -> TreeNode[_Entry]:
        """Replace one page of `gap` with real nodes and return the first of them.

        The page is the next one when `around` is None, else the aligned page holding
        position `around`; what stays hidden on either side keeps a gap node of its own.
        """
        entry = gap.data
        assert isinstance(entry, _GapEntry)
        owner = entry.owner
        owner_entry = owner.data
        assert isinstance(owner_entry, _ValueEntry)
        position = list(owner.children).index(gap)
        gap.remove()
        if isinstance(owner_entry.value, str):
            return self._add_chunks(owner, position, entry)
        page = self.PAGE_SIZE
        start = entry.start if around is None else max(entry.start, around // page * page)
        end = min(entry.end, start + page)
        if start > entry.start:
            self._add_gap(owner, position, entry.start, start)
            position += 1
        first: TreeNode[_Entry] | None = None
        for index in range(start, end):
            child = self._add_value_child(owner, owner_entry, index, position)
            position += 1
            first = first or child
        if end < entry.end:
            self._add_gap(owner, position, end, entry.end)
        assert first is not None
        return first

    def _add_value_child(
        self, owner: TreeNode[_Entry], owner_entry: _ValueEntry, index: int, position: int
    ) -> TreeNode[_Entry]:
        container = owner_entry.value
        if owner_entry.keys is not None:
            key = owner_entry.keys[index]
            value = container[key]  # type: ignore[index]
            key_label = Text(one_line(str(key), _KEY_LIMIT), style=_KEY)
        else:
            key = index
            value = container[index]  # type: ignore[index]
            key_label = Text(f"[{index}]", style=_KEY)
        label, expandable = self._value_label(key_label, value)
        child_entry = _ValueEntry(path=(*owner_entry.path, key), value=value)  # type: ignore[arg-type]
        child = owner.add(label, child_entry, before=position, allow_expand=expandable)
        owner_entry.children[index] = child
        return child

    def _add_gap(self, owner: TreeNode[_Entry], position: int, start: int, end: int) -> None:
        owner_entry = owner.data
        assert isinstance(owner_entry, _ValueEntry)
        hidden = end - start
        noun = "key" if owner_entry.keys is not None else "item"
        label = Text(f"… {hidden:,} more", style=_SUMMARY)
        if end < len(owner_entry.value):  # type: ignore[arg-type]
            # A jump opened a page in the middle: say which positions this gap hides.
            label.append(f" ({noun}s {start:,}–{end - 1:,})", style=_SUMMARY)
        label.append(f" — enter to show {min(hidden, self.PAGE_SIZE):,} more", style=_SUMMARY)
        owner.add_leaf(label, _GapEntry(owner=owner, start=start, end=end), before=position)

    def _add_chunks(
        self, owner: TreeNode[_Entry], position: int, gap: _GapEntry
    ) -> TreeNode[_Entry]:
        """Add up to a page of a long string's lines, each cut at `CHUNK_SIZE` characters."""
        owner_entry = owner.data
        assert isinstance(owner_entry, _ValueEntry)
        text = owner_entry.value
        assert isinstance(text, str)
        size = len(text)
        offset, line_no, continued = gap.start, gap.line_no, gap.continued
        first: TreeNode[_Entry] | None = None
        for _ in range(self.PAGE_SIZE):
            if offset >= size:
                break
            # Looking one character past the chunk catches a newline right at its end.
            newline = text.find("\n", offset, offset + self.CHUNK_SIZE + 1)
            if newline == -1:
                piece_end = min(offset + self.CHUNK_SIZE, size)
                next_offset = piece_end
            else:
                piece_end = newline
                next_offset = newline + 1
            piece = text[offset:piece_end]
            chunk = _ChunkEntry(owner=owner, text=piece, line_no=line_no, continued=continued)
            child = owner.add_leaf(self._chunk_label(chunk), chunk, before=position)
            position += 1
            first = first or child
            if newline == -1:
                continued = True
            else:
                line_no += 1
                continued = False
            offset = next_offset
        if offset < size:
            label = Text(
                f"… {size - offset:,} more characters — enter to show {self.PAGE_SIZE} more lines",
                style=_SUMMARY,
            )
            rest = _GapEntry(owner, offset, size, line_no=line_no, continued=continued)
            owner.add_leaf(label, rest, before=position)
        assert first is not None
        return first

    @staticmethod
    def _chunk_label(chunk: _ChunkEntry) -> Text:
        marker = "↪" if chunk.continued else str(chunk.line_no)
        label = Text(f"{marker:>5} ", style=_SUMMARY)
        # Newlines split chunks, so tabs are the only layout left to keep; spaces render them.
        label.append(escape_control(chunk.text, keep_newlines=True).expandtabs(4), style=_STRING)
        return label

    def _child_at(self, node: TreeNode[_Entry], key: PathKey) -> TreeNode[_Entry] | None:
        """The child of `node` for `key`, creating the page it is on if need be."""
        entry = node.data
        if not isinstance(entry, _ValueEntry):
            return None
        value = entry.value
        if isinstance(value, dict):
            if not value or key not in value:
                return None
            self._ensure_loaded(node)
            assert entry.keys is not None
            index = entry.keys.index(key)
        elif isinstance(value, list | tuple):
            if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < len(value):
                return None
            self._ensure_loaded(node)
            index = key
        else:
            return None
        return self._open_child(node, entry.children, index, _GapEntry)

    def _path_of(self, node: TreeNode[_Entry]) -> JsonPath:
        entry = node.data
        if isinstance(entry, _ValueEntry):
            return entry.path
        if isinstance(entry, _GapEntry | _ChunkEntry):
            return self._path_of(entry.owner)
        return ()

    # Events

    @on(Tree.NodeExpanded)
    def _load_expanded(self, event: Tree.NodeExpanded[_Entry]) -> None:
        self._ensure_loaded(event.node)

    @on(Tree.NodeSelected)
    def _show_more(self, event: Tree.NodeSelected[_Entry]) -> None:
        if isinstance(event.node.data, _GapEntry):
            self._reveal(self._open_gap(event.node))

    @on(Tree.NodeHighlighted)
    def _announce_path(self, event: Tree.NodeHighlighted[_Entry]) -> None:
        self.post_message(self.PathHighlighted(self, self._path_of(event.node)))

    # Actions

    def action_copy_value(self) -> None:
        """Copy the value under the cursor: strings as shown (unsafe characters escaped,
        line breaks kept), JSON for everything else.

        On a line of a long string that line is copied; on a "more" node, its whole container.
        """
        self._copy_value(raw=False)

    def action_copy_value_raw(self) -> None:
        """Copy the value under the cursor with strings exactly as stored, unescaped."""
        self._copy_value(raw=True)

    def _copy_value(self, *, raw: bool) -> None:
        node = self.cursor_node
        if node is None:
            return
        entry = node.data
        where = self.format_path(self._path_of(node))
        if isinstance(entry, _ChunkEntry):
            text = entry.text
            where = f"line {entry.line_no:,} of {where}"
        else:
            owner_entry = entry.owner.data if isinstance(entry, _GapEntry) else entry
            assert isinstance(owner_entry, _ValueEntry)
            value = owner_entry.value
            text = value if isinstance(value, str) else to_json_text(value, indent=True)
        if raw:
            self._copy(raw_copy_text(text), f"Copied raw (unescaped) {one_line(where, 120)}")
        else:
            self._copy(copy_text(text, keep_newlines=True), f"Copied {one_line(where, 120)}")

    def action_copy_path(self) -> None:
        """Copy the JSON path of the node under the cursor, e.g. `input.recipients[2].email`."""
        node = self.cursor_node
        if node is None:
            return
        path = self.format_path(self._path_of(node))
        self._copy(path, f"Copied path {one_line(path, 120)}")

    def _copy(self, text: str, message: str) -> None:
        self.app.copy_to_clipboard(text)
        size = _byte_size(text)
        if size > _LARGE_COPY_BYTES:
            self.notify(
                f"{message} ({len(text):,} chars, {humanize.naturalsize(size)}). "
                "Some terminals and tmux drop clipboard copies this large.",
                severity="warning",
                markup=False,
            )
        else:
            self.notify(f"{message} ({_plural(len(text), 'char')})", markup=False)

    def action_expand_all(self) -> None:
        """Expand the node under the cursor and its nested objects and arrays, up to a limit.

        Only first pages are opened and long strings stay closed; at `EXPAND_ALL_LIMIT`
        new nodes it stops and says so, so a huge value cannot freeze the view.
        """
        node = self._bulk_target()
        if node is None or not node.allow_expand:
            return
        budget = self.EXPAND_ALL_LIMIT
        queue: deque[TreeNode[_Entry]] = deque([node])
        while queue:
            current = queue.popleft()
            before = len(current.children)
            self._ensure_loaded(current)
            budget -= len(current.children) - before
            if not current.is_expanded:
                current.expand()
            for child in current.children:
                entry = child.data
                if (
                    child.allow_expand
                    and isinstance(entry, _ValueEntry)
                    and not isinstance(entry.value, str)
                ):
                    queue.append(child)
            if budget <= 0 and queue:
                self.notify(
                    f"Stopped expanding after {self.EXPAND_ALL_LIMIT:,} nodes; "
                    "open the rest one node at a time.",
                    severity="warning",
                    markup=False,
                )
                break
        self._reveal(node)

    def action_collapse_all(self) -> None:
        """Collapse the node under the cursor (or the one holding it) and all below it."""
        node = self._bulk_target()
        if node is None:
            return
        # Textual's collapse_all recurses once per level; 900-deep values need a loop.
        stack = [node]
        while stack:
            current = stack.pop()
            if current.is_expanded:
                current.collapse()
            stack.extend(child for child in current.children if child.is_expanded)
        self._reveal(node)

    def _bulk_target(self) -> TreeNode[_Entry] | None:
        """The node that expand all / collapse all act on: the cursor's, or its container."""
        node = self.cursor_node
        if node is not None and not node.allow_expand and node.parent is not None:
            return node.parent
        return node

    # Rendering

    def _themed(self, style: str | Style) -> Style | str:
        """The theme's colour for keys, strings, numbers and so on."""
        component = _COMPONENT_FOR_STYLE.get(style) if isinstance(style, str) else None
        if component is None:
            return style
        return self.get_component_rich_style(component, partial=True)
