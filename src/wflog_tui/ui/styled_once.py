"""A screen styled once before its first frame, not three times.

Textual styles every widget as it is mounted; then, for a screen just pushed, it styles the
whole screen again when the screen is resumed, and a third time when the first resize
sets the screen's breakpoint class (`-narrow`, `-wide`). On the run view that is two
passes over a hundred widgets, 30–60 ms each on the 2-core VM, between the run being ready
and it being on screen (README, "Landing near the floor"). A screen made from this class
starts with its breakpoint class already set, so the resize changes nothing, and skips the
restyle of its first resume, which has nothing to catch up on.

Private parts of Textual used here (check them when Textual is upgraded; it is pinned
below 9): `Screen._on_screen_resume` and the `refresh_styles` field of `ScreenResume`.
`tests/ui/test_styled_once.py` fails if either stops doing what this relies on.
"""

from __future__ import annotations

from textual import events
from textual._context import NoActiveAppError
from textual.screen import Screen, ScreenResultType


class StyledOnceScreen(Screen[ScreenResultType]):
    """A `Screen` whose first frame costs one styling pass (see the module docstring)."""

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._resumed_before = False
        try:
            width = self.app.size.width
        except NoActiveAppError:  # made outside a running app: the resize will set it
            return
        self.add_class(*breakpoint_class(width, self.HORIZONTAL_BREAKPOINTS or []), update=False)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed_before:
            # Styled a moment ago, as it was mounted: nothing has changed since.
            self._resumed_before = True
            event.refresh_styles = False
        super()._on_screen_resume(event)


def breakpoint_class(width: int, breakpoints: list[tuple[int, str]]) -> tuple[str, ...]:
    """The class of the widest breakpoint `width` reaches, as Textual picks it; () if none."""
    for breakpoint, class_name in sorted(breakpoints, reverse=True):
        if width >= breakpoint:
            return (class_name,)
    return ()
