"""Tests of torchless.vision.datasets FashionMNIST, KMNIST, CIFAR10 and CIFAR100 on tiny files written in
tmp_path (nothing is downloaded), including the refusal to unpickle anything but arrays, their PIL items and
the NumPy items they give without Pillow."""
import gzip
import os
import pickle
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision import transforms
from torchless.vision.datasets import CIFAR10, CIFAR100, KMNIST, MNIST, FashionMNIST


def idx_bytes(array):
    array = np.asarray(array, np.uint8)
    return struct.pack(">I", 0x0800 | array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape) + \
        array.tobytes()


def write_mnist_like(root, folder, images, labels, prefix="train"):
    raw = Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    (raw / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))


IMAGES = np.arange(3 * 5 * 4, dtype=np.uint8).reshape(3, 5, 4) * 3
LABELS = np.array([9, 0, 4], np.uint8)


@pytest.mark.parametrize("cls, folder, classes", [
    (FashionMNIST, "FashionMNIST", ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                    "Sneaker", "Bag", "Ankle boot"]),
    (KMNIST, "KMNIST", ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]),
])
def test_mnist_format_datasets(tmp_path, cls, folder, classes):
    write_mnist_like(tmp_path, folder, IMAGES, LABELS, "train")
    write_mnist_like(tmp_path, folder, IMAGES[:1], LABELS[:1], "t10k")
    dataset = cls(str(tmp_path))
    assert dataset.classes == classes and dataset.class_to_idx[classes[4]] == 4
    assert len(dataset) == 3 and dataset.raw_folder == os.path.join(str(tmp_path), folder, "raw")
    image, target = dataset[2]
    assert image.mode == "L"  # a PIL image, as torchvision's
    np.testing.assert_array_equal(np.asarray(image), IMAGES[2])
    assert target == 4 and isinstance(target, int)
    assert len(cls(tmp_path, train=False)) == 1
    out, _ = cls(tmp_path, transform=transforms.ToTensor())[0]
    np.testing.assert_allclose(out.numpy(), IMAGES[:1].astype(np.float32) / 255)
    assert repr(dataset).startswith(f"Dataset {folder}\n    Number of datapoints: 3\n")
    # the folder name is the class's: MNIST's files are not these
    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(str(tmp_path))


@pytest.mark.parametrize("cls", [FashionMNIST, KMNIST])
def test_mnist_format_missing_downloads_only_when_asked(tmp_path, cls, monkeypatch):
    # as torchvision's, download=True fetches the files from the class's mirrors (here unreachable)
    import urllib.error
    import urllib.request

    asked = []

    def offline(request, *args, **kwargs):
        asked.append(request.full_url if hasattr(request, "full_url") else request)
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match="^Dataset not found. You can use download=True to download it$"):
        cls(str(tmp_path))
    assert asked == []
    with pytest.raises(RuntimeError, match="^Error downloading train-images-idx3-ubyte.gz:\nTried http"):
        cls(str(tmp_path), download=True)
    assert asked == [cls.mirrors[0] + "train-images-idx3-ubyte.gz"]
    with pytest.raises(TypeError):
        cls()  # root is required, as in torchvision


