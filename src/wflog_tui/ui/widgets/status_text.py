"""Statuses as styled text: a glyph and a word, coloured from the active theme.

Colour follows the theme's `$status-…` variables (see `themes.py`), so the incident and
light themes restyle every view at once; the glyph and word carry the meaning alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.ui.themes import status_variable


def status_style(status: str, variables: Mapping[str, str]) -> Style:
    """The style of a status word under the theme whose variables are given."""
    colour = variables.get(status_variable(status))
    bold = status in st.FAILURES
    italic = status not in st.KNOWN and status != st.NOT_REACHED
    try:
        return Style(color=colour, bold=bold, italic=italic)
    except Exception:  # a colour Rich can't read (an ANSI name, a user theme): go plain
        return Style(bold=bold, italic=italic)


def status_text(status: str, variables: Mapping[str, str], *, width: int | None = None) -> Text:
    """`✗ FAILED`: glyph and word in the status colour; unknown statuses shown as found."""
    word = one_line(st.word(status), 20)
    text = Text(f"{st.glyph(status)} {word}", style=status_style(status, variables))
    if width is not None:
        text.truncate(width, overflow="ellipsis", pad=True)
    return text
