"""The `?` screen: every key that works on the screen below it, read from its live bindings.

Nothing here lists keys by hand except the conventions of ARCHITECTURE.md ("Keys every
screen honours") that the screen below does not bind itself, so the help can never disagree
with what the keys actually do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

Scope = Literal["screen", "panel", "app"]
"""Where a binding lives: the screen itself, the focused widget (or a container of it), the app."""

SCOPE_TITLES: dict[Scope, str] = {
    "screen": "This screen",
    "panel": "Focused panel",
    "app": "Everywhere",
}
"""Group headings, in the order the help screen shows them."""


@dataclass
class BoundAction:
    """One action the user can reach by key on a screen, with every key bound to it."""

    node: DOMNode
    """Where the binding is declared; the action runs in this namespace."""
    action: str
    """The action string, as declared (e.g. `next_failure`, `app.quit`)."""
    description: str
    """What the action does, for people."""
    scope: Scope
    """Which group it belongs to."""
    tooltip: str = ""
    """The binding's longer explanation, if it has one."""
    enabled: bool = True
    """False when the node says the action cannot run right now (shown dimmed)."""
    keys: list[str] = field(default_factory=list)
    """Each key as the app displays it (`?`, `^p`, `↑`), in binding order."""
    raw_keys: list[str] = field(default_factory=list)
    """The same keys as Textual names them (`question_mark`, `ctrl+p`, `up`)."""

    @property
    def key_display(self) -> str:
        """All keys for the action, e.g. `n` or `↓ j`."""
        return " ".join(self.keys)


@dataclass(frozen=True)
class Convention:
    """A key ARCHITECTURE.md promises on every screen: listed when the screen does not bind it."""

    raw_keys: tuple[str, ...]
    keys: str
    description: str


CONVENTIONS: tuple[Convention, ...] = (
    Convention(("question_mark",), "?", "Keys of this screen"),
    Convention(("ctrl+p",), "^p", "Command palette: every action by name"),
    Convention(("escape",), "esc", "Back"),
    Convention(("q",), "q", "Quit"),
    Convention(("slash",), "/", "Search"),
    Convention(("up", "down", "j", "k"), "↑ ↓ j k", "Move"),
    Convention(("enter",), "enter", "Open"),
    Convention(("n", "N"), "n N", "Next / previous failure in a run"),
)
"""The keys every screen honours (ARCHITECTURE.md), in the order it lists them."""

_ACTION_NAME = re.compile(r"(?:[\w]+\.)*(?P<name>\w+)")


def describe_action(action: str) -> str:
    """A readable name for an action without a description: `app.cursor_down(2)` → `Cursor down`."""
    match = _ACTION_NAME.match(action)
    name = match["name"] if match else action
    return _sentence_case(name.replace("_", " ").strip())


def bound_actions(screen: Screen[object]) -> list[BoundAction]:
    """Every action reachable by key on `screen` now, grouped screen, panel, app.

    Read from `Screen.active_bindings`, so it follows focus, modal screens and
    `check_action`: a binding the node hides is left out, one it disables is marked. Keys
    bound to the same action on the same node are merged. Only bindings wflog-tui declares
    are listed: Textual's own (system keys, "Page Left", "Scroll Home") are noise here.
    """
    app = screen.app
    merged: dict[tuple[int, str], BoundAction] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        node = active.node
        if binding.system or not declared_outside_textual(node, key, binding.action):
            continue
        entry = merged.get((id(node), binding.action))
        if entry is None:
            entry = merged[(id(node), binding.action)] = BoundAction(
                node=node,
                action=binding.action,
                description=_sentence_case(binding.description) or describe_action(binding.action),
                scope=_scope(screen, node),
                tooltip=binding.tooltip,
                enabled=active.enabled,
            )
        # Textual splits `"j,down"` into one binding per key, so each displays on its own.
        display = app.get_key_display(binding)
        if display not in entry.keys:
            entry.keys.append(display)
        entry.raw_keys.append(key)
    order = list(SCOPE_TITLES)
    return sorted(merged.values(), key=lambda entry: order.index(entry.scope))


def declared_outside_textual(node: DOMNode, key: str, action: str) -> bool:
    """True when the class that binds `key` to `action` on `node` is not one of Textual's
    own widgets, whose scrolling keys would flood the help and the palette."""
    for cls in type(node).__mro__:
        for declared in cls.__dict__.get("BINDINGS", ()):
            binding = declared if isinstance(declared, Binding) else Binding(*declared)
            keys = [part.strip() for part in binding.key.split(",")]
            if binding.action == action and key in keys:
                return not cls.__module__.startswith("textual.")
    return False


def _sentence_case(text: str) -> str:
    """Textual's own descriptions are sometimes lower-case (`palette`); ours never are."""
    return text[:1].upper() + text[1:]


def _scope(screen: Screen[object], node: DOMNode) -> Scope:
    if node is screen:
        return "screen"
    if node is screen.app:
        return "app"
    return "panel"


