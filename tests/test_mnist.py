"""Tests of torchless.vision.datasets.MNIST: the bundled real files, small synthetic IDX files (good and
corrupt), the batched DataLoader path against the per-item one, and downloading from a local HTTP server."""
import contextlib
import gzip
import hashlib
import http.server
import os
import shutil
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.utils.data import DataLoader, Subset, default_collate, random_split
from torchless.vision import datasets, transforms
from torchless.vision.datasets import MNIST

BUNDLED_RAW = Path(datasets.__file__).resolve().parent / "data" / "MNIST" / "raw"
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
CONTENT_SHA256 = {  # of the decompressed files, from the dataset's README
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MNIST_TRANSFORM = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])


@pytest.fixture(scope="module")
def train_set():
    return MNIST(train=True, transform=MNIST_TRANSFORM)


# ---------------------------------------------------------------------------- IDX file writers
def idx_bytes(array, magic=None, dims=None):
    array = np.asarray(array, np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    dims = array.shape if dims is None else dims
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + array.tobytes()


def write_split(root, images_blob, labels_blob, split="train", compress=True):
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for kind, blob in (("images-idx3", images_blob), ("labels-idx1", labels_blob)):
        name = f"{split}-{kind}-ubyte"
        if compress:
            (raw / (name + ".gz")).write_bytes(gzip.compress(blob))
        else:
            (raw / name).write_bytes(blob)
    return raw


SMALL_IMAGES = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3) * 4
SMALL_LABELS = np.array([3, 0, 9, 3, 1], np.uint8)


# ---------------------------------------------------------------------------------- real files
def test_bundled_training_set(train_set):
    assert len(train_set) == 60000
    assert train_set.data.dtype == torchless.uint8 and tuple(train_set.data.shape) == (60000, 28, 28)
    assert train_set.targets.dtype == torchless.int64 and tuple(train_set.targets.shape) == (60000,)
    assert np.bincount(train_set.targets.numpy()).tolist() == TRAIN_COUNTS


def test_bundled_test_set():
    test_set = MNIST(train=False)
    assert len(test_set) == 10000 and tuple(test_set.data.shape) == (10000, 28, 28)
    assert np.bincount(test_set.targets.numpy()).tolist() == TEST_COUNTS


@pytest.mark.parametrize("train, prefix", [(True, "train"), (False, "t10k")])
def test_bundled_arrays_are_the_original_files(train, prefix):
    dataset = MNIST(train=train)
    images = dataset.data.numpy()
    header = struct.pack(">IIII", 2051, *images.shape)
    assert hashlib.sha256(header + images.tobytes()).hexdigest() == CONTENT_SHA256[f"{prefix}-images-idx3-ubyte"]
    labels = dataset.targets.numpy().astype(np.uint8)
    header = struct.pack(">II", 2049, len(labels))
    assert hashlib.sha256(header + labels.tobytes()).hexdigest() == CONTENT_SHA256[f"{prefix}-labels-idx1-ubyte"]


def test_shared_dataset_root_if_present():
    root = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if not (root / "MNIST" / "raw").is_dir():
        pytest.skip("no shared/datasets beside the checkout")
    dataset = MNIST(str(root), train=False, download=False)
    assert np.bincount(dataset.targets.numpy()).tolist() == TEST_COUNTS


def test_items_are_pil_images_of_mode_l_and_ints():
    Image = pytest.importorskip("PIL.Image")
    dataset = MNIST(train=False)
    image, target = dataset[0]
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)  # as torchvision's
    assert type(target) is int and target == dataset.targets.numpy()[0]
    np.testing.assert_array_equal(np.asarray(image), dataset.data.numpy()[0])
    last_image, last_target = dataset[-1]
    np.testing.assert_array_equal(np.asarray(last_image), dataset.data.numpy()[-1])
    from torchless.vision.transforms import v2
    for transform in (transforms.ToTensor(), transforms.PILToTensor(), v2.ToImage()):
        out = MNIST(train=False, transform=transform)[0][0]
        assert tuple(out.shape) == (1, 28, 28)
    np.testing.assert_array_equal(MNIST(train=False, transform=transforms.PILToTensor())[0][0].numpy()[0],
                                  dataset.data.numpy()[0])


def test_without_pillow_items_are_uint8_arrays(monkeypatch):
    from torchless.vision.datasets import mnist
    monkeypatch.setattr(mnist, "pil_image_or_none", lambda: None)
    dataset = MNIST(train=False)
    image, target = dataset[0]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == (28, 28)
    np.testing.assert_array_equal(image, dataset.data.numpy()[0])
    image[:] = 0  # a copy: the dataset is unchanged
    assert dataset.data.numpy()[0].any()
    images, targets = next(iter(DataLoader(dataset, batch_size=3)))  # arrays collate
    assert images.dtype == torchless.uint8 and tuple(images.shape) == (3, 28, 28)
    np.testing.assert_array_equal(images.numpy(), dataset.data.numpy()[:3])


