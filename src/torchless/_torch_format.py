"""PyTorch's checkpoint format (``torch.save`` since PyTorch 1.6), read and written without PyTorch; and its
legacy format (see :class:`_LegacyReader`), whose pickle is read as ``data.pkl`` is.

A checkpoint is a zip archive whose entries, stored uncompressed, all sit in one folder (``archive/`` when
saved to a file object, the file name without its extension when saved to a path):

* ``data.pkl``: the saved object, pickled with protocol 2 (by default). A tensor is the call
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
import functools
import io
import lzma
import math
import os
import pickle
import pickletools
import secrets
import struct
import sys
import types
import warnings
import zipfile
import zlib
from collections import Counter, OrderedDict

import numpy as np

from . import _dtype
from ._size import Size
from ._tensor import Tensor, _python_attributes
from ._user_warnings import warn_from_user_code
from . import _device as _device_module
from ._device import device
from .serialization import MAGIC_NUMBER, PROTOCOL_VERSION, CheckpointError, UnpicklingError, \
    _PlainRuntimeError, _StorageTable, _assumed_byte_order, _python3_name, _stream_reader_error, \
    _BLOCKED_MODULES, _safe_globals, _user_safe_global, _weights_only_failure, _weights_only_refusal

__all__ = ["archive_folder", "pickle_for_torch", "read_archive", "read_legacy", "write_archive", "write_legacy"]

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
    "BFloat16Storage": _dtype.bfloat16,  # (its tensors load with the optional ml_dtypes only: see find_class)
}
_STORAGE_NAMES = {dtype: name for name, dtype in _STORAGE_DTYPES.items()}
# PyTorch dtypes torchless has no counterpart of, named for a clearer refusal than "unsupported global"
_FOREIGN_DTYPES = {"bfloat16", "complex32", "qint8", "quint8", "qint32", "quint4x2", "quint2x4"}


# PyTorch's functions rebuilding the tensors torchless has no counterpart of, which its weights-only load allows
_FOREIGN_REBUILDS = {"_rebuild_qtensor": "quantized", "_rebuild_sparse_tensor": "sparse",
                     "_rebuild_meta_tensor_no_storage": "meta", "_rebuild_nested_tensor": "nested",
                     "_rebuild_wrapper_subclass": "wrapper subclass", "_rebuild_device_tensor_from_numpy": "device",
                     "_rebuild_device_tensor_from_cpu_tensor": "device"}


class _Refused(Exception):
    """The pickle asks for something a weights-only load does not allow."""


class _Lacking(_Refused):
    """The pickle holds tensors PyTorch loads and torchless has not (bfloat16, quantized, sparse...): said as such,
    never as the error PyTorch would meet, since PyTorch meets none."""


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
    value such as a dtype or a storage type, or a torchless ``value`` it loads as (a layout)."""

    __slots__ = ("name", "function", "dtype", "value")

    def __init__(self, name, function=None, dtype=None, value=None):
        self.name, self.function, self.dtype, self.value = name, function, dtype, value

    def __call__(self, *args):
        if self.function is None:
            raise _Refused(f"the pickle calls {self.name}, which is not callable")
        return self.function(*args)

    def __repr__(self):
        return self.name


class _Storage(_Inert):
    """A storage: ``nbytes`` raw bytes in the entry ``data/<key>``, saved at ``location``."""

    __slots__ = ("key", "dtype", "nbytes", "location")

    def __init__(self, key, dtype, nbytes, location="cpu"):
        self.key, self.dtype, self.nbytes, self.location = key, dtype, nbytes, location

    def __repr__(self):
        return f"storage '{self.key}'"


class _TensorRecord(_Inert):
    """A tensor to copy out of its storage once the whole pickle has been read."""

    __slots__ = ("storage", "dtype", "offset", "size", "stride", "requires_grad", "negative", "conjugate",
                 "is_parameter", "attributes")

    def __init__(self, storage, dtype, offset, size, stride, requires_grad, negative, conjugate, is_parameter=False,
                 attributes=None):
        self.storage, self.dtype, self.offset, self.size, self.stride = storage, dtype, offset, size, stride
        self.requires_grad, self.negative, self.conjugate = requires_grad, negative, conjugate
        self.is_parameter, self.attributes = is_parameter, attributes or {}

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
        if last >= capacity:  # (PyTorch's set_ would grow the storage, which a loaded one refuses)
            raise _PlainRuntimeError("Trying to resize storage that is not resizable")
    # the neg bit stores -x as x, the conj bit (meaningless for real dtypes) conj(z) as z
    return _TensorRecord(storage, dtype, storage_offset, size, stride, requires_grad, dict.get(metadata, "neg", False),
                         dict.get(metadata, "conj", False) and dtype.is_complex)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    dtype = storage.dtype if isinstance(storage, _Storage) else None
    return _tensor_record(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata)


def _rebuild_tensor(storage, storage_offset, size, stride):
    """A tensor as PyTorch 0.4's checkpoints record it (without requires_grad)."""
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, False, {})


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
    if requires_grad and not data.dtype.is_floating_point:
        raise _Corrupt(f"a Parameter of dtype torch.{data.dtype.name} cannot require gradients")
    return _TensorRecord(data.storage, data.dtype, data.offset, data.size, data.stride, requires_grad,
                         data.negative, data.conjugate, is_parameter=True, attributes=_tensor_attributes(state))


def _rebuild_from_type_v2(function, new_type, args, state):
    """A tensor with Python attributes, as PyTorch pickles it: ``function(*args)`` with ``state`` set on it."""
    if not (isinstance(function, _Global) and function.function in (_rebuild_tensor_v2, _rebuild_tensor_v3)):
        raise _Refused(f"_rebuild_from_type_v2 rebuilds tensors only, not with {_describe(function)}")
    if new_type is not _ALLOWED_GLOBALS["torch", "Tensor"] or not isinstance(args, tuple):
        raise _Refused(f"_rebuild_from_type_v2 rebuilds torch.Tensor only, not {_describe(new_type)}")
    record = function(*args)
    record.attributes = _tensor_attributes(state)
    return record


def _tensor_attributes(state):
    """The Python attributes in the state PyTorch pickles with a tensor (a dict, or a pair of dicts for an object
    with slots), checked not to overwrite a torchless tensor's own."""
    if isinstance(state, tuple) and len(state) == 2:
        state = {**(state[0] or {}), **(state[1] or {})}
    if state is None:
        return {}
    if not isinstance(state, dict) or not all(isinstance(name, str) for name in state):
        raise _Corrupt(f"a tensor's state must be a dict of attributes, got {_describe(state)}")
    if any(hasattr(Tensor, name) for name in state):
        raise _Refused(f"a tensor's state sets {sorted(name for name in state if hasattr(Tensor, name))}, which are "
                       "not Python attributes of a torchless tensor")
    return state


def _torch_device(*args):
    if not (1 <= len(args) <= 2 and isinstance(args[0], str) and all(_is_int(a) for a in args[1:])):
        raise _Corrupt("bad torch.device arguments")
    return _DeviceRecord(args)


def _torch_size(sizes=()):
    if not isinstance(sizes, (tuple, list)) or not all(_is_int(n) for n in sizes):
        raise _Corrupt("torch.Size needs a tuple of ints")
    return Size(sizes)


_LAYOUTS = {f"torch.{layout}": layout for layout in ("strided", "sparse_coo")}