def honoured_conventions(
    screen: Screen[object], actions: Iterable[BoundAction]
) -> list[Convention]:
    """The ARCHITECTURE.md conventions that work on `screen` through a Textual binding
    (the arrows, `enter`, `ctrl+p`) and so are not among `actions` already. A convention
    the screen does not honour at all (`/` where there is no search) is not listed."""
    listed = {key for action in actions for key in action.raw_keys}
    active = set(screen.active_bindings)
    return [
        rule
        for rule in CONVENTIONS
        if not listed.intersection(rule.raw_keys) and active.intersection(rule.raw_keys)
    ]


class HelpScreen(ModalScreen[None]):
    """The keys of the screen below, grouped: this screen, the focused panel, everywhere.

    Opened by `?`. Build it with the screen to describe, or leave that out to describe the
    screen it is pushed over.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", key_display="?", show=False),
        Binding("q", "close", "Close", show=False),
        Binding("j", "scroll_keys('down')", "Scroll down", show=False),
        Binding("k", "scroll_keys('up')", "Scroll up", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > #help-dialog {
            width: 76;
            max-width: 95%;
            height: auto;
            max-height: 90%;
            border: round $primary;
            border-title-color: $text-primary;
            border-title-style: bold;
            border-subtitle-color: $text-muted;
            background: $surface;
            padding: 0 1;
        }
        & #help-keys { height: auto; max-height: 100%; }
        & .help-group-title { color: $text-primary; text-style: bold underline; margin-top: 1; }
        & .help-group-title.-first { margin-top: 0; }
        & .help-group-keys { padding-left: 1; }
    }
    """

    def __init__(self, screen: Screen[object] | None = None) -> None:
        super().__init__()
        self._described = screen

    @property
    def described_screen(self) -> Screen[object]:
        """The screen whose keys are listed: the one given, else the one below this."""
        if self._described is not None:
            return self._described
        stack = self.app.screen_stack
        position = stack.index(self) if self in stack else len(stack)
        return stack[position - 1]

    def compose(self) -> ComposeResult:
        """A titled dialog holding one heading and one key table per group."""
        screen = self.described_screen
        actions = bound_actions(screen)
        conventions = honoured_conventions(screen, actions)
        groups: list[tuple[str, list[tuple[str, str, str, bool]]]] = []
        for scope, title in SCOPE_TITLES.items():
            rows = [
                (entry.key_display, entry.description, entry.tooltip, entry.enabled)
                for entry in actions
                if entry.scope == scope
            ]
            if rows:
                groups.append((self._group_title(screen, scope, title, actions), rows))
        if conventions:
            groups.append(
                (
                    "Common keys",
                    [(rule.keys, rule.description, "", True) for rule in conventions],
                )
            )
        width = max((cell_len(row[0]) for _, rows in groups for row in rows), default=1)
        with Vertical(id="help-dialog") as dialog:
            dialog.border_title = f"Keys · {screen.title}" if screen.title else "Keys"
            dialog.border_subtitle = "esc close · ↑ ↓ scroll"
            with VerticalScroll(id="help-keys"):
                for position, (title, rows) in enumerate(groups):
                    heading = Static(Content(title), classes="help-group-title", markup=False)
                    heading.set_class(position == 0, "-first")
                    yield heading
                    yield Static(_key_table(rows, width), classes="help-group-keys")

    @staticmethod
    def _group_title(
        screen: Screen[object], scope: Scope, title: str, actions: list[BoundAction]
    ) -> str:
        """The heading of a group; the focused panel's is named after it when it has a name."""
        if scope != "panel":
            return title
        names = [
            entry.node.BINDING_GROUP_TITLE
            for entry in actions
            if entry.scope == "panel" and entry.node.BINDING_GROUP_TITLE
        ]
        return f"{title} · {names[0]}" if names else title

    def on_mount(self) -> None:
        """Focus the list so the arrow and page keys scroll it."""
        self.query_one("#help-keys", VerticalScroll).focus()

    def action_close(self) -> None:
        """Return to the screen the keys belong to."""
        self.dismiss()

    def action_scroll_keys(self, direction: str) -> None:
        """Scroll the list a line, for `j`/`k` (the arrows reach the scroll view directly)."""
        keys = self.query_one("#help-keys", VerticalScroll)
        if direction == "down":
            keys.scroll_down()
        else:
            keys.scroll_up()


def _key_table(rows: list[tuple[str, str, str, bool]], width: int) -> Content:
    """Keys in a fixed-width column, then the description; disabled actions dimmed.

    Built as `Content` from plain strings, so nothing in a description is read as markup.
    """
    lines = []
    for keys, description, tooltip, enabled in rows:
        line = Content.assemble(
            (keys, "$text-accent bold"),
            " " * (width - cell_len(keys) + 2),
            description,
        )
        if tooltip:
            line = line.append(Content.styled(f"  {tooltip}", "dim"))
        if not enabled:
            line = line.stylize("dim")
        lines.append(line)
    return Content("\n").join(lines)
