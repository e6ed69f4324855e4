"""DataLoader: iterate over a dataset in (shuffled) mini-batches.

With ``num_workers=0`` (the default) batches are loaded in the calling process: NumPy work is vectorised, and a
dataset with a vectorised ``_get_batch`` (MNIST, TensorDataset) loads a whole batch in one go. With
``num_workers > 0`` that many worker processes load batches ahead of the training loop, as in PyTorch: worth it
when each sample costs Python work (PIL decoding and per-image transforms), and what ``get_worker_info``,
``worker_init_fn`` and per-worker sharding of an iterable dataset rely on.
"""
import itertools
import math
import multiprocessing
import os
import pickle
import queue
import warnings
from typing import Generic, TypeVar

from . import _worker
from ._collate import default_collate, default_convert
from ._fetch import make_fetcher
from ._worker import get_worker_info
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class _InfiniteConstantSampler(Sampler):
    """The placeholder index stream of an iterable dataset: ``None`` forever."""

    def __iter__(self):
        return itertools.repeat(None)


_T_co = TypeVar("_T_co", covariant=True)

_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader(Generic[_T_co]):
    """Combines a dataset and a sampler, and iterates over the dataset in batches.

    Args:
        dataset (Dataset): dataset to load from (map-style or iterable).
        batch_size (int, optional): samples per batch; ``None`` disables automatic batching. Default: 1.
        shuffle (bool, optional): reshuffle the indices every epoch. Default: ``False``.
        sampler (Sampler or Iterable, optional): the index order; mutually exclusive with ``shuffle``.
        batch_sampler (Sampler or Iterable, optional): yields lists of indices; mutually exclusive with
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int, optional): worker processes loading batches ahead; 0 loads them in the calling
            process. Default: 0.
        collate_fn (Callable, optional): merges a list of samples into a batch. Default:
            :func:`default_collate` (or :func:`default_convert` without automatic batching).
        pin_memory (bool, optional): accepted, no effect but PyTorch's warning that there is no accelerator.
        drop_last (bool, optional): drop the last incomplete batch. Default: ``False``.
        timeout (numeric, optional): with workers, seconds to wait for a batch before raising RuntimeError;
            0 waits for ever. Default: 0.
        worker_init_fn (Callable, optional): called with the worker id in each worker process, after seeding
            and before loading.
        multiprocessing_context (str or context, optional): how workers start (``"fork"``, ``"spawn"``,
            ``"forkserver"``); the platform's default when None.
        prefetch_factor (int, optional): batches requested ahead per worker. Default: 2 with workers.
        persistent_workers (bool, optional): keep the workers between epochs. Default: ``False``.
        in_order (bool, optional): with workers, yield batches in sampler order (``True``) or as they arrive.
        generator (Generator, optional): randomness of the default ``RandomSampler``.

    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        # len(self.dataset) as last asked by len(loader) over an iterable dataset: its iterators warn when they
        # yield more than that
        self._IterableDataset_len_called = None
        self._initialized = True
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context):
        # checked on every assignment, as PyTorch's setter does; a start method's name becomes its context
        if multiprocessing_context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(multiprocessing_context, str):
                valid_start_methods = multiprocessing.get_all_start_methods()
                if multiprocessing_context not in valid_start_methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{valid_start_methods!r}, but got "
                                     f"multiprocessing_context={multiprocessing_context!r}")
                multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
            if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a string "
                                "specifying the start method, but got "
                                f"multiprocessing_context={multiprocessing_context}")
        self._multiprocessing_context = multiprocessing_context

    def __setattr__(self, attr, value):
        if getattr(self, "_initialized", False) and attr in _FIXED_AFTER_INIT:
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if not self.persistent_workers:
            return _MultiProcessingDataLoaderIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessingDataLoaderIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def check_worker_number_rationality(self):
        """Warn, as PyTorch does, when more workers are asked for than this process may use CPUs."""
        if not self.num_workers:
            return
        cpuset_checked = hasattr(os, "sched_getaffinity")
        try:
            suggested = len(os.sched_getaffinity(0)) if cpuset_checked else os.cpu_count()
        except OSError:
            suggested = os.cpu_count()
        if suggested is not None and self.num_workers <= suggested:
            return
        if suggested is None:
            advice = "DataLoader is not able to compute a suggested max number of worker in current system."
        else:
            advice = (f"Our suggested max number of worker in current system is {suggested}"
                      f"{'' if cpuset_checked else ' (`cpuset` is not taken into account)'}, which is smaller than "
                      "what this DataLoader is going to create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. {advice} "
                      "Please be aware that excessive worker creation might get DataLoader running slow or even "
                      "freeze, lower the worker number to avoid potential slowness/freeze if necessary.",
                      stacklevel=2)

    def __len__(self):
        if self._iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                         "to enable multiprocessing, otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_iterable_options(shuffle, sampler, batch_sampler):
    if shuffle not in {False, None}:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                         f"shuffle={shuffle}")
    if sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                         f"sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                         f"batch_sampler={batch_sampler}")


class _BaseDataLoaderIter:
    """One epoch over a DataLoader: the sampler is iterated afresh (and reshuffled) for each one."""

    def __init__(self, loader):
        # (stacklevel=2 as in PyTorch: attributed to the subclass's super().__init__ line, so shown once a process)
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be used as the device,"
                          f"ignore pin_memory_device='{loader.pin_memory_device}'.", stacklevel=2)
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=2)
        self._loader = loader
        self._dataset = loader.dataset
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._drop_last = loader.drop_last
        self._index_iter = iter(loader._index_sampler)
        self._reported_len = loader._IterableDataset_len_called
        self._num_yielded = 0
        # Drawn whether or not there are workers to seed, as PyTorch does, so that a loader's generator gives
        # the same shuffles with any number of workers.
        self._base_seed = self._new_base_seed(loader)

    @staticmethod
    def _new_base_seed(loader):
        import torchless

        return int(torchless.empty((), dtype=torchless.int64).random_(generator=loader.generator).item())

    def __next__(self):
        # the one place batches leave, so that the warning below names the caller's line (as PyTorch's does)
        return self._counted(self._next_data())

    def _counted(self, data):
        """``data``, counted; PyTorch warns once an iterable dataset yields more than the length it reported."""
        self._num_yielded += 1
        if self._reported_len is not None and self._num_yielded > self._reported_len:
            # PyTorch compares the batches yielded with the dataset's length (not the loader's), and says samples
            message = (f"Length of IterableDataset {self._dataset} was reported to be {self._reported_len}"
                       f"(when accessing len(dataloader)), but {self._num_yielded} samples have been fetched. ")
            if self._loader.num_workers > 0:
                message += ("For multiprocessing data-loading, this could be caused by not properly configuring the "
                            "IterableDataset replica at each worker. Please see "
                            "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples.")
            warnings.warn(message, stacklevel=3)
        return data

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """Batches loaded in the calling process, one per ``next``."""

    def __init__(self, loader):
        super().__init__(loader)
        if loader.timeout != 0:  # (a wait for workers: PyTorch refuses it without them, once iteration starts)
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = make_fetcher(loader._iterable, self._dataset, self._auto_collation, self._collate_fn,
                                     self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(next(self._index_iter))


# How often a wait for a batch wakes to check that the workers are still alive.
_LIVENESS_CHECK_SECONDS = 1.0


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Batches loaded by ``num_workers`` worker processes.

    Index batches go to the workers in turn, ``prefetch_factor`` per worker ahead of the consumer; results come
    back on one queue tagged with their send order, and are yielded in that order (or as they arrive with
    ``in_order=False``). A worker whose copy of an iterable dataset is exhausted is sent no more requests; the
    epoch ends when every request has been answered and no index is left.
    """

    def __init__(self, loader):
        super().__init__(loader)
        loader.check_worker_number_rationality()
        if not loader.prefetch_factor > 0:  # zero passes the loader's checks; PyTorch asserts it here, before forking
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._workers_count = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._in_order = loader.in_order
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._result_queue = context.Queue()
        # Requests go down one pipe per worker, written synchronously (a multiprocessing Queue's feeder thread
        # can fail noisily when the queue is closed or collected during shutdown); results share one queue.
        self._request_pipes, self._workers = [], []
        for worker_id in range(self._workers_count):
            requests, send_requests = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker.worker_loop, daemon=True,
                args=(loader._iterable, self._dataset, requests, self._result_queue, self._auto_collation,
                      self._collate_fn, self._drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                      self._workers_count))
            process.start()
            requests.close()  # the worker's end
            self._request_pipes.append(send_requests)
            self._workers.append(process)
        self._shut_down = False
        self._parent_pid = os.getpid()
        self._start_epoch()

    def _start_epoch(self):
        self._active = [True] * self._workers_count
        self._next_worker = itertools.cycle(range(self._workers_count))
        self._send_idx = self._rcvd_idx = 0
        self._owner = {}      # send index -> worker, for requests not yet yielded
        self._arrived = {}    # send index -> data received ahead of its turn
        for _ in range(self._prefetch):
            self._try_put_index()

    def _reset(self, loader):
        """A new epoch on the same (persistent) workers."""
        self._loader = loader
        self._index_iter = iter(loader._index_sampler)
        self._reported_len, self._num_yielded = loader._IterableDataset_len_called, 0
        for pipe in self._request_pipes:
            pipe.send(_worker.Resume())
        acknowledged = 0
        while acknowledged < self._workers_count:
            tag, _ = self._get_result()
            acknowledged += isinstance(tag, _worker.Resume)  # leftovers of the previous epoch are dropped
        self._start_epoch()

    def _try_put_index(self):
        try:
            index = next(self._index_iter)
        except StopIteration:
            return
        for _ in range(self._workers_count):
            worker_id = next(self._next_worker)
            if self._active[worker_id]:
                break
        else:  # every worker's dataset is exhausted
            return
        self._request_pipes[worker_id].send((self._send_idx, index))
        self._owner[self._send_idx] = worker_id
        self._send_idx += 1

    def _next_data(self):
        while True:
            if self._in_order:
                # Requests left with a worker whose dataset has ended are answered only by its end marker.
                while self._rcvd_idx < self._send_idx and self._rcvd_idx not in self._arrived:
                    owner = self._owner.get(self._rcvd_idx)
                    if owner is not None and self._active[owner]:
                        break
                    self._owner.pop(self._rcvd_idx, None)
                    self._rcvd_idx += 1
                if self._rcvd_idx in self._arrived:
                    data = self._arrived.pop(self._rcvd_idx)
                    del self._owner[self._rcvd_idx]
                    self._rcvd_idx += 1
                    return self._deliver(data)
            if not self._owner:
                self._end_epoch()
                raise StopIteration
            send_idx, data = self._get_result()
            if isinstance(send_idx, _worker.Resume) or send_idx not in self._owner:
                continue  # an acknowledgement, or the end marker of a request already skipped
            data = pickle.loads(data)
            if isinstance(data, _worker.IterableEnd):
                self._active[data.worker_id] = False
                del self._owner[send_idx]
                self._try_put_index()
            elif self._in_order and send_idx != self._rcvd_idx:
                self._arrived[send_idx] = data
            else:
                del self._owner[send_idx]
                self._rcvd_idx += self._in_order
                return self._deliver(data)

    def _deliver(self, data):
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _get_result(self):
        """The next (send index, pickled data) from any worker, checking meanwhile that they are alive."""
        waited = 0.0
        while True:
            wait = _LIVENESS_CHECK_SECONDS if not self._timeout else min(_LIVENESS_CHECK_SECONDS,
                                                                          self._timeout - waited)
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                waited += wait
            if self._timeout and waited >= self._timeout:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            failed = [str(process.pid) for process in self._workers if process.exitcode not in (None, 0)]
            if failed:
                self._shutdown()
                raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(failed)}) exited unexpectedly")

    def _end_epoch(self):
        if not self._persistent:
            self._shutdown()

    def _shutdown(self):
        if getattr(self, "_shut_down", True) or os.getpid() != self._parent_pid:
            return  # (or a copy of it, inherited by a later loader's forked worker: its workers are not that one's)
        self._shut_down = True
        for pipe in self._request_pipes:
            try:
                pipe.send(None)
            except OSError:  # the worker is gone
                pass
        for process in self._workers:
            process.join(timeout=_LIVENESS_CHECK_SECONDS)
            if process.is_alive():  # still busy with a request nobody will read
                process.terminate()
        for pipe in self._request_pipes:
            pipe.close()
        self._result_queue.close()

    def __del__(self):
        self._shutdown()
