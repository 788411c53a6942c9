"""Text from the database made safe to show: control, bidi and invisible characters escaped.

Escaping is visible (`\\x1b`, `\\u202e`) rather than silent, so a person sees that the data
held something odd instead of being fooled by it. This is the only place that decides which
characters are unsafe; every view and `show` go through it.
"""

from __future__ import annotations

from typing import Final


def _escape_for(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


_UNSAFE_CODES: Final = (
    *range(0x00, 0x20),
    0x7F,
    *range(0x80, 0xA0),  # C1 controls, including CSI (0x9b) and OSC (0x9d)
    0x00AD,  # soft hyphen: invisible
    *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
    *range(0x2028, 0x202F),  # line/paragraph separators, bidi embeddings and overrides
    *range(0x2060, 0x2070),  # word joiner, invisible operators, bidi isolates
    0xFEFF,  # zero-width no-break space
    *range(0xFFF9, 0xFFFC),  # interlinear annotation
)

_ESCAPE_ALL: Final = {code: _escape_for(code) for code in _UNSAFE_CODES}
# Multi-line views (stacks, long strings) keep line breaks and tabs as they are.
_ESCAPE_KEEP_LINES: Final = {
    code: text for code, text in _ESCAPE_ALL.items() if code not in (0x0A, 0x09)
}


# JSON whitespace stays: inside strings the encoder has escaped it already, and between
# tokens it is the indentation of pretty output.
_ESCAPE_JSON: Final = {
    code: f"\\u{code:04x}" for code in _UNSAFE_CODES if code not in (0x09, 0x0A, 0x0D)
}


def json_safe(text: str) -> str:
    """Escape unsafe characters in serialised JSON text as `\\uXXXX`, which stays valid JSON.

    JSON encoders leave C1 controls and bidi overrides raw; a terminal would act on them.
    """
    return text.translate(_ESCAPE_JSON)


def escape_control(text: str, *, keep_newlines: bool = False) -> str:
    """Return `text` with every control, bidi-override and invisible character escaped."""
    return text.translate(_ESCAPE_KEEP_LINES if keep_newlines else _ESCAPE_ALL)


def one_line(text: str, limit: int | None = None) -> str:
    """Escape `text` onto one line and cut it to `limit` characters with an ellipsis."""
    if limit is not None and len(text) > limit * 4:
        # Escaping can only lengthen the text, so a huge string is cut before it is copied.
        text = text[: limit * 4]
    safe = escape_control(text)
    if limit is not None and len(safe) > limit:
        return safe[: max(0, limit - 1)] + "…"
    return safe
