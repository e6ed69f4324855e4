"""Checks on partitions of an fx graph (sets of its nodes) before they are fused into one."""

__all__ = ["validate_partition"]


def validate_partition(partition):
    """Whether the nodes of ``partition`` can be fused without making a cycle: no path leaves the partition and
    comes back into it.

    Args:
        partition (List[Node]): the nodes to fuse
    """
    partition_set = set(partition)
    outputs = [user for node in partition_set for user in node.users if user not in partition_set]
    visited = set()
    queue = outputs
    while queue:  # (from the partition's outside users, towards their users: meeting the partition is a cycle)
        current = queue.pop()
        visited.add(current)
        if current in partition_set:
            return False
        queue.extend(user for user in current.users if user not in visited)
    return True
