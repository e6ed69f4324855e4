"""torchless.save and torchless.load: checkpoints that never run code when they are read.

A checkpoint is a zip archive (entries stored uncompressed) holding

* ``torchless.json``: ``{"format": "torchless", "version": 1, "object": NODE}``, the saved object's structure;
* ``tensors/<i>.npy``: one NumPy ``.npy`` file per distinct tensor, read back with pickling disabled.

A NODE is JSON ``null``, ``true``/``false``, an integer, a finite float, a string, a list of NODEs, or a
tagged object ``{"type": ..., ...}`` for everything JSON cannot say by itself: ``float`` (nan/inf),
``tuple``, ``dict`` and ``OrderedDict`` (items as ``[key NODE, value NODE]`` pairs, so that integer and
tuple keys come back as they were), ``tensor`` and ``Parameter`` (an index into ``tensors/`` plus
``requires_grad``), ``Size``, ``dtype`` and ``device``. Loading only ever builds these types.

``save(..., format="torch")`` writes PyTorch's own zip format instead, and :func:`load` reads it -- files
written by ``torch.save`` -- through an unpickler that runs no code (see ``_torch_format``).
"""
import io
import json
import math
import os
import pickle
import secrets
import struct
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._size import Size
from ._tensor import Tensor, _require_cpu, device

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "torchless"
VERSION = 1
_STRUCTURE = "torchless.json"
_READ_CHUNK = 1 << 24


class CheckpointError(RuntimeError, pickle.UnpicklingError):
    """A file that torchless.load cannot or will not load: not a checkpoint of either format, corrupt, or a
    PyTorch checkpoint needing a global that a weights-only load refuses (caught by ``except RuntimeError``
    and by ``except pickle.UnpicklingError``, the error PyTorch raises for checkpoints it refuses to load)."""


class _EmptyFileError(CheckpointError, EOFError):
    """Raised for an empty file: an ``EOFError`` without a message, as PyTorch's ``torch.load`` raises."""


def _tensor_path(index):
    return f"tensors/{index}.npy"


def _c_contiguous(array):
    """``array`` in C order (np.ascontiguousarray would turn a 0-d array into a 1-d one)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


# ---------------------------------------------------------------------------------------------- saving
class _Encoder:
    """Turns an object into a JSON node, collecting its tensors' arrays (each distinct tensor once)."""

    def __init__(self):
        from .nn.parameter import Parameter

        self._parameter = Parameter
        self.arrays = []
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
        if isinstance(obj, (list, tuple, dict)):
            return self._encode_container(obj)
        hint = " (save its state_dict() instead)" if callable(getattr(obj, "state_dict", None)) else ""
        raise TypeError(f"torchless.save cannot save an object of type {type(obj).__module__}."
                        f"{type(obj).__qualname__}{hint}: only tensors, Parameters, None, bools, ints, floats, "
                        "strings, dtypes, devices and lists, tuples and dicts of these can be saved")

    def _encode_tensor(self, tensor):
        key = id(tensor)
        if key not in self._index_of:
            self._index_of[key] = len(self.arrays)
            self.arrays.append((tensor, _c_contiguous(tensor._data)))
        kind = "Parameter" if isinstance(tensor, self._parameter) else "tensor"
        return {"type": kind, "index": self._index_of[key], "requires_grad": bool(tensor.requires_grad)}

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


