"""Regressions found by the data29 session: torchless.vision's MNIST-format datasets and transforms against
torchvision 0.29.

Differences fixed:

- FashionMNIST and KMNIST have torchvision's ``mirrors`` and ``resources`` and download like MNIST (each file
  checked against torchvision's MD5 before it is kept), where torchless had empty lists and ``download=True`` did
  nothing; EMNIST has torchvision's ``url`` / ``md5`` and QMNIST its ``resources`` (both still read only the files
  torchvision unpacks).
- FashionMNIST, KMNIST, EMNIST and QMNIST hand their keywords on to ``MNIST.__init__`` as torchvision's do: an
  unknown keyword (``transforms=``, say) is MNIST's TypeError, and EMNIST takes ``root`` and ``split`` alone by
  position (torchless named its private base class, or EMNIST, and took EMNIST's ``train`` by position); only MNIST
  needs no root in torchless (the bundled copy), the others' missing root is MNIST's TypeError, as there.
- ``datasets.utils`` has torchvision's ``calculate_md5``, ``check_md5``, ``check_integrity``, ``list_dir`` and
  ``list_files`` (which custom datasets import).
- v1's tensor warps (rotate, affine, perspective) warn "Argument fill should be either int, float, tuple or list"
  for any other fill (a NumPy number or a one-element tensor, which work), as torchvision's
  ``_assert_grid_transform_inputs`` does.
- v2's FiveCrop and TenCrop warn that they pass KeyPoints through.
- ``to_tensor`` takes torchvision's tensor steps (from_numpy, permute, contiguous, then the uint8 division), so that
  a one-channel image keeps the channel stride 1 of its permuted view (torchless gave C order's H * W), and
  ``convert_image_dtype`` (v1 and v2, and v2's ``to_dtype`` with ``scale=True``) lays its result out as the image
  (torchless: C order). An empty H x W array standing in for a PIL image goes through ``pil_to_tensor`` (torchless
  raised NumPy's reshape error).

The cases are recorded by ``fixtures/torchvision/make_data29.py`` into ``fixtures/torchvision/data29``: each is a
Python expression evaluated there with torchvision and here with torchless, which must give the same result
(integer pixels exactly) or raise the same exception with the same message.
"""
import gzip
import hashlib
import shutil

import numpy as np
import pytest

import torchless
import torchless.vision.datasets as datasets
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.utils as U
from torchless.vision import tv_tensors
from torchless.vision.datasets import mnist
from torchless.vision.transforms import v2

pytest.importorskip("PIL.Image")  # the photo is a PNG

from torchvision_cases import check_case, load_record, recorded_namespace  # noqa: E402  (after the skip)

RECORD, ARRAYS, CASES = load_record("data29")


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_data29", torchless, T, v2, tv_tensors, tio, U, datasets,
                              tmp_path_factory.mktemp("data29"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_data29.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert CASES["datasets_0"]["raises"] == ["TypeError", "MNIST.__init__() got an unexpected keyword argument "
                                                          "'transforms'"]
    warned = CASES["fill_0_5_1"]["result"]["items"][1]["items"]
    assert warned == [{"value": "Argument fill should be either int, float, tuple or list"}]


# ------------------------------------------------------------------------------ downloads from local mirrors
def _idx(array, magic):
    array = np.asarray(array, np.uint8)
    return bytes([0, 0, 8, magic]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape) + array.tobytes()


@pytest.fixture
def served(tmp_path):
    """good/: the four files of a 3-image split (gzipped); bad/: the same names with other content."""
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (3, 28, 28)), [3, 1, 4]
    for folder in ("good", "bad"):
        (tmp_path / folder).mkdir()
    for prefix in ("train", "t10k"):
        for kind, content in (("images-idx3", _idx(images, 3)), ("labels-idx1", _idx(labels, 1))):
            name = f"{prefix}-{kind}-ubyte.gz"
            (tmp_path / "good" / name).write_bytes(gzip.compress(content, mtime=0))
            (tmp_path / "bad" / name).write_bytes(gzip.compress(b"something else", mtime=0))
    return tmp_path, images, labels


