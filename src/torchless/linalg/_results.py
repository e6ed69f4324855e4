"""The named tuples linalg functions return, printed and typed like ``torch.return_types.linalg_*``."""
import functools
import operator


@functools.lru_cache(maxsize=None)
def result_type(name, fields):
    """The ``torchless.return_types.<name>`` tuple class with ``fields`` (built once per name)."""
    from .._tensor import _ReturnType

    def __new__(cls, *values):
        return tuple.__new__(cls, values)

    namespace = {"__slots__": (), "__new__": __new__, "_name": name, "_fields": fields,
                 "__module__": "torchless.return_types",
                 **{field: property(operator.itemgetter(i)) for i, field in enumerate(fields)}}
    return type(name, (_ReturnType,), namespace)


def result(name, fields, *values):
    return result_type(name, fields)(*values)