def test_default_collate_refuses_pil_items_like_torch():
    pytest.importorskip("PIL.Image")
    # torch 2.x's message, word for word
    message = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
               "found <class 'PIL.Image.Image'>")
    for batch_size in (1, 4):
        with pytest.raises(TypeError) as info:
            next(iter(DataLoader(MNIST(train=False), batch_size=batch_size)))
        assert str(info.value) == message


def test_transforms_are_applied_per_item():
    dataset = MNIST(train=False, transform=MNIST_TRANSFORM, target_transform=lambda t: t + 100)
    image, target = dataset[3]
    raw = dataset.data.numpy()[3].astype(np.float32) / np.float32(255)
    expected = (raw - np.float32(0.1307)) / np.float32(0.3081)
    assert image.dtype == torchless.float32 and tuple(image.shape) == (1, 28, 28)
    np.testing.assert_array_equal(image.numpy()[0], expected)
    assert target == int(dataset.targets.numpy()[3]) + 100


def test_classes_and_repr():
    dataset = MNIST(train=False, transform=MNIST_TRANSFORM)
    assert dataset.classes[:2] == ["0 - zero", "1 - one"] and dataset.class_to_idx["9 - nine"] == 9
    assert repr(dataset) == (
        "Dataset MNIST\n"
        "    Number of datapoints: 10000\n"
        f"    Root location: {dataset.root}\n"
        "    Split: Test\n"
        "    StandardTransform\n"
        "Transform: Compose(\n"
        "               ToTensor()\n"
        "               Normalize(mean=(0.1307,), std=(0.3081,))\n"
        "           )")
    assert repr(MNIST(train=False)).endswith("    Split: Test")


# ------------------------------------------------------------------------------ synthetic files
@pytest.mark.parametrize("compress", [True, False])
def test_small_synthetic_files(tmp_path, compress):
    write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS), compress=compress)
    dataset = MNIST(str(tmp_path), train=True)
    assert len(dataset) == 5 and tuple(dataset.data.shape) == (5, 4, 3)
    np.testing.assert_array_equal(dataset.data.numpy(), SMALL_IMAGES)
    assert dataset.targets.tolist() == [3, 0, 9, 3, 1]
    image, target = dataset[2]
    np.testing.assert_array_equal(image, SMALL_IMAGES[2])
    assert target == 9


def test_plain_file_preferred_over_gz(tmp_path):
    raw = write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS), compress=True)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    assert MNIST(tmp_path).targets.tolist() == [0] * 5


def test_missing_dataset(tmp_path):
    with pytest.raises(RuntimeError, match="^Dataset not found. You can use download=True to download it$"):
        MNIST(str(tmp_path))
    write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS), split="train")
    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(str(tmp_path), train=False)


HUGE = (1 << 31, 1 << 15, 1 << 15)

CORRUPT_CASES = {
    "images_bad_magic": (idx_bytes(SMALL_IMAGES, magic=2049, dims=(5,)), idx_bytes(SMALL_LABELS), "images",
                         "magic number 2049, expected 2051"),
    "labels_bad_magic": (idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS, magic=2051, dims=(5, 1, 1)), "labels",
                         "magic number 2051, expected 2049"),
    "images_truncated": (idx_bytes(SMALL_IMAGES)[:-7], idx_bytes(SMALL_LABELS), "images", "truncated"),
    "labels_truncated": (idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS)[:-1], "labels", "truncated"),
    "header_truncated": (idx_bytes(SMALL_IMAGES)[:10], idx_bytes(SMALL_LABELS), "images",
                         "file ends inside the header"),
    "empty_file": (b"", idx_bytes(SMALL_LABELS), "images", "file ends inside the header"),
    "trailing_bytes": (idx_bytes(SMALL_IMAGES) + b"\0", idx_bytes(SMALL_LABELS), "images", "trailing bytes"),
    "wrong_dims": (idx_bytes(SMALL_IMAGES, dims=(5, 3, 4 + 1)), idx_bytes(SMALL_LABELS), "images", "truncated"),
    "zero_dims": (idx_bytes(SMALL_IMAGES, dims=(5, 0, 3)), idx_bytes(SMALL_LABELS), "images", "empty item shape"),
    "huge_header": (idx_bytes(SMALL_IMAGES, dims=HUGE), idx_bytes(SMALL_LABELS), "images", "corrupt header"),
    "count_mismatch": (idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS[:4]), "both", "4 labels"),
    "label_out_of_range": (idx_bytes(SMALL_IMAGES), idx_bytes([3, 0, 10, 3, 1]), "labels", "label 10"),
}


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("case", list(CORRUPT_CASES))
def test_corrupt_files_raise_runtime_errors_naming_the_file(tmp_path, case, compress):
    images, labels, culprit, problem = CORRUPT_CASES[case]
    raw = write_split(tmp_path, images, labels, compress=compress)
    suffix = ".gz" if compress else ""
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as error:
        MNIST(str(tmp_path))
    assert time.perf_counter() - start < 1.0  # no giant allocation or read for a lying header
    message = str(error.value)
    assert problem in message
    if culprit in ("images", "both"):
        assert str(raw / f"train-images-idx3-ubyte{suffix}") in message
    if culprit in ("labels", "both"):
        assert str(raw / f"train-labels-idx1-ubyte{suffix}") in message


