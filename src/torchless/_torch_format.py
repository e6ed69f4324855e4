"""PyTorch's checkpoint format (``torch.save`` since PyTorch 1.6), read and written without PyTorch; and its
legacy format (see :class:`_LegacyReader`), whose pickle is read as ``data.pkl`` is.

A checkpoint is a zip archive whose entries, stored uncompressed, all sit in one folder (``archive/`` when
saved to a file object, the file name without its extension when saved to a path):

* ``data.pkl``: the saved object, pickled with protocol 2. A tensor is the call
  ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)``
  (plus a ``metadata`` dict when the tensor has its negative bit set); a Parameter wraps it in
  ``torch._utils._rebuild_parameter(tensor, requires_grad, backward_hooks)``. A storage is the persistent
  id ``('storage', torch.FloatStorage, key, location, numel)`` (``torch.LongStorage`` ..., or
  ``torch.storage.UntypedStorage`` with ``numel`` in bytes, which ``_rebuild_tensor_v3`` reads with a
  ``dtype`` argument such as ``torch.float32``);
* ``data/<key>``: each storage's ``numel`` elements, raw, in the byte order that ``byteorder`` names
  (``little`` or ``big``; ``little`` when absent). torch.save starts every entry's data at a multiple of
  64 bytes from the start of the archive, padding the local file headers with an ``FB`` extra field;
* ``version`` (``3``), ``.format_version`` (``1``), ``.storage_alignment`` (``64``) and
  ``.data/serialization_id``.

A weights-only load (the default) runs no code from the file. ``data.pkl`` is first walked opcode by opcode
without being run: opcodes outside plain data, ``GLOBAL``, ``REDUCE``, ``BUILD``, ``NEWOBJ`` and ``BINPERSID``
are refused, and memo indices may not exceed the pickle's length (CPython's unpickler sizes its memo by the
largest index, so a six-byte pickle could otherwise make it allocate gigabytes). Then :class:`_WeightsUnpickler`
runs it: its ``find_class`` resolves only the globals listed in ``_ALLOWED_GLOBALS``, and to inert stand-ins,
never to the real objects, so that ``BUILD`` cannot modify anything shared, and those the user allowed with
``serialization.add_safe_globals`` (as PyTorch, it then builds their objects); its ``persistent_load`` accepts
only storage ids. Any other global is refused with PyTorch's ``pickle.UnpicklingError`` naming it. (With
``weights_only=False`` any global is resolved, PyTorch's to torchless's counterparts.) The unpickled
object holds only plain Python data and inert records, which are then checked and turned into torchless
tensors: a tensor's offset, sizes and strides are checked against its storage before any view is built,
a storage's size against its zip entry and the file, and, since tensors are copied out of their storages
and views that overlap or broadcast a storage can need more memory than the file holds, all tensors
together may take at most ``8 x file size + 256 MiB``.
"""
import io
import lzma
import math
import os
import pickle
import pickletools
import secrets
import struct
import warnings
import zipfile
from collections import Counter, OrderedDict

import numpy as np

from . import _dtype
from ._size import Size
from ._tensor import Tensor
from ._device import device
from .serialization import LEGACY_MAGIC_NUMBER, CheckpointError, UnpicklingError, _PlainRuntimeError, _python3_name, \
    _safe_globals, _user_safe_global, _weights_only_refusal

__all__ = ["archive_folder", "read_archive", "read_legacy", "write_archive", "write_legacy"]

ALIGNMENT = 64
_ARCHIVE_VERSION = b"3\n"
_MAX_DIMS = 64  # NumPy's limit
_EXPANSION_ALLOWANCE = 256 << 20
_EXPANSION_FACTOR = 8

_STORAGE_DTYPES = {
    "FloatStorage": _dtype.float32, "DoubleStorage": _dtype.float64, "HalfStorage": _dtype.float16,
    "LongStorage": _dtype.int64, "IntStorage": _dtype.int32, "ShortStorage": _dtype.int16,
    "CharStorage": _dtype.int8, "ByteStorage": _dtype.uint8, "BoolStorage": _dtype.bool,
    "ComplexFloatStorage": _dtype.complex64, "ComplexDoubleStorage": _dtype.complex128,
}
_STORAGE_NAMES = {dtype: name for name, dtype in _STORAGE_DTYPES.items()}
# PyTorch dtypes torchless has no counterpart of, named for a clearer refusal than "unsupported global"
_FOREIGN_DTYPES = {"bfloat16", "complex32", "uint16", "uint32", "uint64", "qint8", "quint8", "qint32", "quint4x2",
                   "quint2x4"}


class _Refused(Exception):
    """The pickle asks for something a weights-only load does not allow."""


class _Corrupt(Exception):
    """The file is inconsistent."""


# ---------------------------------------------------------------------------------- inert stand-ins
class _Inert:
    """What the unpickler builds besides plain data: nothing a pickle's ``BUILD`` may change."""

    __slots__ = ()

    def __setstate__(self, state):
        raise _Refused(f"the pickle sets the state of {self!r}, which is not allowed")


class _Global(_Inert):
    """An allowed global: a callable (``function`` checks its arguments) or, with ``function`` None, a
    value such as a dtype or a storage type."""

    __slots__ = ("name", "function", "dtype")

    def __init__(self, name, function=None, dtype=None):
        self.name, self.function, self.dtype = name, function, dtype

    def __call__(self, *args):
        if self.function is None:
            raise _Refused(f"the pickle calls {self.name}, which is not callable")
        return self.function(*args)

    def __repr__(self):
        return self.name


