"""One definition of the characters made visible, checked over the whole code point range."""

from __future__ import annotations

import codecs
import json
import unicodedata

import orjson
from hypothesis import given, settings
from hypothesis import strategies as hs

from wflog_tui.model.display_text import (
    INVISIBLE_FILLERS,
    MUST_ESCAPE_CATEGORIES,
    escape_control,
    json_safe,
    must_escape,
    one_line,
)
from wflog_tui.model.json_text import to_json_text

# The characters of the red team's report, which passed through unescaped before.
REPORTED = [0x061C, 0xE0001, 0xE0041, 0xE007F, 0x180E, 0x3164, 0x034F, 0xFE0F, 0x115F, 0x1160]
ANY_CODE_POINT = hs.integers(min_value=0, max_value=0x10FFFF)


def as_json_reads(text: str) -> str:
    """`text` as our JSON output reads back: a lone surrogate as the text `\\ud800`."""
    return "".join(f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def test_the_reported_characters_are_escaped_everywhere():
    for code in REPORTED:
        text = f"a{chr(code)}b"
        assert must_escape(code)
        assert chr(code) not in escape_control(text)
        assert chr(code) not in one_line(text)
        assert chr(code) not in to_json_text({"k": text})
        assert json.loads(to_json_text({"k": text})) == {"k": text}


@settings(max_examples=3000)
@given(ANY_CODE_POINT)
def test_every_code_point_is_escaped_exactly_when_the_definition_says(code):
    char = chr(code)
    category = unicodedata.category(char)
    expected = category in MUST_ESCAPE_CATEGORIES or code in INVISIBLE_FILLERS
    shown = escape_control(char)
    if expected:
        # Visible, ASCII only, and it reads back as the very character.
        assert shown != char and shown.isascii() and shown.isprintable()
        assert codecs.decode(shown, "unicode_escape") == char
    else:
        assert shown == char
    # Whatever it is, the result can be written to a UTF-8 terminal.
    shown.encode("utf-8")


def test_the_whole_range_in_one_pass():
    # Hypothesis samples; this walks every code point once (about a second).
    text = "".join(map(chr, range(0x110000)))
    shown = escape_control(text)
    shown.encode("utf-8")
    leftovers = {ch for ch in shown if must_escape(ord(ch))}
    assert leftovers == set()
    assert orjson.loads(json_safe(json.dumps(text, ensure_ascii=False))) == as_json_reads(text)


@given(hs.text(alphabet=hs.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)))
def test_escaped_text_and_json_never_carry_what_must_be_escaped(text):
    for shown in (escape_control(text), one_line(text, 80), to_json_text([text, {text: 1}])):
        shown.encode("utf-8")  # lone surrogates included: nothing raw is left
        assert not any(must_escape(ord(ch)) for ch in shown)
    # Strict parsers read it; only lone surrogates changed, into their visible escape.
    expected = as_json_reads(text)
    assert orjson.loads(to_json_text([text, {text: 1}])) == [expected, {expected: 1}]
