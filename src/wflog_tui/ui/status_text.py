"""Statuses as styled text: a glyph and a word, coloured from the active theme.

Colour follows the theme (`$error`, `$success`, `$warning`, `$primary`), so the incident
and light themes restyle every view at once; the glyph and word carry the meaning alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line

_THEME_VARIABLE = {
    st.FAILED: "error",
    st.TIMED_OUT: "error",
    st.COMPLETED: "success",
    st.RUNNING: "primary",
    st.CANCELED: "warning",
}


def status_style(status: str, variables: Mapping[str, str]) -> Style:
    """The style of a status word under the theme whose variables are given."""
    name = _THEME_VARIABLE.get(status)
    if name is None:
        return Style(dim=True, italic=status not in st.KNOWN and status != st.NOT_REACHED)
    colour = variables.get(name)
    bold = status in st.FAILURES
    try:
        return Style(color=colour, bold=bold) if colour else Style(bold=bold)
    except Exception:  # a user theme with a colour Rich can't read: fall back to plain
        return Style(bold=bold)


def status_text(status: str, variables: Mapping[str, str], *, width: int | None = None) -> Text:
    """`✗ FAILED`: glyph and word in the status colour; unknown statuses shown as found."""
    word = one_line(st.word(status), 20)
    text = Text(f"{st.glyph(status)} {word}", style=status_style(status, variables))
    if width is not None:
        text.truncate(width, overflow="ellipsis", pad=True)
    return text
