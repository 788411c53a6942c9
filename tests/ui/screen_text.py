"""What the terminal shows, as plain text lines, for assertions."""

from __future__ import annotations

from textual.app import App


def screen_text(app: App) -> str:
    """The whole screen as text, one line per terminal row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)
