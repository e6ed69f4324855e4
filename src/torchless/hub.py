"""torch.hub's download cache: ``get_dir``, ``set_dir``, ``download_url_to_file`` and ``load_state_dict_from_url``,
which fetch a checkpoint once into ``<hub dir>/checkpoints`` and read it with :func:`torchless.load`.

The cache is torch's own (``~/.cache/torch/hub`` unless ``TORCH_HOME`` or ``XDG_CACHE_HOME`` says otherwise), so
checkpoints that PyTorch or torchvision downloaded are found here too, and the other way round.

``load``, ``list`` and ``help`` read a repository's ``hubconf.py``, from a local directory or from GitHub (downloaded
into the hub directory, as torch does), and run its entry points: the repository's code imports torch, so it runs
on torchless only where ``torch`` resolves to torchless (``python -m torchless.as_torch``).
"""
import contextlib
import hashlib
import importlib.util
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import urllib.request
import warnings
import zipfile
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]

# the hex digits between a '-' and the next '.', e.g. 'abcd1234' in 'net-abcd1234.pth'
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
ENV_GITHUB_TOKEN = "GITHUB_TOKEN"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
_TRUSTED_REPO_OWNERS = ("facebookresearch", "facebookincubator", "pytorch", "fairinternal")
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


def list(github, force_reload=False, skip_validation=False, trust_repo="check", verbose=True):
    """The names of the callable entry points in the ``hubconf.py`` of the GitHub repository ``github``
    (``"repo_owner/repo_name[:ref]"``; without a ref, ``main`` if it exists, else ``master``)."""
    hub_module = _hubconf(_get_cache_or_reload(github, force_reload, trust_repo, verbose, skip_validation))
    return [name for name in dir(hub_module) if callable(getattr(hub_module, name)) and not name.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo="check"):
    """The docstring of the entry point ``model`` of the GitHub repository ``github`` (see :func:`list`)."""
    hub_module = _hubconf(_get_cache_or_reload(github, force_reload, trust_repo, True, skip_validation))
    return _load_entry_from_hubconf(hub_module, model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False, verbose=True,
         skip_validation=False, **kwargs):
    """What the entry point ``model`` of a repository's ``hubconf.py`` returns for ``*args`` and ``**kwargs``.

    Args:
        repo_or_dir (str): with ``source="github"``, ``"repo_owner/repo_name[:ref]"`` (downloaded into
            :func:`get_dir` unless already there); with ``source="local"``, a directory holding ``hubconf.py``.
        model (str): the name of a callable in ``hubconf.py``.
        trust_repo (bool or str): ``"check"`` (repositories not yet trusted are asked about, as with False), True
            (trusted without asking) or False (asked about).
        force_reload (bool): download the repository again even if it is cached.
        verbose (bool): say when the cached repository is used.
        skip_validation (bool): do not ask GitHub's API whether the ref belongs to the repository.
    """
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        repo_or_dir = _get_cache_or_reload(repo_or_dir, force_reload, trust_repo, verbose, skip_validation)
    with _added_to_sys_path(repo_or_dir):
        entry = _load_entry_from_hubconf(_import_module(MODULE_HUBCONF, os.path.join(repo_or_dir, MODULE_HUBCONF)),
                                         model)
        return entry(*args, **kwargs)


@contextlib.contextmanager
def _added_to_sys_path(path):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        sys.path.remove(path)


def _import_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hubconf(repo_dir):
    with _added_to_sys_path(repo_dir):
        return _import_module(MODULE_HUBCONF, os.path.join(repo_dir, MODULE_HUBCONF))


