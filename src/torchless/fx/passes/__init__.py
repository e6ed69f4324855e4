"""Passes over fx graphs (``shape_prop``) and their helpers (``utils``: subgraph matching)."""
