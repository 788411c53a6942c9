"""The searches typed this session, walked with the up and down arrows as a shell does."""

from __future__ import annotations

from typing import Final

# Enough for an incident's worth of searches; the oldest go first.
MAX_SEARCHES: Final = 100


class SearchHistory:
    """Searches, oldest first, and a place in them while the reader walks back.

    `previous` and `next` move through the searches from the newest; what was being
    typed before the walk began comes back when `next` walks past the newest, as in a
    shell, so an arrow pressed by mistake loses nothing.
    """

    def __init__(self) -> None:
        self.searches: list[str] = []
        self._place: int | None = None
        self._draft = ""

    def add(self, text: str) -> None:
        """Remember a search that was run; blank ones and repeats of the last are not."""
        text = text.strip()
        self._place = None
        if not text or (self.searches and self.searches[-1] == text):
            return
        if text in self.searches:
            # An older search run again becomes the newest, once.
            self.searches.remove(text)
        self.searches.append(text)
        del self.searches[:-MAX_SEARCHES]

    def previous(self, current: str) -> str | None:
        """The search before the one shown (`current` is kept to come back to); None at
        the oldest or with no history."""
        if not self.searches:
            return None
        if self._place is None:
            self._draft = current
            self._place = len(self.searches)
        if self._place == 0:
            return None
        self._place -= 1
        return self.searches[self._place]

    def next(self) -> str | None:
        """The search after the one shown, or the text typed before walking back; None
        when not walking the history."""
        if self._place is None:
            return None
        self._place += 1
        if self._place >= len(self.searches):
            self._place = None
            return self._draft
        return self.searches[self._place]

    def stop_walking(self) -> None:
        """The reader typed: the next `previous` starts again from the newest."""
        self._place = None
