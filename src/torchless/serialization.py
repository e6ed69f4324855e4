"""torchless.save and torchless.load: checkpoints that never run code when they are read.

``save`` writes PyTorch's own zip (or legacy) format by default, pickling the object as torch.save does,
torchless's classes under PyTorch's names (see ``_torch_format``); :func:`load` reads these formats -- files
written by ``torch.save`` too -- through an unpickler that runs no code.

``save(..., format="torchless")`` writes torchless's own format, a zip archive (entries stored uncompressed)
holding

* ``torchless.json``: ``{"format": "torchless", "version": 2, "object": NODE, "tensors": LAYOUTS}``, the saved
  object's structure;
* ``storages/<s>.npy``: one 1-D NumPy ``.npy`` file per distinct storage (the memory tensors view, as
  ``torch.save`` writes a storage once for all the tensors viewing it), read back with pickling disabled.

LAYOUTS lists, for each distinct tensor, ``[storage, offset, size, stride]`` (in elements): tensors load as views
of their storage, so that views saved together share memory again, as with ``torch.load``. (Version 1 files,
still read, held ``tensors/<i>.npy``: each tensor's elements in an entry of its own.)

A NODE is JSON ``null``, ``true``/``false``, an integer, a finite float, a string, a list of NODEs, or a
tagged object ``{"type": ..., ...}`` for everything JSON cannot say by itself: ``float`` (nan/inf),
``tuple``, ``dict`` and ``OrderedDict`` (items as ``[key NODE, value NODE]`` pairs, so that integer and
tuple keys come back as they were), ``tensor`` and ``Parameter`` (an index into ``tensors/`` plus
``requires_grad``, and the tensor's Python ``attributes`` if it has any), ``Size``, ``dtype`` and
``device``. A default (weights-only) load only ever builds these types.

Any other object (a whole model, as ``torch.save(model, path)`` saves it) is a ``pickle`` node: an index into
``objects/<i>.pkl``, a pickle whose tensors are references to ``tensors/``. As with PyTorch since 2.6, loading it
needs ``weights_only=False`` (unpickling can run arbitrary code), or its classes allowed by
:func:`add_safe_globals`.
"""
import _compat_pickle
import enum
import io
import json
import lzma
import math
import mmap
import operator
import os
import pickle
import pickletools
import secrets
import struct
import sys
import warnings
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._ops.tensor_extras import memory_owner, storage_layout
from ._size import Size
from ._tensor import Tensor, _python_attributes
from ._device import device

__all__ = ["save", "load", "CheckpointError", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "get_unsafe_globals_in_checkpoint", "safe_globals", "SourceChangeWarning", "LoadEndianness",
           "get_default_load_endianness", "set_default_load_endianness", "get_crc32_options", "set_crc32_options",
           "get_default_mmap_options", "set_default_mmap_options", "location_tag", "default_restore_location"]

FORMAT = "torchless"
VERSION = 2
_READ_VERSIONS = (1, 2)
_STRUCTURE = "torchless.json"
_READ_CHUNK = 1 << 24
DEFAULT_PROTOCOL = 2  # the pickle protocol of torch.save's checkpoints
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # what torch.save's legacy format starts with, pickled
PROTOCOL_VERSION = 1001  # of torch.save's legacy format


class SourceChangeWarning(Warning):
    """PyTorch's warning for a legacy checkpoint whose module source changed since it was saved."""


class LoadEndianness(enum.Enum):
    """The byte order :func:`load` assumes for a PyTorch checkpoint without a ``byteorder`` record."""
    NATIVE = 1
    LITTLE = 2
    BIG = 3


# (the mmap module of Windows has no flags; PyTorch refuses to set them there)
_MAP_PRIVATE, _MAP_SHARED = getattr(mmap, "MAP_PRIVATE", 2), getattr(mmap, "MAP_SHARED", 1)
_options = {"endianness": None, "compute_crc32": True, "mmap_flags": _MAP_PRIVATE}


def get_default_load_endianness():
    """The byte order set by :func:`set_default_load_endianness` (None: little-endian, as PyTorch assumes)."""
    return _options["endianness"]


def set_default_load_endianness(endianness):
    """Set the byte order :func:`load` assumes for a PyTorch checkpoint without a ``byteorder`` record (files
    older than the record): a :class:`LoadEndianness`, or None for little-endian."""
    if not isinstance(endianness, LoadEndianness) and endianness is not None:
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _options["endianness"] = endianness


def _assumed_byte_order():
    """The byte order of a PyTorch checkpoint without a record of it, as ``"little"`` or ``"big"``."""
    endianness = _options["endianness"]
    if endianness is LoadEndianness.NATIVE:
        return sys.byteorder
    return "big" if endianness is LoadEndianness.BIG else "little"


def get_crc32_options():
    """Whether ``save(..., format="torch")`` writes its records' CRC-32 (see :func:`set_crc32_options`)."""
    return _options["compute_crc32"]


def set_crc32_options(compute_crc32):
    """Set whether ``save(..., format="torch")`` computes its records' CRC-32, as PyTorch's option. (torchless's
    zip writer always computes them: the flag is recorded for PyTorch compatibility; loading works either way.)"""
    _options["compute_crc32"] = compute_crc32


def get_default_mmap_options():
    """The mmap flags set by :func:`set_default_mmap_options` (``mmap.MAP_PRIVATE`` by default)."""
    return _options["mmap_flags"]


class set_default_mmap_options:
    """Set (as a function, or for a ``with`` block) the mmap flags of ``load(..., mmap=True)``:
    ``mmap.MAP_PRIVATE`` (writes to the tensors stay in the process) or ``mmap.MAP_SHARED`` (they go to the file),
    checked as PyTorch checks them."""

    def __init__(self, flags):
        if flags != _MAP_PRIVATE and flags != _MAP_SHARED:
            raise ValueError("Invalid argument in function set_default_mmap_options, expected mmap.MAP_PRIVATE or "
                             f"mmap.MAP_SHARED, but got {flags}")
        self.prev = _options["mmap_flags"]
        _options["mmap_flags"] = flags

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _options["mmap_flags"] = self.prev


