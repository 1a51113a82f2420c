"""Analysis over stored results: pair statistics, recommendation, projection, diffs, comparison.

Everything here reads the SQLite store with aggregate SQL (see `queries.py`) and returns plain
dataclasses with a `to_dict()` for JSON; the CLI and the UI only render them.
"""
