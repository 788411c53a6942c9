"""Hypothesis strategies shared by the fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as s

# The spec's statuses, one it does not know, and an empty one.
statuses = s.sampled_from(["RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "CANCELED", "odd", ""])