@pytest.mark.parametrize("cls", [datasets.FashionMNIST, datasets.KMNIST])
def test_mnist_format_datasets_download_and_check_md5(cls, served, monkeypatch):
    folder, images, labels = served
    good = folder / "good"
    resources = [(path.name, hashlib.md5(path.read_bytes()).hexdigest()) for path in sorted(good.iterdir())]
    monkeypatch.setattr(cls, "resources", resources)
    monkeypatch.setattr(cls, "mirrors", [(folder / "bad").as_uri() + "/", good.as_uri() + "/"])
    root = folder / "root"
    dataset = cls(str(root), train=False, download=True, transform=T.PILToTensor())
    assert sorted(p.name for p in (root / cls.__name__ / "raw").iterdir()) == [name for name, _ in resources]
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    assert [dataset[i][1] for i in range(3)] == labels
    np.testing.assert_array_equal(dataset[2][0].numpy()[0], images[2])
    # nothing is fetched again once the files are there
    monkeypatch.setattr(cls, "mirrors", [])
    assert len(cls(str(root), download=True)) == 3


def test_a_bad_copy_is_refused_by_its_md5(served, monkeypatch):
    folder, _, _ = served
    path = folder / "good" / "train-images-idx3-ubyte.gz"
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    monkeypatch.setattr(datasets.FashionMNIST, "resources", [(path.name, md5)])
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [(folder / "bad").as_uri() + "/"])
    root = folder / "root"
    with pytest.raises(RuntimeError) as raised:
        datasets.FashionMNIST(str(root), download=True)
    bad_md5 = hashlib.md5((folder / "bad" / path.name).read_bytes()).hexdigest()
    assert raised.value.args[0] == (f"Error downloading {path.name}:\nTried {(folder / 'bad').as_uri()}/, got:\n"
                                    f"checksum mismatch: the file has MD5 {bad_md5}, expected {md5}\n")
    assert list((root / "FashionMNIST" / "raw").iterdir()) == []


def test_fashion_mnist_never_takes_mnists_content_for_its_own(tmp_path, monkeypatch):
    # MNIST accepts a recompressed copy of its known content; FashionMNIST's files share MNIST's names, not that
    shutil.copytree(mnist._BUNDLED_ROOT / "MNIST" / "raw", tmp_path / "served")
    recompressed = tmp_path / "served" / "t10k-labels-idx1-ubyte.gz"
    recompressed.write_bytes(gzip.compress(gzip.decompress(recompressed.read_bytes()), compresslevel=1, mtime=0))
    monkeypatch.setattr(datasets.FashionMNIST, "resources", [(recompressed.name, "0" * 32)])
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [(tmp_path / "served").as_uri() + "/"])
    with pytest.raises(RuntimeError, match="checksum mismatch: the file has MD5"):
        datasets.FashionMNIST(str(tmp_path / "root"), download=True)
    monkeypatch.setattr(datasets.MNIST, "resources", [(recompressed.name, "0" * 32)])
    monkeypatch.setattr(datasets.MNIST, "mirrors", [(tmp_path / "served").as_uri() + "/"])
    with pytest.raises(RuntimeError, match="^Dataset not found"):  # the label file alone is no split
        datasets.MNIST(str(tmp_path / "root"), download=True)
    assert [p.name for p in (tmp_path / "root" / "MNIST" / "raw").iterdir()] == [recompressed.name]


def test_mnist_alone_reads_the_bundled_copy_without_a_root():
    assert len(datasets.MNIST(train=False)) == 10000
    for cls in (datasets.FashionMNIST, datasets.KMNIST):
        with pytest.raises(TypeError, match=r"^MNIST.__init__\(\) missing 1 required positional argument: 'root'$"):
            cls(None)


@pytest.mark.parametrize("shape", [(0, 5), (4, 0), (0, 5, 3), (4, 5), (4, 5, 2)])
def test_pil_to_tensor_of_empty_arrays(shape):
    # (an array standing in for a PIL image: torchless's extension) its H x W x C transposed, a new channel axis for
    # an H x W one
    array = np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape)
    expected = (array[:, :, None] if array.ndim == 2 else array).transpose(2, 0, 1)
    got = T.functional.pil_to_tensor(array)
    assert got.dtype == torchless.uint8
    np.testing.assert_array_equal(got.numpy(), expected)