# ------------------------------------------------------------------------------------------ CIFAR
CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_pickle(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def cifar_rows(count, seed):
    return np.random.default_rng(seed).integers(0, 256, (count, 3072), dtype=np.uint8)


def write_cifar10(root, counts=(2, 1, 3, 1, 2), test_count=2):
    folder = Path(root) / "cifar-10-batches-py"
    batches = {}
    for k, count in enumerate(counts, start=1):
        rows = cifar_rows(count, k)
        labels = [(k + i) % 10 for i in range(count)]
        write_pickle(folder / f"data_batch_{k}", {"batch_label": f"training batch {k} of 5", "data": rows,
                                                   "labels": labels, "filenames": [f"f{i}.png" for i in range(count)]})
        batches[k] = (rows, labels)
    test_rows = cifar_rows(test_count, 99)
    write_pickle(folder / "test_batch", {"data": test_rows, "labels": [7] * test_count})
    write_pickle(folder / "batches.meta", {"label_names": CIFAR10_NAMES, "num_cases_per_batch": 10000,
                                           "num_vis": 3072})
    return batches, test_rows


def test_cifar10_reads_batches_in_order_as_hwc(tmp_path):
    batches, test_rows = write_cifar10(tmp_path)
    dataset = CIFAR10(str(tmp_path))
    assert len(dataset) == 9 and dataset.data.shape == (9, 32, 32, 3) and dataset.data.dtype == np.uint8
    assert dataset.classes == CIFAR10_NAMES and dataset.class_to_idx["truck"] == 9
    assert dataset.targets == [label for k in range(1, 6) for label in batches[k][1]]
    # row layout: 1024 red values, then green, then blue, each row-major over 32 x 32
    rows = batches[3][0]
    image, target = dataset[2 + 1 + 1]  # second image of batch 3
    assert target == batches[3][1][1]
    assert image.mode == "RGB" and image.size == (32, 32)  # a PIL image, as torchvision's
    for r, c, ch in [(0, 0, 0), (5, 17, 1), (31, 31, 2), (12, 3, 2)]:
        assert image.getpixel((c, r))[ch] == rows[1, ch * 1024 + r * 32 + c]
    test = CIFAR10(tmp_path, train=False, transform=transforms.ToTensor(), target_transform=lambda t: t + 100)
    out, target = test[1]
    assert target == 107 and tuple(out.shape) == (3, 32, 32)
    np.testing.assert_allclose(out.numpy(), test_rows[1].reshape(3, 32, 32).astype(np.float32) / 255)
    assert repr(test).splitlines()[:3] == ["Dataset CIFAR10", "    Number of datapoints: 2",
                                           f"    Root location: {tmp_path}"]
    assert "Split: Test" in repr(test)


def test_cifar100_uses_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    names = [f"class{i}" for i in range(100)]
    rows = cifar_rows(3, 5)
    write_pickle(folder / "train", {"data": rows, "fine_labels": [99, 0, 42], "coarse_labels": [1, 2, 3]})
    write_pickle(folder / "test", {"data": rows[:1], "fine_labels": [5], "coarse_labels": [0]})
    write_pickle(folder / "meta", {"fine_label_names": names, "coarse_label_names": ["c"] * 20})
    dataset = CIFAR100(tmp_path)
    assert dataset.targets == [99, 0, 42] and dataset.classes == names and len(CIFAR100(tmp_path, train=False)) == 1
    image, target = dataset[0]
    assert image.mode == "RGB" and type(target) is int and target == 99
    np.testing.assert_array_equal(np.asarray(image), rows[0].reshape(3, 32, 32).transpose(1, 2, 0))


def test_cifar_missing_files(tmp_path):
    for download in (False, True):
        with pytest.raises(RuntimeError, match="^Dataset not found or corrupted. You can use download=True to "
                                               "download it$"):
            CIFAR10(tmp_path, download=download)
    write_cifar10(tmp_path)
    os.remove(tmp_path / "cifar-10-batches-py" / "data_batch_4")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(tmp_path, train=False)  # torchvision checks every file of both splits
    write_cifar10(tmp_path)
    os.remove(tmp_path / "cifar-10-batches-py" / "batches.meta")
    with pytest.raises(RuntimeError, match="Dataset metadata file not found or corrupted"):
        CIFAR10(tmp_path)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo should-not-run",))


@pytest.mark.parametrize("entry, message", [
    ({"data": np.zeros((1, 3072), np.uint8), "labels": [0], "x": Boom()}, "forbidden"),
    ({"data": np.zeros((1, 3072), np.float32), "labels": [0]}, "N x 3072 uint8"),
    ({"data": np.zeros((1, 100), np.uint8), "labels": [0]}, "N x 3072 uint8"),
    ({"data": np.zeros((2, 3072), np.uint8), "labels": [0]}, "one label per image"),
    ({"data": np.zeros((1, 3072), np.uint8), "labels": [10]}, "labels must lie in 0 to 9"),
    ([1, 2], "expected a dict"),
])
def test_cifar_corrupt_or_hostile_files(tmp_path, entry, message):
    write_cifar10(tmp_path)
    write_pickle(tmp_path / "cifar-10-batches-py" / "test_batch", entry)
    with pytest.raises(RuntimeError, match=message):
        CIFAR10(tmp_path, train=False)


def test_cifar_truncated_pickle(tmp_path):
    write_cifar10(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_2"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RuntimeError, match="Corrupt CIFAR file .*data_batch_2"):
        CIFAR10(tmp_path)


def test_cifar_works_with_random_augmentation(tmp_path):
    write_cifar10(tmp_path)
    torchless.manual_seed(0)
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.RandomCrop(32, padding=4),
                                   transforms.RandomHorizontalFlip(), transforms.ColorJitter(0.2, 0.2, 0.2, 0.05)])
    image, _ = CIFAR10(tmp_path, transform=pipeline)[0]
    assert tuple(image.shape) == (3, 32, 32) and 0 <= image.numpy().min() and image.numpy().max() <= 1


