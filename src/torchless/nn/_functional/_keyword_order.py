"""The order in which PyTorch's "invalid combination of arguments" message lists keyword arguments.

PyTorch copies the keyword arguments into a C++ std::unordered_map<std::string, PyObject*> before
describing them, so they come out in that map's iteration order: libstdc++'s, which depends on the
hash of each name. This module reproduces it (std::hash<std::string> is _Hash_bytes, a 64-bit
MurmurHash2 with seed 0xc70f6907; a new key goes first in its bucket's run of nodes, or first of
all if its bucket was empty; the map starts with 13 buckets and rehashes past 13 keys).
"""
import math

_UINT64 = (1 << 64) - 1
_MURMUR_MUL = 0xC6A4A7935BD1E995
_LIBSTDCXX_SEED = 0xC70F6907
_SMALL_BUCKET_COUNTS = (2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13)  # libstdc++'s __fast_bkt


def _shift_mix(value):
    return value ^ (value >> 47)


def _std_hash(text):
    """libstdc++'s std::hash<std::string>{}(text) on a 64-bit platform."""
    data = text.encode()
    aligned = len(data) & ~7
    h = (_LIBSTDCXX_SEED ^ (len(data) * _MURMUR_MUL)) & _UINT64
    for start in range(0, aligned, 8):
        word = int.from_bytes(data[start:start + 8], "little")
        h = (h ^ (_shift_mix(word * _MURMUR_MUL & _UINT64) * _MURMUR_MUL & _UINT64)) * _MURMUR_MUL & _UINT64
    if len(data) & 7:
        h = (h ^ int.from_bytes(data[aligned:], "little")) * _MURMUR_MUL & _UINT64
    return _shift_mix(_shift_mix(h) * _MURMUR_MUL & _UINT64)


def _bucket_count_at_least(n):
    """libstdc++'s _Prime_rehash_policy::_M_next_bkt: a small table, then the next prime."""
    if n < len(_SMALL_BUCKET_COUNTS):
        return _SMALL_BUCKET_COUNTS[n]
    while any(n % d == 0 for d in range(2, math.isqrt(n) + 1)):
        n += 1
    return n


def _insert_node(nodes, name, buckets):
    bucket = _std_hash(name) % buckets
    first_of_bucket = next((i for i, (_, b) in enumerate(nodes) if b == bucket), 0)
    nodes.insert(first_of_bucket, (name, bucket))


def unordered_map_order(names):
    """``names`` (distinct) in the order a libstdc++ std::unordered_map<std::string, ...> filled with them
    in this order iterates them."""
    nodes, buckets, next_resize = [], 1, 0
    for name in names:
        if len(nodes) + 1 > next_resize:  # _M_need_rehash: the first insertion asks for at least 11 buckets
            wanted = max(len(nodes) + 1, 11 if next_resize == 0 else 0)
            if wanted >= buckets:
                buckets = _bucket_count_at_least(max(wanted + 1, 2 * buckets))
                old, nodes = nodes, []
                for old_name, _ in old:  # a rehash re-inserts the nodes in their current order
                    _insert_node(nodes, old_name, buckets)
            next_resize = buckets
        _insert_node(nodes, name, buckets)
    return [name for name, _ in nodes]
