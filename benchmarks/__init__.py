"""The benchmark harness: `python -m benchmarks.run` (see benchmarks/README.md).

Nothing is imported here: the floor measurements run in fresh processes that must load
only asyncpg and orjson, so their start-up cost is the bare minimum.
"""
