"""What a copy carries: escaped text by default, and command lines a shell cannot misread.

A copy travels further than the screen: the next paste goes into a terminal, a chat or a
shell, which act on ESC, BEL, OSC sequences and bidi overrides that the screen only shows
escaped. So a copy carries the same escaped text the screen shows, unless a person asks
for the raw value by name. A command line built from data is quoted with `shlex.quote`, so
a run id such as ``R-$(touch pwned)`` arrives as one argument and runs nothing.
"""

from __future__ import annotations

import shlex
from typing import Final

from wflog_tui.model.display_text import escape_control, must_escape

PROGRAM: Final = "wflog-tui"
_PLAIN_ID_LIMIT: Final = 200


def copy_text(value: str, *, keep_newlines: bool = False) -> str:
    """The default copy of `value`: every character `display_text` escapes, escaped.

    `keep_newlines` keeps line breaks and tabs, for multi-line values such as stacks.
    """
    return escape_control(value, keep_newlines=keep_newlines)


def raw_copy_text(value: str) -> str:
    """`value` exactly as stored, for "copy raw value"; only lone surrogates, which no
    clipboard can carry (they are not UTF-8), become their escape `\\ud800`."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def command_line(*arguments: str) -> str:
    """`wflog-tui` and `arguments`, each quoted for a POSIX shell."""
    return " ".join([PROGRAM, *(shlex.quote(argument) for argument in arguments)])


def _is_plain(identifier: str | None) -> bool:
    """True when the id can stand in a command line exactly as it is, and be read there."""
    return (
        identifier is not None
        and 0 < len(identifier) <= _PLAIN_ID_LIMIT
        and "`" not in identifier
        and not any(must_escape(ord(char)) for char in identifier)
    )


def open_run_command(run_id: str, row_id: str | None = None) -> str:
    """The command that opens the run: `wflog-tui --run RUN_ID`, quoted.

    `--run` takes the run id or the row id. A run id holding characters that must be shown
    escaped (or a backtick, which a Markdown code span cannot hold) cannot be both visible
    and exact, so the row id is used instead when it is plain; failing both, the escaped
    run id is quoted: the command may then find nothing, but it runs nothing either.
    """
    for candidate in (run_id, row_id):
        if candidate is not None and _is_plain(candidate):
            return command_line("--run", candidate)
    escaped = escape_control(run_id[: _PLAIN_ID_LIMIT * 4]).replace("`", "\\u0060")
    return command_line("--run", escaped)
