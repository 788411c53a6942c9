"""What each profile remembers between sessions: the last window and the time display.

Kept in the XDG state directory (platformdirs `user_state_path`), not in the
configuration file: the file is the user's, and a tool rewriting it on every keypress
would fight their editor. The state is ours, so a damaged or foreign state file is
replaced rather than reported: losing the last window is no reason to refuse to start.

The functions the UI calls: `remember_state` (when the window or time display changes)
and `recall_state` (the CLI applies it at start).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
import platformdirs

from wflog_tui.config_file import APP_NAME, TIME_DISPLAYS
from wflog_tui.store.filters import parse_since

# The key under which the state of "no profile" is kept.
NO_PROFILE: Final = ""


def state_path() -> Path:
    """`$XDG_STATE_HOME/wflog-tui/state.json`, or the platform's equivalent."""
    return platformdirs.user_state_path(APP_NAME) / "state.json"


@dataclass(frozen=True)
class StickyState:
    """A profile's last window (`since` as the flag spells it) and time display."""

    since: str | None = None
    time_display: str | None = None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def recall_state(profile: str | None, path: Path | None = None) -> StickyState:
    """What `profile` (None: no profile) had last; values no longer valid are dropped."""
    entry = _read(path or state_path()).get(profile or NO_PROFILE)
    if not isinstance(entry, dict):
        return StickyState()
    since = entry.get("since")
    if isinstance(since, str):
        try:
            parse_since(since)
        except ValueError:
            since = None
    else:
        since = None
    display = entry.get("time_display")
    return StickyState(since, display if display in TIME_DISPLAYS else None)


def remember_state(
    profile: str | None,
    *,
    since: str | None = None,
    time_display: str | None = None,
    path: Path | None = None,
) -> None:
    """Remember `since` and/or `time_display` for `profile` (None leaves a value as it was).

    Raises ValueError for a window `parse_since` refuses or an unknown time display, and
    OSError when the state directory cannot be written (the caller tells the user once).
    """
    if since is not None:
        parse_since(since)
    if time_display is not None and time_display not in TIME_DISPLAYS:
        raise ValueError(f"time display takes one of {', '.join(TIME_DISPLAYS)}")
    target = path or state_path()
    state = _read(target)
    entry = state.get(profile or NO_PROFILE)
    entry = dict(entry) if isinstance(entry, dict) else {}
    if since is not None:
        entry["since"] = since
    if time_display is not None:
        entry["time_display"] = time_display
    state[profile or NO_PROFILE] = entry
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
