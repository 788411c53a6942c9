"""Values from the data written into Markdown so that no value can change its structure.

Two forms, both CommonMark: an inline code span whose backtick run is longer than any
run inside the value, and a fenced block whose fence is longer than any backtick run in
the value. Inside either, Markdown and HTML are not interpreted, so `# heading`,
`<script>`, `[link](…)` and `**bold**` stay text. Control, bidi and invisible characters
are escaped first (`display_text`), so an inline value is one line and cannot start a new
block, and nothing reaches a terminal that `cat`s the file raw.
"""

from __future__ import annotations

import re
from typing import Final

from wflog_tui.model.display_text import escape_control, one_line

_BACKTICKS: Final = re.compile(r"`+")
_TILDES_OR_BACKTICKS: Final = re.compile(r"`+|~+")
EMPTY: Final = "—"
"""What stands for a missing value: a dash outside any code span."""


def _longest_run(text: str, pattern: re.Pattern[str] = _BACKTICKS) -> int:
    return max((len(m.group()) for m in pattern.finditer(text)), default=0)


def code(value: object, limit: int = 300) -> str:
    """`value` as an inline code span on one line, cut to `limit` characters.

    The span's backtick run is one longer than the longest inside the value; a value that
    starts or ends with a backtick (or a space) is padded with a space, which CommonMark
    strips again. None gives `EMPTY`.
    """
    if value is None:
        return EMPTY
    text = one_line(str(value), limit)
    ticks = "`" * (_longest_run(text) + 1)
    if not text or text[0] in "` " or text[-1] in "` ":
        text = f" {text} "
    return f"{ticks}{text}{ticks}"


def fenced(value: str, info: str = "") -> list[str]:
    """`value` as a fenced code block, as lines: the fence is longer than any run of
    backticks or tildes in the value, so no line of it can close the block.

    Line breaks and tabs are kept; every other unsafe character is escaped.
    """
    text = escape_control(value, keep_newlines=True)
    fence = "`" * max(3, _longest_run(text, _TILDES_OR_BACKTICKS) + 1)
    return [f"{fence}{info}", *text.split("\n"), fence]


# Inline markup only: `plain` text never starts a line (a template's words come first)
# and holds no line break, so block markers (`#`, `-`, `1.`, `>`) mean nothing in it.
_PUNCTUATION: Final = frozenset("\\`*_[]!|~")
_ENTITIES: Final = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def plain(value: object, limit: int = 300) -> str:
    """`value` as running text on one line, after a template's own words: the characters
    of inline markup backslash-escaped and `<`, `>`, `&` written as entities, so it reads
    as typed."""
    if value is None:
        return EMPTY
    out = []
    for char in one_line(str(value), limit):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _PUNCTUATION:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)
