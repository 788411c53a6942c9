"""The run list's `/` with the search language: narrowing as you type, a mistake pointed at
with no query sent, the session's searches on the arrows, the grammar, the slow hint."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from tests.ui.harness import list_app, recent, run_ids, screen_text, settle, table_of
from wflog_tui.model.search_query import EXAMPLES, SearchSyntaxError, parse_query
from wflog_tui.ui.run_list import feed as list_feed
from wflog_tui.ui.run_list.search_box import syntax_error_text
from wflog_tui.ui.run_list.search_grammar import SearchGrammar, grammar_text


def invoice(minutes_ago: float, run_id: str, currency: str, amount: int) -> dict:
    return recent(
        minutes_ago,
        run_id=run_id,
        input_payload={"invoice": {"currency": currency, "amount": amount}},
    )


@pytest.fixture
async def invoices(table):
    await table.insert(
        invoice(1, "01EUR1", "EUR", 100),
        invoice(2, "01JPY1", "JPY", 9000),
        invoice(3, "01USD1", "USD", 7000),
        invoice(4, "01JPY2", "JPY", 120),
    )
    return table


def count_pages(store) -> list[str]:
    """Every store call from now on, by name, counted as it starts (not when it ends)."""
    calls: list[str] = []
    run_query = store._run

    async def counted(name: str, *args: Any) -> Any:
        calls.append(name)
        return await run_query(name, *args)

    store._run = counted
    return calls


def error_lines(app) -> list[str]:
    return [line for line in screen_text(app).splitlines() if line.strip()]


async def test_typing_a_search_narrows_the_list_on_the_server(invoices, open_store_for):
    store = await open_store_for(invoices)
    app = list_app(store, refresh_s=60)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 4)
        # No enter: the list narrows once typing pauses.
        await pilot.press("slash", *"input.invoice.currency=JPY")
        await settle(pilot, lambda: sorted(run_ids(app)) == ["01JPY1", "01JPY2"])
        text = screen_text(app)
        assert "01EUR1" not in text and "01USD1" not in text
        assert "01JPY1" in text and "01JPY2" in text
        assert "search=input.invoice.currency=JPY" in text
        # More terms narrow further; enter closes the box and keeps the search.
        await pilot.press(*" input.invoice.amount>5000", "enter")
        await settle(pilot, lambda: run_ids(app) == ["01JPY1"])
        assert not app.screen.search_box.display
        # Bare words keep today's meaning: a run id prefix.
        await pilot.press("slash", "ctrl+u", *"01USD", "enter")
        await settle(pilot, lambda: run_ids(app) == ["01USD1"])
        # x clears every filter, the search too.
        await pilot.press("x")
        await settle(pilot, lambda: table_of(app).row_count == 4)
        assert "search=" not in screen_text(app)
        await pilot.press("slash")
        assert app.screen.search_box.input.value == ""


async def test_a_syntax_error_is_pointed_at_and_no_query_is_sent(invoices, open_store_for):
    store = await open_store_for(invoices)
    app = list_app(store, refresh_s=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 4)
        await pilot.press("slash", *"input.invoice.currency=JPY")
        # The whole cycle, the header's counts included, ends before counting starts.
        await settle(pilot, lambda: len(run_ids(app)) == 2 and not app.screen.live.lock.locked())
        calls = count_pages(store)
        await pilot.press(*" input.invoice.amount>lots")
        await settle(pilot, lambda: app.screen.search_box.error is not None)
        lines = error_lines(app)
        message = next(i for i, line in enumerate(lines) if "compares numbers" in line)
        assert "'lots' is not one (column 49)" in lines[message]
        query_line, caret_line = lines[message + 1], lines[message + 2]
        assert query_line.strip().endswith("input.invoice.amount>lots")
        caret = caret_line.index("^")
        assert query_line[caret : caret + 4] == "lots"
        # Neither the pause nor enter sent anything; the last good search still shows.
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.search_box.input.has_focus
        assert calls == []
        assert sorted(run_ids(app)) == ["01JPY1", "01JPY2"]
        # Fixed, the error goes and the search runs.
        await pilot.press(*["backspace"] * 4, *"5000")
        await settle(pilot, lambda: run_ids(app) == ["01JPY1"])
        assert "compares numbers" not in screen_text(app)
        assert "fetch_page" in calls


async def test_up_and_down_walk_the_searches_of_the_session(invoices, open_store_for):
    store = await open_store_for(invoices)
    app = list_app(store, refresh_s=60)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 4)
        for search in ("01EUR", "input.invoice.currency=JPY", "01USD"):
            await pilot.press("slash", "ctrl+u", *search, "enter")
            await settle(pilot, lambda search=search: f"search={search}" in screen_text(app))
        box = app.screen.search_box.input
        await pilot.press("slash", "ctrl+u", *"draft")
        await pilot.press("up")
        assert box.value == "01USD"
        await pilot.press("up", "up")
        assert box.value == "01EUR"
        await pilot.press("up")  # the oldest stays
        assert box.value == "01EUR"
        await pilot.press("down")
        assert box.value == "input.invoice.currency=JPY"
        # What the arrow shows narrows the list like typing it.
        await settle(pilot, lambda: sorted(run_ids(app)) == ["01JPY1", "01JPY2"])
        await pilot.press("down", "down")
        assert box.value == "draft"  # what was being typed comes back


async def test_question_mark_in_the_empty_box_and_f1_show_the_grammar(invoices, open_store_for):
    store = await open_store_for(invoices)
    app = list_app(store, refresh_s=60)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 4)
        await pilot.press("slash", "question_mark")
        await settle(pilot, lambda: "step:(charge_card status:FAILED)" in screen_text(app))
        assert isinstance(app.screen, SearchGrammar)
        assert "input.invoice.currency=JPY" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, SearchGrammar))
        box = app.screen.search_box.input
        assert box.has_focus and box.value == ""
        # After some text, ? is searched for like any character.
        await pilot.press(*"input~why", "question_mark")
        assert box.value == "input~why?"
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, SearchGrammar))


async def test_a_slow_search_no_index_serves_points_to_doctor(
    invoices, open_store_for, monkeypatch
):
    # Any time counts as slow here, so the hint's path is the one exercised.
    monkeypatch.setattr(list_feed, "SLOW_SEARCH_S", -1.0)
    store = await open_store_for(invoices)
    app = list_app(store, refresh_s=60)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 4)
        assert "search slow" not in screen_text(app)
        await pilot.press("slash", *"input~jpy", "enter")
        await settle(pilot, lambda: "search slow" in screen_text(app))
        assert "see `wflog-tui doctor`" in screen_text(app)


@given(hs.text(max_size=120), hs.integers(min_value=10, max_value=200))
def test_the_caret_always_points_into_what_is_shown(text, width):
    try:
        parse_query(text)
    except SearchSyntaxError as error:
        _, line, caret = syntax_error_text(text, error, width).plain.split("\n")
        assert len(line) <= max(10, width)
        assert caret.endswith("^") and len(caret) <= len(line) + 1
        shown = line.replace("…", "")
        position = min(error.position, len(text))
        if position < len(text) and line[len(caret) - 1] != "…":
            assert line[len(caret) - 1] in (text[position], "\ufffd", " ")
        assert shown or not text.strip()


def test_the_grammar_fits_80_columns_and_sits_side_by_side_when_wide() -> None:
    narrow = grammar_text(76).plain.splitlines()
    assert all(len(line) <= 76 for line in narrow[:-1])  # the closing paragraph wraps
    assert len(narrow) == 2 * len(EXAMPLES) + 2
    wide = grammar_text(126).plain.splitlines()
    assert len(wide) == len(EXAMPLES) + 2
    assert wide[0].startswith("01HW7") and EXAMPLES[0][1] in wide[0]
