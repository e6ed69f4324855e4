"""DataLoader worker processes: what runs inside one, and how its errors reach the main process.

A worker is started with the loader's dataset, collate function and options; it seeds its random generators
from the epoch's base seed and its id, runs ``worker_init_fn``, then answers index requests from its own pipe
with loaded batches (or with the exception their loading raised) on the shared result queue, until it is sent
``None``. Kernels run on one thread inside a worker: the workers themselves use the cores.
"""
import dataclasses
import os
import pickle
import random
import sys
import traceback

import numpy as np

from ._fetch import make_fetcher


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """What a dataset or ``worker_init_fn`` may learn about the worker process it runs in.

    Attributes:
        id (int): this worker's index, from 0 to ``num_workers - 1``.
        num_workers (int): how many workers the loader started.
        seed (int): the seed of this worker's generators (the epoch's base seed plus ``id``).
        dataset: this process's copy of the dataset (configure it per worker, e.g. to read one shard).
    """

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


_worker_info = None
# How often an idle worker checks that the process that started it is still alive.
PARENT_CHECK_SECONDS = 5.0


def get_worker_info():
    """The :class:`WorkerInfo` of the DataLoader worker process calling it; None in the main process."""
    return _worker_info


@dataclasses.dataclass(frozen=True)
class IterableEnd:
    """A worker's answer once its copy of an iterable dataset is exhausted."""

    worker_id: int


@dataclasses.dataclass(frozen=True)
class Resume:
    """Sent to a persistent worker at the start of a new epoch: start a fresh pass over the dataset."""


class KeyErrorMessage(str):
    """A KeyError's message that prints as the text itself (KeyError shows its argument's repr)."""

    def __repr__(self):
        return str(self)


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process as its type and formatted traceback."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise an exception of the original type whose message names the worker and holds its traceback."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = KeyErrorMessage(message)
        try:
            error = self.exc_type(message)
        except Exception:  # a type that cannot be built from one message
            raise RuntimeError(message) from None
        raise error


def numpy_seed(base_seed, worker_id):
    """A 128-bit seed for NumPy's legacy global generator, mixed from the base seed and the worker id (so that
    workers never share a NumPy stream, even when base seeds differ by the worker count)."""
    return np.random.SeedSequence([worker_id, base_seed & (2**64 - 1)]).generate_state(4)


def _pickled(data, where):
    """``data`` pickled here, so that data that cannot be pickled becomes an error the main process
    receives (the queue would otherwise fail in its feeder thread and leave the main process waiting)."""
    try:
        return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps(ExceptionWrapper(sys.exc_info(), where), protocol=pickle.HIGHEST_PROTOCOL)


def worker_loop(iterable, dataset, requests, result_queue, auto_collation, collate_fn, drop_last, base_seed,
                init_fn, worker_id, num_workers):
    """The body of worker process ``worker_id``: answer the ``(send_idx, index)`` requests arriving on the
    ``requests`` connection until it brings ``None``."""
    global _worker_info
    import torchless

    torchless.set_num_threads(1)
    seed = base_seed + worker_id
    random.seed(seed)
    torchless.manual_seed(seed)
    np.random.seed(numpy_seed(base_seed, worker_id))
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_error = ExceptionWrapper(sys.exc_info(), where)
    exhausted = False
    parent = os.getppid()
    while True:
        try:
            if not requests.poll(PARENT_CHECK_SECONDS):
                if os.getppid() != parent:  # the main process died without sending the stop request
                    break
                continue
            request = requests.recv()
        except (EOFError, OSError, KeyboardInterrupt):  # the main process is gone or stopping
            break
        if request is None:
            break
        if isinstance(request, Resume):
            exhausted = False
            if init_error is None:
                fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
            result_queue.put((request, None))
            continue
        send_idx, index = request
        if init_error is not None:
            data, init_error = init_error, None
        elif exhausted:
            data = IterableEnd(worker_id)
        else:
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                if not iterable:
                    raise
                data, exhausted = IterableEnd(worker_id), True
            except Exception:
                data = ExceptionWrapper(sys.exc_info(), where)
        result_queue.put((send_idx, _pickled(data, where)))
        del data
    result_queue.cancel_join_thread()
