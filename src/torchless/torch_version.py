"""``torch.torch_version.TorchVersion``: a version string that compares with version strings, tuples of numbers and
``packaging.version.Version`` objects by PEP 440's order, as code written for PyTorch compares ``torch.__version__``
(``torch.__version__ >= (2, 0)``, ``torch.__version__ < "1.10"``)."""
import functools
import re
from collections.abc import Iterable

__all__ = ["TorchVersion", "Version", "InvalidVersion"]

# PEP 440's grammar (its appendix's regular expression, normalised forms included), compiled on first use (it
# takes milliseconds, which every `import torchless` would pay)
_PEP440_PATTERN = r"""
    ^\s*v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?:[-_.]?(?P<pre_letter>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_number>[0-9]+)?)?
    (?:-(?P<post_implicit>[0-9]+)|[-_.]?(?P<post_letter>post|rev|r)[-_.]?(?P<post_number>[0-9]+)?)?
    (?:[-_.]?(?P<dev_letter>dev)[-_.]?(?P<dev_number>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$"""


@functools.lru_cache(maxsize=None)
def _pep440():
    return re.compile(_PEP440_PATTERN, re.VERBOSE | re.IGNORECASE)

_PRE_RANKS = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}

# sort keys standing for "before everything" and "after everything" in a segment of the key
_FIRST, _LAST = (-1,), (1,)


class InvalidVersion(ValueError):
    """A string that is not a PEP 440 version (what ``packaging.version.InvalidVersion`` says)."""


class Version:
    """A PEP 440 version, ordered as ``packaging.version.Version`` orders them."""

    __slots__ = ("_text", "_key")

    def __init__(self, version):
        match = _pep440().match(version)
        if match is None:
            raise InvalidVersion(f"Invalid version: {version!r}")
        self._text = version
        self._key = _sort_key(match)

    @property
    def release(self):
        return self._key[1]

    def __repr__(self):
        return f"<Version({self._text!r})>"

    def __str__(self):
        return self._text

    def __hash__(self):
        return hash(self._key)

    def _compare(self, other, compare):
        if isinstance(other, str):
            other = Version(other)
        if not isinstance(other, Version):
            return NotImplemented
        return compare(self._key, other._key)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)


def _sort_key(match):
    release = [int(part) for part in match["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:  # 2.0 == 2.0.0
        release.pop()
    post_number = match["post_implicit"] or match["post_number"]
    has_post = match["post_implicit"] is not None or match["post_letter"] is not None
    has_dev = match["dev_letter"] is not None
    if match["pre_letter"] is not None:
        pre = (0, _PRE_RANKS[match["pre_letter"].lower()], int(match["pre_number"] or 0))
    else:  # 2.0.dev1 < 2.0a1 < 2.0
        pre = _FIRST if has_dev and not has_post else _LAST
    post = (0, int(post_number or 0)) if has_post else _FIRST
    dev = (0, int(match["dev_number"] or 0)) if has_dev else _LAST
    if match["local"] is None:
        local = _FIRST
    else:  # numeric parts sort after alphanumeric ones, as PEP 440 says
        local = (0, tuple((1, int(part), "") if part.isdigit() else (0, 0, part.lower())
                          for part in re.split(r"[-_.]", match["local"])))
    return int(match["epoch"] or 0), tuple(release), pre, post, dev, local


class TorchVersion(str):
    """A string that compares as a version with strings (``"1.10"``), tuples of numbers (``(1, 10)``) and
    ``packaging.version.Version`` objects; against a string that is no version (``"parrot"``) it compares as a
    string."""

    __slots__ = ()

    def _convert_to_version(self, other):
        if isinstance(other, Version):
            return other
        if isinstance(other, str):
            return Version(other)
        if hasattr(other, "release") and hasattr(other, "public"):  # a packaging.version.Version
            return Version(str(other))
        if isinstance(other, Iterable):  # (1, 10) is 1.10, (1, 10, 1) is 1.10.1
            return Version(".".join(str(part) for part in other))
        raise InvalidVersion(other)

    def _compare(self, other, method):
        try:
            return getattr(Version(self), method)(self._convert_to_version(other))
        except InvalidVersion:
            return getattr(super(), method)(other)


for _method in ("__gt__", "__lt__", "__eq__", "__ge__", "__le__"):
    setattr(TorchVersion, _method, lambda self, other, _method=_method: self._compare(other, _method))
del _method
TorchVersion.__hash__ = str.__hash__
