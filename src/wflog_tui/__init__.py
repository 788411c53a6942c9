"""wflog-tui: a terminal UI for workflow_execution_log."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wflog-tui")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
