"""The line atop every screen that names the profile in use (`--profile`, "Switch
profile"), in the theme's warning colour when the profile asks for it (production)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from wflog_tui.ui.app import wflog_app


class ProfileBadge(Static):
    """`profile prod`, docked at the top; hidden when no profile was chosen."""

    DEFAULT_CSS = """
    ProfileBadge { dock: top; height: 1; padding: 0 1; background: $panel; }
    ProfileBadge.-warning { color: $warning; text-style: bold; }
    """

    def on_mount(self) -> None:
        """Show the app's profile as it is now."""
        self.show_profile()

    def show_profile(self) -> None:
        """Name the app's profile, or hide when there is none."""
        config = wflog_app(self).config
        self.display = config.profile is not None
        self.set_class(config.profile_warning, "-warning")
        text = Text("profile ", style="dim")
        text.append(config.profile or "", style="bold")
        self.update(text)
