"""Command palette commands: every keyed action of the current screen, and the themes.

ARCHITECTURE.md ("Keys every screen honours") asks that every action also be in the
command palette. Rather than a second list to keep in step, the commands are the screen's
live bindings (the same ones the `?` screen shows), each run exactly as its key would run
it, with the key shown beside its name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Final

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content
from textual.markup import escape

from wflog_tui.ui.help_screen import SCOPE_TITLES, bound_actions
from wflog_tui.ui.themes import DEFAULT_THEME

LIGHT_THEME: Final = "wflog-paper"
"""What "Toggle light / dark theme" switches to from a dark theme."""
DARK_THEME: Final = DEFAULT_THEME
"""What "Toggle light / dark theme" switches to from a light theme."""

# Offered by Textual's own system commands, or meaningless from inside the palette.
_OFFERED_ELSEWHERE: Final = frozenset(
    {"quit", "app.quit", "command_palette", "app.command_palette"}
)


@dataclass(frozen=True)
class _Command:
    """One palette entry: what it is called, the key that does the same, how to run it."""

    name: str
    keys: str
    help: str
    run: Callable[[], object]


class ScreenActionsProvider(Provider):
    """The actions bound on the screen the palette was opened from, and theme switching.

    With an empty query it lists the screen's actions (focused panel, screen, app) and the
    light/dark toggle; typing also finds "Theme: <name>" for every registered theme.
    """

    def _action_commands(self) -> list[_Command]:
        """A command per described, enabled action of the calling screen, with its keys."""
        commands = []
        for entry in bound_actions(self.screen):
            if not entry.enabled or entry.action in _OFFERED_ELSEWHERE:
                continue
            commands.append(
                _Command(
                    name=entry.description,
                    keys=entry.key_display,
                    help=entry.tooltip or SCOPE_TITLES[entry.scope],
                    # The namespace is the node that declared the binding, as for a key press.
                    run=partial(self.app.run_action, entry.action, entry.node),
                )
            )
        return commands

    def _toggle_command(self) -> _Command | None:
        """Switch between wflog-dark and wflog-paper, when both are registered."""
        themes = self.app.available_themes
        if LIGHT_THEME not in themes or DARK_THEME not in themes:
            return None
        target = LIGHT_THEME if self.app.current_theme.dark else DARK_THEME
        return _Command(
            name="Toggle light / dark theme",
            keys="",
            help=f"Switch to {target}",
            run=partial(self._set_theme, target),
        )

    def _theme_commands(self) -> list[_Command]:
        """A "Theme: <name>" command per registered theme, the current one marked."""
        current = self.app.theme
        return [
            _Command(
                name=f"Theme: {name}",
                keys="",
                help="The current theme" if name == current else "Switch to this theme",
                run=partial(self._set_theme, name),
            )
            for name in sorted(self.app.available_themes)
        ]

    def _set_theme(self, name: str) -> None:
        self.app.theme = name

    def _discoverable(self) -> Iterator[_Command]:
        yield from self._action_commands()
        if (toggle := self._toggle_command()) is not None:
            yield toggle

    async def discover(self) -> Hits:
        """The screen's actions and the light/dark toggle, in binding order."""
        for command in self._discoverable():
            yield DiscoveryHit(
                _prompt(Content(command.name), command.keys),
                command.run,
                text=command.name,
                help=escape(command.help),
            )

    async def search(self, query: str) -> Hits:
        """Actions and theme commands whose names fuzzily match `query`."""
        matcher = self.matcher(query)
        for command in [*self._discoverable(), *self._theme_commands()]:
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(
                    score,
                    _prompt(_highlight(matcher, command.name), command.keys),
                    command.run,
                    text=command.name,
                    help=escape(command.help),
                )


def _highlight(matcher: Matcher, text: str) -> Content:
    """`text` with the matched letters styled, never read as markup (unlike `Matcher.highlight`).

    Theme names come from users' files, and a `[` in one must stay a `[`.
    """
    content = Content(text)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def _prompt(name: Content, keys: str) -> Content:
    """The command's name, then its key dimmed beside it."""
    if not keys:
        return name
    return Content.assemble(name, Content.styled(f"  {keys}", "dim"))