def location_tag(storage):
    """The location PyTorch's checkpoints record for a storage (or tensor): its device's type, ``"cpu"``."""
    if storage.device.type == "cpu":  # (PyTorch's tagger reads the device too)
        return "cpu"
    raise RuntimeError(f"don't know how to determine data location of {type(storage).__module__}."
                       f"{type(storage).__qualname__}")


def default_restore_location(storage, location):
    """``storage`` restored at ``location`` as PyTorch's default does on a CPU-only machine: itself for
    ``"cpu"``, else PyTorch's error for that location."""
    from ._torch_format import restore_location_error

    error = restore_location_error(location)
    if error is not None:
        raise error
    return storage


class CheckpointError(RuntimeError, pickle.UnpicklingError):
    """A file that torchless.load cannot or will not load: not a checkpoint of either format, corrupt, or a
    PyTorch checkpoint needing a global that a weights-only load refuses (caught by ``except RuntimeError``
    and by ``except pickle.UnpicklingError``, the error PyTorch raises for checkpoints it refuses to load)."""


class UnpicklingError(CheckpointError):
    """A weights-only load's refusal of a global, named as the ``pickle.UnpicklingError`` PyTorch raises for it."""


class _EmptyFileError(CheckpointError, EOFError):
    """Raised for an empty file: an ``EOFError`` without a message, as PyTorch's ``torch.load`` raises."""


_EmptyFileError.__name__ = _EmptyFileError.__qualname__ = "EOFError"  # the name PyTorch's error prints with


class _PlainRuntimeError(CheckpointError):
    """A refusal PyTorch raises as a plain RuntimeError because of what the file is or where its tensors go, not
    because it is damaged (a TorchScript archive, a storage bound for CUDA): named so, and a CheckpointError as every
    error of torchless.load about what a file holds."""


_PlainRuntimeError.__name__ = _PlainRuntimeError.__qualname__ = "RuntimeError"


def _tensor_path(index):
    return f"tensors/{index}.npy"


def _storage_path(index):
    return f"storages/{index}.npy"


