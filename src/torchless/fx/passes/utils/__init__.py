"""Helpers of the fx passes: subgraph matching (``matcher_utils``) and partition checks (``fuser_utils``)."""