class _Storage(_Inert):
    """A storage: ``nbytes`` raw bytes in the entry ``data/<key>``."""

    __slots__ = ("key", "dtype", "nbytes")

    def __init__(self, key, dtype, nbytes):
        self.key, self.dtype, self.nbytes = key, dtype, nbytes

    def __repr__(self):
        return f"storage '{self.key}'"


class _TensorRecord(_Inert):
    """A tensor to copy out of its storage once the whole pickle has been read."""

    __slots__ = ("storage", "dtype", "offset", "size", "stride", "requires_grad", "negative", "conjugate",
                 "is_parameter")

    def __init__(self, storage, dtype, offset, size, stride, requires_grad, negative, conjugate, is_parameter=False):
        self.storage, self.dtype, self.offset, self.size, self.stride = storage, dtype, offset, size, stride
        self.requires_grad, self.negative, self.conjugate = requires_grad, negative, conjugate
        self.is_parameter = is_parameter

    def __repr__(self):
        return "a tensor"


class _DeviceRecord(_Inert):
    __slots__ = ("args",)

    def __init__(self, args):
        self.args = args

    def __repr__(self):
        return "a device"


# ---------------------------------------------------------------------------------- allowed globals
def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _int_tuple(value, what):
    if not isinstance(value, (tuple, list)) or not all(_is_int(n) and n >= 0 for n in value):
        raise _Corrupt(f"tensor {what} must be a tuple of non-negative ints, got {_describe(value)}")
    if len(value) > _MAX_DIMS:
        raise _Corrupt(f"tensor with {len(value)} dimensions (at most {_MAX_DIMS} are supported)")
    return tuple(value)


def _describe(value):
    """A short description of an unpickled value, safe for any size or depth."""
    if isinstance(value, (_Inert, bool, type(None))) or (_is_int(value) and abs(value) < 10 ** 30):
        return repr(value)
    if isinstance(value, tuple) and len(value) <= 8 and all(_is_int(v) and abs(v) < 10 ** 30 for v in value):
        return repr(value)
    return f"a {type(value).__name__}"


