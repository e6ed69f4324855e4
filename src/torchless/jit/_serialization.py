"""``torch.jit.save`` / ``torch.jit.load`` for torchless's scripted modules.

The file is a zip archive, as PyTorch's are, holding ``<name>/torchless_module.pkl`` (a pickle of the module
tree with its original classes) and the ``_extra_files`` under ``<name>/extra/``. PyTorch's own TorchScript
archives hold compiled code instead, which torchless cannot run: loading one raises a RuntimeError saying so.
"""
import io
import os
import pickle
import zipfile

from ._script import deprecated

_ARCHIVE = "archive"
_MODULE_ENTRY = "torchless_module.pkl"


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def save(m, f, _extra_files=None):
    """Write the scripted or traced module ``m`` to ``f`` (a path or a writable binary file object)."""
    deprecated("save", "`torch.export`")
    if _is_path(f):
        m.save(f, _extra_files=_extra_files)  # (a module that is not scripted has no save: PyTorch's error)
    else:
        f.write(m.save_to_buffer(_extra_files=_extra_files))


def write(module, f, extra_files=None):
    """The archive of the ScriptModule ``module`` into ``f`` (a path or a binary file object)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{_ARCHIVE}/{_MODULE_ENTRY}", pickle.dumps(module._original(), protocol=2))
        for name, content in (extra_files or {}).items():
            archive.writestr(f"{_ARCHIVE}/extra/{name}", content if isinstance(content, bytes) else str(content))
    if _is_path(f):
        with open(f, "wb") as stream:
            stream.write(buffer.getvalue())
    else:
        f.write(buffer.getvalue())


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """The module saved by :func:`save` in ``f`` (a path or a binary file object), as a RecursiveScriptModule;
    ``_extra_files`` (a dict of names) receives the contents of the extra files saved with it."""
    from ._script import _copy_tree, RecursiveScriptModule

    deprecated("load", "`torch.export`")
    if _is_path(f):
        if not os.path.exists(f):
            raise ValueError(f"The provided filename {f} does not exist")
        if os.path.isdir(f):
            raise ValueError(f"The provided filename {f} is a directory")
        with open(f, "rb") as stream:
            data = stream.read()
    else:
        data = f.read()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding central directory") \
            from None
    with archive:
        names = archive.namelist()
        entry = next((n for n in names if n.endswith("/" + _MODULE_ENTRY)), None)
        if entry is None:
            raise RuntimeError("This file holds a TorchScript program saved by PyTorch, which torchless cannot run: "
                               "save the model's state_dict() with torch.save and load it into the model's class")
        root = entry.rsplit("/", 1)[0]
        module = pickle.loads(archive.read(entry))
        for name in list(_extra_files or {}):
            path = f"{root}/extra/{name}"
            _extra_files[name] = archive.read(path) if path in names else b""
    return _copy_tree(module, RecursiveScriptModule, RecursiveScriptModule)