def _c_contiguous(array):
    """``array`` in C order (np.ascontiguousarray would turn a 0-d array into a 1-d one)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


# ---------------------------------------------------------------------------------------------- saving
_CONTAINER_TYPES = (list, tuple, dict, OrderedDict)  # what a JSON node holds as such (and Size)


class _Encoder:
    """Turns an object into a JSON node, collecting its tensors' arrays (each distinct tensor once)."""

    def __init__(self):
        from .nn.parameter import Parameter

        self._parameter = Parameter
        self.tensors = []  # each distinct tensor once
        self.pickles = []  # whole objects (modules, ...), pickled
        self._index_of = {}
        self._open_containers = set()

    def encode(self, obj):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            value = float(obj)
            return value if math.isfinite(value) else {"type": "float", "value": repr(value)}
        if isinstance(obj, Tensor):
            return self._encode_tensor(obj)
        if isinstance(obj, _dtype.dtype):
            return {"type": "dtype", "name": obj.name}
        if isinstance(obj, device):
            return {"type": "device", "name": str(obj)}
        # other subclasses of containers (Counter, defaultdict, named tuples) are pickled whole, so that they load as
        # their own type, and a weights-only load allows them as PyTorch's does (Counter) or refuses them
        if type(obj) in _CONTAINER_TYPES or isinstance(obj, Size):
            return self._encode_container(obj)
        return self._encode_pickled(obj)

    def _encode_pickled(self, obj):
        """A whole object (a model, say), pickled, its tensors stored as the others are."""
        buffer = io.BytesIO()
        _TensorPickler(buffer, self).dump(obj)
        self.pickles.append(buffer.getvalue())
        return {"type": "pickle", "index": len(self.pickles) - 1}

    def _encode_tensor(self, tensor):
        key = id(tensor)
        if key not in self._index_of:
            self._index_of[key] = len(self.tensors)
            self.tensors.append(tensor)
        kind = "Parameter" if isinstance(tensor, self._parameter) else "tensor"
        node = {"type": kind, "index": self._index_of[key], "requires_grad": bool(tensor.requires_grad)}
        attributes = _python_attributes(tensor)
        if attributes:
            node["attributes"] = self.encode(attributes)
        return node

    def _encode_container(self, obj):
        if id(obj) in self._open_containers:
            raise ValueError("torchless.save cannot save a container that contains itself")
        self._open_containers.add(id(obj))
        try:
            if isinstance(obj, Size):
                return {"type": "Size", "items": [int(n) for n in obj]}
            if isinstance(obj, tuple):
                return {"type": "tuple", "items": [self.encode(v) for v in obj]}
            if isinstance(obj, list):
                return [self.encode(v) for v in obj]
            node = {"type": "OrderedDict" if isinstance(obj, OrderedDict) else "dict",
                    "items": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
            metadata = getattr(obj, "_metadata", None)
            if node["type"] == "OrderedDict" and metadata is not None:
                # Module.state_dict() records per-module versions there, as in PyTorch
                node["metadata"] = self.encode(metadata)
            return node
        finally:
            self._open_containers.discard(id(obj))


class _StorageTable:
    """The storages torch.save would write for ``tensors``: tensors viewing one memory share its storage, each at
    its offset and with its strides, so that they load as views of one storage again; a tensor whose layout a
    storage cannot express (negative strides) gets a storage of its own."""

    def __init__(self, tensors=()):
        self.arrays = []  # each storage's elements, 1-D
        self.tensor_layouts = []  # per tensor: (storage index, offset, shape, strides), in elements
        self._index_of = {}
        self._dtype_of_memory = {}
        for tensor in tensors:
            self.add(tensor)

    def add(self, tensor):
        """Add ``tensor``; returns the index of its layout."""
        return self.add_array(tensor._data)

    def add_array(self, array):
        """Add the tensor, or the storage (a 1-D array of its elements or bytes), viewing the memory of ``array``;
        returns the index of its layout."""
        _check_one_type_per_memory(array, self._dtype_of_memory)
        elements, offset, strides = storage_layout(array)
        key = (elements.__array_interface__["data"][0], elements.size, elements.dtype)
        if key not in self._index_of:
            self._index_of[key] = len(self.arrays)
            self.arrays.append(elements)
        self.tensor_layouts.append((self._index_of[key], offset, array.shape, strides))
        return len(self.tensor_layouts) - 1


def _check_one_type_per_memory(array, dtype_of_memory):
    """Refuse, as torch.save does, tensors viewing one memory as different dtypes (``dtype_of_memory`` maps each
    memory seen so far to its dtype)."""
    if array.size:
        owner = memory_owner(array).__array_interface__["data"][0]
        if dtype_of_memory.setdefault(owner, array.dtype) != array.dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")


class _TensorPickler(pickle.Pickler):
    """Pickles an object with its tensors left out, as references to the archive's arrays."""

    def __init__(self, stream, encoder):
        super().__init__(stream, protocol=2)
        self._encoder = encoder

    def persistent_id(self, obj):
        return self._encoder._encode_tensor(obj) if isinstance(obj, Tensor) else None


def _object_path(index):
    return f"objects/{index}.pkl"


def _write_archive(stream, node, storages, pickles=()):
    layouts = [[storage, offset, list(shape), list(strides)] for storage, offset, shape, strides in
               storages.tensor_layouts]
    structure = {"format": FORMAT, "version": VERSION, "object": node, "tensors": layouts}
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(_STRUCTURE, json.dumps(structure, allow_nan=False, separators=(",", ":")))
        for index, data in enumerate(pickles):
            archive.writestr(_object_path(index), data)
        for index, elements in enumerate(storages.arrays):
            with archive.open(_storage_path(index), "w", force_zip64=elements.nbytes > (1 << 30)) as entry:
                np.lib.format.write_array(entry, elements, allow_pickle=False)


def _atomic_write(path, write):
    """Write a new file through ``write(stream)``: a temporary file beside ``path`` replaces it at the end,
    so a failure at any point leaves any previous file at ``path`` intact."""
    path = os.fsdecode(path)
    given_directory = os.path.dirname(path)
    if given_directory and not os.path.isdir(given_directory):
        raise RuntimeError(f"Parent directory {given_directory} does not exist.")
    if os.path.isdir(path):  # PyTorch's writer fails to open it
        raise RuntimeError("[enforce fail at inline_container.cc:747] . open file failed with strerror: Is a "
                           "directory")
    path = os.path.realpath(path)  # through a symbolic link, replace its target rather than the link
    directory = os.path.dirname(path)
    while True:
        temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
        try:
            # mode 0o666 lets the umask decide the permissions, as for any new file
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False, *, format="torch"):
    """Save ``obj`` (tensors, Parameters, state dicts and containers of them, or whole objects) to ``f``.

    Args:
        obj: the object: tensors, Parameters, ``None``, bools, ints, floats, strings, dtypes, devices, and
            lists, tuples, dicts and OrderedDicts (keys of any of these scalar types) nesting them, e.g. a
            ``Module.state_dict()``, an ``Optimizer.state_dict()`` or a training checkpoint. A tensor
            referenced several times is stored once and loads as one tensor. Other objects, such as a whole
            model, are pickled (their tensors stored as the others are): loading them takes
            ``weights_only=False``, as in PyTorch.
        f: a path (``str`` or ``os.PathLike``), written atomically, or a binary file object.
        pickle_protocol (int): the pickle protocol of the object's pickle in PyTorch's format (2 by default, as
            in PyTorch; a weights-only ``torch.load`` reads protocols up to 3).
        format (str): ``"torch"`` (default) for the zip format of ``torch.save`` (storages aligned to 64 bytes), which
            ``torch.load`` reads: weights-only for tensors, state dicts and plain data; whole objects with
            ``weights_only=False``, torchless's classes and functions as PyTorch's of the same names (a torchless model
            loads as the PyTorch model); or ``"torchless"`` for torchless's own format, JSON and ``.npy`` arrays, which
            pickles only whole objects. In both, each storage (the memory tensors view) is written once, whole, as
            torch.save writes it, with each tensor's offset and strides in it.

    ``pickle_module`` is accepted for PyTorch compatibility and ignored, as is ``pickle_protocol`` in torchless's
    format; in PyTorch's format, ``_use_new_zipfile_serialization=False`` writes torch.save's legacy (non-zip)
    format, and ``_disable_byteorder_record`` leaves out the ``byteorder`` record, as in PyTorch.

    Raises:
        pickle.PicklingError, AttributeError: an object pickle cannot save (a lambda, a local class).
        ValueError: ``format`` is neither ``"torchless"`` nor ``"torch"``.
        RuntimeError: the directory of ``f`` does not exist.
    """
    if format not in ("torchless", "torch"):
        raise ValueError(f"format must be 'torchless' or 'torch', got {format!r}")
    _check_destination(f, zip_file=format == "torch" and _use_new_zipfile_serialization)
    if format == "torch":
        from . import _torch_format  # imports this module, for CheckpointError

        # as pickle's Pickler reads it: None its default protocol (4), else what __index__ converts
        protocol = pickle.DEFAULT_PROTOCOL if pickle_protocol is None else operator.index(pickle_protocol)
        pickled, storages = _torch_format.pickle_for_torch(obj, legacy=not _use_new_zipfile_serialization,
                                                           protocol=protocol)
        folder = _torch_format.folder_for(f) if isinstance(f, (str, os.PathLike)) else "archive"

        def write(stream):
            if not _use_new_zipfile_serialization:
                _torch_format.write_legacy(stream, pickled, storages, protocol)
                return
            _torch_format.write_archive(stream, pickled, storages, folder,
                                        record_byte_order=not _disable_byteorder_record)
    else:
        encoder = _Encoder()
        node = encoder.encode(obj)
        storages = _StorageTable(encoder.tensors)

        def write(stream):
            _write_archive(stream, node, storages, encoder.pickles)

    if isinstance(f, (str, os.PathLike)):
        _atomic_write(f, write)
    else:
        write(f)


