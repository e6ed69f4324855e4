"""DataLoader with worker processes (num_workers > 0): the batches, the per-worker view of the data and the
failure modes of PyTorch's multi-process loading. Where torch is installed, its DataLoader runs the same
datasets and the two must agree."""
import dataclasses
import os
import random
import warnings

import numpy as np
import pytest

import torchless
from torchless.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info


class Squares(Dataset):
    """Item i is (i*i, id of the worker that loaded it, or -1 in the main process)."""

    def __init__(self, size=23):
        self.size = size

    def __len__(self):
        return self.size

    def __getitem__(self, i):
        info = get_worker_info()
        return i * i, -1 if info is None else info.id


class Shards(IterableDataset):
    """range(n), each worker reading every num_workers-th value from its id (the documented sharding recipe)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class Faulty(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError("bad item 5")
        if i == 6:
            raise KeyError("missing")
        if i == 7:
            os._exit(3)  # a worker that dies
        return i


class WhoAmI(Dataset):
    """Item i: the loading process's pid, its torchless seed, a draw of random and of numpy's global generator."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"pid": os.getpid(), "seed": info.seed, "initial_seed": torchless.initial_seed(),
                "random": random.random(), "numpy": float(np.random.random_sample()), "id": info.id}


def plain(value):
    return value.tolist() if hasattr(value, "tolist") else value


def lists(loader):
    return [[plain(value) for value in batch] if isinstance(batch, list) else plain(batch) for batch in loader]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_map_style_batches_are_those_of_the_main_process_in_order(workers):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 workers on a 2-core machine
        got = lists(DataLoader(Squares(), batch_size=4, num_workers=workers))
    expected = [[i * i for i in range(start, min(23, start + 4))] for start in range(0, 23, 4)]
    assert [squares for squares, _ in got] == expected
    # requests go to the workers in turn: batch k is loaded by worker k % workers
    assert [ids for _, ids in got] == [[k % workers] * len(b) for k, b in enumerate(expected)]


def test_shuffled_batches_do_not_depend_on_the_number_of_workers():
    def epoch(workers):
        loader = DataLoader(Squares(), batch_size=5, shuffle=True, num_workers=workers,
                            generator=torchless.Generator().manual_seed(7))
        return [squares for squares, _ in lists(loader)]

    assert epoch(0) == epoch(2)
    assert sorted(sum(epoch(2), [])) == [i * i for i in range(23)]


def test_get_worker_info_is_none_in_the_main_process_and_frozen_in_a_worker():
    assert get_worker_info() is None
    infos = list(DataLoader(list(range(2)), batch_size=None, num_workers=2,
                            collate_fn=lambda index: dataclasses.asdict(get_worker_info())))
    assert [(info["id"], info["num_workers"]) for info in infos] == [(0, 2), (1, 2)]
    assert infos[0]["dataset"] == [0, 1]  # the worker's copy of the dataset
    info = torchless.utils.data._worker.WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.id = 1


@pytest.mark.parametrize("workers, batch_size, drop_last", [(2, 3, False), (2, 3, True), (3, 3, False),
                                                           (2, None, False), (1, 4, False)])
def test_iterable_dataset_sharded_per_worker_matches_torch(workers, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = lists(DataLoader(Shards(11), batch_size=batch_size, num_workers=workers, drop_last=drop_last))
        theirs_loader = torch.utils.data.DataLoader(TorchShards(torch, 11), batch_size=batch_size,
                                                    num_workers=workers, drop_last=drop_last)
        theirs = [plain(batch) for batch in theirs_loader]
    assert ours == theirs


def TorchShards(torch, n):
    class Shards(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, n, info.num_workers))

    return Shards()


def test_an_unsharded_iterable_dataset_is_read_once_per_worker():
    batches = lists(DataLoader(Shards(5), batch_size=None, num_workers=2, worker_init_fn=_unshard))
    assert sorted(batches) == sorted(list(range(5)) * 2)


def _unshard(worker_id):
    get_worker_info().dataset.__class__ = PlainRange


class PlainRange(Shards):
    def __iter__(self):
        return iter(range(self.n))