def _write_archive(stream, structure, arrays):
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(_STRUCTURE, json.dumps(structure, allow_nan=False, separators=(",", ":")))
        for index, (_, array) in enumerate(arrays):
            with archive.open(_tensor_path(index), "w", force_zip64=array.nbytes > (1 << 30)) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def _atomic_write(path, write):
    """Write a new file through ``write(stream)``: a temporary file beside ``path`` replaces it at the end,
    so a failure at any point leaves any previous file at ``path`` intact."""
    path = os.fsdecode(path)
    given_directory = os.path.dirname(path)
    if given_directory and not os.path.isdir(given_directory):
        raise RuntimeError(f"Parent directory {given_directory} does not exist.")
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


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False, *, format="torchless"):
    """Save ``obj`` (tensors, Parameters, state dicts and containers of them) to ``f``.

    Args:
        obj: the object: tensors, Parameters, ``None``, bools, ints, floats, strings, dtypes, devices, and
            lists, tuples, dicts and OrderedDicts (keys of any of these scalar types) nesting them, e.g. a
            ``Module.state_dict()``, an ``Optimizer.state_dict()`` or a training checkpoint. A tensor
            referenced several times is stored once and loads as one tensor.
        f: a path (``str`` or ``os.PathLike``), written atomically, or a binary file object.
        format (str): ``"torchless"`` (default) for torchless's own format, which never pickles, or
            ``"torch"`` for the zip format of ``torch.save`` (pickle protocol 2, storages aligned to 64
            bytes), which ``torch.load(f, weights_only=True)`` reads. Each tensor is written as its own
            contiguous storage.

    ``pickle_module``, ``pickle_protocol`` and ``_use_new_zipfile_serialization`` are accepted for PyTorch
    compatibility and ignored; with ``format="torch"``, ``_disable_byteorder_record`` leaves out the
    ``byteorder`` record, as in PyTorch.

    Raises:
        TypeError: ``obj`` holds something else (a Module, a function, a NumPy array, ...).
        ValueError: ``format`` is neither ``"torchless"`` nor ``"torch"``.
        RuntimeError: the directory of ``f`` does not exist.
    """
    if format not in ("torchless", "torch"):
        raise ValueError(f"format must be 'torchless' or 'torch', got {format!r}")
    encoder = _Encoder()
    node = encoder.encode(obj)
    if format == "torch":
        from . import _torch_format  # imports this module, for CheckpointError

        folder = _torch_format.folder_for(f) if isinstance(f, (str, os.PathLike)) else "archive"

        def write(stream):
            _torch_format.write_archive(stream, node, encoder.arrays, folder,
                                        record_byte_order=not _disable_byteorder_record)
    else:
        def write(stream):
            _write_archive(stream, {"format": FORMAT, "version": VERSION, "object": node}, encoder.arrays)

    if isinstance(f, (str, os.PathLike)):
        _atomic_write(f, write)
    elif not hasattr(f, "write"):  # bytes are not a path to PyTorch either
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    else:
        write(f)


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
        if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biuf":
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
    """Rebuilds an object from a JSON node, reading each referenced tensor once."""

    def __init__(self, archive):
        from .nn.parameter import Parameter

        self._parameter = Parameter
        self._archive = archive
        self._tensors = {}

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
        raise ValueError(f"unknown node type {kind!r}")

    def _decode_tensor(self, node, kind):
        index = _int(node["index"])
        requires_grad = node["requires_grad"]
        if index < 0 or not isinstance(requires_grad, bool):
            raise ValueError(f"bad tensor reference {node!r}")
        if index not in self._tensors:
            array = _read_array(self._archive, _tensor_path(index))
            _dtype.from_numpy_dtype(array.dtype)
            if requires_grad and array.dtype.kind != "f":
                raise ValueError("only floating-point tensors can require gradients")
            if kind == "Parameter":
                tensor = self._parameter(Tensor._wrap(array), requires_grad=requires_grad)
            else:
                tensor = Tensor._wrap(array)
                tensor.requires_grad = requires_grad
            self._tensors[index] = tensor
        return self._tensors[index]


def _items(node):
    items = node["items"]
    if not isinstance(items, list):
        raise ValueError("items must be a list")
    return items


def _int(value):
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _not_ours(name, reason):
    return CheckpointError(f"{name} is not a torchless checkpoint ({reason}). torchless.load reads files written by "
                           "torchless.save and by torch.save (PyTorch's zip format, through an unpickler that runs no "
                           "code); it unpickles nothing else: unpickling can run arbitrary code.")


# torch.save's format before PyTorch 1.6 starts with this number, pickled (protocol 2, LONG1)
_LEGACY_MAGIC = b"\x80\x02\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little")
# The pickle opcodes PyTorch's weights-only unpickler reads (torch/_weights_only_unpickler.py): it reads a file
# that is not a zip archive as a pickle, and refuses one starting with any other byte as an "Unsupported operand".
_TORCH_UNPICKLER_OPCODES = frozenset(b"()N]}.QRabestuGJXjrKUhqMc\x80\x81\x85\x86\x87\x88\x89\x8a\x8f")