def _check_destination(f, zip_file):
    """PyTorch's errors for a destination ``f`` it cannot write, raised as torch.save raises them: before the object
    is pickled (a lambda saved to a missing directory is refused for the directory)."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fsdecode(f)
        directory = os.path.dirname(path)
        if directory and not os.path.isdir(directory):
            raise RuntimeError(f"Parent directory {directory} does not exist.")
        base = os.path.basename(path)
        if zip_file and not (base[:base.rfind(".")] if "." in base else base):  # (the archive's folder is named
            # after the file's name without its extension: there must be one)
            raise RuntimeError(f"[enforce fail at inline_container.cc:720] . invalid file name: {path}")
    elif not hasattr(f, "write"):  # bytes are not a path to PyTorch either
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    elif isinstance(f, io.TextIOBase):  # (PyTorch's first write, a memoryview, is refused by the stream itself)
        f.write(memoryview(b""))


# ---------------------------------------------------------------------------------------------- loading
def _read_array(archive, name):
    """The array in the ``.npy`` entry ``name``, checked before anything is allocated; pickles refused."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise CheckpointError(f"corrupt checkpoint: missing entry '{name}'") from None
    with archive.open(info) as entry:
        version = np.lib.format.read_magic(entry)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(entry)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(entry)
        else:
            raise CheckpointError(f"corrupt checkpoint: unsupported .npy version {version} in '{name}'")
        if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biufc":
            raise CheckpointError(f"corrupt checkpoint: '{name}' holds data of type {dtype}, not numbers")
        count = math.prod(shape)
        if count * dtype.itemsize > info.file_size - entry.tell():
            raise CheckpointError(f"corrupt checkpoint: '{name}' is shorter than its shape {shape} needs")
        flat = np.empty(count, dtype)
        _read_exactly(entry, memoryview(flat.view(np.uint8)), name)
        if entry.read(1):
            raise CheckpointError(f"corrupt checkpoint: '{name}' has data after its array")
    array = flat.reshape(shape[::-1]).T if fortran_order else flat.reshape(shape)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return _c_contiguous(array)


def _read_exactly(stream, buffer, name):
    position = 0
    while position < len(buffer):
        got = stream.readinto(buffer[position:position + _READ_CHUNK])
        if not got:
            raise CheckpointError(f"corrupt checkpoint: '{name}' is truncated")
        position += got


class _Decoder:
    """Rebuilds an object from a JSON node, reading each referenced tensor once; pickled objects only with
    ``weights_only`` False, or when every global they need is allowed (see :func:`add_safe_globals`)."""

    def __init__(self, archive, weights_only=True, layouts=None):
        from .nn.parameter import Parameter

        self._parameter = Parameter
        self._archive = archive
        self._weights_only = weights_only
        self._layouts = layouts  # None for a version 1 file, whose tensors each have an entry of their own
        self._tensors = {}
        self._storages = {}

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        kind = node["type"]
        if kind in ("tensor", "Parameter"):
            return self._decode_tensor(node, kind)
        if kind == "float":
            if node["value"] not in ("nan", "inf", "-inf"):
                raise ValueError(f"bad float {node['value']!r}")
            return float(node["value"])
        if kind == "tuple":
            return tuple(self.decode(v) for v in _items(node))
        if kind == "Size":
            return Size(_int(v) for v in _items(node))
        if kind in ("dict", "OrderedDict"):
            pairs = [(self.decode(k), self.decode(v)) for k, v in _items(node)]
            if kind == "dict":
                return dict(pairs)
            result = OrderedDict(pairs)
            if "metadata" in node:
                result._metadata = self.decode(node["metadata"])
            return result
        if kind == "dtype":
            return _dtype._BY_NAME[node["name"]]
        if kind == "device":
            try:
                return device(node["name"])
            except RuntimeError:
                raise ValueError(f"unknown device {node['name']!r}") from None
        if kind == "pickle":
            data = self._archive.read(_object_path(_int(node["index"])))
            return _ObjectUnpickler(data, self, self._weights_only).load()
        raise ValueError(f"unknown node type {kind!r}")

    def _decode_tensor(self, node, kind):
        index = _int(node["index"])
        requires_grad = node["requires_grad"]
        if index < 0 or not isinstance(requires_grad, bool):
            raise ValueError(f"bad tensor reference {node!r}")
        if index not in self._tensors:
            array = self._tensor_array(index)
            _dtype.from_numpy_dtype(array.dtype)
            if requires_grad and array.dtype.kind != "f":
                raise ValueError("only floating-point tensors can require gradients")
            if kind == "Parameter":
                tensor = self._parameter(Tensor._wrap(array), requires_grad=requires_grad)
            else:
                tensor = Tensor._wrap(array)
                tensor.requires_grad = requires_grad
            self._tensors[index] = tensor
            self._set_attributes(tensor, node.get("attributes"))
        return self._tensors[index]

    def _set_attributes(self, tensor, node):
        attributes = {} if node is None else self.decode(node)
        if not isinstance(attributes, dict) or not all(isinstance(name, str) for name in attributes) or \
                any(hasattr(Tensor, name) for name in attributes):
            raise ValueError(f"bad tensor attributes {sorted(attributes) if isinstance(attributes, dict) else node!r}")
        for name, value in attributes.items():
            setattr(tensor, name, value)

    def _tensor_array(self, index):
        if self._layouts is None:
            return _read_array(self._archive, _tensor_path(index))
        if index >= len(self._layouts):
            raise ValueError(f"bad tensor reference {index}: the checkpoint lists {len(self._layouts)} tensors")
        layout = self._layouts[index]
        if not (isinstance(layout, list) and len(layout) == 4):
            raise ValueError(f"bad tensor layout {layout!r}")
        storage, offset, size, stride = _int(layout[0]), _int(layout[1]), _ints(layout[2]), _ints(layout[3])
        if storage < 0 or offset < 0 or len(size) != len(stride) or min(size + stride, default=0) < 0:
            raise ValueError(f"bad tensor layout {layout!r}")
        elements = self._storage_elements(storage)
        if 0 in size:
            elements, offset = elements[:0], 0  # no element to read: any strides fit
        elif offset + sum((n - 1) * s for n, s in zip(size, stride)) >= elements.size:
            raise ValueError(f"tensor layout {layout!r} reaches beyond its storage of {elements.size} elements")
        itemsize = elements.itemsize
        return np.lib.stride_tricks.as_strided(elements[offset:], size, [s * itemsize for s in stride])

    def _storage_elements(self, index):
        elements = self._storages.get(index)
        if elements is None:
            elements = _read_array(self._archive, _storage_path(index))
            if elements.ndim != 1:
                raise ValueError(f"storage {index} is not 1-D: shape {elements.shape}")
            self._storages[index] = elements
        return elements


