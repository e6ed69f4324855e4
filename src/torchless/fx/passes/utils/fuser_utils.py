"""Helpers for fusing groups of nodes (``torch.fx.passes.utils.fuser_utils``)."""

__all__ = ["validate_partition"]


def validate_partition(partition):
    """Returns whether the nodes of ``partition`` can be fused into one node without creating a cycle, that is
    whether no path leaves the partition and comes back into it.

    .. warning::
        This API is experimental and is *NOT* backward-compatible.
    """
    members = set(partition)
    # a fused node would have to run both before and after a node on such a path
    pending = [user for node in members for user in node.users if user not in members]
    visited = set()
    while pending:
        node = pending.pop()
        if node in members:
            return False
        if node not in visited:
            visited.add(node)
            pending.extend(node.users)
    return True