def _load_archive(archive, name):
    structure = archive.read(_STRUCTURE)
    try:
        document = json.loads(structure)
    except (ValueError, RecursionError) as error:
        raise CheckpointError(f"corrupt checkpoint {name}: its structure is not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or "object" not in document:
        raise _not_ours(name, "no torchless format marker")
    if document.get("version") != VERSION:
        raise CheckpointError(f"{name} is a torchless checkpoint of format version {document.get('version')!r}; "
                              f"this torchless reads version {VERSION}")
    return _Decoder(archive).decode(document["object"])


_CORRUPTION = (KeyError, TypeError, ValueError, IndexError, RecursionError, EOFError, NotImplementedError,
               RuntimeError, zipfile.BadZipFile, zlib.error)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by :func:`save` or by ``torch.save`` from ``f`` (a path or a binary file object).

    The format is detected: torchless's own, or PyTorch's zip format (``torch.save`` since PyTorch 1.6),
    whose pickle is read as ``torch.load(f, weights_only=True)`` reads it, by an unpickler that builds only
    tensors, Parameters, dtypes, devices, ``torch.Size``, numbers, strings, bytes, lists, tuples, sets, dicts
    and OrderedDicts, and refuses every other global. Nothing from the file ever runs, so ``weights_only``
    makes no difference. Loaded tensors own fresh memory (views of one storage become separate tensors).

    Args:
        f: a path (``str`` or ``os.PathLike``) or a binary file object.
        map_location: where tensors go; torchless computes on the CPU, so ``None``, ``'cpu'`` (or a CPU
            device), a dict mapping saved locations (``{'cuda:0': 'cpu'}``) or a callable (taken to map
            to the CPU). With ``None``, a PyTorch checkpoint saved on another device raises as PyTorch
            does on a machine without that device.
        pickle_module, weights_only, mmap, pickle_load_args: accepted for PyTorch compatibility; ignored.

    Raises:
        CheckpointError: ``f`` is neither format (e.g. a plain pickle, PyTorch's legacy pre-1.6 format, a
            TorchScript archive), is corrupt, or is a PyTorch checkpoint whose pickle needs a global that a
            weights-only load does not allow (the message names it). It is both a ``RuntimeError`` and a
            ``pickle.UnpicklingError``; for an empty file, also an ``EOFError`` (what PyTorch raises).
        RuntimeError: ``map_location`` names a CUDA device (PyTorch's message).
        FileNotFoundError: no file at the path ``f``.
    """
    if isinstance(map_location, (str, device)):
        if str(map_location).partition(":")[0] == "cuda":
            from . import _torch_format  # imports this module, for CheckpointError

            # PyTorch's error for restoring a tensor on a CUDA device it does not have
            _torch_format._location_checker(None)(str(map_location))
        _require_cpu(map_location)
    elif not (map_location is None or isinstance(map_location, dict) or callable(map_location)):
        # PyTorch calls any other map_location on each storage
        raise TypeError(f"'{type(map_location).__name__}' object is not callable")
    if isinstance(f, (str, os.PathLike)):
        name = repr(os.fsdecode(f))
        with open(f, "rb") as stream:
            return _load_stream(stream, name, map_location)
    if not hasattr(f, "read"):  # bytes are not a path to PyTorch either (a stream without seek is read whole)
        raise AttributeError(f"'{type(f).__name__}' object has no attribute 'seek'. You can only torchless.load from a "
                             "file that is seekable. Please pre-load the data into a buffer like io.BytesIO and try "
                             "to load from it instead.")
    stream = f if getattr(f, "seekable", lambda: False)() else io.BytesIO(f.read())
    return _load_stream(stream, "the file object", map_location)


def _load_stream(stream, name, map_location):
    start = stream.tell()
    size = stream.seek(0, io.SEEK_END) - start
    stream.seek(start)
    try:
        archive = zipfile.ZipFile(stream)
    # what zipfile raises for damaged archives (OSError: seeks to forged offsets)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError, OverflowError,
            struct.error) as error:
        stream.seek(start)
        head = stream.read(len(_LEGACY_MAGIC))
        if not head:
            raise _EmptyFileError() from None
        if head == _LEGACY_MAGIC:
            raise _not_ours(name, "it is in the legacy format of torch.save before PyTorch 1.6 or with "
                                  "_use_new_zipfile_serialization=False; re-save it with a current torch.save"
                            ) from None
        if head[:2] == b"PK":
            raise CheckpointError(f"corrupt checkpoint {name}: a damaged zip archive ({type(error).__name__}: "
                                  f"{error})") from None
        if head[0] not in _TORCH_UNPICKLER_OPCODES:
            # PyTorch's words (which code catching its errors may look for), on one line, then ours
            raise CheckpointError(f"Weights only load failed (WeightsUnpickler error: Unsupported operand {head[0]}): "
                                  f"{_not_ours(name, 'not a zip archive')}") from None
        raise _not_ours(name, "it is a pickle file" if head[:1] == b"\x80" else "not a zip archive") from None
    with archive:
        if _STRUCTURE not in archive.NameToInfo:
            from . import _torch_format  # imports this module, for CheckpointError

            folder = _torch_format.archive_folder(archive.namelist())
            if folder is None:
                raise _not_ours(name, f"a zip archive without '{_STRUCTURE}'")
            return _torch_format.read_archive(archive, folder, name, size, map_location)
        try:
            return _load_archive(archive, name)
        except CheckpointError:
            raise
        except _CORRUPTION as error:
            # whatever a damaged or forged archive makes the readers raise, say what it is
            raise CheckpointError(f"corrupt checkpoint {name}: {type(error).__name__}: {error}") from None
