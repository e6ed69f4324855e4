"""Containers: Sequential (a pipeline), ModuleList and ModuleDict (registered collections of modules), ParameterList
and ParameterDict (registered collections of parameters)."""
import operator
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from itertools import islice

from ..._tensor import Tensor, typename
from ..parameter import Parameter
from ._module_repr import addindent
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index_in_range(container, idx):
    """``idx`` (negative counts from the end) as a position in ``container`` (of len(container) entries), with
    PyTorch's IndexError."""
    size = len(container)
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range")
    return idx % size


def _renumbered(modules):
    """``modules`` named by their positions "0", "1", ... (PyTorch renumbers after a deletion or an insertion)."""
    return OrderedDict((str(i), m) for i, m in enumerate(modules))


_CONTAINER_DEPRECATED = ("`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
                         "Subclass that instead.")


class Container(Module):
    """PyTorch's deprecated Module whose keyword arguments become its children (subclass Module instead): making
    one, or a subclass, warns as PyTorch does."""

    def __new__(cls, *args, **kwargs):
        if cls is Container:
            warnings.warn(_CONTAINER_DEPRECATED, FutureWarning, stacklevel=2)
        return super().__new__(cls)

    def __init_subclass__(cls, **kwargs):
        warnings.warn(_CONTAINER_DEPRECATED, FutureWarning, stacklevel=2)
        super().__init_subclass__(**kwargs)

    def __init__(self, **kwargs):
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)


