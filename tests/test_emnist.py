"""torchless.vision.datasets.EMNIST on small IDX files written in tmp_path in torchvision's layout
(root/EMNIST/raw/emnist-<split>-<train|test>-...); nothing is downloaded."""
import gzip
import struct
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.utils.data import DataLoader
from torchless.vision import transforms
from torchless.vision.datasets import EMNIST, MNIST

DIGITS = list("0123456789")
CLASSES = {
    "byclass": DIGITS + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + list("abcdefghijklmnopqrstuvwxyz"),
    # letters whose two cases look alike keep only the capital
    "bymerge": DIGITS + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + list("abdefghnqrt"),
    "balanced": DIGITS + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + list("abdefghnqrt"),
    "letters": ["N/A"] + list("abcdefghijklmnopqrstuvwxyz"),
    "digits": DIGITS,
    "mnist": DIGITS,
}


def idx_bytes(array):
    array = np.asarray(array, np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes()


def write_split(root, split, part, images, labels, compress=True):
    raw = Path(root) / "EMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        name = f"emnist-{split}-{part}-{kind}-ubyte"
        if compress:
            (raw / (name + ".gz")).write_bytes(gzip.compress(idx_bytes(array)))
        else:
            (raw / name).write_bytes(idx_bytes(array))


def asymmetric_images(count):
    """28 x 28 images whose transpose differs from them: a bar along the top row, k + 1 pixels long."""
    images = np.zeros((count, 28, 28), np.uint8)
    for k in range(count):
        images[k, 0, :k + 1] = 255
        images[k, 5, 9] = 17 + k
    return images


@pytest.mark.parametrize("split", list(CLASSES))
def test_each_split_reads_its_files_and_names_its_classes(tmp_path, split):
    count = len(CLASSES[split])
    labels = np.arange(count, dtype=np.uint8)[::-1] if split != "letters" else np.arange(1, 27, dtype=np.uint8)
    images = asymmetric_images(len(labels))
    write_split(tmp_path, split, "train", images, labels)
    write_split(tmp_path, split, "test", images[:2], labels[:2])
    dataset = EMNIST(str(tmp_path), split=split)
    assert dataset.split == split and dataset.classes == CLASSES[split]
    assert dataset.class_to_idx == {name: i for i, name in enumerate(CLASSES[split])}
    assert len(dataset) == len(labels)
    assert dataset.targets.dtype == torchless.int64 and dataset.targets.tolist() == labels.tolist()
    image, target = dataset[3]
    assert image.mode == "L" and image.size == (28, 28)  # a PIL image, as torchvision's
    np.testing.assert_array_equal(np.asarray(image), images[3])
    assert target == labels[3] and isinstance(target, int)
    assert len(EMNIST(tmp_path, split, train=False)) == 2


def test_images_come_as_stored_like_torchvision(tmp_path):
    # torchvision's EMNIST does not transpose: the files' (transposed) characters come out unchanged
    images = asymmetric_images(3)
    write_split(tmp_path, "digits", "train", images, [4, 5, 6])
    dataset = EMNIST(tmp_path, "digits")
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    image = np.asarray(dataset[2][0])
    np.testing.assert_array_equal(image, images[2])
    assert image[0, 2] == 255 and image[2, 0] == 0
    upright = EMNIST(tmp_path, "digits", transform=transforms.Compose([
        transforms.ToTensor(), transforms.Lambda(lambda t: t.transpose(-1, -2))]))  # the recipe in the docstring
    tensor, _ = upright[2]
    np.testing.assert_allclose(tensor.numpy()[0], images[2].T / 255.0, rtol=1e-6)


def test_plain_files_transforms_and_batches(tmp_path):
    images = asymmetric_images(5)
    write_split(tmp_path, "letters", "test", images, [1, 26, 3, 4, 5], compress=False)
    dataset = EMNIST(tmp_path, "letters", train=False, transform=transforms.ToTensor(),
                     target_transform=lambda t: CLASSES["letters"][t])
    image, target = dataset[1]
    assert tuple(image.shape) == (1, 28, 28) and target == "z"
    np.testing.assert_allclose(image.numpy()[0], images[1] / 255.0, rtol=1e-6)
    batches = list(DataLoader(EMNIST(tmp_path, "letters", train=False, transform=transforms.ToTensor()),
                              batch_size=2))
    assert [tuple(b[0].shape) for b in batches] == [(2, 1, 28, 28), (2, 1, 28, 28), (1, 1, 28, 28)]
    assert torchless.cat([b[1] for b in batches]).tolist() == [1, 26, 3, 4, 5]
    np.testing.assert_allclose(batches[2][0].numpy()[0, 0], images[4] / 255.0, rtol=1e-6)


def test_attributes_and_repr(tmp_path):
    write_split(tmp_path, "mnist", "train", asymmetric_images(2), [0, 9])
    dataset = EMNIST(tmp_path, "mnist")
    assert isinstance(dataset, MNIST)
    raw = str(Path(tmp_path) / "EMNIST" / "raw")
    assert dataset.raw_folder == raw
    assert dataset.images_file == str(Path(raw) / "emnist-mnist-train-images-idx3-ubyte.gz")
    assert dataset.labels_file == str(Path(raw) / "emnist-mnist-train-labels-idx1-ubyte.gz")
    assert EMNIST.splits == ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    assert repr(dataset) == f"Dataset EMNIST\n    Number of datapoints: 2\n    Root location: {tmp_path}\n    Split: Train"


def test_unknown_split_is_torchvisions_value_error(tmp_path):
    with pytest.raises(ValueError) as raised:
        EMNIST(tmp_path, "Letters")
    assert str(raised.value) == ("Unknown value 'Letters' for argument split. Valid values are "
                                 "{'byclass', 'bymerge', 'balanced', 'letters', 'digits', 'mnist'}.")
    with pytest.raises(ValueError) as raised:
        EMNIST(tmp_path, 3)
    assert str(raised.value) == "Expected type str for argument split, but got type <class 'int'>."
    with pytest.raises(TypeError):
        EMNIST(tmp_path)  # split is required, as in torchvision


def test_missing_files_never_download(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("attempted a download")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    write_split(tmp_path, "digits", "train", asymmetric_images(1), [0])
    for split, train in [("letters", True), ("digits", False)]:  # another split's / part's files are not these
        for download in (False, True):
            with pytest.raises(RuntimeError, match="^Dataset not found. You can use download=True to download it$"):
                EMNIST(tmp_path, split, train=train, download=download)
    assert sorted(p.name for p in (tmp_path / "EMNIST" / "raw").iterdir()) == [
        "emnist-digits-train-images-idx3-ubyte.gz", "emnist-digits-train-labels-idx1-ubyte.gz"]


@pytest.mark.parametrize("split, bad_label", [("digits", 10), ("letters", 27), ("balanced", 47), ("byclass", 62)])
def test_labels_outside_the_splits_classes_are_corrupt(tmp_path, split, bad_label):
    write_split(tmp_path, split, "train", asymmetric_images(2), [1, bad_label])
    with pytest.raises(RuntimeError, match=f"label {bad_label} is not a class index"):
        EMNIST(tmp_path, split)
    write_split(tmp_path, split, "train", asymmetric_images(2), [1, bad_label - 1])
    assert EMNIST(tmp_path, split).targets.tolist() == [1, bad_label - 1]


def test_count_mismatch_names_the_files(tmp_path):
    write_split(tmp_path, "mnist", "train", asymmetric_images(3), [1, 2])
    with pytest.raises(RuntimeError, match="EMNIST files disagree: .*holds 3 images but .*holds 2 labels"):
        EMNIST(tmp_path, "mnist")
