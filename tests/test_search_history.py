"""The session's searches, walked with the arrows as a shell does."""

from __future__ import annotations

from wflog_tui.model.search_history import MAX_SEARCHES, SearchHistory


def test_walks_back_and_forth_and_returns_to_the_draft() -> None:
    history = SearchHistory()
    for text in ("status:FAILED", "input.currency=JPY", "01HW"):
        history.add(text)
    assert history.previous("draft") == "01HW"
    assert history.previous("01HW") == "input.currency=JPY"
    assert history.previous("…") == "status:FAILED"
    assert history.previous("…") is None  # the oldest stays
    assert history.next() == "input.currency=JPY"
    assert history.next() == "01HW"
    assert history.next() == "draft"
    assert history.next() is None  # not walking any more


def test_blank_and_repeated_searches_are_kept_once_newest_last() -> None:
    history = SearchHistory()
    for text in ("a", "  ", "b", "b", "a"):
        history.add(text)
    assert history.searches == ["b", "a"]


def test_typing_starts_the_walk_again_from_the_newest() -> None:
    history = SearchHistory()
    history.add("one")
    history.add("two")
    assert history.previous("") == "two"
    assert history.previous("two") == "one"
    history.stop_walking()
    assert history.previous("typed") == "two"


def test_keeps_only_the_newest() -> None:
    history = SearchHistory()
    for n in range(MAX_SEARCHES + 10):
        history.add(f"q{n}")
    assert len(history.searches) == MAX_SEARCHES
    assert history.searches[0] == "q10" and history.searches[-1] == f"q{MAX_SEARCHES + 9}"
