"""Argument checks shared by the datasets, with torchvision's messages (``torchvision.datasets.utils``)."""


def iterable_to_str(iterable):
    return "'" + "', '".join(str(item) for item in iterable) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    """``value`` if it is a string among ``valid_values`` (any string when that is None).

    Raises:
        ValueError: "Expected type str for argument {arg}, but got type {type}." for a non-string, or
            "Unknown value '{value}' for argument {arg}. Valid values are {'a', 'b'}." (or ``custom_msg``).
    """
    if not isinstance(value, str):
        where = "" if arg is None else f" for argument {arg}"
        raise ValueError(f"Expected type str{where}, but got type {type(value)}.")
    if valid_values is None or value in valid_values:
        return value
    if custom_msg is not None:
        raise ValueError(custom_msg)
    raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are {{{iterable_to_str(valid_values)}}}.")