# ---------------------------------------------------------------------------------------------- whole objects
# What a weights-only load lets a pickled object use without add_safe_globals: the containers of a model's state
# and torchless's own value types (tensors are not globals: they are references to the archive's arrays).
# PyTorch's weights-only unpickler also allows complex numbers, bytes (pickled through _codecs.encode), bytearrays
# and Counters.
# PyTorch's weights-only unpickler allows these (not frozenset, slice, range, ...)
_BASE_GLOBALS = frozenset({"collections.OrderedDict", "collections.Counter", "builtins.set", "builtins.complex",
                           "builtins.bytearray", "_codecs.encode",
                           "torchless._dtype._by_name", "torchless.Size", "torchless.device",
                           "torchless.strided", "torchless.sparse_coo"})
_safe_globals = {}  # "module.name" -> the allowed object, by add_safe_globals


def _global_name(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals):
    """Allow a weights-only :func:`load` to build objects of these classes (or call these functions): a list of
    them, or of ``(object, "module.name")`` pairs."""
    for entry in safe_globals:
        obj, name = entry if isinstance(entry, tuple) else (entry, _global_name(entry))
        _safe_globals[name] = obj


def get_safe_globals():
    """The objects :func:`add_safe_globals` allowed."""
    return list(_safe_globals.values())


def clear_safe_globals():
    """Forget every object :func:`add_safe_globals` allowed."""
    _safe_globals.clear()


