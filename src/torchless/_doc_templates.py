"""Docstrings that share entries: PyTorch writes its common argument descriptions once (``factory_common_args``
and the like) and formats them into each docstring; :func:`filled_docstring` does that for a function."""


def filled_docstring(**entries):
    """Decorator: the function with ``entries`` filled into the ``{name}`` fields of its docstring (by
    ``str.format``, so a literal brace there is doubled). Each entry is written as it stands in the docstring,
    without its first line's indentation, which the field's place gives it."""

    def fill(function):
        if function.__doc__ is not None:  # (None under python -OO)
            function.__doc__ = function.__doc__.format(**entries)
        return function

    return fill