def _load_entry_from_hubconf(hub_module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    dependencies = getattr(hub_module, VAR_DEPENDENCY, None)
    if dependencies is not None:
        missing = [package for package in dependencies if importlib.util.find_spec(package) is None]
        if missing:
            raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    entry = getattr(hub_module, model, None) if model in dir(hub_module) else None
    if entry is None or not callable(entry):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return entry


def _parse_repo_info(github):
    """Owner, name and ref of ``"owner/name[:ref]"``; without a ref, ``main`` if GitHub has it, else ``master``
    (offline: whichever is cached)."""
    repo_info, _, ref = github.partition(":")
    repo_owner, repo_name = repo_info.split("/")
    if ref:
        return repo_owner, repo_name, ref
    try:
        with urllib.request.urlopen(f"https://github.com/{repo_owner}/{repo_name}/tree/main/"):
            return repo_owner, repo_name, "main"
    except HTTPError as error:
        if error.code == 404:
            return repo_owner, repo_name, "master"
        raise
    except URLError as error:
        for cached in ("main", "master"):
            if os.path.exists(f"{get_dir()}/{repo_owner}_{repo_name}_{cached}"):
                return repo_owner, repo_name, cached
        raise RuntimeError("It looks like there is no internet connection and the repo could not be found in the "
                           f"cache ({get_dir()})") from error


def _validate_not_a_forked_repo(repo_owner, repo_name, ref):
    """That ``ref`` is a branch, tag or commit of the repository itself (GitHub lists a fork's commits too)."""
    headers = {"Accept": "application/vnd.github.v3+json"}
    token = os.environ.get(ENV_GITHUB_TOKEN)
    if token is not None:
        headers["Authorization"] = f"token {token}"
    for url_prefix in (f"https://api.github.com/repos/{repo_owner}/{repo_name}/branches",
                       f"https://api.github.com/repos/{repo_owner}/{repo_name}/tags"):
        page = 0
        while True:
            page += 1
            url = f"{url_prefix}?per_page=100&page={page}"
            try:
                response = json.loads(_read_url(urllib.request.Request(url, headers=headers)))
            except HTTPError:
                headers.pop("Authorization", None)
                response = json.loads(_read_url(urllib.request.Request(url, headers=headers)))
            if not response:
                break
            if any(branch["name"] == ref or branch["commit"]["sha"].startswith(ref) for branch in response):
                return
    raise ValueError(f"Cannot find {ref} in https://github.com/{repo_owner}/{repo_name}. If it's a commit from a "
                     "forked repo, please call hub.load() with forked repo directly.")


def _read_url(url):
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
        return response.read().decode(response.headers.get_content_charset("utf-8"))


def _get_cache_or_reload(github, force_reload, trust_repo, verbose=True, skip_validation=False):
    """The directory of the repository ``github`` in the hub directory, downloaded there unless cached."""
    hub_dir = get_dir()
    os.makedirs(hub_dir, exist_ok=True)
    repo_owner, repo_name, ref = _parse_repo_info(github)
    normalized_ref = ref.replace("/", "_")
    owner_name_branch = "_".join([repo_owner, repo_name, normalized_ref])
    repo_dir = os.path.join(hub_dir, owner_name_branch)
    _check_repo_is_trusted(repo_owner, repo_name, owner_name_branch, trust_repo)
    if not force_reload and os.path.exists(repo_dir):
        if verbose:
            sys.stderr.write(f"Using cache found in {repo_dir}\n")
        return repo_dir
    if not skip_validation:
        _validate_not_a_forked_repo(repo_owner, repo_name, ref)
    cached_file = os.path.join(hub_dir, normalized_ref + ".zip")
    _remove_if_exists(cached_file)
    url = f"https://github.com/{repo_owner}/{repo_name}/zipball/{ref}"
    sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
    try:
        download_url_to_file(url, cached_file, progress=False)
    except HTTPError as error:
        if error.code != 300:
            raise
        warnings.warn(f"The ref {ref} is ambiguous. Perhaps it is both a tag and a branch in the repo? Torchhub will "
                      "now assume that it's a branch. You can disambiguate tags and branches by explicitly passing "
                      "refs/heads/branch_name or refs/tags/tag_name as the ref. That might require using "
                      "skip_validation=True.", stacklevel=2)
        download_url_to_file(f"https://github.com/{repo_owner}/{repo_name}/zipball/refs/heads/{ref}", cached_file,
                             progress=False)
    with zipfile.ZipFile(cached_file) as archive:
        extracted_repo = os.path.join(hub_dir, archive.infolist()[0].filename)
        _remove_if_exists(extracted_repo)
        _safe_extract_zip(archive, hub_dir)
    _remove_if_exists(cached_file)
    _remove_if_exists(repo_dir)
    shutil.move(extracted_repo, repo_dir)
    return repo_dir


def _check_repo_is_trusted(repo_owner, repo_name, owner_name_branch, trust_repo):
    """Ask (on stdin) before running a repository's code, unless it is trusted; remember it as trusted after."""
    hub_dir = get_dir()
    trusted_list = os.path.join(hub_dir, "trusted_list")
    pathlib.Path(trusted_list).touch()
    with open(trusted_list) as file:
        trusted_repos = tuple(line.strip() for line in file)
    owner_name = "_".join([repo_owner, repo_name])
    is_trusted = (owner_name in trusted_repos or owner_name_branch in next(os.walk(hub_dir))[1]
                  or repo_owner in _TRUSTED_REPO_OWNERS)
    if trust_repo is False or (trust_repo == "check" and not is_trusted):
        response = input(f"The repository {owner_name} does not belong to the list of trusted repositories and as such "
                         "cannot be downloaded. Do you trust this repository and wish to add it to the trusted list "
                         "of repositories (y/N)?")
        if response.lower() in ("y", "yes"):
            if is_trusted:
                print("The repository is already trusted.")
        elif response.lower() in ("n", "no", ""):
            raise Exception("Untrusted repository.")
        else:
            raise ValueError(f"Unrecognized response {response}.")
    if not is_trusted:
        with open(trusted_list, "a") as file:
            file.write(owner_name + "\n")


def _remove_if_exists(path):
    if os.path.isfile(path):
        os.remove(path)
    elif os.path.exists(path):
        shutil.rmtree(path)


def _safe_extract_zip(archive, extract_to):
    """Extract ``archive``, refusing entries that would land outside ``extract_to`` (zip slip)."""
    extract_to = pathlib.Path(extract_to).resolve(strict=False)
    for member in archive.infolist():
        filename = os.path.normpath(member.filename)
        if filename.startswith(("/", "\\")) or (len(filename) >= 2 and filename[1] == ":" and filename[0].isalpha()):
            raise ValueError(f"Archive entry has absolute path: {member.filename}")
        if ".." in re.split(r"[/\\]", filename):
            raise ValueError(f"Archive entry contains directory traversal: {member.filename}")
        if not (extract_to / filename).resolve(strict=False).is_relative_to(extract_to):
            raise ValueError(f"Archive entry escapes target directory: {member.filename}")
        archive.extract(member, extract_to)