def _tensor_record(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata):
    if not isinstance(storage, _Storage):
        raise _Corrupt(f"a tensor's storage must come from a storage id, got {_describe(storage)}")
    if not _is_int(storage_offset) or storage_offset < 0:
        raise _Corrupt(f"bad storage offset {_describe(storage_offset)}")
    size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    if len(size) != len(stride):
        raise _Corrupt(f"tensor size {size} and stride {stride} differ in length")
    if not isinstance(requires_grad, bool):
        raise _Corrupt(f"requires_grad must be a bool, got {_describe(requires_grad)}")
    if requires_grad and not dtype.is_floating_point:
        raise _Corrupt(f"a tensor of dtype torch.{dtype.name} cannot require gradients")
    if not isinstance(backward_hooks, dict):
        raise _Corrupt(f"backward_hooks must be a dict, got {_describe(backward_hooks)}")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not set(metadata) <= {"neg", "conj"} or \
            not all(isinstance(v, bool) for v in dict.values(metadata)):
        raise _Refused(f"unsupported tensor metadata {_describe(metadata)} (only the 'neg' and 'conj' bits)")
    if all(size):  # an empty tensor reads nothing, as in PyTorch
        capacity = storage.nbytes // dtype.itemsize
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= capacity:
            raise _Corrupt(f"tensor of size {size}, stride {stride} and offset {storage_offset} reaches element "
                           f"{last} of {storage!r}, which holds {capacity} elements of torch.{dtype.name}")
    # the neg bit stores -x as x, the conj bit (meaningless for real dtypes) conj(z) as z
    return _TensorRecord(storage, dtype, storage_offset, size, stride, requires_grad, dict.get(metadata, "neg", False),
                         dict.get(metadata, "conj", False) and dtype.is_complex)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    dtype = storage.dtype if isinstance(storage, _Storage) else None
    return _tensor_record(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if not (isinstance(dtype, _Global) and dtype.function is None and isinstance(dtype.dtype, _dtype.dtype)):
        raise _Corrupt(f"_rebuild_tensor_v3 needs a dtype, got {_describe(dtype)}")
    return _tensor_record(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype.dtype,
                          metadata)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if not isinstance(data, _TensorRecord) or data.is_parameter:
        raise _Corrupt(f"a Parameter must wrap a tensor, got {_describe(data)}")
    if not isinstance(requires_grad, bool) or not isinstance(backward_hooks, dict):
        raise _Corrupt("bad Parameter arguments")
    if state:
        raise _Refused("Parameters with Python attributes are not supported")
    if requires_grad and not data.dtype.is_floating_point:
        raise _Corrupt(f"a Parameter of dtype torch.{data.dtype.name} cannot require gradients")
    return _TensorRecord(data.storage, data.dtype, data.offset, data.size, data.stride, requires_grad,
                         data.negative, data.conjugate, is_parameter=True)


def _torch_device(*args):
    if not (1 <= len(args) <= 2 and isinstance(args[0], str) and all(_is_int(a) for a in args[1:])):
        raise _Corrupt("bad torch.device arguments")
    return _DeviceRecord(args)


def _torch_size(sizes=()):
    if not isinstance(sizes, (tuple, list)) or not all(_is_int(n) for n in sizes):
        raise _Corrupt("torch.Size needs a tuple of ints")
    return Size(sizes)


def _codecs_encode(text, encoding):
    # protocol 2 has no opcode for bytes: Python pickles them as _codecs.encode(text, 'latin1')
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused("_codecs.encode is allowed only for latin-1 text")
    return text.encode("latin-1")


def _bytearray(data=b""):
    if not isinstance(data, bytes):  # bytearray(n) would allocate n bytes
        raise _Refused("bytearray is allowed only from bytes")
    return bytearray(data)


def _from_iterable(kind):
    def build(*args):
        if len(args) > 1 or (args and not isinstance(args[0], (list, tuple, dict, set, frozenset))):
            raise _Refused(f"{kind.__name__} is allowed only from a list, tuple, set or dict")
        return kind(*args)

    return build


def _complex(real=0.0, imag=0.0):
    if not all(isinstance(v, (int, float)) for v in (real, imag)):
        raise _Refused("complex is allowed only from two numbers")
    return complex(real, imag)


def _allowed_globals():
    allowed = {
        ("collections", "OrderedDict"): _from_iterable(OrderedDict),
        ("collections", "Counter"): _from_iterable(Counter),
        ("builtins", "set"): _from_iterable(set),
        ("builtins", "complex"): _complex,
        ("builtins", "bytearray"): _bytearray,
        ("_codecs", "encode"): _codecs_encode,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch", "device"): _torch_device,
        ("torch", "Size"): _torch_size,
    }
    table = {key: _Global(".".join(key), function) for key, function in allowed.items()}
    for name in ("set", "complex", "bytearray"):  # protocol 2 writes Python 3's builtins as __builtin__
        table["__builtin__", name] = table["builtins", name]
    for name, dtype in _STORAGE_DTYPES.items():
        table["torch", name] = _Global(f"torch.{name}", dtype=dtype)
    table["torch.storage", "UntypedStorage"] = table["torch", "UntypedStorage"] = _Global(
        "torch.storage.UntypedStorage", dtype=_dtype.uint8)
    for dtype in _dtype.ALL:
        table["torch", dtype.name] = _Global(f"torch.{dtype.name}", dtype=dtype)
    return table


_ALLOWED_GLOBALS = _allowed_globals()
# their names as get_unsafe_globals_in_checkpoint reports them (Python 3's)
ALLOWED_GLOBAL_NAMES = frozenset(".".join(_python3_name(module, name)) for module, name in _ALLOWED_GLOBALS)


# ---------------------------------------------------------------------------------- reading
# Python 2's STRING and BINSTRING are left out, as PyTorch does: no zip checkpoint was written by Python 2
_ALLOWED_OPCODES = frozenset((
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP", "NONE", "NEWTRUE", "NEWFALSE",
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
    "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8",
    "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_LIST", "LIST", "APPEND", "APPENDS",
    "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS", "EMPTY_SET", "ADDITEMS", "FROZENSET",
    "GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD", "NEWOBJ", "BINPERSID",
    "GET", "BINGET", "LONG_BINGET", "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE",
))
_MEMO_WRITES = frozenset(("PUT", "BINPUT", "LONG_BINPUT"))


def _check_opcodes(source, limit=None, allowed=_ALLOWED_OPCODES):
    """Walk the pickle at the start of ``source`` (bytes, or a stream at the pickle's start) without running it:
    every opcode ``allowed`` (None: any), every memo index and frame within ``limit`` (the pickle's size; for a
    stream, the position where its file ends). Returns the pickle's length in bytes."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    start = stream.tell()
    limit = len(source) if limit is None else limit
    with warnings.catch_warnings():
        # genops decodes a STRING's escapes, warning about bad ones, before the opcode can be refused
        warnings.simplefilter("ignore", DeprecationWarning)
        for opcode, argument, position in pickletools.genops(stream):
            if allowed is not None and opcode.name not in allowed:
                raise _Refused(f"unsupported pickle opcode {opcode.name} at byte {position - start}")
            if opcode.name in _MEMO_WRITES and not 0 <= argument < limit:
                raise _Corrupt(f"memo index {argument} at byte {position - start} is out of range")
            if opcode.name == "FRAME" and argument > limit - position:
                raise _Corrupt(f"frame of {argument} bytes at byte {position - start} runs past the pickle's end")
    return stream.tell() - start


class _UnsupportedGlobal(_Refused):
    """A global neither allowed by default nor by add_safe_globals, refused with PyTorch's message."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class _WeightsUnpickler(pickle.Unpickler):
    """Unpickles only plain data, the allowed globals (as inert stand-ins), the objects add_safe_globals allowed,
    and storage ids (those of torch.save's legacy format too with ``legacy``); with ``weights_only`` False, any
    global too, PyTorch's taken from torchless."""

    def __init__(self, data, restore_location, legacy=False, weights_only=True):
        super().__init__(io.BytesIO(data), encoding="utf-8")
        self._restore_location = restore_location
        self._legacy, self._weights_only = legacy, weights_only
        self.storages = {}

    def find_class(self, module, name):
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is not None:
            return found
        if module == "torch" and (name.endswith("Storage") or name in _FOREIGN_DTYPES):
            raise _Refused(f"torch.{name}: torchless has tensors of type float16, float32, float64, complex64, "
                           "complex128, int8, int16, int32, int64, uint8 and bool only")
        allowed = _user_safe_global(module, name)
        if allowed is not None:
            return allowed
        if self._weights_only:
            raise _UnsupportedGlobal(f"{module}.{name}")
        if module == "torch" or module.startswith("torch."):
            return _torchless_counterpart(module, name)
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if self._legacy and isinstance(pid, tuple):
            if len(pid) == 4 and pid[0] == "module":  # a module's class, with its source when it was saved
                return pid[1]
            if len(pid) == 6 and pid[0] == "storage":
                if pid[5] is not None:
                    raise _Refused("views of storages (written by PyTorch before 0.4) are not supported")
                pid = pid[:5]
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise _Refused(f"only storage persistent ids ('storage', type, key, location, numel) are allowed, "
                           f"got {_describe(pid)}")
        _, storage_type, key, location, numel = pid
        if not (isinstance(storage_type, _Global) and storage_type.name.endswith("Storage")):
            raise _Corrupt(f"bad storage type {_describe(storage_type)}")
        if not isinstance(key, str) or not isinstance(location, str) or not _is_int(numel) or numel < 0:
            raise _Corrupt(f"bad storage id {_describe(pid[2:])}")
        self._restore_location(location)
        nbytes = numel * storage_type.dtype.itemsize
        storage = self.storages.setdefault(key, _Storage(key, storage_type.dtype, nbytes))
        if (storage.dtype, storage.nbytes) != (storage_type.dtype, nbytes):
            raise _Corrupt(f"storage '{key}' is declared twice with different types or sizes")
        return storage


def restore_location_error(location):
    """The error PyTorch's ``default_restore_location`` raises on a CPU-only machine for a storage restored at
    ``location`` (a string), its taggers tried in order; None for the CPU. (The meta device, which PyTorch
    restores, is refused as every device but the CPU is: torchless computes on the CPU only.)"""
    if location == "cpu":
        return None
    for backend in ("cuda", "xpu"):
        if location.startswith(backend):
            return _PlainRuntimeError(
                f"Attempting to deserialize object on a {backend.upper()} device but torch.{backend}.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")
    if location.startswith("mps"):
        return _PlainRuntimeError("torchless.UntypedStorage(): Storage device not recognized: mps")
    if location == "meta":
        return _PlainRuntimeError("torchless runs on the CPU only; got device 'meta'")
    for backend in ("hpu", "privateuseone"):
        if location.startswith(backend):
            return _PlainRuntimeError(
                f"The {backend.upper()} device module is not registered. If you are running on a CPU-only machine, "
                "please use torch.load with map_location=torch.device('cpu') to map your storages to the CPU.")
    return _PlainRuntimeError(f"don't know how to restore data location of torchless.storage.UntypedStorage "
                              f"(tagged with {location})")


def _location_checker(map_location):
    """A function raising PyTorch's error for a storage saved at a location, as ``map_location`` maps it, that
    this CPU-only machine cannot restore it to (see restore_location_error)."""
    def restore(location):
        if isinstance(map_location, dict):
            location = map_location.get(location, location)
        elif map_location is not None:  # a device (checked by load) or a callable, which cannot see a torch storage
            return
        error = restore_location_error(str(location))
        if error is not None:
            raise error

    return restore


# PyTorch's compiled modules, whose functions pickle under their names (F.gelu as torch._C._nn.gelu), and the
# torchless modules with those functions
_COMPILED_MODULES = {"torch._C._nn": "torchless.nn.functional", "torch._C._VariableFunctions": "torchless",
                     "torch._C._special": "torchless.special", "torch._C._fft": "torchless.fft",
                     "torch._C._linalg": "torchless.linalg"}


def _torchless_counterpart(module, name):
    """The torchless object a PyTorch global names (``torch.nn.modules.conv.Conv2d``: torchless's Conv2d)."""
    counterpart = _COMPILED_MODULES.get(module, "torchless" + module[len("torch"):])
    try:
        return pickle.Unpickler.find_class(_NO_UNPICKLER, counterpart, name)
    except (ImportError, AttributeError):
        raise _NoCounterpart(f"the checkpoint needs {module}.{name}, which torchless does not have") from None


class _NoCounterpart(Exception):
    """A PyTorch global of a checkpoint that torchless has no counterpart of."""


_NO_UNPICKLER = pickle.Unpickler(io.BytesIO())


def _is_user_allowed(obj):
    """Whether ``obj`` is an object add_safe_globals allowed, or an instance of a class it allowed."""
    return any(obj is allowed or type(obj) is allowed for allowed in _safe_globals.values())


class _Reader:
    """Turns the records a checkpoint's pickle unpickles to into torchless objects, its tensors viewing the
    storages that ``_storage_bytes`` reads (``file_size``: the file's, which bounds the memory they may take)."""

    def __init__(self, file_size, map_location, weights_only):
        from .nn.parameter import Parameter

        self._parameter = Parameter
        self._file_size = file_size
        self._map_location, self._weights_only = map_location, weights_only
        self._budget = _EXPANSION_FACTOR * file_size + _EXPANSION_ALLOWANCE
        self._storage_arrays = {}  # storage key -> its bytes
        self._storage_views = {}  # (storage key, dtype) -> the storage's elements, which loaded tensors view
        self._converted = {}
        self._byte_order_char = "<"
        self._declared_storages = {}  # storage key -> _Storage, as the pickle's persistent ids declare them

    def _allowed_opcodes(self):
        return _ALLOWED_OPCODES if self._weights_only else None

    def _unpickle(self, data, legacy=False):
        unpickler = _WeightsUnpickler(data, _location_checker(self._map_location), legacy, self._weights_only)
        obj = unpickler.load()
        self._declared_storages.update(unpickler.storages)
        return obj

    # -------------------------------------------------------------- from unpickled records to objects
    def _convert(self, obj):
        if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, bytearray, Size)):
            return obj
        known = self._converted.get(id(obj))
        if known is not None:
            return known[1]
        if isinstance(obj, (list, dict)):
            self._converted[id(obj)] = (obj, obj)  # before the items: containers may hold themselves
            # methods are looked up on the class: a pickle's BUILD can shadow them on the instance
            cls = type(obj)
            if isinstance(obj, list):
                obj[:] = [self._convert(v) for v in obj]
            else:
                items = [(self._convert(k), self._convert(v)) for k, v in cls.items(obj)]
                cls.clear(obj)
                for key, value in items:
                    cls.__setitem__(obj, key, value)
                for name, value in vars(obj).items() if hasattr(obj, "__dict__") else ():
                    setattr(obj, name, self._convert(value))  # OrderedDict's _metadata from Module.state_dict
            return obj
        if isinstance(obj, tuple):
            result = tuple(self._convert(v) for v in obj)
        elif isinstance(obj, (set, frozenset)):
            result = type(obj)(self._convert(v) for v in obj)
        elif isinstance(obj, _TensorRecord):
            result = self._tensor(obj)
        elif isinstance(obj, _DeviceRecord):
            try:
                result = device(*obj.args)
            except RuntimeError as error:
                raise _Refused(f"bad torch.device{obj.args}: {error}") from None
        elif isinstance(obj, _Global) and isinstance(obj.dtype, _dtype.dtype) and obj.name == f"torch.{obj.dtype.name}":
            result = obj.dtype
        elif isinstance(obj, _Storage):
            raise _Refused("storages saved on their own are not supported: save tensors")
        elif not self._weights_only or _is_user_allowed(obj):
            # a class or function allowed, or an instance of such a class (a whole model when not weights-only),
            # built by the pickle: its attributes may hold tensors still to be read
            self._converted[id(obj)] = (obj, obj)
            attributes = vars(obj) if hasattr(obj, "__dict__") and not isinstance(obj, type) else {}
            for name, value in list(attributes.items()):
                attributes[name] = self._convert(value)
            return obj
        else:
            raise _Refused(f"the checkpoint holds {obj!r} itself, not a call of it")
        self._converted[id(obj)] = (obj, result)  # holding obj keeps its id from being reused
        return result

    def _tensor(self, record):
        dtype = record.dtype.numpy
        numel = math.prod(record.size)
        if numel * dtype.itemsize > self._budget:
            raise _Corrupt(f"its tensors would take more than {_EXPANSION_FACTOR} times the file's size plus "
                           f"{_EXPANSION_ALLOWANCE >> 20} MiB of memory")
        self._budget -= numel * dtype.itemsize
        # a view of its storage's elements, as PyTorch loads it: tensors saved sharing a storage share it again
        # (writing through one shows in the others), with the offset and strides they were saved with
        elements = self._storage_elements(record.storage, dtype) if numel else np.zeros(0, dtype)
        if numel and (record.negative or record.conjugate):
            # torchless has no neg and conj bits: the tensor views a copy of its storage holding its values
            self._budget -= elements.nbytes
            elements = np.negative(elements) if record.negative else elements.copy()
            if record.conjugate:
                np.conjugate(elements, out=elements)
        array = np.lib.stride_tricks.as_strided(elements[record.offset:], record.size,
                                                [s * dtype.itemsize for s in record.stride])
        tensor = Tensor._wrap(array)
        if record.is_parameter:
            return self._parameter(tensor, requires_grad=record.requires_grad)
        tensor.requires_grad = record.requires_grad
        return tensor

    def _storage_elements(self, storage, dtype):
        """The elements of ``storage`` read as ``dtype``: one native, writable array per storage and dtype."""
        key = (storage.key, dtype)
        elements = self._storage_views.get(key)
        if elements is None:
            stored = dtype if dtype.itemsize == 1 else dtype.newbyteorder(self._byte_order_char)
            if dtype == np.bool_:
                stored = np.dtype(np.uint8)  # any non-zero byte is True, as in PyTorch
            raw = self._storage_bytes(storage)[:storage.nbytes // dtype.itemsize * dtype.itemsize].view(stored)
            elements = self._storage_views[key] = np.array(raw != 0 if dtype == np.bool_ else raw, dtype=dtype)
        return elements


class _ArchiveReader(_Reader):
    """Reads the checkpoint in ``folder`` of ``archive``, a file of ``file_size`` bytes."""

    def __init__(self, archive, folder, file_size, map_location, weights_only):
        super().__init__(file_size, map_location, weights_only)
        self._archive, self._folder = archive, folder
        self._bytes_read = 0

    def read(self):
        self._byte_order_char = "<" if self._byte_order() == b"little" else ">"
        data = self._entry("data.pkl").tobytes()
        _check_opcodes(data, allowed=self._allowed_opcodes())
        return self._convert(self._unpickle(data))

    def _byte_order(self):
        if f"{self._folder}/byteorder" not in self._archive.NameToInfo:
            return b"little"  # as PyTorch assumes for files older than the record
        value = self._entry("byteorder").tobytes()
        if value not in (b"little", b"big"):
            raise _Corrupt(f"Unknown endianness type: {value[:32].decode('latin-1')!r}")
        return value

    def _entry(self, name, expected_size=None):
        """The bytes of the entry ``name`` of the folder as a uint8 array, checked before allocating."""
        path = f"{self._folder}/{name}"
        info = self._archive.NameToInfo.get(path)
        if info is None:
            raise _Corrupt(f"missing entry '{path}'")
        if info.flag_bits & 0x1:
            raise _Corrupt(f"entry '{path}' is encrypted")
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise _Corrupt(f"entry '{path}' is compressed (torch.save stores entries uncompressed)")
        if expected_size is not None and info.file_size != expected_size:
            raise _Corrupt(f"entry '{path}' holds {info.file_size} bytes, its storage needs {expected_size}")
        # entries may overlap (an entry's data can hold other entries), so the sizes are added up
        self._bytes_read += info.file_size
        if self._bytes_read > self._file_size:
            raise _Corrupt(f"its entries hold more bytes than the whole file ({self._file_size}): overlapping entries")
        buffer = np.empty(info.file_size, np.uint8)
        with self._archive.open(info) as entry:
            view, filled = memoryview(buffer), 0
            while filled < len(view):
                count = entry.readinto(view[filled:filled + (1 << 24)])
                if not count:
                    raise _Corrupt(f"entry '{path}' is truncated")
                filled += count
        return buffer

    def _storage_bytes(self, storage):
        array = self._storage_arrays.get(storage.key)
        if array is None:
            array = self._storage_arrays[storage.key] = self._entry(f"data/{storage.key}", storage.nbytes)
        return array


LEGACY_PROTOCOL_VERSION = 1001


def _truncated_storage(missing):
    """PyTorch's error for a legacy file that ends ``missing`` bytes before its storages do."""
    return _PlainRuntimeError(f"unexpected EOF, expected {missing} more bytes. The file might be corrupted.")


class _LegacyReader(_Reader):
    """Reads torch.save's format before PyTorch 1.6 (and with ``_use_new_zipfile_serialization=False``): five
    pickles one after the other -- the magic number, the protocol version, a dict of system information, the
    object, the list of its storages' keys -- then, for each key listed, the storage's element count (8 bytes)
    and its elements."""

    def __init__(self, stream, file_size, map_location, weights_only):
        super().__init__(file_size, map_location, weights_only)
        self._stream = stream
        self._end = stream.tell() + file_size

    def read(self):
        if self._next_pickle() != LEGACY_MAGIC_NUMBER:
            raise _Corrupt("Invalid magic number; corrupt file?")
        version = self._next_pickle()
        if version != LEGACY_PROTOCOL_VERSION:
            raise _Corrupt(f"Invalid protocol version: {_describe(version)}")
        system_info = self._next_pickle()
        if not isinstance(system_info, dict):
            raise _Corrupt(f"bad system information {_describe(system_info)}")
        self._byte_order_char = "<" if system_info.get("little_endian", True) else ">"
        unpickled = self._next_pickle(legacy=True)
        keys = self._next_pickle()
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise _Corrupt(f"bad list of storage keys {_describe(keys)}")
        for key in keys:
            self._read_storage(key)
        return self._convert(unpickled)

    def _next_pickle(self, legacy=False):
        start = self._stream.tell()
        length = _check_opcodes(self._stream, self._end, self._allowed_opcodes())
        self._stream.seek(start)
        return self._unpickle(self._stream.read(length), legacy)

    def _read_storage(self, key):
        storage = self._declared_storages.get(key)
        if storage is None or key in self._storage_arrays:
            raise _Corrupt(f"storage key {key!r} listed {'twice' if storage else 'for no tensor'}")
        (count,) = struct.unpack(self._byte_order_char + "q", self._read_bytes(8).tobytes())
        if count * storage.dtype.itemsize != storage.nbytes:
            raise _Corrupt(f"{storage!r} holds {count} elements, its tensors expect "
                           f"{storage.nbytes // storage.dtype.itemsize}")
        self._storage_arrays[key] = self._read_bytes(storage.nbytes)

    def _read_bytes(self, count):
        missing = count - (self._end - self._stream.tell())
        if missing > 0:
            raise _truncated_storage(missing)
        buffer = np.empty(count, np.uint8)
        view, filled = memoryview(buffer), 0
        while filled < count:
            got = self._stream.readinto(view[filled:filled + (1 << 24)])
            if not got:
                raise _truncated_storage(count - filled)
            filled += got
        return buffer

    def _storage_bytes(self, storage):
        array = self._storage_arrays.get(storage.key)
        if array is None:
            raise _Corrupt(f"the file holds no data for {storage!r}")
        return array


def archive_folder(names):
    """The folder of the PyTorch checkpoint in a zip archive with entries ``names``, or None if it holds
    none. As in PyTorch, the first entry's folder is the checkpoint's."""
    if not names:
        return None
    folder = names[0].partition("/")[0]
    return folder if f"{folder}/data.pkl" in names else None


# what a damaged or forged file can make the pickle and zip readers raise (OSError: seeks to forged offsets, and
# bz2's damaged members; LZMAError: lzma's)
_CORRUPTION = (pickle.UnpicklingError, ValueError, TypeError, KeyError, IndexError, AttributeError, EOFError,
               OverflowError, RecursionError, struct.error, zipfile.BadZipFile, NotImplementedError, OSError,
               lzma.LZMAError, _Corrupt)


def read_archive(archive, folder, name, file_size, map_location, weights_only=True):
    """The object in the PyTorch checkpoint in ``folder`` of the zip ``archive`` (``name`` describes the
    file for messages), with its tensors as torchless tensors.

    Raises:
        CheckpointError: the pickle needs a global, an opcode or a persistent id a weights-only load does
            not allow (nothing from the file has run), or the file is corrupt.
    """
    names = archive.NameToInfo
    if f"{folder}/constants.pkl" in names or any(n.startswith(f"{folder}/code/") for n in names):
        raise CheckpointError(f"{name} is a TorchScript archive (torch.jit.save); torchless.load reads files written "
                              "by torch.save and torchless.save")
    return _read(_ArchiveReader(archive, folder, file_size, map_location, weights_only), name)


def read_legacy(stream, name, file_size, map_location, weights_only=True):
    """The object in the checkpoint that torch.save wrote in its legacy format to ``stream`` (at its start, with
    ``file_size`` bytes from there), with its tensors as torchless tensors; raises as :func:`read_archive`."""
    return _read(_LegacyReader(stream, file_size, map_location, weights_only), name)


def _read(reader, name):
    try:
        return reader.read()
    except CheckpointError:  # a storage on another device, already worded as PyTorch words it
        raise
    except _UnsupportedGlobal as refusal:
        raise _weights_only_refusal(refusal.name) from None
    except _NoCounterpart as missing:
        raise CheckpointError(f"{name} cannot be loaded: {missing}") from None
    except _Refused as refusal:
        raise UnpicklingError(
            f"Weights only load failed for the PyTorch pickle checkpoint {name}: {refusal}. torchless never runs "
            "code from a checkpoint: it loads tensors, Parameters, dtypes, devices, torch.Size, plain Python "
            "data (numbers, strings, bytes, lists, tuples, sets, dicts, OrderedDicts) and the objects allowed by "
            "torchless.serialization.add_safe_globals only.") from None
    except _CORRUPTION as error:
        detail = str(error) if isinstance(error, _Corrupt) else f"{type(error).__name__}: {error}"
        raise CheckpointError(f"corrupt PyTorch checkpoint {name}: {detail}") from None


# ---------------------------------------------------------------------------------- writing
class _PickleWriter:
    """Pickles (protocol 2) an object tree given as torchless.save's JSON nodes, with the globals and
    persistent ids that torch.save writes."""

    def __init__(self, storages, legacy=False):
        self._storages = storages
        self._legacy = legacy  # storage ids as the legacy format writes them, with a sixth item (no view)
        self._out = bytearray(pickle.PROTO + b"\x02")
        self._memo = {}

    def dump(self, node):
        self._node(node)
        self._out += pickle.STOP
        return bytes(self._out)

    def _remember(self, key):
        index = self._memo[key] = len(self._memo)
        self._out += pickle.BINPUT + bytes([index]) if index < 256 else pickle.LONG_BINPUT + struct.pack("<I", index)

    def _recall(self, key):
        index = self._memo.get(key)
        if index is None:
            return False
        self._out += pickle.BINGET + bytes([index]) if index < 256 else pickle.LONG_BINGET + struct.pack("<I", index)
        return True

    def _global(self, module, name):
        if not self._recall(("global", module, name)):
            self._out += pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii")
            self._remember(("global", module, name))

    def _int(self, value):
        if 0 <= value < 256:
            self._out += pickle.BININT1 + bytes([value])
        elif 0 <= value < 65536:
            self._out += pickle.BININT2 + struct.pack("<H", value)
        elif -2 ** 31 <= value < 2 ** 31:
            self._out += pickle.BININT + struct.pack("<i", value)
        else:
            encoded = pickle.encode_long(value)
            opcode = pickle.LONG1 + bytes([len(encoded)]) if len(encoded) < 256 else \
                pickle.LONG4 + struct.pack("<i", len(encoded))
            self._out += opcode + encoded

    def _scalar(self, value):
        if value is None:
            self._out += pickle.NONE
        elif isinstance(value, bool):
            self._out += pickle.NEWTRUE if value else pickle.NEWFALSE
        elif isinstance(value, int):
            self._int(value)
        elif isinstance(value, float):
            self._out += pickle.BINFLOAT + struct.pack(">d", value)
        else:
            encoded = value.encode("utf-8", "surrogatepass")
            self._out += pickle.BINUNICODE + struct.pack("<I", len(encoded)) + encoded

    def _tuple(self, items, write=None):
        write = write or self._scalar
        if not items:
            self._out += pickle.EMPTY_TUPLE
            return
        if len(items) > 3:
            self._out += pickle.MARK
        for item in items:
            write(item)
        self._out += (pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3)[len(items) - 1] if len(items) <= 3 else pickle.TUPLE

    def _batches(self, items, opcode, write):
        for start in range(0, len(items), 1000):  # as pickle does, so that no MARK frame grows unbounded
            self._out += pickle.MARK
            for item in items[start:start + 1000]:
                write(item)
            self._out += opcode

    def _pairs(self, items):
        def write_pair(pair):
            self._node(pair[0])
            self._node(pair[1])

        self._batches(items, pickle.SETITEMS, write_pair)

    def _call(self, module, name, args, write=None):
        self._global(module, name)
        self._tuple(args, write)
        self._out += pickle.REDUCE

    def _node(self, node):
        if not isinstance(node, (list, dict)):
            self._scalar(node)
            return
        if isinstance(node, list):
            self._out += pickle.EMPTY_LIST
            self._batches(node, pickle.APPENDS, self._node)
            return
        kind = node["type"]
        if kind in ("tensor", "Parameter"):
            self._tensor(node["index"], node["requires_grad"], kind == "Parameter")
        elif kind == "float":
            self._scalar(float(node["value"]))
        elif kind == "tuple":
            self._tuple(node["items"], self._node)
        elif kind == "Size":
            self._call("torch", "Size", [tuple(node["items"])], lambda sizes: self._tuple(sizes))
        elif kind == "dtype":
            self._global("torch", node["name"])
        elif kind == "device":
            kind_name, _, index = node["name"].partition(":")
            self._call("torch", "device", [kind_name] + ([int(index)] if index else []))
        elif kind == "dict":
            self._out += pickle.EMPTY_DICT
            self._pairs(node["items"])
        elif kind == "call":
            self._call(node["module"], node["name"], node["args"], self._node)
        else:
            self._call("collections", "OrderedDict", [])
            self._pairs(node["items"])
            if "metadata" in node:  # as torch.save does for Module.state_dict()'s _metadata
                self._out += pickle.EMPTY_DICT
                self._scalar("_metadata")
                self._node(node["metadata"])
                self._out += pickle.SETITEM + pickle.BUILD

    def _tensor(self, index, requires_grad, is_parameter):
        key = ("tensor", index, is_parameter, requires_grad)
        if self._recall(key):
            return
        storage, offset, shape, strides = self._storages.tensor_layouts[index]
        elements = self._storages.arrays[storage]
        dtype = _dtype.from_numpy_dtype(elements.dtype)
        if is_parameter:
            self._global("torch._utils", "_rebuild_parameter")
        self._global("torch._utils", "_rebuild_tensor_v2")
        self._out += pickle.MARK
        self._out += pickle.MARK
        self._scalar("storage")
        self._global("torch", _STORAGE_NAMES[dtype])
        self._scalar(str(storage))
        self._scalar("cpu")
        self._int(elements.size)
        if self._legacy:
            self._out += pickle.NONE
        self._out += pickle.TUPLE + pickle.BINPERSID
        self._int(offset)
        self._tuple(shape)
        self._tuple(strides)
        self._scalar(requires_grad and not is_parameter)
        self._call("collections", "OrderedDict", [])
        self._out += pickle.TUPLE + pickle.REDUCE
        if is_parameter:
            self._out += pickle.NEWTRUE if requires_grad else pickle.NEWFALSE
            self._call("collections", "OrderedDict", [])
            self._out += pickle.TUPLE3 + pickle.REDUCE
        self._remember(key)


def _write_aligned(archive, origin, name, data):
    """Add the entry ``name`` with ``data`` starting at a multiple of ALIGNMENT bytes from ``origin``."""
    size = len(data)
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    # zipfile adds a 20-byte ZIP64 field to the local header of entries this large
    zip64_field = 20 if size * 1.05 > zipfile.ZIP64_LIMIT else 0
    header_end = archive.fp.tell() - origin + 30 + len(name.encode("utf-8")) + 4 + zip64_field
    padding = -header_end % ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
    with archive.open(info, "w") as entry:
        entry.write(data)


def write_archive(stream, node, storages, folder="archive", record_byte_order=True):
    """Write the object given by torchless.save's JSON ``node`` (its tensors' storages and layouts in the
    _StorageTable ``storages``) to ``stream`` as torch.save does, for ``torch.load(..., weights_only=True)``."""
    pickled = _PickleWriter(storages).dump(node)
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        origin = archive.fp.tell()

        def write(name, data):
            _write_aligned(archive, origin, f"{folder}/{name}", data)

        write("data.pkl", pickled)
        write(".format_version", b"1")
        write(".storage_alignment", str(ALIGNMENT).encode())
        if record_byte_order:
            write("byteorder", b"little")
        for index, elements in enumerate(storages.arrays):
            little = elements.astype(elements.dtype.newbyteorder("<"), copy=False)
            write(f"data/{index}", memoryview(little).cast("B"))
        write("version", _ARCHIVE_VERSION)
        write(".data/serialization_id", f"{secrets.randbits(128):040d}".encode())


def write_legacy(stream, node, storages):
    """Write the object as :func:`write_archive`, in the legacy format of ``torch.save(...,
    _use_new_zipfile_serialization=False)`` (see :class:`_LegacyReader`)."""
    system_info = {"protocol_version": LEGACY_PROTOCOL_VERSION, "little_endian": True,
                   "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, system_info):
        stream.write(pickle.dumps(header, protocol=2))
    stream.write(_PickleWriter(storages, legacy=True).dump(node))
    keys = [str(index) for index in range(len(storages.arrays))]
    stream.write(pickle.dumps(keys, protocol=2))
    for elements in storages.arrays:
        stream.write(struct.pack("<q", elements.size))
        stream.write(memoryview(elements.astype(elements.dtype.newbyteorder("<"), copy=False)).cast("B"))


def folder_for(path):
    """The folder torch.save names after the file: its name without the extension, else ``archive``."""
    base = os.path.basename(os.fsdecode(path))
    stem = base[:base.rfind(".")] if "." in base else base
    return stem or "archive"
