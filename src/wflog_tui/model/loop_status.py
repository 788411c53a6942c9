"""One status for a loop, in the same words in the tree, the detail pane and `show`.

A loop's own entry and its iterations can disagree: the platform may record the loop
COMPLETED while one of its 142 iterations failed. The status shown is the rolled-up one
(the worst of the entry and its iterations), and the words say why: how many iterations
had that status, and what the loop entry itself recorded when that differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.model.step_tree import LoopNode


@dataclass(frozen=True, slots=True)
class LoopStatus:
    """What a loop's status line says, and the figures behind it.

    `status` is the rolled-up status; `recorded` what the loop's own entry says (None when
    the log holds iterations but no loop entry); `counts` the iterations by status, worst
    first, not reached included, which add up to `iterations`.
    """

    status: str
    recorded: str | None
    iterations: int
    counts: tuple[tuple[str, int], ...]

    @property
    def headline(self) -> str:
        """`✗ FAILED`: the glyph and word of the rolled-up status."""
        return f"{st.glyph(self.status)} {one_line(st.word(self.status), 24)}"

    @property
    def explanation(self) -> str:
        """`1 of 142 iterations failed; the loop entry recorded COMPLETED`, or "" when
        the status needs no explanation (every iteration and the entry agree)."""
        parts = []
        matching = dict(self.counts).get(self.status, 0)
        if matching and self.status != st.COMPLETED:
            noun = "iteration" if self.iterations == 1 else "iterations"
            word = one_line(st.word(self.status).lower(), 24)
            parts.append(f"{matching:,} of {self.iterations:,} {noun} {word}")
        if self.recorded is None:
            parts.append("no loop entry was logged")
        elif self.recorded != self.status:
            parts.append(f"the loop entry recorded {one_line(st.word(self.recorded), 24)}")
        return "; ".join(parts)

    @property
    def text(self) -> str:
        """The headline, with the explanation in parentheses when there is one."""
        explanation = self.explanation
        return f"{self.headline} ({explanation})" if explanation else self.headline


def loop_status(loop: LoopNode) -> LoopStatus:
    """The loop's status as every view shows it (see the module's docstring)."""
    counts = loop.counts()
    ordered = sorted(
        ((status, n) for status, n in counts.items() if n > 0),
        key=lambda item: (st.severity(item[0]), item[0]),
    )
    return LoopStatus(
        status=loop.rollup_status,
        recorded=loop.status if loop.entries else None,
        iterations=sum(n for _, n in ordered),
        counts=tuple(ordered),
    )
