"""The demo: an embedded PostgreSQL, a realistic history and a simulator of live runs."""
