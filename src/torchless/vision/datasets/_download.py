"""Fetching a file from a list of mirrors with urllib: verified, written atomically, next mirror on failure."""
import gzip
import hashlib
import http.client
import os
import zlib

from ...hub import _fetch  # torchless.hub's downloader: streamed to a temporary file, verified, then renamed

_CHUNK = 1 << 20


def file_digest(path, algorithm, decompress=False, chunk_size=_CHUNK):
    """Hex digest of a file's bytes, or of its gzip-decompressed content."""
    digest = hashlib.new(algorithm)
    with (gzip.open if decompress else open)(path, "rb") as stream:
        while chunk := stream.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def download_from_mirrors(mirrors, filename, folder, verify):
    """Download ``mirror + filename`` into ``folder/filename`` from the first mirror whose copy passes ``verify``.

    ``verify(path)`` raises ValueError for a bad copy. The file appears under its final name only once
    verified (written to a temporary file in ``folder``, then renamed).

    Raises:
        RuntimeError: listing each mirror's error if none served a good copy.
    """
    errors = []
    for mirror in mirrors:
        try:
            _fetch(f"{mirror}{filename}", os.path.join(folder, filename), verify)
            return
        except (OSError, ValueError, EOFError, zlib.error, http.client.HTTPException) as error:
            errors.append((mirror, error))
    message = f"Error downloading {filename}:\n"
    message += "".join(f"Tried {mirror}, got:\n{error}\n" for mirror, error in errors)
    raise RuntimeError(message)