def _get_layout(name):
    """A layout, as torch.save pickles it: ``torch.serialization._get_layout("torch.strided")``."""
    if name not in _LAYOUTS:
        raise _Refused(f"layout {_describe(name) if not isinstance(name, str) else name[:40]} is not supported")
    return _Global(name, value=getattr(_device_module, _LAYOUTS[name]))


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
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("torch", "device"): _torch_device,
        ("torch", "Size"): _torch_size,
        ("torch.serialization", "_get_layout"): _get_layout,
    }
    table = {key: _Global(".".join(key), function) for key, function in allowed.items()}
    for name in ("set", "complex", "bytearray"):  # protocol 2 writes Python 3's builtins as __builtin__
        table["__builtin__", name] = table["builtins", name]
    table["torch", "Tensor"] = table["torch._tensor", "Tensor"] = _Global("torch.Tensor")
    for name, dtype in _STORAGE_DTYPES.items():
        table["torch", name] = _Global(f"torch.{name}", dtype=dtype)
    table["torch.storage", "UntypedStorage"] = table["torch", "UntypedStorage"] = _Global(
        "torch.storage.UntypedStorage", dtype=_dtype.uint8)
    for dtype in _dtype.ALL:
        table["torch", dtype.name] = _Global(f"torch.{dtype.name}", dtype=dtype)
    for dtype in _dtype.ARRAYLESS:  # dtypes of no torchless tensor, which load as the dtype objects
        table["torch", dtype.name] = _Global(f"torch.{dtype.name}", value=dtype)
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
    for opcode, argument, position in _genops(stream):
        if allowed is not None and opcode.name not in allowed:
            raise _Refused(f"unsupported pickle opcode {opcode.name} at byte {position - start}")
        if opcode.name in _MEMO_WRITES and not 0 <= argument < limit:
            raise _Corrupt(f"memo index {argument} at byte {position - start} is out of range")
        if opcode.name == "FRAME" and argument > limit - position:
            raise _Corrupt(f"frame of {argument} bytes at byte {position - start} runs past the pickle's end")
    return stream.tell() - start


def _genops(stream):
    """pickletools.genops on a stream, silent about a STRING's bad escapes (decoded before the opcode can be
    refused). Only that read is in a catch_warnings: entering one resets every warning registry, so that a
    once-shown warning (the DataLoader's pin_memory one) would show again after each torch.load."""
    while True:
        position = stream.tell()
        code = stream.read(1)
        opcode = pickletools.code2op.get(code.decode("latin-1"))
        if opcode is None:
            if code == b"":
                raise ValueError("pickle exhausted before seeing STOP")
            raise ValueError(f"at position {position}, opcode {code!r} unknown")
        if opcode.arg is None:
            argument = None
        elif opcode.arg is pickletools.stringnl:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                argument = opcode.arg.reader(stream)
        else:
            argument = opcode.arg.reader(stream)
        yield opcode, argument, position
        if code == b".":
            return