class safe_globals:
    """A context manager that allows ``safe_globals`` (as :func:`add_safe_globals`) while it is entered."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._before = dict(_safe_globals)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _safe_globals.clear()
        _safe_globals.update(self._before)


def get_unsafe_globals_in_checkpoint(f):
    """The globals (``"module.name"``, sorted) in a checkpoint's pickles that a weights-only :func:`load` refuses:
    neither allowed by default nor by :func:`add_safe_globals`.

    ``f`` is a path or a binary file object holding a checkpoint of ``torch.save`` (zip format) or of
    ``torchless.save`` (the pickles of its whole objects). The pickles are read, never run: as in PyTorch, a
    global that a pickle would compute while it runs is not seen.

    Raises:
        ValueError: ``f`` is no such checkpoint (PyTorch's message), or a TorchScript archive.
    """
    with _opened_for_reading(f) as stream:
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, OverflowError, struct.error):
            raise ValueError("Expected input to be a checkpoint returned by torch.save") from None
        with archive:
            pickles, allowed = _checkpoint_pickles(archive)
            found = set().union(*map(_globals_in_pickle, pickles))
    return sorted(name for name in found if name not in allowed and name not in _safe_globals)


def _checkpoint_pickles(archive):
    """The pickles of a checkpoint's zip ``archive`` and the globals a weights-only load allows in them."""
    names = archive.namelist()
    if _is_torchscript(names):
        raise ValueError("Expected input to be a checkpoint returned by torch.save but got a torchscript checkpoint")
    if _STRUCTURE in archive.NameToInfo:
        return [archive.read(n) for n in names if n.startswith("objects/")], _BASE_GLOBALS
    from . import _torch_format  # imports this module, for CheckpointError

    folder = _torch_format.archive_folder(archive)  # (PyTorch's errors for an archive its reader refuses)
    if folder is None:
        raise ValueError("Expected input to be a checkpoint returned by torch.save")
    if f"{folder}/data.pkl" not in archive.NameToInfo:
        raise _stream_reader_error("locating file data.pkl: file not found")
    return [archive.read(f"{folder}/data.pkl")], _torch_format.ALLOWED_GLOBAL_NAMES


def _globals_in_pickle(data):
    """The names of the globals a pickle's GLOBAL and STACK_GLOBAL opcodes load, read without running it."""
    found, strings = set(), []
    try:
        for opcode, argument, _ in pickletools.genops(data):
            if opcode.name == "GLOBAL":
                found.add(".".join(_python3_name(*argument.split(" ", 1))))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.add(".".join(_python3_name(*strings[-2:])))
            elif isinstance(argument, str):
                strings.append(argument)
    except ValueError as error:  # a damaged pickle
        raise ValueError(f"Expected input to be a checkpoint returned by torch.save ({error})") from None
    return found


class _opened_for_reading:
    """A context manager giving a seekable binary stream of ``f``, a path (opened, then closed) or a file object."""

    def __init__(self, f):
        self._f, self._file = f, None

    def __enter__(self):
        if isinstance(self._f, (str, os.PathLike)):
            self._file = open(self._f, "rb")
            return self._file
        return self._f if getattr(self._f, "seekable", lambda: False)() else io.BytesIO(self._f.read())

    def __exit__(self, *exc):
        if self._file is not None:
            self._file.close()


# PyTorch's words on a weights-only load's refusal (torch.load read as torchless.load where it tells what to run)
_UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` from `False` to "
    "`True`. Re-running `torchless.load` with `weights_only` set to `False` will likely succeed, but it can result "
    "in arbitrary code execution. Do it only if you got the file from a trusted source.")
_DOCS_MESSAGE = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
                 "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")
# modules whose globals PyTorch's weights-only unpickler refuses even when they are allowed
_BLOCKED_MODULES = frozenset({"sys", "os", "posix", "nt"})


def _weights_only_refusal(name):
    """PyTorch's UnpicklingError for a global (``"module.name"``) that a weights-only load does not allow."""
    bold, plain = "\x1b[1m", "\x1b[0m"
    module = name.rpartition(".")[0]
    if module in _BLOCKED_MODULES:
        return UnpicklingError(f"Weights only load failed. {_UNSAFE_MESSAGE}\n\n\nTrying to load unsupported GLOBAL "
                               f"{name} whose module {module} is blocked.{_DOCS_MESSAGE}")
    if name.startswith("builtins."):  # PyTorch names builtins bare: GLOBAL slice
        name = name[len("builtins."):]
    return UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options, "
        f"{bold}do those steps only if you trust the source of the checkpoint{plain}. \n\t(1) {_UNSAFE_MESSAGE}"
        "\n\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps in the following "
        f"error message.\n\tWeightsUnpickler error: Unsupported global: GLOBAL {name} was not an allowed global by "
        f"default. Please use `torchless.serialization.add_safe_globals([{name}])` or the "
        f"`torchless.serialization.safe_globals([{name}])` context manager to allowlist this global if you trust this "
        f"class/function.{_DOCS_MESSAGE}")


def _weights_only_failure(message):
    """PyTorch's UnpicklingError for its weights-only unpickler's own error ``message`` (an opcode it does not read,
    a value it cannot build)."""
    return UnpicklingError(f"Weights only load failed. {_UNSAFE_MESSAGE}\nPlease file an issue with the following so "
                           "that we can make `weights_only=True` compatible with your use case: WeightsUnpickler "
                           f"error: \n\n{message}{_DOCS_MESSAGE}")


class _ObjectUnpickler(pickle.Unpickler):
    """Unpickles a saved whole object: its tensors come from the archive, its globals are imported only when
    the load is not weights-only or they are allowed."""

    def __init__(self, data, decoder, weights_only):
        super().__init__(io.BytesIO(data))
        self._decoder, self._weights_only = decoder, weights_only

    def persistent_load(self, pid):
        if not (isinstance(pid, dict) and pid.get("type") in ("tensor", "Parameter")):
            raise ValueError(f"bad tensor reference {pid!r}")
        return self._decoder.decode(pid)

    def find_class(self, module, name):
        if not self._weights_only:
            return super().find_class(module, name)
        allowed = _user_safe_global(module, name)
        if allowed is not None:
            return allowed
        module, name = _python3_name(module, name)
        if f"{module}.{name}" in _BASE_GLOBALS:
            return super().find_class(module, name)
        raise _weights_only_refusal(f"{module}.{name}")


def _python3_name(module, name):
    """A pickle global's name as Python 3 spells it: protocol 2 writes Python 2's (__builtin__.xrange for range),
    which PyTorch maps as pickle does."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[module, name]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _user_safe_global(module, name):
    """The object :func:`add_safe_globals` allowed under a pickle's global name, or None (always for a module
    PyTorch blocks)."""
    module, name = _python3_name(module, name)
    return None if module in _BLOCKED_MODULES else _safe_globals.get(f"{module}.{name}")


def _items(node):
    items = node["items"]
    if not isinstance(items, list):
        raise ValueError("items must be a list")
    return items


def _int(value):
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _ints(values):
    if not isinstance(values, list):
        raise ValueError(f"expected a list of integers, got {values!r}")
    return [_int(v) for v in values]


def _not_ours(name, reason):
    return CheckpointError(f"{name} is not a torchless checkpoint ({reason}). torchless.load reads files written by "
                           "torchless.save and by torch.save (PyTorch's zip format, through an unpickler that runs no "
                           "code); it unpickles nothing else: unpickling can run arbitrary code.")


# torch.save's format before PyTorch 1.6 (and with _use_new_zipfile_serialization=False) starts with this number,
# pickled (with protocol 2 unless a pickle_protocol was given)
_LEGACY_MAGICS = tuple(pickle.dumps(MAGIC_NUMBER, protocol=p) for p in range(pickle.HIGHEST_PROTOCOL + 1))
_LEGACY_HEAD_SIZE = max(map(len, _LEGACY_MAGICS))


def _load_archive(archive, name, weights_only=True):
    structure = archive.read(_STRUCTURE)
    try:
        document = json.loads(structure)
    except (ValueError, RecursionError) as error:
        raise CheckpointError(f"corrupt checkpoint {name}: its structure is not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or "object" not in document:
        raise _not_ours(name, "no torchless format marker")
    version = document.get("version")
    if type(version) is not int or version not in _READ_VERSIONS:
        raise CheckpointError(f"{name} is a torchless checkpoint of format version {version!r}; "
                              f"this torchless reads versions {', '.join(map(str, _READ_VERSIONS))}")
    layouts = None
    if version >= 2:
        layouts = document.get("tensors")
        if not isinstance(layouts, list):
            raise CheckpointError(f"corrupt checkpoint {name}: no list of tensor layouts")
    return _Decoder(archive, weights_only, layouts).decode(document["object"])


# (OSError: what bz2's decompressor raises for a damaged member, "Invalid data stream"; LZMAError lzma's)
_CORRUPTION = (KeyError, TypeError, ValueError, IndexError, RecursionError, EOFError, NotImplementedError,
               RuntimeError, OSError, lzma.LZMAError, zipfile.BadZipFile, zlib.error)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved by :func:`save` or by ``torch.save`` from ``f`` (a path or a binary file object).

    The format is detected: torchless's own, PyTorch's zip format (``torch.save`` since PyTorch 1.6) or its
    legacy format (before 1.6, or ``_use_new_zipfile_serialization=False``), whose pickle is read as
    ``torch.load(f, weights_only=True)`` reads it, by an unpickler that builds only tensors, Parameters, dtypes,
    devices, ``torch.Size``, numbers, strings, bytes, lists, tuples, sets, dicts and OrderedDicts, and the
    objects allowed by :func:`add_safe_globals`, and refuses every other global with PyTorch's message. Whole
    objects (a model) load only with ``weights_only=False``, or with their classes allowed: the default (None)
    is a weights-only load, as in PyTorch since 2.6. A whole PyTorch model (``torch.save(model)``) loads with
    ``weights_only=False`` as the torchless model of the same classes: PyTorch's (``torch.nn.Conv2d``, ...)
    are taken from torchless, the others (``__main__.Net``) must be torchless modules of the same names.
    Loaded tensors view fresh memory, one storage per storage saved: tensors saved as views of one storage share
    it again, as with ``torch.load``.

    Args:
        f: a path (``str`` or ``os.PathLike``) or a binary file object.
        map_location: where tensors go; torchless computes on the CPU, so ``None``, ``'cpu'`` (or a CPU
            device), a dict mapping saved locations (``{'cuda:0': 'cpu'}``) or a callable, which for a PyTorch
            checkpoint is called as PyTorch calls it: with each storage (an ``UntypedStorage``) and its saved
            location, giving the storage to use, or None for the default. With ``None``, a PyTorch checkpoint
            saved on another device raises as PyTorch does on a machine without that device.
        weights_only: False to unpickle whole objects (this can run arbitrary code: only for files from a
            trusted source). The default is True, or False when a ``pickle_module`` is given (as in PyTorch,
            which refuses the two together).
        mmap: map the file's storages into memory rather than read them (``np.memmap``), as PyTorch does: tensors
            view the file's bytes, which are read when used; writes to them stay private to the process, or go to
            the file under ``set_default_mmap_options(mmap.MAP_SHARED)``. As in PyTorch, it needs ``f`` to be a
            path, and a file in a zip format. (Tensors needing a conversion -- bool, another byte order, a
            callable ``map_location``'s storages -- and checkpoints in torchless's own format are read into
            memory.)
        pickle_module, pickle_load_args: accepted for PyTorch compatibility; otherwise ignored (but for
            PyTorch's TypeError naming a keyword argument its unpickler would not take).

    Raises:
        CheckpointError: ``f`` is none of these formats (e.g. a plain pickle, a TorchScript archive), is
            corrupt, or is a checkpoint whose pickle needs a global that a weights-only load does not allow (the
            message names it; then its subclass ``UnpicklingError``, the name PyTorch's error has). It is both
            a ``RuntimeError`` and a ``pickle.UnpicklingError``; for an empty file, also an ``EOFError`` (what
            PyTorch raises, and named so). For a file in no zip format whose first pickle holds plain data (or
            none), the error PyTorch raises reading it for the legacy format's magic number, in its type
            (``RuntimeError: Invalid magic number; corrupt file?``, a ``KeyError``, ...) and words.
        RuntimeError: ``map_location`` names a location other than ``'cpu'`` (a CUDA device, ``'cpu:0'``,
            ...), or maps a saved location to one: PyTorch's message on a machine without it.
        ValueError: ``mmap`` is true and ``f`` is a file object (PyTorch's message).
        RuntimeError: ``mmap`` is true and ``f`` is not in a zip format (PyTorch's message).
        FileNotFoundError: no file at the path ``f``.
    """
    if weights_only is None:  # PyTorch's default: weights-only, unless a pickle module is given
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_load_args:
            warnings.warn("pickle_load_args only works if `weights_only=False`.")
    if pickle_module is not None:
        pickle_module.__name__  # (PyTorch's check of a dill module's version reads it: its AttributeError)
    def check_arguments(unpickler):
        if pickle_module in (None, pickle):  # (another module's unpickler takes what it takes)
            _check_pickle_load_args(pickle_load_args, weights_only, unpickler)

    if isinstance(f, (str, os.PathLike)):
        name = repr(os.fsdecode(f))
        with open(f, "rb") as stream:
            return _load_stream(stream, name, map_location, weights_only, mmap=bool(mmap),
                                mmap_name=f if isinstance(f, str) else None, mapped_file=os.fspath(f) if mmap else None,
                                check_arguments=check_arguments)
    if not hasattr(f, "read"):  # bytes are not a path to PyTorch either (a stream without seek is read whole)
        raise AttributeError(f"'{type(f).__name__}' object has no attribute 'seek'. You can only torchless.load from a "
                             "file that is seekable. Please pre-load the data into a buffer like io.BytesIO and try "
                             "to load from it instead.")
    stream = f if getattr(f, "seekable", lambda: False)() else io.BytesIO(f.read())
    return _load_stream(stream, "the file object", map_location, weights_only, mmap=bool(mmap),
                        mmap_of_file_object=bool(mmap), check_arguments=check_arguments)


# The keyword arguments of the unpicklers PyTorch passes ``pickle_load_args`` to: its weights-only one's, pickle's.
_UNPICKLER_KEYWORDS = {True: ("encoding",), False: ("fix_imports", "encoding", "errors", "buffers")}


def _check_pickle_load_args(pickle_load_args, weights_only, unpickler):
    """PyTorch's TypeError for a keyword argument its unpickler does not take: a zip archive's is built as an
    ``Unpickler`` with them, the legacy format's is pickle's ``load`` (or its weights-only twin)."""
    for key in pickle_load_args:
        if key not in _UNPICKLER_KEYWORDS[bool(weights_only)]:
            if weights_only:
                called = "Unpickler.__init__" if unpickler == "Unpickler" else unpickler
                raise TypeError(f"{called}() got an unexpected keyword argument '{key}'")
            raise TypeError(f"'{key}' is an invalid keyword argument for {unpickler}()")


_TORCHSCRIPT_WEIGHTS_ONLY = (
    "Cannot use ``weights_only=True`` with TorchScript archives passed to ``torchless.load``. In PyTorch 2.6, we "
    "changed the default value of the `weights_only` argument in `torchless.load` from `False` to `True`. Re-running "
    "`torchless.load` with `weights_only` set to `False` will likely succeed, but it can result in arbitrary code "
    "execution. Do it only if you got the file from a trusted source.")


def _is_torchscript(names):
    """Whether a zip archive's entries are those of torch.jit.save's files (PyTorch's compiled code and constants,
    or torchless's pickled module)."""
    from .jit._serialization import _MODULE_ENTRY

    return any(n.endswith(("/constants.pkl", "/" + _MODULE_ENTRY)) or "/code/" in n for n in names)


def _mmap_of_a_legacy_file(path):
    """PyTorch's refusal to map a file that is not a zip archive (``path``: the path given as a string, else None)."""
    named = "" if path is None else f"{path}, "
    return _PlainRuntimeError(f"mmap can only be used with files saved with `torch.save({named}"
                              "_use_new_zipfile_serialization=True), please torch.save your checkpoint with this "
                              "option in order to use mmap.")


def _is_legacy_torch_file(head):
    return any(head.startswith(magic) for magic in _LEGACY_MAGICS)


_ZIP_END_RECORD_SIZE = 22  # the end of central directory record, without which nothing of an archive is found


def _stream_reader_error(failure):
    """PyTorch's zip reader's error for an archive it cannot read (``failure``: what it failed doing)."""
    return _PlainRuntimeError(
        f"PytorchStreamReader failed {failure}. This is an internal miniz error. If you are seeing this error, there "
        "is a high likelihood that your checkpoint file is corrupted. This can happen if the checkpoint was not saved "
        "properly, was transferred incorrectly, or the file was modified after saving.")


def _damaged_zip_error(error, size, name):
    """The error for a file that starts as a zip archive but cannot be opened as one: a truncated file gets
    PyTorch's message (its zip reader's words when it finds no central directory)."""
    if isinstance(error, zipfile.BadZipFile) and str(error) == "File is not a zip file":
        reason = "not a ZIP archive" if size < _ZIP_END_RECORD_SIZE else "failed finding central directory"
        return _stream_reader_error(f"reading zip archive: {reason}")
    return CheckpointError(f"corrupt checkpoint {name}: a damaged zip archive ({type(error).__name__}: {error})")


def _load_stream(stream, name, map_location, weights_only=True, mmap=False, mmap_of_file_object=False,
                 mmap_name=None, mapped_file=None, check_arguments=lambda unpickler: None):
    start = stream.tell()
    size = stream.seek(0, io.SEEK_END) - start
    stream.seek(start)
    try:
        # PyTorch reads a file as a zip archive only when it starts with a local file header's magic number (the
        # archive may still be found from its end: its first bytes damaged, the file is read as a pickle)
        if stream.read(4) != zipfile.stringFileHeader:
            raise zipfile.BadZipFile("File is not a zip file")
        stream.seek(start)
        archive = zipfile.ZipFile(stream)
    # what zipfile raises for damaged archives (OSError: seeks to forged offsets)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError, OverflowError,
            struct.error) as error:
        if mmap:  # PyTorch maps zip archives only
            raise _mmap_of_a_legacy_file(mmap_name) from None
        check_arguments("load")  # (PyTorch reads any other file with pickle's load, given them)
        stream.seek(start)
        head = stream.read(_LEGACY_HEAD_SIZE)
        if not isinstance(head, bytes):  # a text stream, as PyTorch's unpickler finds it (pickle's own, without
            # weights_only, reads it into a bytes buffer)
            if not weights_only:
                raise TypeError(f"a bytes-like object is required, not '{type(head).__name__}'") from None
            raise AssertionError(f"Expected bytes, got {type(head).__name__}") from None
        if not head:  # (pickle's own unpickler, which PyTorch's load without weights_only uses, says more)
            raise (_EmptyFileError() if weights_only else _EmptyFileError("Ran out of input")) from None
        if _is_legacy_torch_file(head):
            from . import _torch_format  # imports this module, for CheckpointError

            stream.seek(start)
            return _torch_format.read_legacy(stream, name, size, map_location, weights_only)
        if head[:4] == zipfile.stringFileHeader:
            raise _damaged_zip_error(error, size, name) from None
        from . import _torch_format  # imports this module, for CheckpointError

        stream.seek(start)
        failure = _torch_format.first_pickle_failure(stream, start + size, weights_only)
        if failure is not None:
            raise failure from None
        raise _not_ours(name, "it is a pickle file" if head[:1] == b"\x80" else "not a zip archive") from None
    with archive:
        if _is_torchscript(archive.namelist()):  # as PyTorch: the warning, then a weights-only load's refusal
            warnings.warn("'torchless.load' received a zip file that looks like a TorchScript archive dispatching to "
                          "'torchless.jit.load' (call 'torchless.jit.load' directly to silence this warning)",
                          UserWarning, stacklevel=3)
            if weights_only:
                raise _PlainRuntimeError(_TORCHSCRIPT_WEIGHTS_ONLY)
            from .jit import load as jit_load

            stream.seek(start)
            return jit_load(stream, map_location)
        if mmap_of_file_object:  # PyTorch maps a checkpoint's file, found by its path
            raise ValueError("f must be a file path in order to use the mmap argument")
        check_arguments("Unpickler")
        if _STRUCTURE not in archive.NameToInfo:
            from . import _torch_format  # imports this module, for CheckpointError

            folder = _torch_format.archive_folder(archive, name)
            if folder is None:
                raise _not_ours(name, f"a zip archive without '{_STRUCTURE}'")
            return _torch_format.read_archive(archive, folder, name, size, map_location, weights_only, mapped_file,
                                              shared=_options["mmap_flags"] == _MAP_SHARED)
        from . import _torch_format  # imports this module, for CheckpointError

        # torchless's own format has its tensors on the CPU: map_location is checked as PyTorch would check it
        # for a CPU storage
        _torch_format._location_checker(map_location)("cpu")
        try:
            return _load_archive(archive, name, weights_only)
        except CheckpointError:
            raise
        except _CORRUPTION as error:
            # whatever a damaged or forged archive makes the readers raise, say what it is
            raise CheckpointError(f"corrupt checkpoint {name}: {type(error).__name__}: {error}") from None
