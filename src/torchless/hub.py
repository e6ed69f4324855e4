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
from urllib.parse import urlparse

__all__ = ["download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

# matches bfd8deac from resnet18-bfd8deac.pth
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
    r"""Get the Torch Hub cache directory used for storing downloaded models & weights.

    If :func:`~torchless.hub.set_dir` is not called, default path is ``$TORCH_HOME/hub`` where environment variable
    ``$TORCH_HOME`` defaults to ``$XDG_CACHE_HOME/torch``. ``$XDG_CACHE_HOME`` follows the X Design Group
    specification of the Linux filesystem layout, with a default value ``~/.cache`` if the environment variable is
    not set.
    """
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    r"""Optionally set the Torch Hub directory used to save downloaded models & weights.

    Args:
        d (str): path to a local folder to save downloaded models & weights.
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
    r"""Download object at the given URL to a local path.

    The object is written to a temporary file in the folder of ``dst`` and renamed once complete (and verified),
    so an interrupted download never leaves a broken ``dst``.

    Args:
        url (str): URL of the object to download (``file://`` URLs work too)
        dst (str): Full path where object will be saved, e.g. ``/tmp/temporary_file``
        hash_prefix (str, optional): If not None, the SHA256 downloaded file should start with ``hash_prefix``.
            Default: None
        progress (bool, optional): whether or not to display a progress bar to stderr (tqdm's when it is
            installed). Default: True

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
    r"""Loads the Torch serialized object at the given URL.

    If the object is already present in `model_dir`, it's deserialized and returned. The default value of
    ``model_dir`` is ``<hub_dir>/checkpoints`` where ``hub_dir`` is the directory returned by
    :func:`~torchless.hub.get_dir`. The file is read with :func:`torchless.load`: checkpoints written by
    ``torch.save`` (PyTorch's zip format) or by ``torchless.save``.

    Args:
        url (str): URL of the object to download
        model_dir (str, optional): directory in which to save the object
        map_location (optional): a function or a dict specifying how to remap storage locations (see
            :func:`torchless.load`)
        progress (bool, optional): whether or not to display a progress bar to stderr. Default: True
        check_hash(bool, optional): If True, the filename part of the URL should follow the naming convention
            ``filename-<sha256>.ext`` where ``<sha256>`` is the first eight or more digits of the SHA256 hash of the
            contents of the file. The hash is used to ensure unique names and to verify the contents of the file.
            Default: False
        file_name (str, optional): name for the downloaded file. Filename from ``url`` will be used if not set.
        weights_only(bool, optional): If True, only weights will be loaded and no complex pickled objects.
            Recommended for untrusted sources. See :func:`~torchless.load` for more details.

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

    return load(cached_file, map_location=map_location, weights_only=weights_only)