class _UnsupportedGlobal(_Refused):
    """A global neither allowed by default nor by add_safe_globals, refused with PyTorch's message."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class _WeightsUnpickler(pickle.Unpickler):
    """Unpickles only plain data, the allowed globals (as inert stand-ins), the objects add_safe_globals allowed,
    and storage ids (those of torch.save's legacy format too with ``legacy``); with ``weights_only`` False, any
    global too, PyTorch's taken from torchless."""

    def __init__(self, data, restore_location, legacy=False, weights_only=True, eager=None):
        super().__init__(io.BytesIO(data), encoding="utf-8")
        self._restore_location = restore_location
        self._legacy, self._weights_only = legacy, weights_only
        self._eager = eager  # makes an allowed function's records into objects as they are built, or None
        self.storages = {}

    def find_class(self, module, name):
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is not None and (found.dtype is not _dtype.bfloat16 or _dtype.bfloat16_numpy() is not None):
            return found if self._eager is None or found.function is None else self._eager(found)
        if module == "torch" and (name.endswith("Storage") or name in _FOREIGN_DTYPES):
            hint = " (bfloat16 too with the ml_dtypes package: pip install torchless[bf16])" \
                if name == "BFloat16Storage" else ""
            raise _Lacking(f"torch.{name}: torchless has tensors of type float16, float32, float64, complex64, "
                           f"complex128, int8, int16, int32, int64, uint8 and bool only{hint}")
        if module == "torch._utils" and name in _FOREIGN_REBUILDS:
            raise _Lacking(f"torch._utils.{name}: torchless has dense tensors in memory only, not "
                           f"{_FOREIGN_REBUILDS[name]} tensors")
        allowed = _user_safe_global(module, name)
        if allowed is None and (module == "torch" or module.startswith("torch.")):
            allowed = _allowed_counterpart(module, name)
        if allowed is not None:
            return allowed
        if self._weights_only:
            raise _UnsupportedGlobal(".".join(_python3_name(module, name)))
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
        storage = self.storages.setdefault(key, _Storage(key, storage_type.dtype, nbytes, location))
        if (storage.dtype, storage.nbytes) != (storage_type.dtype, nbytes):
            raise _Corrupt(f"storage '{key}' is declared twice with different types or sizes")
        return storage


# ---------------------------------------------------------------------------------- files that are no checkpoint
class _BuildsObjects(Exception):
    """The pickle names a global, calls one or loads a persistent id: more than plain data."""


class _PlainDataUnpickler:
    """PyTorch's weights-only unpickler (torch/_weights_only_unpickler.py) for pickles of plain data: the same
    operations on the same Python values, so that a file it cannot read fails here with the error it fails with
    there (an ``UnpicklingError`` of its own, or whatever Python raises: ``KeyError`` for a memo index never
    written, ``IndexError`` for an empty stack, ``EOFError`` at the end of the file). A global, a call or a
    persistent id raises _BuildsObjects: nothing of the file runs."""

    def __init__(self, stream, encoding="utf-8"):
        self.read, self.readline, self.encoding = stream.read, stream.readline, encoding
        self.memo, self.stack, self.metastack = {}, [], []

    def load(self):
        while True:
            key = self.read(1)
            if not key:
                raise EOFError
            opcode = key[0]
            if opcode == pickle.STOP[0]:
                return self.stack.pop()
            handler = self._HANDLERS.get(opcode)
            if handler is None:
                raise pickle.UnpicklingError(f"Unsupported operand {opcode}")
            handler(self)

    def _global(self):
        module, name = (self.readline()[:-1].decode("utf-8") for _ in range(2))
        module, name = _python3_name(module, name)
        if module not in _BLOCKED_MODULES and ((module, name) in _ALLOWED_GLOBALS or module.partition(".")[0] == "torch"
                                               or _user_safe_global(module, name) is not None):
            raise _BuildsObjects()
        raise _UnsupportedGlobal(f"{module}.{name}")

    # what the calls do with the stack before finding that they call nothing allowed (no global is on it)
    def _reduce(self):
        self.stack.pop()
        raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {self.stack[-1]}")

    def _newobj(self):
        self.stack.pop()
        raise pickle.UnpicklingError("Can only create new object for nn.Parameter or classes allowlisted via "
                                     f"`add_safe_globals` but got {self.stack.pop()}")

    def _build(self):
        self.stack.pop()
        self.stack[-1]
        raise _BuildsObjects()

    def _persistent_id(self):
        pid = self.stack.pop()
        if type(pid) is not tuple and type(pid) is not int:
            raise pickle.UnpicklingError(f"persistent_load id must be tuple or int, but got {type(pid)}")
        if type(pid) is tuple and pid and pid[0] not in ("storage", b"storage"):
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
        raise pickle.UnpicklingError("unsupported persistent id encountered")  # (the magic number's pickle has none)

    def _pop_mark(self):
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def _mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    def _append(self):
        item = self.stack.pop()
        self._check_type(list, "Can only append to lists")
        self.stack[-1].append(item)

    def _appends(self):
        items = self._pop_mark()
        self._check_type(list, "Can only extend lists")
        self.stack[-1].extend(items)

    def _setitem(self):
        value, key = self.stack.pop(), self.stack.pop()
        self._check_dict("SETITEM")
        self.stack[-1][key] = value

    def _setitems(self):
        items = self._pop_mark()
        self._check_dict("SETITEMS")
        for i in range(0, len(items), 2):
            self.stack[-1][items[i]] = items[i + 1]

    def _check_type(self, kind, words):
        if type(self.stack[-1]) is not kind:
            raise pickle.UnpicklingError(f"{words}, but got {type(self.stack[-1])}")

    def _check_dict(self, opcode):
        if type(self.stack[-1]) not in (dict, OrderedDict, Counter):
            raise pickle.UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, collections.Counter, "
                                         f"but got {type(self.stack[-1])}")

    def _tuple(self):
        items = self._pop_mark()
        self.stack.append(tuple(items))

    def _tuple_of(self, count):
        items = tuple(self.stack[i] for i in range(-count, 0))  # (an IndexError if the stack holds fewer)
        self.stack[-count:] = [items]

    def _binunicode(self):
        length = struct.unpack("<I", self.read(4))[0]
        if length > sys.maxsize:
            raise pickle.UnpicklingError("String is too long")
        self.stack.append(str(self.read(length), "utf-8", "surrogatepass"))

    def _short_binstring(self):
        data = self.read(self.read(1)[0])
        self.stack.append(data.decode(self.encoding, "strict") if self.encoding != "bytes" else data)

    def _get(self, index):
        self.stack.append(self.memo[index])

    def _put(self, index):
        if index < 0:
            raise ValueError("negative argument")
        self.memo[index] = self.stack[-1]

    def _long1(self):
        self.stack.append(pickle.decode_long(self.read(self.read(1)[0])))

    _HANDLERS = {
        pickle.MARK[0]: _mark, pickle.APPEND[0]: _append, pickle.APPENDS[0]: _appends,
        pickle.SETITEM[0]: _setitem, pickle.SETITEMS[0]: _setitems,
        pickle.TUPLE[0]: _tuple,
        pickle.TUPLE1[0]: lambda self: self._tuple_of(1), pickle.TUPLE2[0]: lambda self: self._tuple_of(2),
        pickle.TUPLE3[0]: lambda self: self._tuple_of(3),
        pickle.NONE[0]: lambda self: self.stack.append(None),
        pickle.NEWFALSE[0]: lambda self: self.stack.append(False),
        pickle.NEWTRUE[0]: lambda self: self.stack.append(True),
        pickle.EMPTY_TUPLE[0]: lambda self: self.stack.append(()),
        pickle.EMPTY_LIST[0]: lambda self: self.stack.append([]),
        pickle.EMPTY_DICT[0]: lambda self: self.stack.append({}),
        pickle.EMPTY_SET[0]: lambda self: self.stack.append(set()),
        pickle.BININT[0]: lambda self: self.stack.append(struct.unpack("<i", self.read(4))[0]),
        pickle.BININT1[0]: lambda self: self.stack.append(self.read(1)[0]),
        pickle.BININT2[0]: lambda self: self.stack.append(struct.unpack("<H", self.read(2))[0]),
        pickle.BINFLOAT[0]: lambda self: self.stack.append(struct.unpack(">d", self.read(8))[0]),
        pickle.BINUNICODE[0]: _binunicode, pickle.SHORT_BINSTRING[0]: _short_binstring,
        pickle.BINGET[0]: lambda self: self._get(self.read(1)[0]),
        pickle.LONG_BINGET[0]: lambda self: self._get(struct.unpack("<I", self.read(4))[0]),
        pickle.BINPUT[0]: lambda self: self._put(self.read(1)[0]),
        pickle.LONG_BINPUT[0]: lambda self: self._put(struct.unpack("<I", self.read(4))[0]),
        pickle.LONG1[0]: _long1,
        pickle.PROTO[0]: lambda self: self.read(1)[0],
        pickle.GLOBAL[0]: _global, pickle.REDUCE[0]: _reduce, pickle.NEWOBJ[0]: _newobj, pickle.BUILD[0]: _build,
        pickle.BINPERSID[0]: _persistent_id,
    }


class _Stub:
    """What an allowed global, its call or a persistent id stands for in :class:`_StructureUnpickler`."""

    def __call__(self, *args, **kwargs):
        return self

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass


# the allowed globals whose objects the pickle itself fills (a state dict's OrderedDict), as PyTorch's unpickler
# meets them
_FILLED_TYPES = {("collections", "OrderedDict"): OrderedDict, ("collections", "Counter"): Counter}


# the functions PyTorch's weights-only unpickler also allows, rebuilding tensors torchless has not (which its own
# reader refuses by name)
_OTHER_TENSOR_REBUILDS = frozenset(("torch._utils", name) for name in (
    "_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage", "_rebuild_nested_tensor",
    "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor"))


class _StructureUnpickler(_PlainDataUnpickler):
    """PyTorch's weights-only unpickler run over a checkpoint's ``data.pkl`` that torchless cannot read, for the
    error PyTorch's meets first: allowed globals, their calls and the storages stand for themselves (nothing
    runs), refused ones fail as PyTorch refuses them."""

    def _global(self):
        module, name = (self.readline()[:-1].decode("utf-8") for _ in range(2))
        module, name = _python3_name(module, name)
        if module in _BLOCKED_MODULES or not ((module, name) in _ALLOWED_GLOBALS or
                                             (module, name) in _OTHER_TENSOR_REBUILDS or
                                             _user_safe_global(module, name) is not None):
            raise _UnsupportedGlobal(f"{module}.{name}")
        self.stack.append(_FILLED_TYPES.get((module, name)) or _Stub())

    def _reduce(self):
        args = self.stack.pop()
        function = self.stack[-1]
        if not isinstance(function, _Stub) and function not in _FILLED_TYPES.values():
            raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {function}")
        self.stack[-1] = function(*args)

    def _newobj(self):
        self.stack.pop()
        if not isinstance(self.stack.pop(), _Stub):
            raise _BuildsObjects()  # (PyTorch's message names the class: left to torchless's own)
        self.stack.append(_Stub())

    def _build(self):
        self.stack.pop()
        if type(self.stack[-1]) not in (_Stub, OrderedDict):
            raise _BuildsObjects()

    def _persistent_id(self):
        pid = self.stack[-1]
        try:
            super()._persistent_id()
        except pickle.UnpicklingError as error:
            if str(error) != "unsupported persistent id encountered":
                raise
        self.stack.append(_Stub() if pid is not None else pid)

    _HANDLERS = dict(_PlainDataUnpickler._HANDLERS)
    _HANDLERS.update({pickle.GLOBAL[0]: _global, pickle.REDUCE[0]: _reduce, pickle.NEWOBJ[0]: _newobj,
                      pickle.BUILD[0]: _build, pickle.BINPERSID[0]: _persistent_id})