# ------------------------------------------------------------------------------------------ PIL items
def write_cifar100(root, rows, labels):
    folder = Path(root) / "cifar-100-python"
    write_pickle(folder / "train", {"data": rows, "fine_labels": labels, "coarse_labels": [0] * len(labels)})
    write_pickle(folder / "test", {"data": rows[:1], "fine_labels": labels[:1], "coarse_labels": [0]})
    write_pickle(folder / "meta", {"fine_label_names": [f"class{i}" for i in range(100)],
                                   "coarse_label_names": ["c"] * 20})


def cifar_datasets(root):
    """(dataset, expected HWC uint8 images, expected targets) for fresh CIFAR10 and CIFAR100 files in root."""
    batches, _ = write_cifar10(root)
    rows = np.vstack([batches[k][0] for k in range(1, 6)])
    targets = [label for k in range(1, 6) for label in batches[k][1]]
    rows100, targets100 = cifar_rows(4, 7), [3, 98, 0, 51]
    write_cifar100(root, rows100, targets100)
    as_hwc = lambda r: r.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # noqa: E731
    return [(CIFAR10, as_hwc(rows), targets), (CIFAR100, as_hwc(rows100), targets100)]


def test_cifar_items_are_rgb_pil_images_and_ints(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    for cls, images, targets in cifar_datasets(tmp_path):
        dataset = cls(tmp_path)
        for index in (0, 2, -1):
            image, target = dataset[index]
            assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (32, 32)
            assert type(target) is int and target == targets[index]
            np.testing.assert_array_equal(np.asarray(image), images[index])
        from torchless.vision.transforms import v2
        for transform in (transforms.ToTensor(), transforms.PILToTensor(), v2.ToImage()):
            out, _ = cls(tmp_path, transform=transform)[1]
            assert tuple(out.shape) == (3, 32, 32)
            scale = 255 if transform.__class__.__name__ == "ToTensor" else 1
            np.testing.assert_allclose(out.numpy().astype(np.float64) * scale, images[1].transpose(2, 0, 1))


def test_cifar_pil_items_do_not_collate_like_torch(tmp_path):
    pytest.importorskip("PIL.Image")
    torch_data = pytest.importorskip("torch.utils.data")
    from torchless.utils.data import DataLoader
    for cls, images, _ in cifar_datasets(tmp_path):
        dataset = cls(tmp_path)
        with pytest.raises(TypeError) as expected:
            torch_data.default_collate([dataset[0], dataset[1]])
        for batch_size in (1, 3):
            with pytest.raises(TypeError) as info:
                next(iter(DataLoader(dataset, batch_size=batch_size)))
            assert str(info.value) == str(expected.value)
        # with ToTensor the batches are the images, scaled
        batch, _ = next(iter(DataLoader(cls(tmp_path, transform=transforms.ToTensor()), batch_size=3)))
        np.testing.assert_allclose(batch.numpy(), images[:3].transpose(0, 3, 1, 2).astype(np.float32) / 255)


@pytest.fixture
def no_pillow(monkeypatch):
    """Make ``import PIL`` fail, as when Pillow is not installed."""
    for name in [name for name in sys.modules if name == "PIL" or name.startswith("PIL.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError):
        from PIL import Image  # noqa: F401


def test_without_pillow_cifar_items_are_uint8_arrays(tmp_path, no_pillow):
    from torchless.utils.data import DataLoader
    for cls, images, targets in cifar_datasets(tmp_path):
        dataset = cls(tmp_path)
        image, target = dataset[1]
        assert isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == (32, 32, 3)
        np.testing.assert_array_equal(image, images[1])
        assert type(target) is int and target == targets[1]
        image[:] = 0  # a copy: the dataset is unchanged
        np.testing.assert_array_equal(dataset[1][0], images[1])
        batch, batch_targets = next(iter(DataLoader(dataset, batch_size=3)))  # arrays collate
        assert batch.dtype == torchless.uint8 and tuple(batch.shape) == (3, 32, 32, 3)
        np.testing.assert_array_equal(batch.numpy(), images[:3])
        assert batch_targets.tolist() == targets[:3]
        out, _ = cls(tmp_path, transform=transforms.ToTensor())[1]
        np.testing.assert_allclose(out.numpy(), images[1].transpose(2, 0, 1).astype(np.float32) / 255)


@pytest.mark.parametrize("cls, folder", [(FashionMNIST, "FashionMNIST"), (KMNIST, "KMNIST")])
def test_without_pillow_mnist_format_items_are_uint8_arrays(tmp_path, cls, folder, no_pillow):
    write_mnist_like(tmp_path, folder, IMAGES, LABELS, "train")
    image, target = cls(tmp_path)[2]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, IMAGES[2])
    assert type(target) is int and target == LABELS[2]
