"""The Textual app: screens, widgets, styles, themes and key bindings. Never builds SQL."""