class _StubPickleUnpickler(pickle.Unpickler):
    """Python's unpickler (torch.load's when not weights-only) run over a ``data.pkl`` that torchless cannot read,
    for the error it meets first: globals and storages are stand-ins, nothing is imported or run."""

    def find_class(self, module, name):
        return _FILLED_TYPES.get((module, name)) or _Stub()

    def persistent_load(self, pid):
        return _Stub()


def data_pickle_failure(data, weights_only):
    """The error torch.load meets in a checkpoint's ``data.pkl`` (``data``) that torchless cannot read: that of
    PyTorch's weights-only unpickler (worded as torch.load words it; an EOFError as it is) or of Python's; None when
    they would read it (torchless's own error stands)."""
    stream = io.BytesIO(data)
    if weights_only:
        unpickler = _StructureUnpickler(stream)
    else:
        unpickler = _StubPickleUnpickler(stream, encoding="utf-8")
    failure = _unpickling_failure(unpickler.load, weights_only, unreadable=(_BuildsObjects, MemoryError))
    return None if failure is _READ else failure


_READ = object()  # what _unpickling_failure returns for a pickle read to its end


def _unpickling_failure(load, weights_only, unreadable):
    """The error ``load()`` meets, as torch.load raises it (weights-only refusals worded as PyTorch's); None for one
    of ``unreadable`` (what torchless does not run), _READ when it reads the pickle."""
    try:
        load()
    except unreadable:
        return None
    except _UnsupportedGlobal as refusal:
        return _weights_only_refusal(refusal.name)
    except pickle.UnpicklingError as error:
        if weights_only:
            return _weights_only_failure(str(error))
        return _as_checkpoint_error(error)
    except Exception as error:
        return _as_checkpoint_error(error)
    return _READ


class _PlainDataPickleUnpickler(pickle.Unpickler):
    """Python's unpickler (as torch.load, not weights-only, reads a file), refusing globals."""

    def find_class(self, module, name):
        raise _BuildsObjects()


_MEMO_ALLOWANCE = 1 << 20  # memo indices up to which a pickle of a smaller file is run (CPython sizes its memo so)


@functools.lru_cache(maxsize=None)
def _checkpoint_error_named(error_type):
    """A CheckpointError that is also an ``error_type``, named, built and printed as one (a KeyError, an
    IndexError...); None for a type that cannot be mixed into one."""
    try:
        return type(error_type.__name__, (CheckpointError, error_type),
                    {"__module__": error_type.__module__, "__init__": error_type.__init__,
                     "__str__": error_type.__str__})
    except TypeError:
        return None


def first_pickle_failure(stream, end, weights_only):
    """The error torch.load raises for a file (in ``stream`` from its position to ``end``) that is neither a zip
    archive nor in the legacy format: it unpickles the file's first pickle, expecting the legacy format's magic
    number, weights-only (whose own errors it words as its refusals) or with Python's pickle, and raises what that
    raises, or RuntimeError ``Invalid magic number; corrupt file?`` for any other value. The error is a
    CheckpointError named as PyTorch's, when it can be. None for a pickle needing globals or calls, which torchless
    does not run."""
    start = stream.tell()

    def load():
        if weights_only:
            _PlainDataUnpickler(stream).load()
            return
        try:  # the memo indices bounded first, as CPython's unpickler sizes its memo by the largest
            _check_opcodes(stream, max(end - start, _MEMO_ALLOWANCE), allowed=None)
        except _Corrupt as error:  # not run (torchless's own error stands)
            raise _BuildsObjects() from error
        except Exception:  # (whatever makes genops stop, the unpickler meets on its way)
            pass
        stream.seek(start)
        _PlainDataPickleUnpickler(stream, encoding="utf-8").load()

    failure = _unpickling_failure(load, weights_only, unreadable=_BuildsObjects)
    return _PlainRuntimeError("Invalid magic number; corrupt file?") if failure is _READ else failure


def _as_checkpoint_error(error):
    """``error`` as a CheckpointError of its type, name and message, or itself if it cannot be one."""
    named = _checkpoint_error_named(type(error))
    if named is not None:
        mixed = named(*error.args)
        if str(mixed) == str(error):  # (an error whose message its own __init__ makes cannot be)
            return mixed
    return error


# PyTorch's error for a map_location callable giving something else than a storage (followed by its type)
_NOT_A_STORAGE = ("TypedStorage.__init__ received an invalid combination of arguments. Expected one of:\n"
                  " * (*, torch.device device, torch.dtype dtype)\n * (int size, *, torch.device device, torch.dtype "
                  "dtype)\n * (Sequence data, *, torch.device device, torch.dtype dtype)\n * (*, UntypedStorage "
                  "wrap_storage, torch.dtype dtype)\nArgument 'wrap_storage' must be UntypedStorage, but got ")


class _CallerError(Exception):
    """An error raised by the caller's map_location while reading, to be raised as it is."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class _PlainTypeError(CheckpointError, TypeError):
    """PyTorch's TypeError for what a map_location callable returned, named so (a CheckpointError as every error of
    torchless.load about where a file's tensors go)."""


_PlainTypeError.__name__ = _PlainTypeError.__qualname__ = "TypeError"


class _PlainValueError(CheckpointError, ValueError):
    """PyTorch's ValueError for a record of the file it does not read (a byteorder neither little nor big)."""


_PlainValueError.__name__ = _PlainValueError.__qualname__ = "ValueError"


class _PlainIndexError(CheckpointError, IndexError):
    """PyTorch's IndexError (C++'s std::out_of_range) for a version record out of range."""


