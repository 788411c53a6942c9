"""The themes that ship with wflog-tui, one TOML file per theme.

This directory is installed as the package `wflog_tui.themes` (see `pyproject.toml`), so the
files are found with `importlib.resources` both from a wheel and from an editable install.
The module holds no code: `wflog_tui.ui.themes` reads and validates the files.
"""
