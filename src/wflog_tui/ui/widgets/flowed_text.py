"""Pieces of text laid out in lines of a given width, broken between pieces, never inside one.

For headers made of `label value` pairs: a narrow terminal gets more lines rather than a
pair cut in two (`duration 4.0` / `s`), and a piece wider than a whole line is cut with an
ellipsis.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text


def flowed(lines: Iterable[Iterable[Text]], width: int, gap: str = "  ") -> Text:
    """Each of `lines` (a sequence of pieces) on lines at most `width` cells wide."""
    out = Text()
    first_line = True
    for pieces in lines:
        if not first_line:
            out.append("\n")
        first_line = False
        used = 0
        for piece in pieces:
            piece = piece.copy()
            if piece.cell_len > width:
                piece.truncate(max(1, width), overflow="ellipsis")
            if used and used + len(gap) + piece.cell_len > width:
                out.append("\n")
                used = 0
            elif used:
                out.append(gap)
                used += len(gap)
            out.append_text(piece)
            used += piece.cell_len
    return out