_PlainIndexError.__name__ = _PlainIndexError.__qualname__ = "IndexError"


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
    this CPU-only machine cannot restore it to (see restore_location_error). As in PyTorch, it is called for each
    storage as the pickle names it: a file without storages never meets a bad ``map_location``."""
    def restore(location):
        if isinstance(map_location, dict):
            location = map_location.get(location, location)
        elif isinstance(map_location, (str, device)):
            location = str(map_location)
        elif callable(map_location):  # called with the storage, read later (see _storage_bytes)
            return
        elif map_location is not None:  # PyTorch calls any other map_location on each storage
            raise _PlainTypeError(f"'{type(map_location).__name__}' object is not callable")
        error = restore_location_error(str(location))
        if error is not None:
            raise error

    return restore


# PyTorch's compiled modules, whose functions pickle under their names (F.gelu as torch._C._nn.gelu), and the
# torchless modules with those functions
_COMPILED_MODULES = {"torch._C._nn": "torchless.nn.functional", "torch._C._VariableFunctions": "torchless",
                     "torch._C._special": "torchless.special", "torch._C._fft": "torchless.fft",
                     "torch._C._linalg": "torchless.linalg", "torch._C": "torchless"}


def _torchless_counterpart(module, name):
    """The torchless object a PyTorch global names (``torch.nn.modules.conv.Conv2d``: torchless's Conv2d)."""
    counterpart = _COMPILED_MODULES.get(module, "torchless" + module[len("torch"):])
    try:
        return pickle.Unpickler.find_class(_NO_UNPICKLER, counterpart, name)
    except (ImportError, AttributeError):
        raise _NoCounterpart(f"the checkpoint needs {module}.{name}, which torchless does not have") from None


def _allowed_counterpart(module, name):
    """The torchless counterpart of the PyTorch global ``module.name`` if add_safe_globals allowed it (a
    torchless model saved in PyTorch's format names its layers ``torch.nn.modules...``), else None."""
    try:
        counterpart = _torchless_counterpart(module, name)
    except _NoCounterpart:
        return None
    return counterpart if any(counterpart is allowed for allowed in _safe_globals.values()) else None


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
        self._restored = {}  # storage key -> its bytes as a callable map_location restored them
        self._restores_before_reading = False  # (the legacy format restores a storage, then reads its data)
        self._records = {}  # id of a tensor built at once -> its record

    def _eagerly(self, allowed):
        """``allowed`` (a _Global calling a function) building tensors at once: when a load runs the pickle's own
        code (not weights-only), the objects it builds (a PyTorch optimizer's __setstate__, a Generator made for
        a device) see tensors and devices."""
        def build(*args):
            result = allowed(*(self._records.get(id(arg), arg) for arg in args))
            if isinstance(result, _DeviceRecord):
                return self._convert(result)
            if not isinstance(result, _TensorRecord):
                return result
            tensor = self._convert(result)
            self._records[id(tensor)] = result  # for a call taking it (a Parameter's of its tensor)
            return tensor

        return _Global(allowed.name, build)

    def _allowed_opcodes(self):
        return _ALLOWED_OPCODES if self._weights_only else None

    def _unpickle(self, data, legacy=False, eager=False):
        unpickler = _WeightsUnpickler(data, _location_checker(self._map_location), legacy, self._weights_only,
                                      self._eagerly if eager else None)
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
            if cls.__module__ == "torchless.fx.immutable_collections":  # (fx nodes' arguments: they refuse change)
                cls = cls.__mro__[1]
            if isinstance(obj, list):
                cls.__setitem__(obj, slice(None), [self._convert(v) for v in obj])
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
            if type(obj) is not tuple:  # a namedtuple's class, allowed or not weights-only
                result = type(obj)._make(result) if hasattr(type(obj), "_make") else type(obj)(result)
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
        elif isinstance(obj, _Global) and obj.value is not None:
            result = obj.value
        elif isinstance(obj, _Storage):  # saved on its own: a TypedStorage, as PyTorch loads it (of bytes if untyped)
            from .storage import TypedStorage

            result = TypedStorage(self._storage_elements(obj, obj.dtype.numpy), obj.dtype)
        elif not self._weights_only or _is_user_allowed(obj) or not isinstance(obj, _Inert):
            # a class or function allowed, an instance of such a class (a whole model when not weights-only), or
            # what calling an allowed function returned (numpy's scalar() gives an np.int64, whose type PyTorch
            # does not ask to be allowed too), built by the pickle: its attributes may hold tensors still to be read
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
            tensor = self._parameter(tensor, requires_grad=record.requires_grad)
        else:
            tensor.requires_grad = record.requires_grad
        for name, value in record.attributes.items():
            setattr(tensor, name, self._convert(value))
        return tensor

    def _restored_bytes(self, storage):
        """The bytes of ``storage``, through a callable ``map_location`` as PyTorch restores a storage: called
        with the storage (an UntypedStorage) and its saved location, it gives the storage to use, or None for
        PyTorch's default (which refuses a location other than the CPU)."""
        raw = self._storage_bytes(storage)
        if not callable(self._map_location):
            return raw
        restored = self._restored.get(storage.key)
        if restored is None:
            from .storage import UntypedStorage

            # (in the legacy format, PyTorch restores a storage before reading its data into it)
            given = UntypedStorage(np.zeros_like(raw) if self._restores_before_reading else raw)
            try:
                restored = self._map_location(given, storage.location)
            except Exception as error:  # the caller's own error, which reading must not take for corruption
                raise _CallerError(error) from None
            if restored is None:
                error = restore_location_error(storage.location)
                if error is not None:
                    raise error
                restored = UntypedStorage(raw)
            if not isinstance(restored, UntypedStorage):
                raise _PlainTypeError(_NOT_A_STORAGE + f"{type(restored)}")
            if restored.nbytes() != storage.nbytes:
                raise _PlainRuntimeError(f"map_location gave a storage of {restored.nbytes()} bytes for {storage!r} "
                                         f"of {storage.nbytes}")
            restored = self._restored[storage.key] = restored._flat.view(np.uint8)
            if self._restores_before_reading:  # the file's data goes into the storage given back
                restored[...] = raw
        return restored

    def _storage_elements(self, storage, dtype):
        """The elements of ``storage`` read as ``dtype``: one native, writable array per storage and dtype."""
        key = (storage.key, dtype)
        elements = self._storage_views.get(key)
        if elements is None:
            stored = dtype if dtype.itemsize == 1 else dtype.newbyteorder(self._byte_order_char)
            if dtype == np.bool_:
                stored = np.dtype(np.uint8)  # any non-zero byte is True, as in PyTorch
            raw = self._restored_bytes(storage)[:storage.nbytes // dtype.itemsize * dtype.itemsize].view(stored)
            if dtype == np.bool_:
                elements = raw != 0
            elif raw.dtype.isnative and raw.flags.aligned and not callable(self._map_location):
                elements = raw  # the buffer was read for this storage alone: no copy
            else:  # byte-swapped, unaligned, or the caller's storage
                elements = np.array(raw, dtype=dtype)
            self._storage_views[key] = elements
        return elements


def _element_buffer(nbytes, dtype):
    """``nbytes`` uninitialised bytes (a uint8 array) in memory owned by an array of ``dtype`` (native order):
    the storage's tensors then view that array, with their storage offsets, without a copy."""
    dtype = np.dtype(getattr(dtype, "numpy", dtype)).newbyteorder("=")  # a torchless or a NumPy dtype
    if nbytes % dtype.itemsize:
        dtype = np.dtype(np.uint8)
    return np.empty(nbytes // dtype.itemsize, dtype).view(np.uint8)


def _entry_data_offset(stream, info, path):
    """Where the data of the zip entry ``info`` starts in the archive in ``stream``: after its local file header."""
    stream.seek(info.header_offset)
    header = stream.read(zipfile.sizeFileHeader)
    if len(header) != zipfile.sizeFileHeader or header[:4] != zipfile.stringFileHeader:
        raise _Corrupt(f"entry '{path}' has no local file header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + zipfile.sizeFileHeader + name_length + extra_length


def _mapped_entry_bytes(stream, file, info, path, shared):
    """The data of the stored zip entry ``info`` of the archive in ``stream`` as a uint8 array mapping the bytes of
    ``file`` (the archive's path): writes go to the file if ``shared`` (``mmap.MAP_SHARED``), else stay private to
    the process (copy-on-write), as with ``torch.load(..., mmap=True)``."""
    offset = _entry_data_offset(stream, info, path)
    if not info.file_size:  # (nothing to map)
        return np.zeros(0, np.uint8)
    return np.memmap(file, np.uint8, "r+" if shared else "c", offset, (info.file_size,))


def _stored_entry_bytes(stream, info, path, dtype=np.uint8, check_crc=True):
    """The data of the stored (uncompressed) zip entry ``info`` of the archive in ``stream``, as a uint8 array
    (over an array of ``dtype``, see :func:`_element_buffer`), checked against its CRC-32 unless that is zero.

    Read straight from the file rather than through ``zipfile``'s reader, whose chunked reads of a file object
    took half of a ResNet-18 state dict's load, and which refuses the zero CRC-32 that
    ``torch.serialization.set_crc32_options(False)`` writes (PyTorch's reader checks none: a flipped bit loads
    silently there, and is refused here)."""
    stream.seek(_entry_data_offset(stream, info, path))
    buffer = _element_buffer(info.file_size, dtype)
    view, filled = memoryview(buffer), 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            raise _Corrupt(f"entry '{path}' is truncated")
        filled += count
    if check_crc and info.CRC and zlib.crc32(buffer) != info.CRC:
        raise _Corrupt(f"Bad CRC-32 for entry '{path}'")
    return buffer


class _ArchiveReader(_Reader):
    """Reads the checkpoint in ``folder`` of ``archive``, a file of ``file_size`` bytes."""

    def __init__(self, archive, folder, file_size, map_location, weights_only, mapped_file=None, shared=False):
        super().__init__(file_size, map_location, weights_only)
        self._archive, self._folder = archive, folder
        self._mapped_file, self._shared = mapped_file, shared
        self._bytes_read = 0

    def read(self):
        self._byte_order_char = "<" if self._byte_order() == b"little" else ">"
        if f"{self._folder}/data.pkl" not in self._archive.NameToInfo:
            raise _stream_reader_error("locating file data.pkl: file not found")
        damage = None
        try:
            data = self._entry("data.pkl").tobytes()
        except _Corrupt as corrupt:
            if not str(corrupt).startswith("Bad CRC-32"):
                raise
            # PyTorch's zip reader checks no CRC: a damaged pickle is read on, to fail where PyTorch's load fails;
            # one that would load (other data than saved) is refused at the end
            damage, path = corrupt, f"{self._folder}/data.pkl"
            info = self._archive.NameToInfo[path]
            data = _stored_entry_bytes(self._archive.fp, info, path, check_crc=False).tobytes()
        if self._weights_only and data[:1] == pickle.PROTO and data[1:2] not in (b"\x02", b""):
            warn_from_user_code(f"Detected pickle protocol {data[1]} in the checkpoint, which was not the default "
                                "pickle protocol used by `torch.load` (2). The weights_only Unpickler might not "
                                "support all instructions implemented by this protocol, please file an issue for "
                                "adding support if you encounter this.")
        try:
            _check_opcodes(data, allowed=self._allowed_opcodes())
            # (its storages can be read while the pickle runs, which a legacy file's cannot: they follow it)
            loaded = self._convert(self._unpickle(data, eager=not self._weights_only))
        except (_Refused, *_CORRUPTION) as error:
            if isinstance(error, (_UnsupportedGlobal, CheckpointError, _Lacking)):  # (worded already)
                raise
            failure = data_pickle_failure(data, self._weights_only)
            if failure is None:
                raise
            raise failure from None
        if damage is not None:
            raise damage
        return loaded

    def _byte_order(self):
        if f"{self._folder}/byteorder" not in self._archive.NameToInfo:  # a file older than the record
            return _assumed_byte_order().encode()
        value = self._entry("byteorder").tobytes()
        if value not in (b"little", b"big"):
            raise _PlainValueError(f"Unknown endianness type: {value.decode('utf-8', 'replace')}")
        return value

    def _entry(self, name, expected_size=None, dtype=np.uint8):
        """The bytes of the entry ``name`` of the folder as a uint8 array (over an array of ``dtype``), checked
        before allocating."""
        path, info = self._checked_entry(name, expected_size)
        return _stored_entry_bytes(self._archive.fp, info, path, dtype)

    def _checked_entry(self, name, expected_size=None):
        """(the path, the ZipInfo) of the entry ``name`` of the folder, checked to be stored as torch.save stores
        entries, and not to make the entries read so far hold more bytes than the file."""
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
        return path, info

    def _storage_bytes(self, storage):
        array = self._storage_arrays.get(storage.key)
        if array is None:
            name = f"data/{storage.key}"
            info = self._archive.NameToInfo.get(f"{self._folder}/{name}")
            # PyTorch's zip reader's errors, the storage read as bytes
            if info is None:
                raise _stream_reader_error(f"locating file {name}: file not found")
            if info.file_size != storage.nbytes:
                raise _PlainRuntimeError(f"record size ({info.file_size} bytes) does not match expected size "
                                         f"({storage.nbytes} bytes = {storage.nbytes} elements * 1 bytes/element) "
                                         "for dtype Byte")
            if self._mapped_file is None:
                array = self._entry(name, storage.nbytes, storage.dtype)
            else:
                path, info = self._checked_entry(name, storage.nbytes)
                array = _mapped_entry_bytes(self._archive.fp, self._mapped_file, info, path, self._shared)
            self._storage_arrays[storage.key] = array
        return array


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
        self._restores_before_reading = True
        self._stream = stream
        self._end = stream.tell() + file_size

    def read(self):
        if self._next_pickle() != MAGIC_NUMBER:
            raise _Corrupt("Invalid magic number; corrupt file?")
        version = self._next_pickle()
        if version != PROTOCOL_VERSION:
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
        self._storage_arrays[key] = self._read_bytes(storage.nbytes, storage.dtype)

    def _read_bytes(self, count, dtype=np.uint8):
        missing = count - (self._end - self._stream.tell())
        if missing > 0:
            raise _truncated_storage(missing)
        buffer = _element_buffer(count, dtype)
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


# What PyTorch's zip reader (caffe2's inline_container.cc) prefixes its refusals with, by the line raising them
_ENFORCE_FAIL = "[enforce fail at inline_container.cc:{}] . "
_MIN_ARCHIVE_VERSION, _MAX_ARCHIVE_VERSION = 1, 10  # the versions of the format PyTorch 2.13 reads
_VERSION_RECORD_LIMIT = 64  # bytes of a version record read: more digits are out of range anyway


def archive_folder(archive, name="the file"):
    """The folder of the PyTorch checkpoint in the zip ``archive``: as in PyTorch, the first entry's folder, which
    must hold a version record PyTorch reads, and every entry. Raises PyTorch's errors for an archive that is not
    so (``archive`` with no entries is read as PyTorch reads it: not as a zip archive, see serialization), a
    CheckpointError for a damaged version record (``name`` describes the file)."""
    names = archive.namelist()
    if not names:
        return None
    folder, slash, _ = names[0].partition("/")
    if not slash:
        raise _PlainRuntimeError(_ENFORCE_FAIL.format(180) + f"file in archive is not in a subdirectory: {names[0]}")
    record = next((f"{folder}/{record}" for record in (".data/version", "version")
                   if f"{folder}/{record}" in archive.NameToInfo), None)
    if record is None:
        raise _PlainRuntimeError('Expected hasRecord("version") to be true, but got false.  (Could this error message '
                                 'be improved?  If so, please report an enhancement request to PyTorch.)')
    try:
        text = _record_head(archive, record).decode("utf-8", "replace")
    except _CORRUPTION as error:
        raise CheckpointError(f"corrupt PyTorch checkpoint {name}: {type(error).__name__}: {error}") from None
    version = _stoull(text)
    if version is None:
        raise _PlainRuntimeError(_ENFORCE_FAIL.format(215) + f"Couldn't parse the version {text} as Long Long.")
    version = version - 2 ** 64 if version >= 2 ** 63 else version  # (PyTorch keeps it in an int64)
    if version < _MIN_ARCHIVE_VERSION:
        raise _PlainRuntimeError(
            _ENFORCE_FAIL.format(219) + f"Attempted to read a PyTorch file with version {version}, but the minimum "
            f"supported version for reading is {_MIN_ARCHIVE_VERSION}. Your PyTorch script module file is too old. "
            "Please regenerate it with latest version of PyTorch to mitigate this issue.")
    if version > _MAX_ARCHIVE_VERSION:
        raise _PlainRuntimeError(
            _ENFORCE_FAIL.format(230) + f"Attempted to read a PyTorch file with version {version}, but the maximum "
            f"supported version for reading is {_MAX_ARCHIVE_VERSION}. The version of your PyTorch installation may "
            "be too old, please upgrade PyTorch to latest version to mitigate this issue.")
    for entry in names:  # (torch.load lists them all, looking for a TorchScript archive)
        if not entry.startswith(folder + "/"):
            raise _PlainRuntimeError(_ENFORCE_FAIL.format(340) + f"file in archive is not in a subdirectory "
                                     f"{folder}/: {entry}")
    return folder


def _record_head(archive, path):
    """The first bytes of the entry ``path`` of ``archive``: a stored one's read from the file, unchecked as
    PyTorch's reader leaves it (``set_crc32_options(False)`` writes zero CRC-32s, which zipfile's reader refuses)."""
    info = archive.NameToInfo[path]
    if info.compress_type != zipfile.ZIP_STORED:
        with archive.open(info) as entry:
            return entry.read(_VERSION_RECORD_LIMIT)
    archive.fp.seek(_entry_data_offset(archive.fp, info, path))
    return archive.fp.read(min(info.file_size, _VERSION_RECORD_LIMIT))


def _stoull(text):
    """``text`` read as C++'s std::stoull reads it (spaces, a sign, then the longest run of decimal digits; a minus
    sign wraps around 2**64), or None where it finds no number; PyTorch's IndexError for one out of range."""
    digits = text.lstrip(" \t\n\v\f\r")
    sign = digits[:1] if digits[:1] in "+-" else ""
    digits = digits[len(sign):]
    count = len(digits) - len(digits.lstrip("0123456789"))
    if count == 0:
        return None
    value = int(digits[:count])
    if value >= 2 ** 64:
        raise _PlainIndexError("stoull")
    return (2 ** 64 - value) % 2 ** 64 if sign == "-" else value


# what a damaged or forged file can make the pickle and zip readers raise (OSError: seeks to forged offsets, and
# bz2's damaged members; LZMAError: lzma's)
_CORRUPTION = (pickle.UnpicklingError, ValueError, TypeError, KeyError, IndexError, AttributeError, EOFError,
               OverflowError, RecursionError, struct.error, zipfile.BadZipFile, NotImplementedError, OSError,
               lzma.LZMAError, _Corrupt)


def read_archive(archive, folder, name, file_size, map_location, weights_only=True, mapped_file=None, shared=False):
    """The object in the PyTorch checkpoint in ``folder`` of the zip ``archive`` (``name`` describes the
    file for messages), with its tensors as torchless tensors; with ``mapped_file`` (the archive's path), tensors
    view its storages' bytes mapped from the file (shared with it if ``shared``, else copy-on-write) rather than
    read into memory.

    Raises:
        CheckpointError: the pickle needs a global, an opcode or a persistent id a weights-only load does
            not allow (nothing from the file has run), or the file is corrupt.
    """
    names = archive.NameToInfo
    if f"{folder}/constants.pkl" in names or any(n.startswith(f"{folder}/code/") for n in names):
        raise CheckpointError(f"{name} is a TorchScript archive (torch.jit.save); torchless.load reads files written "
                              "by torch.save and torchless.save")
    return _read(_ArchiveReader(archive, folder, file_size, map_location, weights_only, mapped_file, shared), name)


def read_legacy(stream, name, file_size, map_location, weights_only=True):
    """The object in the checkpoint that torch.save wrote in its legacy format to ``stream`` (at its start, with
    ``file_size`` bytes from there), with its tensors as torchless tensors; raises as :func:`read_archive`."""
    return _read(_LegacyReader(stream, file_size, map_location, weights_only), name)


def _read(reader, name):
    try:
        return reader.read()
    except CheckpointError:  # a storage on another device, already worded as PyTorch words it
        raise
    except _CallerError as raised:
        raise raised.error from None
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
        if type(error) is AttributeError and str(error).startswith("Can't get attribute "):
            raise _as_checkpoint_error(error) from None  # (Python's unpickler's words for a name its module has not)
        detail = str(error) if isinstance(error, _Corrupt) else f"{type(error).__name__}: {error}"
        raise CheckpointError(f"corrupt PyTorch checkpoint {name}: {detail}") from None


# ---------------------------------------------------------------------------------- writing
class _TorchGlobal:
    """A global of PyTorch that torch.save's pickles name (``torch._utils._rebuild_tensor_v2``,
    ``torch.FloatStorage``, ...), written under its name without being imported."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # (pickle checks that a reduce function is callable)
        raise TypeError(f"{self.module}.{self.name} is PyTorch's, not callable in torchless")


_REBUILD_TENSOR = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_TENSOR_V3 = _TorchGlobal("torch._utils", "_rebuild_tensor_v3")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")
_REBUILD_PARAMETER_WITH_STATE = _TorchGlobal("torch._utils", "_rebuild_parameter_with_state")
_REBUILD_FROM_TYPE = _TorchGlobal("torch._tensor", "_rebuild_from_type_v2")
_TENSOR_TYPE = _TorchGlobal("torch", "Tensor")
_SIZE_TYPE = _TorchGlobal("torch", "Size")
_DEVICE_TYPE = _TorchGlobal("torch", "device")
_GET_LAYOUT = _TorchGlobal("torch.serialization", "_get_layout")
_STORAGE_TYPES = {dtype: _TorchGlobal("torch", name) for dtype, name in _STORAGE_NAMES.items()}
_UNTYPED_STORAGE_TYPE = _TorchGlobal("torch.storage", "UntypedStorage")
# where torchless's functions defined in private modules (torchless.nn._functional.activation.gelu) are public, as
# they are in PyTorch
_PUBLIC_MODULES = ("torchless.nn.functional", "torchless", "torchless.nn.init", "torchless.linalg", "torchless.fft",
                   "torchless.special")
# torchless's classes whose PyTorch counterparts are compiled, which pickles name by their compiled module
_COMPILED_CLASSES = {("torchless", "Generator"): "torch._C"}


class _StorageReference:
    """A storage of the table, which the pickle names by its persistent id."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _ParameterData:
    """A Parameter's tensor, pickled as a plain tensor inside ``_rebuild_parameter``'s call."""

    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor


class _TorchPickler(pickle._Pickler):
    """Pickles any object (protocol 2 by default) as torch.save does: tensors as calls of
    ``torch._utils._rebuild_tensor_v2`` on storage ids (the storages collected in the _StorageTable ``storages``),
    Parameters, dtypes, devices and ``torch.Size`` as PyTorch's, and torchless's classes and functions under PyTorch's
    names (a torchless ``Conv2d`` as ``torch.nn.modules.conv.Conv2d``), so that ``torch.load`` rebuilds PyTorch's
    objects. With ``legacy``, storage ids as the legacy format writes them. (The pure-Python pickler, whose
    ``save_global`` can name a global without importing it.)"""

    def __init__(self, stream, storages, legacy=False, protocol=2):
        from .nn.modules.rnn import RNNBase
        from .nn.parameter import Parameter, is_lazy
        from .storage import TypedStorage, UntypedStorage

        self._storage_classes = (UntypedStorage, TypedStorage)

        super().__init__(stream, protocol=protocol)
        self._storages, self._legacy = storages, legacy
        self._parameter, self._recurrent, self._is_lazy = Parameter, RNNBase, is_lazy

    def persistent_id(self, obj):
        if type(obj) is _StorageReference:
            index = obj.index
            elements = self._storages.arrays[index]
            storage_type = _STORAGE_TYPES.get(_dtype.from_numpy_dtype(elements.dtype))
            if storage_type is None:  # (a dtype of no typed storage, saved as PyTorch saves it: bytes, see below)
                storage_type, numel = _UNTYPED_STORAGE_TYPE, elements.nbytes
            else:
                numel = elements.size
        elif isinstance(obj, self._storage_classes):  # a storage saved itself, whole, as torch.save saves one
            index = self._storages.tensor_layouts[self._storages.add_array(obj._flat)][0]
            elements = self._storages.arrays[index]
            if isinstance(obj, self._storage_classes[0]):
                storage_type, numel = _UNTYPED_STORAGE_TYPE, elements.nbytes
            else:
                storage_type, numel = _STORAGE_TYPES[_dtype.from_numpy_dtype(elements.dtype)], elements.size
        else:
            return None
        storage_id = ("storage", storage_type, str(index), "cpu", numel)
        return storage_id + (None,) if self._legacy else storage_id  # (the legacy format's: no storage view)

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            # (an uninitialized parameter or buffer has no data: pickled as PyTorch's, by its class alone)
            return obj.__reduce_ex__(2) if self._is_lazy(obj) else self._reduce_tensor(obj)
        if type(obj) is _ParameterData:
            return self._reduce_data(obj.tensor, {})
        if isinstance(obj, (_TorchGlobal, _dtype.dtype)):
            return "global"  # saved by save_global, under PyTorch's name
        if isinstance(obj, Size):
            return _SIZE_TYPE, (tuple(obj),)
        if isinstance(obj, device):
            return _DEVICE_TYPE, (obj.type,) if obj.index is None else (obj.type, obj.index)
        if isinstance(obj, _device_module.layout):
            return _GET_LAYOUT, (str(obj).replace("torchless.", "torch."),)
        if isinstance(obj, self._recurrent):
            return self._reduce_recurrent(obj)
        return NotImplemented

    @staticmethod
    def _reduce_recurrent(layer):
        """A recurrent layer pickled with the list of its weights that PyTorch's RNNBase keeps as an attribute
        (``_flat_weights``, a property of torchless's), which its __setstate__ and forward read."""
        function, arguments, state, *rest = layer.__reduce_ex__(2)
        if isinstance(state, dict):
            state = {**state, "_flat_weights": layer._flat_weights}
        return (function, arguments, state, *rest)

    def _reduce_tensor(self, tensor):
        attributes = _python_attributes(tensor)
        if not isinstance(tensor, self._parameter):
            return self._reduce_data(tensor, attributes)
        arguments = (_ParameterData(tensor), tensor.requires_grad, OrderedDict())
        if attributes:
            return _REBUILD_PARAMETER_WITH_STATE, arguments + (attributes,)
        return _REBUILD_PARAMETER, arguments

    def _reduce_data(self, tensor, attributes):
        storage, offset, shape, strides = self._storages.tensor_layouts[
            self._storages.add(tensor)]
        # (a Parameter's requires_grad is an argument of its own call)
        requires_grad = tensor.requires_grad and not isinstance(tensor, self._parameter)
        arguments = (_StorageReference(storage), offset, tuple(shape), tuple(strides), requires_grad, OrderedDict())
        rebuild = _REBUILD_TENSOR
        if tensor.dtype not in _STORAGE_NAMES:
            # PyTorch's dtypes of no typed storage (uint16, ...): an untyped storage and the dtype
            rebuild, arguments = _REBUILD_TENSOR_V3, arguments + (tensor.dtype,)
        if attributes:  # as PyTorch pickles a tensor with Python attributes
            return _REBUILD_FROM_TYPE, (rebuild, _TENSOR_TYPE, arguments, attributes)
        return rebuild, arguments

    dispatch = dict(pickle._Pickler.dispatch)  # (which saves functions with the base class's save_global)
    dispatch[types.FunctionType] = lambda self, obj: self.save_global(obj)

    def save_global(self, obj, name=None):
        module, name = _torch_name(obj, name)
        if module is None:
            # a global pickle cannot name (a lambda, a local class) refused by the C pickler torch.save uses, in its
            # words (this pure-Python one words them otherwise)
            pickle.dumps(obj, protocol=self.proto)
            return super().save_global(obj, name)
        if self.proto >= 4:  # as pickle writes a global from protocol 4 on
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))
        self.memoize(obj)


def _torch_name(obj, name):
    """(module, name) of ``obj`` in PyTorch if it is torchless's or PyTorch's, else (None, name)."""
    if isinstance(obj, _TorchGlobal):
        return obj.module, obj.name
    if isinstance(obj, _dtype.dtype):
        return "torch", obj.name
    module = getattr(obj, "__module__", None) or ""
    if module != "torchless" and not module.startswith("torchless."):
        return None, name
    name = name if name is not None and name != "global" else obj.__qualname__
    if (module, name) in _COMPILED_CLASSES:
        return _COMPILED_CLASSES[module, name], name
    if any(part.startswith("_") for part in module.split(".")):
        module = next((public for public in _PUBLIC_MODULES if getattr(sys.modules.get(public), name, None) is obj),
                      module)
    return "torch" + module[len("torchless"):], name


def pickle_for_torch(obj, legacy=False, protocol=2):
    """(the pickle torch.save writes for ``obj`` with pickle ``protocol``, the _StorageTable of the storages its
    tensors view)."""
    storages = _StorageTable()
    buffer = io.BytesIO()
    _TorchPickler(buffer, storages, legacy, protocol).dump(obj)
    return buffer.getvalue(), storages


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


def write_archive(stream, pickled, storages, folder="archive", record_byte_order=True):
    """Write the checkpoint of :func:`pickle_for_torch`'s ``pickled`` object and ``storages`` to ``stream`` as
    torch.save does."""
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
            if elements.dtype.kind == "V":  # bfloat16 (ml_dtypes'), which no buffer format names: its bits
                elements = elements.view(np.uint16)
            little = elements.astype(elements.dtype.newbyteorder("<"), copy=False)
            write(f"data/{index}", memoryview(little).cast("B"))
        write("version", _ARCHIVE_VERSION)
        write(".data/serialization_id", f"{secrets.randbits(128):040d}".encode())


def write_legacy(stream, pickled, storages, protocol=2):
    """Write the object as :func:`write_archive`, in the legacy format of ``torch.save(...,
    _use_new_zipfile_serialization=False)`` (see :class:`_LegacyReader`); ``pickled`` by
    ``pickle_for_torch(obj, legacy=True)``."""
    system_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": True,
                   "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, system_info):
        stream.write(pickle.dumps(header, protocol=protocol))
    stream.write(pickled)
    keys = [str(index) for index in range(len(storages.arrays))]
    stream.write(pickle.dumps(keys, protocol=protocol))
    for elements in storages.arrays:
        stream.write(struct.pack("<q", elements.size))
        stream.write(memoryview(elements.astype(elements.dtype.newbyteorder("<"), copy=False)).cast("B"))


def folder_for(path):
    """The folder torch.save names after the file: its name without the extension, else ``archive``."""
    base = os.path.basename(os.fsdecode(path))
    stem = base[:base.rfind(".")] if "." in base else base
    return stem or "archive"