def test_workers_are_seeded_from_the_base_seed_and_run_worker_init_fn():
    torchless.manual_seed(0)
    items = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2, worker_init_fn=_mark_initialised))
    by_worker = {}
    for item in items:
        by_worker.setdefault(item["id"], []).append(item)
    assert sorted(by_worker) == [0, 1]
    seeds = {worker: entries[0]["seed"] for worker, entries in by_worker.items()}
    assert seeds[1] == seeds[0] + 1  # base seed + worker id
    for worker, entries in by_worker.items():
        assert all(entry["initial_seed"] == seeds[worker] for entry in entries)
        expected = random.Random(seeds[worker])
        assert [entry["random"] for entry in entries] == [expected.random() for _ in entries]
    assert by_worker[0][0]["numpy"] != by_worker[1][0]["numpy"]  # workers never share numpy's stream
    assert os.environ.get("TORCHLESS_TEST_INITIALISED") is None  # set in the workers only


def _mark_initialised(worker_id):
    os.environ["TORCHLESS_TEST_INITIALISED"] = str(worker_id)


def test_worker_init_fn_sees_its_id():
    seen = list(DataLoader(list(range(4)), batch_size=None, num_workers=2, worker_init_fn=_mark_initialised,
                           collate_fn=lambda i: os.environ["TORCHLESS_TEST_INITIALISED"]))
    assert seen == ["0", "1", "0", "1"]


def test_persistent_workers_serve_every_epoch_and_others_start_afresh():
    persistent = DataLoader(WhoAmI(), batch_size=None, num_workers=2, persistent_workers=True)
    first, second = ({item["pid"] for item in persistent} for _ in range(2))
    assert first == second and len(first) == 2 and os.getpid() not in first
    fresh = DataLoader(WhoAmI(), batch_size=None, num_workers=2)
    assert {item["pid"] for item in fresh}.isdisjoint({item["pid"] for item in fresh})


def test_in_order_false_yields_every_batch():
    got = lists(DataLoader(Squares(), batch_size=4, num_workers=2, in_order=False))
    assert sorted(sum((squares for squares, _ in got), [])) == [i * i for i in range(23)]


@pytest.mark.parametrize("index, kind, last_line", [(5, ValueError, "ValueError: bad item 5"),
                                                    (6, KeyError, "KeyError: 'missing'")])
def test_an_exception_in_a_worker_is_raised_with_its_type_and_traceback(index, kind, last_line):
    loader = DataLoader(Faulty(), batch_size=None, sampler=[0, index], num_workers=2)
    with pytest.raises(kind) as caught:
        list(loader)
    message = str(caught.value)
    assert message.startswith(f"Caught {kind.__name__} in DataLoader worker process 1.\n"
                              "Original Traceback (most recent call last):\n")
    assert message.rstrip().endswith(last_line)


def test_a_dead_worker_and_a_timeout_raise_runtime_errors():
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid\(s\) \d+\) exited unexpectedly$"):
        list(DataLoader(Faulty(), batch_size=None, sampler=[7], num_workers=1))
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.2 seconds$"):
        list(DataLoader(Slow(), batch_size=None, num_workers=1, timeout=0.2))


class Slow(Dataset):
    def __len__(self):
        return 1

    def __getitem__(self, i):
        import time

        time.sleep(1.5)
        return i


def test_data_that_cannot_be_pickled_is_an_error_not_a_hang():
    loader = DataLoader([0], batch_size=None, num_workers=1, collate_fn=lambda i: (lambda: i))
    with pytest.raises(Exception, match="in DataLoader worker process 0"):
        list(loader)


def test_more_workers_than_cores_warns_as_torch():
    torch = pytest.importorskip("torch")
    workers = len(os.sched_getaffinity(0)) + 1
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        list(DataLoader([1, 2], num_workers=workers))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        list(torch.utils.data.DataLoader([1, 2], num_workers=workers))
    ours = [str(w.message) for w in ours if "worker processes" in str(w.message)]
    theirs = [str(w.message) for w in theirs if "worker processes" in str(w.message)]
    assert ours and set(ours) == set(theirs)


def test_spawned_workers_load_a_picklable_dataset():
    data = torchless.utils.data.TensorDataset(torchless.arange(10.0), torchless.arange(10))
    loader = DataLoader(data, batch_size=4, num_workers=1, multiprocessing_context="spawn")
    batches = [(x.tolist(), y.tolist()) for x, y in loader]
    assert batches == [([0.0, 1.0, 2.0, 3.0], [0, 1, 2, 3]), ([4.0, 5.0, 6.0, 7.0], [4, 5, 6, 7]),
                       ([8.0, 9.0], [8, 9])]
