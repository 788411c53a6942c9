"""The search language: what each term parses to, where mistakes are reported, and that
printing and parsing agree for every query (Hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tests.strategies import search_queries
from wflog_tui.model.search_query import (
    EXAMPLES,
    ColumnMatch,
    PayloadMatch,
    SearchQuery,
    SearchSyntaxError,
    StepField,
    StepMatch,
    Words,
    format_query,
    parse_query,
)


def terms(text: str) -> tuple:
    return parse_query(text).terms


def test_bare_words_and_quoted_phrases() -> None:
    assert terms("") == ()
    assert terms("  01RUN  invoice ") == (Words("01RUN"), Words("invoice"))
    assert terms('"Sync Invoices" -nightly') == (Words("Sync Invoices"), Words("nightly", True))
    assert terms(r'"say \"hi\" \\ back"') == (Words('say "hi" \\ back'),)


def test_column_filters() -> None:
    assert terms('status:failed workflow:"Sync Invoices" org:org_gamma') == (
        ColumnMatch("status", "FAILED"),
        ColumnMatch("workflow", "Sync Invoices"),
        ColumnMatch("org", "org_gamma"),
    )
    assert terms("version:wfv_42 event:invoice/created -error:100%_off") == (
        ColumnMatch("version", "wfv_42"),
        ColumnMatch("event", "invoice/created"),
        ColumnMatch("error", "100%_off", negated=True),
    )
    assert terms("Status:cancelled") == (ColumnMatch("status", "CANCELED"),)


def test_payload_values_are_typed() -> None:
    assert terms("input.invoice.currency=JPY") == (
        PayloadMatch("input", ("invoice", "currency"), "=", "JPY"),
    )
    assert terms('input.a=5000 input.a="5000" input.a=true input.a=null input.a=-1.5e3') == (
        PayloadMatch("input", ("a",), "=", Decimal(5000)),
        PayloadMatch("input", ("a",), "=", "5000"),
        PayloadMatch("input", ("a",), "=", True),
        PayloadMatch("input", ("a",), "=", None),
        PayloadMatch("input", ("a",), "=", Decimal("-1.5e3")),
    )
    assert terms('input.a="" output."odd.key".x~inv_4') == (
        PayloadMatch("input", ("a",), "=", ""),
        PayloadMatch("output", ("odd.key", "x"), "~", "inv_4"),
    )


def test_comparisons_and_anywhere() -> None:
    assert terms("input.invoice.amount>5000 output.n<=2.5 -input~needle") == (
        PayloadMatch("input", ("invoice", "amount"), ">", Decimal(5000)),
        PayloadMatch("output", ("n",), "<=", Decimal("2.5")),
        PayloadMatch("input", (), "~", "needle", negated=True),
    )


def test_step_terms() -> None:
    assert terms("step:charge_card step.status:failed step.error~quota") == (
        StepMatch((StepField("id", "charge_card"),)),
        StepMatch((StepField("status", "FAILED"),)),
        StepMatch((StepField("error", "quota"),)),
    )
    assert terms("step.input.currency=JPY -step.output.id=msg_5") == (
        StepMatch((PayloadMatch("input", ("currency",), "=", "JPY"),)),
        StepMatch((PayloadMatch("output", ("id",), "=", "msg_5"),), negated=True),
    )


def test_step_group_is_one_entry() -> None:
    assert terms("step:(charge_card status:FAILED -error~retry input.x>1)") == (
        StepMatch(
            (
                StepField("id", "charge_card"),
                StepField("status", "FAILED"),
                StepField("error", "retry", negated=True),
                PayloadMatch("input", ("x",), ">", Decimal(1)),
            )
        ),
    )


@pytest.mark.parametrize(("example", "meaning"), EXAMPLES)
def test_every_help_example_parses(example: str, meaning: str) -> None:
    query = parse_query(example)
    assert query.terms and meaning
    assert parse_query(format_query(query)) == query


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ('workflow:"Sync', 9, "never closed"),
        ("status:", 7, "value after status:"),
        ("colour:red", 0, "unknown filter colour:"),
        ("input.amount>lots", 13, "compares numbers"),
        ("input=5", 5, "needs a path"),
        ("input.a:5", 7, "expected =, ~"),
        ("step:(charge_card", 5, "never closed"),
        ("step:()", 5, "at least one condition"),
        ("step.colour:red", 5, "step condition"),
        ("a - b", 2, "must be followed"),
        ("--a", 1, "one '-'"),
        ("foo(bar)", 3, "unexpected '('"),
        ('""', 0, "empty quotes"),
        ("step:(id~x)", 6, "matches exactly"),
    ],
)
def test_errors_carry_a_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(SearchSyntaxError) as caught:
        parse_query(text)
    assert caught.value.position == position
    assert fragment in caught.value.message
    assert f"column {position + 1}" in str(caught.value)
    assert caught.value.pointer(text).splitlines()[1] == " " * position + "^"


# --- Property tests --------------------------------------------------------------------


@settings(max_examples=200)
@given(search_queries)
def test_printing_then_parsing_gives_the_same_query(query: SearchQuery) -> None:
    assert parse_query(format_query(query)) == query


_grammar_soup = hs.lists(
    hs.sampled_from(
        [
            '"',
            "\\",
            "-",
            "(",
            ")",
            ":",
            ".",
            "=",
            "~",
            ">",
            "<",
            " ",
            "step",
            "input",
            "output",
            "status",
            "error",
            "x",
            "5",
            "\t",
            "é",
            "%",
            "$",
            "@",
            "?",
        ]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=600)
@given(hs.one_of(hs.text(max_size=40), _grammar_soup))
def test_any_text_parses_or_raises_a_positioned_syntax_error(text: str) -> None:
    try:
        query = parse_query(text)
    except SearchSyntaxError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert parse_query(format_query(query)) == query
