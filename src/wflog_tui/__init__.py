"""wflog-tui: a terminal UI for workflow_execution_log."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Read from the installed metadata when asked for, not on import: importlib.metadata
    # costs about 30 ms, and every start of the program imports this package.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wflog-tui")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0.0.0"
