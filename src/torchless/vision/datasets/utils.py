"""Argument and file checks shared by the datasets, with torchvision's messages (``torchvision.datasets.utils``)."""
import os


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


def calculate_md5(fpath, chunk_size=1024 * 1024):
    """The MD5 hex digest of the file ``fpath``, read ``chunk_size`` bytes at a time."""
    from ._download import file_digest

    return file_digest(fpath, "md5", chunk_size=chunk_size)


def check_md5(fpath, md5, **kwargs):
    """Whether the file ``fpath`` has the MD5 hex digest ``md5`` (``kwargs``: ``calculate_md5``'s)."""
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    """Whether ``fpath`` is a file and, when ``md5`` is given, has that MD5 hex digest."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def list_dir(root, prefix=False):
    """The names of the folders in ``root`` (``~`` expanded), in ``os.listdir``'s order; with ``prefix``, their
    paths."""
    root = os.path.expanduser(root)
    directories = [name for name in os.listdir(root) if os.path.isdir(os.path.join(root, name))]
    return [os.path.join(root, name) for name in directories] if prefix is True else directories


def list_files(root, suffix, prefix=False):
    """The names of the files in ``root`` (``~`` expanded) that end with ``suffix`` (a string or a tuple of them,
    as ``str.endswith`` takes), in ``os.listdir``'s order; with ``prefix``, their paths."""
    root = os.path.expanduser(root)
    files = [name for name in os.listdir(root) if os.path.isfile(os.path.join(root, name)) and name.endswith(suffix)]
    return [os.path.join(root, name) for name in files] if prefix is True else files