def test_truncated_gzip_stream(tmp_path):
    raw = write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS))
    path = raw / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(RuntimeError, match=f"Corrupt IDX file {path}"):
        MNIST(str(tmp_path))


def test_not_gzip_despite_the_name(tmp_path):
    raw = write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS))
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(idx_bytes(SMALL_LABELS))
    with pytest.raises(RuntimeError, match=f"Corrupt IDX file {raw / 'train-labels-idx1-ubyte.gz'}"):
        MNIST(str(tmp_path))


# ----------------------------------------------------------------------- batched loader path
def per_item(loader_kwargs, dataset):
    """The same loader forced onto the per-item path (a collate function other than default_collate)."""
    return DataLoader(dataset, collate_fn=lambda samples: default_collate(samples), **loader_kwargs)


def assert_same_batches(fast_loader, slow_loader, limit=None):
    count = 0
    for fast, slow in zip(fast_loader, slow_loader):
        assert isinstance(fast, list) and isinstance(slow, list) and len(fast) == len(slow) == 2
        for f, s in zip(fast, slow):
            assert isinstance(f, torchless.Tensor) and f.dtype == s.dtype and f.shape == s.shape
            np.testing.assert_array_equal(f.numpy(), s.numpy())
        count += 1
        if count == limit:
            break
    return count


def test_fast_path_is_bitwise_the_per_item_path(train_set):
    fast_batches = iter(DataLoader(train_set, batch_size=32, shuffle=True,
                                   generator=torchless.Generator().manual_seed(11)))
    slow = per_item(dict(batch_size=32, shuffle=True, generator=torchless.Generator().manual_seed(11)), train_set)
    assert assert_same_batches(fast_batches, slow, limit=40) == 40
    assert fast_batches._fetcher._get_batch is not None  # the fast path really was taken


@pytest.mark.parametrize("transform", [transforms.ToTensor(), transforms.PILToTensor(),
                                       transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda t: t * 2)]),
                                       transforms.Compose([transforms.ToTensor(), transforms.Resize(14)])])
def test_other_transforms_give_the_per_item_results(tmp_path, transform):
    write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS))
    dataset = MNIST(str(tmp_path), transform=transform)
    fast = DataLoader(dataset, batch_size=2, shuffle=True, generator=torchless.Generator().manual_seed(1))
    slow = per_item(dict(batch_size=2, shuffle=True, generator=torchless.Generator().manual_seed(1)), dataset)
    assert assert_same_batches(fast, slow) == 3


def test_target_transform_and_subsets_use_matching_paths(tmp_path):
    write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS))
    dataset = MNIST(str(tmp_path), transform=MNIST_TRANSFORM, target_transform=lambda t: t * 2)
    assert_same_batches(DataLoader(dataset, batch_size=3), per_item(dict(batch_size=3), dataset))
    plain = MNIST(str(tmp_path), transform=MNIST_TRANSFORM)
    for subset in random_split(plain, [2, 3], generator=torchless.Generator().manual_seed(0)) + [Subset(plain, [4, 0])]:
        assert_same_batches(DataLoader(subset, batch_size=2), per_item(dict(batch_size=2), subset))
    images, labels = next(iter(DataLoader(Subset(plain, [4, 0]), batch_size=2)))
    assert labels.tolist() == [1, 3]


def test_fast_path_reflects_reassigned_data(tmp_path):
    write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS))
    dataset = MNIST(str(tmp_path), transform=transforms.ToTensor())
    dataset.data, dataset.targets = dataset.data[:2], dataset.targets[:2]
    batches = list(DataLoader(dataset, batch_size=4))
    assert len(batches) == 1 and batches[0][1].tolist() == [3, 0] and tuple(batches[0][0].shape) == (2, 1, 4, 3)


