"""The run list's lines of text: counts, the filter bar, and the pieces of its status line.

Pure functions of what the screen knows, so the screen only decides which to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from rich.text import Text

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.model.search_query import format_query
from wflog_tui.store import RunFilter
from wflog_tui.ui.widgets.status_text import status_text

# Data younger than this is shown as fetched "just now".
FRESH_S = 5


def window_label(window: timedelta | None) -> str:
    """`15m`, `24h`, `7d` or `all`, as the --since flag spells it."""
    if window is None:
        return "all"
    seconds = int(window.total_seconds())
    # A day is spelled 24h, as people say it; from two days on, days.
    for unit, size, least in (("d", 86400, 172800), ("h", 3600, 3600), ("m", 60, 60)):
        if seconds >= least and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def counts_line(
    counts: Mapping[str, int],
    since: timedelta | None,
    variables: Mapping[str, str],
    width: int = 10_000,
) -> Text:
    """`✓ COMPLETED 12   ✗ FAILED 3 … (last 24h)`: the runs of the window by status,
    broken into lines of `width` cells between one count and the next, never inside one."""
    pieces = []
    for status in (*st.KNOWN, *sorted(set(counts) - set(st.KNOWN))):
        piece = status_text(status, variables)
        piece.append(f" {counts.get(status, 0):,}", style="bold")
        pieces.append(piece)
    window = window_label(since)
    pieces.append(Text(f"(last {window})" if window != "all" else "(all time)", style="dim"))
    text = Text()
    line = 0
    for piece in pieces:
        if line and line + 3 + piece.cell_len > width:
            text.append("\n")
            line = 0
        elif line:
            text.append("   ")
            line += 3
        text.append_text(piece)
        line += piece.cell_len
    return text


def spark_label(total: int) -> Text:
    """`84 failures in last hour`: the sparkline's total, said as a total (cut with an
    ellipsis should its box be narrower still)."""
    noun = "failure" if total == 1 else "failures"
    return Text(f"{total:,} {noun} in last hour", no_wrap=True, overflow="ellipsis")


def filter_line(run_filter: RunFilter, sort_column: str, sort_reverse: bool) -> Text:
    """`Filter: status=FAILED  window=24h   sort: started ↓`."""
    f = run_filter
    text = Text("Filter: ", style="bold")
    parts: list[Text] = []
    if f.statuses:
        parts.append(Text("status=" + ",".join(sorted(one_line(s, 20) for s in f.statuses))))
    if f.workflow:
        parts.append(Text("workflow=" + one_line(f.workflow, 60)))
    if f.organisation:
        parts.append(Text("org=" + one_line(f.organisation, 40)))
    if f.event_name:
        parts.append(Text("event=" + one_line(f.event_name, 40)))
    if f.search:
        parts.append(Text("search=" + one_line(f.search, 60)))
    if f.query:
        parts.append(Text("search=" + one_line(format_query(f.query), 60)))
    parts.append(Text(f"window={window_label(f.since)}"))
    text.append_text(Text("  ").join(parts))
    arrow = "↓" if sort_reverse else "↑"
    text.append(f"   sort: {sort_column.replace('_', ' ')} {arrow}", style="dim")
    return text


def outage_line(state: str, since: datetime, message: str) -> Text:
    """`✗ DISCONNECTED since 10:02:03 data shown is stale, retrying  <the error>`."""
    text = Text()
    text.append(f"✗ {state} since {since.astimezone().strftime('%H:%M:%S')}", style="bold reverse")
    # Said before the error, which can be long enough to push it off the line.
    text.append(" data shown is stale, retrying", style="bold")
    text.append(f"  {one_line(message, 120)}")
    return text


def mode_line(*, paused: bool, following: bool) -> Text:
    """`● LIVE`, `❚❚ PAUSED  p resumes, space refreshes once` or `● FOLLOWING …`."""
    if paused:
        line = Text().append("❚❚ PAUSED", style="bold reverse")
        return line.append("  p resumes, space refreshes once")
    if following:
        return Text().append("● FOLLOWING newest running run", style="bold")
    return Text().append("● LIVE", style="bold")


def freshness(last_fetch: datetime, every_s: float, how: str) -> str:
    """`   updated just now · every 2s, polling`."""
    ago = max(0, int((datetime.now(UTC) - last_fetch).total_seconds()))
    # Seconds only once they say something: a fresh list reads "just now".
    when = "just now" if ago < FRESH_S else f"{ago}s ago"
    return f"   updated {when} · every {every_s:g}s, {how}"


def size_note(shown: int, exhausted: bool, new_above: int) -> Text:
    """`   100 runs (more below)   +3 new above`."""
    text = Text(f"   {shown:,} runs")
    if not exhausted:
        text.append(" (more below)", style="dim")
    if new_above:
        text.append(f"   +{new_above} new above", style="bold")
    return text
