"""`workbench optimize`: search for the cheapest version of a prompt that still passes its suite.

units (split a template into removable instruction units) -> search (candidates scored by the
normal engine, accepted only when the suite's acceptance holds) -> version_file (the winner
written as a new, never-overwriting version with its provenance).
"""
