"""A progress bar over batches: tqdm when installed (the ``[cli]`` extra), plain periodic lines otherwise."""
import sys
import time


class _PlainBar:
    """Prints the postfix every few seconds, so logs stay short when tqdm is missing."""

    def __init__(self, iterable, total, desc):
        self.iterable, self.total, self.desc = iterable, total, desc
        self.postfix, self._last = "", 0.0

    def __iter__(self):
        for i, item in enumerate(self.iterable, 1):
            yield item
            now = time.monotonic()
            if now - self._last > 5 or i == self.total:
                self._last = now
                print(f"{self.desc}: {i}/{self.total} {self.postfix}", file=sys.stderr, flush=True)

    def set_postfix_str(self, text):
        self.postfix = text

    def close(self):
        pass


def progress(iterable, total, desc, enabled=True):
    """Wrap ``iterable`` in a progress bar showing ``desc`` and a postfix set with ``set_postfix_str``."""
    if enabled:
        try:
            from tqdm import tqdm

            return tqdm(iterable, total=total, desc=desc, unit="batch", dynamic_ncols=True, leave=True)
        except ImportError:
            pass
    return _PlainBar(iterable, total, desc)
