"""`python -m wflog_tui`, the same as the `wflog-tui` command."""

from wflog_tui.cli import main

if __name__ == "__main__":
    main()
