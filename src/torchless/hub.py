"""torch.hub's download cache: ``get_dir``, ``set_dir``, ``download_url_to_file`` and ``load_state_dict_from_url``,
which fetch a checkpoint once into ``<hub dir>/checkpoints`` and read it with :func:`torchless.load`.

The cache is torch's own (``~/.cache/torch/hub`` unless ``TORCH_HOME`` or ``XDG_CACHE_HOME`` says otherwise), so
checkpoints that PyTorch or torchvision downloaded are found here too, and the other way round. Loading
torchvision hub repositories (``torch.hub.load``) is not provided: it runs a repository's Python code, written for
torch.
"""
import hashlib
import os
import re
import sys
import tempfile
import urllib.request
import warnings
import zipfile
from urllib.parse import urlparse

__all__ = ["download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

# the hex digits between a '-' and the next '.', e.g. 'abcd1234' in 'net-abcd1234.pth'
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
READ_DATA_CHUNK = 128 * 1024
# A stalled connection fails after this long without data instead of hanging (torch sets no timeout).
_TIMEOUT_S = 60.0
_hub_dir = None


def _get_torch_home():
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR),
                                                                     "torch")))


def get_dir():
    """Return the hub directory, where downloaded models and checkpoints are cached.

    Unless :func:`~torchless.hub.set_dir` chose another, it is ``$TORCH_HOME/hub``; ``$TORCH_HOME`` falls back
    to ``$XDG_CACHE_HOME/torch``, and ``$XDG_CACHE_HOME`` (the XDG base-directory convention) to ``~/.cache``.
    """
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    """Choose the hub directory used from now on, instead of the default one of :func:`get_dir`.

    Args:
        d (str): the folder to use (``~`` is expanded).
    """
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


class _Faketqdm:
    """The progress display without tqdm: a percentage (or a byte count) rewritten in place on stderr, as torch's."""

    def __init__(self, total=None, disable=False, **kwargs):
        self.total, self.disable, self.n = total, disable, 0

    def update(self, n):
        if self.disable:
            return
        self.n += n
        if self.total is None:
            sys.stderr.write(f"\r{self.n:.1f} bytes")
        else:
            sys.stderr.write(f"\r{100 * self.n / float(self.total):.1f}%")
        sys.stderr.flush()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if not self.disable:
            sys.stderr.write("\n")


def _progress_bar(total, progress):
    if progress:
        try:
            from tqdm import tqdm  # the cli extra's; imported only for a visible bar, as it costs ~50 ms
        except ImportError:
            pass
        else:
            return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024)
    return _Faketqdm(total=total, disable=not progress)


def _fetch(url, dst, verify=None, progress=False, user_agent="torchless"):
    """Download ``url`` to ``dst``: streamed into a temporary file beside it, passed to ``verify(path)`` (which
    raises for a bad copy), then renamed, so that ``dst`` never holds a partial or unverified file."""
    dst = os.path.expanduser(dst)
    fd, partial = tempfile.mkstemp(prefix=os.path.basename(dst) + ".", suffix=".partial",
                                   dir=os.path.dirname(dst) or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": user_agent})
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                length = response.headers.get("Content-Length")
                with _progress_bar(int(length) if length else None, progress) as bar:
                    while chunk := response.read(READ_DATA_CHUNK):
                        out.write(chunk)
                        bar.update(len(chunk))
        if verify is not None:
            verify(partial)
        os.chmod(partial, 0o644)  # mkstemp makes files private; torch's downloads are world-readable too
        os.replace(partial, dst)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def _file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Fetch ``url`` and save it as the file ``dst``.

    The data goes to a temporary file in the folder of ``dst``, renamed to ``dst`` once complete (and
    verified), so an interrupted download never leaves a broken ``dst``.

    Args:
        url (str): where to download from (``file://`` URLs work too)
        dst (str): the full path of the file to write, e.g. ``/tmp/temporary_file``
        hash_prefix (str, optional): when given, the SHA256 hex digest of the download must start with it.
            Default: None
        progress (bool, optional): show the progress on stderr (with tqdm when it is installed).
            Default: True

    Raises:
        RuntimeError: the file's SHA256 does not start with ``hash_prefix``; nothing is written to ``dst``.
        urllib.error.URLError: the URL could not be fetched (no network, HTTP error, ...).
    """

    def check_hash(path):
        digest = _file_sha256(path)
        if digest[:len(hash_prefix)] != hash_prefix:
            raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')

    _fetch(url, dst, None if hash_prefix is None else check_hash, progress=progress, user_agent="torch.hub")


def _cached_file(url, model_dir=None, file_name=None):
    """Where :func:`load_state_dict_from_url` keeps the file of ``url``."""
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    return os.path.join(model_dir, file_name if file_name is not None else os.path.basename(urlparse(url).path))


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False, file_name=None,
                             weights_only=False):
    """Return the object saved in the file at ``url``, downloading it only if it is not cached yet.

    The cache is ``model_dir``, by default ``<hub_dir>/checkpoints`` with ``hub_dir`` from
    :func:`~torchless.hub.get_dir`; a file already there is loaded without any download. The file is read with
    :func:`torchless.load`: checkpoints written by ``torch.save`` (PyTorch's zip format) or by
    ``torchless.save``.

    Args:
        url (str): where to download the file from
        model_dir (str, optional): the cache folder. Default: None (see above)
        map_location (optional): how to remap storage locations, as for :func:`torchless.load`
        progress (bool, optional): show the download's progress on stderr. Default: True
        check_hash(bool, optional): if True, the URL's file name must look like ``name-<sha256>.ext``, where
            ``<sha256>`` is a prefix (eight hex digits or more) of the file's SHA256 digest, and the download is
            checked against it. Default: False
        file_name (str, optional): the name of the cached file. Default: the last part of ``url``'s path.
        weights_only(bool, optional): if True, unpickle only tensors and plain containers, not arbitrary
            objects (safer for files from untrusted places; see :func:`~torchless.load`). Default: False

    Example:
        >>> state_dict = torchless.hub.load_state_dict_from_url(
        ...     "https://download.pytorch.org/models/resnet18-f37072fd.pth"
        ... )
    """
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    cached_file = _cached_file(url, model_dir, file_name)
    os.makedirs(os.path.dirname(cached_file), exist_ok=True)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(os.path.basename(cached_file))
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)

    from .serialization import load

    if _is_legacy_zip_format(cached_file):
        cached_file = _extracted_legacy_zip(cached_file, os.path.dirname(cached_file))
    return load(cached_file, map_location=map_location, weights_only=weights_only)


def _is_legacy_zip_format(path):
    """Whether ``path`` is a zip archive of one file: how checkpoints were published before torch.save wrote zip
    archives itself (a checkpoint of that zip format holds several entries)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    return len(members) == 1 and not members[0].is_dir()


def _extracted_legacy_zip(path, model_dir):
    """The path of the one file of the zip archive ``path``, extracted into ``model_dir`` (as PyTorch's hub does,
    overwriting a file of that name)."""
    warnings.warn("Falling back to the old format < 1.6. This support will be deprecated in favor of default zipfile "
                  "format introduced in 1.6. Please redo torch.save() to save it in the new zipfile format.",
                  FutureWarning, stacklevel=3)
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        archive.extractall(model_dir)
        return os.path.join(model_dir, members[0].filename)