def test_bad_normalize_raises_the_per_item_error(tmp_path):
    write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS))
    dataset = MNIST(str(tmp_path), transform=transforms.Compose([transforms.ToTensor(),
                                                                  transforms.Normalize((0.5,), (0.0,))]))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        next(iter(DataLoader(dataset, batch_size=2)))


def test_epoch_of_the_training_set_is_fast(train_set):
    loader = DataLoader(train_set, batch_size=32, shuffle=True)
    start = time.perf_counter()
    seen = sum(int(labels.shape[0]) for _, labels in loader)
    elapsed = time.perf_counter() - start
    assert seen == 60000 and len(loader) == 1875
    assert elapsed < 5.0, f"one epoch of MNIST batches took {elapsed:.2f} s"


# ----------------------------------------------------------------------------------- download
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()


@contextlib.contextmanager
def local_server(directory):
    """An HTTP server for ``directory`` on 127.0.0.1 in a daemon thread, shut down afterwards."""
    handler = type("Handler", (_QuietHandler,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def mirror_tree(tmp_path):
    """good/: the real files; bad/: same names, wrong content; empty/: nothing (404s)."""
    served = tmp_path / "served"
    (served / "good").mkdir(parents=True)
    (served / "bad").mkdir()
    (served / "empty").mkdir()
    for path in BUNDLED_RAW.glob("*.gz"):
        os.symlink(path, served / "good" / path.name)
        (served / "bad" / path.name).write_bytes(gzip.compress(b"not mnist"))
    return served


def test_download_from_local_mirrors(tmp_path, mirror_tree, monkeypatch):
    with local_server(mirror_tree) as (url, requests):
        monkeypatch.setattr(MNIST, "mirrors", [f"{url}/empty/", f"{url}/bad/", f"{url}/good/"])
        root = tmp_path / "root"
        dataset = MNIST(str(root), train=False, download=True)
        assert np.bincount(dataset.targets.numpy()).tolist() == TEST_COUNTS
        assert len(MNIST(str(root), train=True)) == 60000
        assert sorted(os.listdir(root / "MNIST" / "raw")) == sorted(p.name for p in BUNDLED_RAW.glob("*.gz"))
        assert len(requests) == 12  # each file: 404, a bad copy, then the good one
        assert (root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").stat().st_mode & 0o777 == 0o644
        MNIST(str(root), train=False, download=True)
        assert len(requests) == 12  # everything present: nothing fetched


def test_download_failure_lists_mirrors_and_leaves_no_files(tmp_path, mirror_tree, monkeypatch):
    with local_server(mirror_tree) as (url, requests):
        monkeypatch.setattr(MNIST, "mirrors", [f"{url}/empty/", f"{url}/bad/"])
        root = tmp_path / "root"
        with pytest.raises(RuntimeError) as error:
            MNIST(str(root), download=True)
    message = str(error.value)
    assert message.startswith("Error downloading train-images-idx3-ubyte.gz:\n")
    assert f"Tried {url}/empty/, got:\nHTTP Error 404" in message
    assert f"Tried {url}/bad/, got:\nchecksum mismatch" in message
    assert os.listdir(root / "MNIST" / "raw") == []


def test_download_accepts_uncompressed_content_match_and_skips_present_files(tmp_path, mirror_tree, monkeypatch):
    raw = tmp_path / "root" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        shutil.copy(BUNDLED_RAW / name, raw / name)
    with local_server(mirror_tree) as (url, requests):
        monkeypatch.setattr(MNIST, "mirrors", [f"{url}/good/"])
        MNIST(str(tmp_path / "root"), download=True)
    assert requests == ["/good/t10k-labels-idx1-ubyte.gz"]


def test_directory_named_like_a_data_file_is_not_data(tmp_path):
    raw = write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS), compress=False)
    (raw / "train-images-idx3-ubyte").unlink()
    (raw / "train-images-idx3-ubyte.gz").mkdir()  # exists, but is no file
    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(str(tmp_path))


def test_legacy_folder_attributes_are_torchvisions(tmp_path):
    # torchvision's MNIST keeps these from its former processed .pt files
    write_split(tmp_path, idx_bytes(SMALL_IMAGES), idx_bytes(SMALL_LABELS))
    dataset = MNIST(str(tmp_path))
    assert dataset.processed_folder == os.path.join(str(tmp_path), "MNIST", "processed")
    assert (MNIST.training_file, MNIST.test_file) == ("training.pt", "test.pt")
