"""Text from the database made safe to show: control, bidi and invisible characters escaped.

Escaping is visible (`\\x1b`, `\\u202e`) rather than silent, so a person sees that the data
held something odd instead of being fooled by it. This is the only place that decides which
characters are unsafe; every view and `show` go through it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Final

# A character must be made visible when the terminal would act on it or draw nothing for
# it: every control (Cc), format character (Cf: bidi overrides, zero-width characters,
# tag characters, U+061C, U+180E), private-use (Co) and surrogate (Cs) code point, the
# line and paragraph separators (Zl, Zp), and the rest of Unicode's
# Default_Ignorable_Code_Point set, which other categories hold: fillers that render as
# nothing, variation selectors, and the code points reserved to stay invisible.
MUST_ESCAPE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
INVISIBLE_FILLERS: Final = frozenset(
    {
        0x034F,  # combining grapheme joiner
        0x115F,  # Hangul choseong filler
        0x1160,  # Hangul jungseong filler
        0x17B4,  # Khmer inherent vowels, drawn as nothing
        0x17B5,
        *range(0x180B, 0x1810),  # Mongolian free variation selectors (U+180E is Cf)
        0x2065,  # reserved among the invisible operators
        0x3164,  # Hangul filler
        *range(0xFE00, 0xFE10),  # variation selectors 1-16 (U+FE0F: emoji presentation)
        0xFFA0,  # halfwidth Hangul filler
        *range(0xFFF0, 0xFFF9),  # reserved before the interlinear annotations
        *range(0xE0000, 0xE1000),  # tags and variation selectors 17-256, and their reserve
    }
)


def must_escape(code: int) -> bool:
    """True when code point `code` is shown escaped: see `MUST_ESCAPE_CATEGORIES`."""
    return code in INVISIBLE_FILLERS or unicodedata.category(chr(code)) in MUST_ESCAPE_CATEGORIES


def _escape_for(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_CACHE_LIMIT: Final = 70_000  # the Basic Multilingual Plane and then some


class _EscapeTable(dict[int, str]):
    """A `str.translate` table that decides each code point on first sight and caches it.

    Deciding all 1.1 million code points at import would cost a start-up; text holds few
    distinct characters, so each is classified once, the first time it is met.
    """

    def __init__(self, keep: frozenset[int], escape: Callable[[int], str]) -> None:
        super().__init__()
        self._keep = keep
        self._escape = escape

    def __missing__(self, code: int) -> str:
        text = self._escape(code) if code not in self._keep and must_escape(code) else chr(code)
        # Bounded: a hostile string of every code point must not grow the table for ever.
        if len(self) < _CACHE_LIMIT:
            self[code] = text
        return text


_ESCAPE_ALL: Final = _EscapeTable(frozenset(), _escape_for)
# Multi-line views (stacks, long strings) keep line breaks and tabs as they are.
_ESCAPE_KEEP_LINES: Final = _EscapeTable(frozenset({0x0A, 0x09}), _escape_for)


def _json_escape_for(code: int) -> str:
    if 0xD800 <= code <= 0xDFFF:
        # A lone surrogate as the JSON escape `\\ud800` is refused by strict parsers
        # (orjson, Rust's serde) and UTF-8 cannot carry it: it becomes visible text.
        return f"\\\\u{code:04x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    # JSON spells a character beyond the BMP as its UTF-16 surrogate pair.
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


# JSON whitespace stays: inside strings the encoder has escaped it already, and between
# tokens it is the indentation of pretty output.
_ESCAPE_JSON: Final = _EscapeTable(frozenset({0x09, 0x0A, 0x0D}), _json_escape_for)


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