class Sequential(Module):
    """A container that applies its modules in order, each to the output of the previous one.

    Modules are given as arguments (named "0", "1", ...) or as an ``OrderedDict`` of name -> module. A Sequential
    supports indexing, slicing (a new Sequential), ``len``, iteration, ``append``, ``insert``, ``extend`` and
    ``+``; its forward takes one input and returns the last module's output.

    Args:
        *args (Module or OrderedDict): the modules, in order

    Shape:
        - Input: whatever the first module takes
        - Output: whatever the last module returns

    Examples::

        >>> model = nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(), nn.Conv2d(20, 64, 5), nn.ReLU())
        >>> model(torch.randn(1, 1, 28, 28)).shape
        torchless.Size([1, 64, 20, 20])
        >>> model[0]
        Conv2d(1, 20, kernel_size=(5, 5), stride=(1, 1))
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def _get_item_by_idx(self, iterator, idx):
        """The idx-th item of ``iterator`` (negative counts from the end of this Sequential), with PyTorch's
        IndexError: PyTorch's helper of the indexing methods, which subclasses may override."""
        return next(islice(iterator, _index_in_range(self, idx), None))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return self._get_item_by_idx(iter(self._modules.values()), idx)

    def __setitem__(self, idx, module):
        # setattr, as PyTorch: a non-module gets __setattr__'s "cannot assign ... as child module" TypeError
        setattr(self, self._get_item_by_idx(iter(self._modules), idx), module)

    def __delitem__(self, idx):
        # through delattr, as PyTorch: a key that is missing fails with Module.__delattr__'s AttributeError
        if isinstance(idx, slice):
            for key in list(self._modules)[idx]:
                delattr(self, key)
        else:
            delattr(self, self._get_item_by_idx(iter(self._modules), idx))
        # Names given by an OrderedDict are lost too, as in PyTorch.
        self.__dict__["_modules"] = _renumbered(self._modules.values())

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return Sequential().extend(list(self) + list(other))

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        offset = len(self)
        for i, module in enumerate(other):
            self.add_module(str(i + offset), module)
        return self

    def __mul__(self, times):
        """A new Sequential of these modules, ``times`` over (the same module objects, as in PyTorch)."""
        return Sequential().extend(list(self) * self._repeats(times))

    __rmul__ = __mul__

    def __imul__(self, times):
        return self.extend(list(self) * (self._repeats(times) - 1))

    def _repeats(self, times):
        if not isinstance(times, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(times)}")
        if times <= 0:
            raise ValueError(f"Non-positive multiplication factor {times} for {type(self)}")
        return times

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, module):
        """Add ``module`` at the end (named by its position); returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, sequential):
        for module in sequential:
            self.append(module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        # PyTorch shifts the entries by their numbers, in place: a Sequential built from named modules has no
        # numbered entry to shift and fails with its KeyError
        modules = self._modules
        for i in range(n, index, -1):
            modules[str(i)] = modules[str(i - 1)]
        modules[str(index)] = module
        return self

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """Holds submodules in a list.

    The modules are registered in the owner, so that their parameters appear in ``parameters()``, move with
    ``to()`` and are saved in ``state_dict()`` (with keys "0", "1", ...), which a plain Python list would not
    do. It supports indexing, slicing, ``len``, iteration, ``append``, ``extend``, ``insert`` and ``+=``, and has
    no forward of its own.

    Args:
        modules (iterable, optional): the modules to add. Default: ``None``

    Examples::

        >>> layers = nn.ModuleList([nn.Linear(10, 10) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
        >>> layers[-1]
        Linear(in_features=10, out_features=10, bias=True)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _get_abs_string_index(self, idx):
        """``idx`` (negative counts from the end) as the name of its entry, with PyTorch's IndexError."""
        return str(_index_in_range(self, idx))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._get_abs_string_index(idx)]

    def __setitem__(self, idx, module):
        # setattr, as PyTorch: a non-module gets __setattr__'s "cannot assign ... as child module" TypeError
        setattr(self, self._get_abs_string_index(idx), module)

    def __delitem__(self, idx):
        # through delattr, as PyTorch: a key that insert() skipped fails with Module.__delattr__'s AttributeError
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, self._get_abs_string_index(idx))
        self.__dict__["_modules"] = _renumbered(self._modules.values())

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList().extend(list(self) + list(other))

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if not hasattr(modules, "__iter__"):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        offset = len(self)
        for i, module in enumerate(modules):
            self.add_module(str(offset + i), module)
        return self

    def insert(self, index, module):
        # PyTorch's shifting by names, unchecked: a negative index past the first name fails with a KeyError
        # (after shifting), one beyond the end is stored under its own number.
        modules = self._modules
        for i in range(len(modules), index, -1):
            modules[str(i)] = modules[str(i - 1)]
        modules[str(index)] = module

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def __repr__(self):
        """Like Module's, but runs of identical modules print once: ``(0-2): 3 x ReLU()``."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        blocks = []  # [first index, last index, repr]
        for i, text in enumerate(reprs):
            if blocks and blocks[-1][2] == text:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, text])
        lines = []
        for first, last, text in blocks:
            line = f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}"
            lines.append(addindent(line, 2, indent_blank_lines=True))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """Holds submodules in a dictionary, in insertion order.

    As :class:`ModuleList`, the modules are registered in the owner; keys are strings. It supports indexing by
    key, ``in``, ``len``, iteration over keys, ``keys()``, ``values()``, ``items()``, ``update()``, ``pop()`` and
    ``clear()``, and has no forward of its own.

    Args:
        modules (mapping or iterable of (str, Module) pairs, optional): the modules to add. Default: ``None``

    Examples::

        >>> acts = nn.ModuleDict({'relu': nn.ReLU(), 'tanh': nn.Tanh()})
        >>> acts['relu'](torch.tensor([-1.0, 2.0]))
        tensor([0., 2.])
        >>> list(acts.keys())
        ['relu', 'tanh']
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        r"""Update the ModuleDict with the key-module pairs of a mapping or of an iterable of pairs, overwriting
        existing keys.

        Args:
            modules (iterable): a mapping (dict, OrderedDict, ModuleDict) from names to modules, or an iterable of
                ``(name, module)`` pairs.
        """
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value pairs, but got "
                            f"{type(modules).__name__}")
        if isinstance(modules, (Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
            return
        for j, pair in enumerate(modules):
            if not isinstance(pair, Iterable):
                # (sic) PyTorch's message has no space after "is"
                raise TypeError(f"ModuleDict update sequence element #{j} should be Iterable; is{type(pair).__name__}")
            if len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} has length {len(pair)}; 2 is required")
            self[pair[0]] = pair[1]


def _entry_repr(key, value, type_name):
    """One line of a parameter container's repr: a tensor's kind, type and size, or any other object's type."""
    if isinstance(value, Tensor):
        size = "x".join(str(n) for n in value.size())
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        return f"  ({key}): {kind} containing: [{type_name(value)} of size {size}]"
    return f"  ({key}): Object of type: {type(value).__name__}"


class ParameterList(Module):
    r"""A list of parameters, registered so that they belong to the owner (``parameters()``, ``state_dict()``,
    ``to()``), named by their positions "0", "1", ....

    Tensors added are wrapped in :class:`~torchless.nn.Parameter` (so they require grad); other objects are kept
    as plain attributes, listed but not registered. Supports indexing (negative from the end), slicing (a new
    ParameterList of the same parameters), len, iteration, ``append``, ``extend`` and ``+=``. Has no forward.

    Args:
        values (iterable, optional): the initial entries.
    """

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _get_abs_string_index(self, idx):
        """``idx`` (negative counts from the end) as the attribute name of its entry."""
        return str(_index_in_range(self, idx))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = type(self)()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._get_abs_string_index(idx))

    def __setitem__(self, idx, param):
        # Every way of adding an entry ends here: the one place tensors are wrapped as parameters.
        idx = self._get_abs_string_index(idx)
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, idx, param)

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        """Add ``value`` at the end; returns self."""
        new_idx = len(self)
        self._size += 1  # counted first, as in PyTorch: an entry that fails to convert leaves a hole
        self[new_idx] = value
        return self

    def extend(self, values):
        """Append each of ``values`` (an iterable, not a tensor); returns self."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(_entry_repr(k, p, lambda t: t.dtype) for k, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    r"""An ordered dict of parameters, registered under their keys so that they belong to the owner
    (``parameters()``, ``state_dict()``, ``to()``).

    Tensors added are wrapped in :class:`~torchless.nn.Parameter`; other objects are kept as plain
    attributes. Keys must be strings. A plain ``dict`` given to the constructor or to ``update`` is
    added in sorted key order (an ``OrderedDict``, a ParameterDict or a sequence of pairs keeps its
    order). Has the mapping methods (``keys``, ``items``, ``values``, ``get``, ``pop``, ``popitem``,
    ``setdefault``, ``copy``, ``fromkeys``, ``clear``, ``|``) and no forward.

    Args:
        parameters (iterable, optional): a mapping of names to values, or an iterable of (name, value) pairs.
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key):
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a string (type is "
                            f"'{type(key).__name__}'). Open an issue on github if you need non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key, value):
        # Every way of adding an entry ends here: the one place tensors are wrapped as parameters.
        self._keys[key] = None
        attr = self._key_to_attr(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, attr, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def copy(self):
        """A new ParameterDict of the same parameters, in the same order."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        for k in self._keys.copy():
            del self[k]

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def popitem(self):
        """Remove and return the last (key, value) added."""
        k, _ = self._keys.popitem()
        self._keys[k] = None  # back for a moment: the value is read and deleted through the key
        val = self[k]
        del self[k]
        return k, val

    def get(self, key, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        """A new ParameterDict with ``keys`` all mapped to ``default``."""
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters):
        r"""Add the entries of a mapping or of an iterable of (key, value) pairs, overwriting existing keys.

        A plain mapping is added in sorted key order; an ``OrderedDict``, a ParameterDict or an iterable of
        pairs in its own order.
        """
        if not isinstance(parameters, Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of key/value pairs, but got "
                            f"{type(parameters).__name__}")
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, parameter in parameters.items():
                self[key] = parameter
        elif isinstance(parameters, Mapping):
            for key, parameter in sorted(parameters.items()):
                self[key] = parameter
        else:
            for j, p in enumerate(parameters):
                if not isinstance(p, Iterable):
                    # (sic) PyTorch's message has no space after "is"
                    raise TypeError(f"ParameterDict update sequence element #{j} should be Iterable; is"
                                    f"{type(p).__name__}")
                if not len(p) == 2:
                    raise ValueError(f"ParameterDict update sequence element #{j} has length {len(p)}; 2 is required")
                self[p[0]] = p[1]

    def extra_repr(self):
        return "\n".join(_entry_repr(k, p, typename) for k, p in self.items())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other):
        copy = self.copy()
        copy.update(other)
        return copy

    def __ror__(self, other):
        copy = other.copy()
        copy.update(self)
        return copy

    def __ior__(self, other):
        self.update(other)
        return self
