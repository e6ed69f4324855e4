"""The MNIST handwritten-digit dataset with torchvision's interface, read from torchvision's folder layout.

Items are ``(image, target)`` as in torchvision: ``image`` a 28 x 28 ``PIL.Image.Image`` of mode ``"L"`` and
``target`` an ``int``. Pillow is not a core dependency of torchless: without it, ``image`` is the 28 x 28 uint8
NumPy array instead (``ToTensor``, ``PILToTensor`` and v2's ``ToImage`` turn either into the same tensor).
"""
import functools
import os
import pathlib
import warnings

import numpy as np

from ..._creation import as_tensor
from ..._tensor import Tensor
from ...utils.data.dataset import _index_array
from .._pillow import pil_image_or_none
from . import _idx
from .utils import verify_str_arg
from .vision import VisionDataset

_BUNDLED_ROOT = pathlib.Path(__file__).resolve().parent / "data"

# SHA-256 of the decompressed files: mirrors serve differently compressed copies of the same content.
_CONTENT_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def _verify_download(path, gz_md5, content_sha256=None):
    """Accept the upstream .gz (by MD5) or, when its content's SHA-256 is known, any gzip with that content; else
    ValueError."""
    from ._download import file_digest

    found_md5 = file_digest(path, "md5")
    if found_md5 == gz_md5:
        return
    if content_sha256 is None:
        raise ValueError(f"checksum mismatch: the file has MD5 {found_md5}, expected {gz_md5}")
    found = file_digest(path, "sha256", decompress=True)
    if found != content_sha256:
        raise ValueError(f"checksum mismatch: decompressed content has SHA-256 {found}, expected {content_sha256}")


class MNIST(VisionDataset):
    """The MNIST database of handwritten digits (LeCun, Cortes, Burges; CC BY-SA 3.0).

    Args:
        root (str or path, optional): directory holding ``MNIST/raw/`` with the IDX files
            ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (plain or ``.gz``). ``None`` uses the copy
            bundled with torchless.
        train (bool): the 60,000-image training set if ``True``, else the 10,000-image test set.
        transform (callable, optional): applied to each image: a 28 x 28 ``PIL.Image.Image`` of mode ``"L"``, or
            without Pillow installed the 28 x 28 uint8 NumPy array.
        target_transform (callable, optional): applied to each ``int`` target.
        download (bool): fetch missing files from ``mirrors`` into ``root/MNIST/raw`` first, verified.

    Attributes:
        data (Tensor): uint8, N x 28 x 28.  targets (Tensor): int64, N.  classes (list of str).

    Items are ``(image, target)``: ``image`` is a ``PIL.Image.Image`` of mode ``"L"`` as in torchvision when
    Pillow is importable, else the 28 x 28 uint8 NumPy array (Pillow is only in torchless's extras). Like
    torchvision's, the PIL images cannot be batched by ``DataLoader``'s default collate: give a ``transform``
    such as ``ToTensor()``. As torchvision's, it reads the ``(data, targets)`` tensors older torchvision saved in
    ``MNIST/processed/`` (``training.pt`` and ``test.pt``) instead when both are there. Unlike torchvision's, the
    IDX files may also be gzipped (``*.gz``) in ``raw/``, and only the chosen split's two files need be there
    (torchvision 0.29 wants all four, uncompressed, before it loads either split, and says "Dataset not found"
    otherwise).

    Raises:
        RuntimeError: "Dataset not found..." when the files are missing and ``download`` is False, or
            naming the file when one is corrupt or truncated.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    # mirrors serve MNIST's files compressed differently from the originals: their content is known as well
    _content_sha256 = _CONTENT_SHA256

    # the tensors torchvision before 0.9 saved in processed/, which torchvision still reads first when both are there
    training_file = "training.pt"
    test_file = "test.pt"

    _bundled_root = _BUNDLED_ROOT  # what ``root=None`` reads; the other MNIST-format datasets need a root

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        if root is None:
            if self._bundled_root is None:
                # (torchvision's root has no default; its subclasses' signatures are MNIST's)
                raise TypeError("MNIST.__init__() missing 1 required positional argument: 'root'")
            root = self._bundled_root
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():
            self.data, self.targets = self._load_legacy_data()
            return
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    def _check_legacy_exist(self):
        return all(os.path.isfile(os.path.join(self.processed_folder, name))
                   for name in (self.training_file, self.test_file))

    def _load_legacy_data(self):
        # (a pickle: read weights-only, as torchvision reads it, so that a planted file cannot run code)
        from ...serialization import load

        name = self.training_file if self.train else self.test_file
        return load(os.path.join(self.processed_folder, name), weights_only=True)

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _split_files(self):
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _find(self, name):
        """The path of ``name`` in the raw folder, plain or gzipped, or None."""
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _check_exists(self):
        return all(self._find(name) is not None for name in self._split_files())

    def _load_data(self):
        image_path, label_path = (self._find(name) for name in self._split_files())
        images = _idx.read_idx(image_path, _idx.IMAGES_MAGIC)
        labels = _idx.read_idx(label_path, _idx.LABELS_MAGIC)
        if len(images) != len(labels):
            raise RuntimeError(f"{self.__class__.__name__} files disagree: {image_path} holds {len(images)} images but {label_path} "
                               f"holds {len(labels)} labels")
        if labels.size and labels.max() >= len(self.classes):
            raise RuntimeError(f"Corrupt IDX file {label_path}: label {labels.max()} is not a class index "
                               f"(0 to {len(self.classes) - 1})")
        return Tensor._wrap(images), Tensor._wrap(labels.astype(np.int64))

    def download(self):
        """Fetch the files missing from ``raw_folder`` from ``mirrors``, each verified before it is kept."""
        from ._download import download_from_mirrors

        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            name = filename[:-len(".gz")]
            if self._find(name) is None:
                verify = functools.partial(_verify_download, gz_md5=md5,
                                           content_sha256=self._content_sha256.get(name))
                download_from_mirrors(self.mirrors, filename, self.raw_folder, verify)

    def __getitem__(self, index):
        """``(image, target)``: a 28 x 28 PIL image of mode ``"L"`` (a uint8 array without Pillow), after
        ``transform``, and an int (after ``target_transform``)."""
        img, target = self.data[index].numpy().copy(), int(self.targets[index])
        pil = pil_image_or_none()
        if pil is not None:
            img = pil.fromarray(img)  # uint8 H x W: mode "L" (fromarray's mode= is deprecated)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def _get_batch(self, indices):
        """``default_collate([self[i] for i in indices])`` computed for the whole batch at once.

        NotImplemented unless the transform can act on a batch (``ToTensor``/``Normalize``/``Compose`` of
        those) and there is no target transform -- nor when the items stay PIL images (no transform, or one
        that makes no tensor, like an empty ``Compose``), which default_collate refuses.
        """
        index = _index_array(indices)
        if index is None or self.target_transform is not None:
            return NotImplemented
        if index.size and (index.min() < -len(self.data) or index.max() >= len(self.data)):
            return NotImplemented  # item by item, for the tensor's IndexError (NumPy words it differently)
        images = np.asarray(self.data)[index]
        if self.transform is not None:
            apply = getattr(self.transform, "_apply_to_batch", None)
            images = NotImplemented if apply is None else apply(images)
            if images is NotImplemented:
                return NotImplemented
        if not isinstance(images, Tensor):
            if pil_image_or_none() is not None:
                return NotImplemented
            images = as_tensor(np.asarray(images))
        return [images, as_tensor(np.asarray(self.targets)[index].astype(np.int64))]

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"

    def _renamed(self, old, new):
        # torchvision's property warns naming its own line: shown once per process, whatever line reads it
        warnings.warn(f"{old} has been renamed {new}")
        return getattr(self, new)

    train_labels = property(lambda self: self._renamed("train_labels", "targets"))
    test_labels = property(lambda self: self._renamed("test_labels", "targets"))
    train_data = property(lambda self: self._renamed("train_data", "data"))
    test_data = property(lambda self: self._renamed("test_data", "data"))


class _LocalOnlyMNIST(MNIST):
    """An MNIST-format dataset read from ``root/<ClassName>/raw`` that torchless does not download (torchvision
    unpacks its archives): ``download=True`` only leads to the same "Dataset not found" error when files are
    missing."""

    _bundled_root = None

    def download(self):
        pass


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando; MIT licence): 28 x 28 greyscale images of clothes in 10 classes, MNIST's format.

    Args:
        root (str or path): directory holding ``FashionMNIST/raw/`` with the four IDX files (plain or ``.gz``).
        train (bool): the training set (60,000 images) if ``True``, else the test set (10,000).
        transform (callable, optional): applied to each image (PIL image, or array without Pillow).
        target_transform (callable, optional): applied to each ``int`` target.
        download (bool): fetch missing files from ``mirrors`` into ``root/FashionMNIST/raw`` first, each checked
            against the MD5 of ``resources`` (torchvision's).
    """

    _bundled_root = None
    _content_sha256 = {}
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (CODH; CC BY-SA 4.0): 28 x 28 greyscale cursive Japanese characters in 10 classes.

    Args:
        root (str or path): directory holding ``KMNIST/raw/`` with the four IDX files (plain or ``.gz``).
        train (bool): the training set (60,000 images) if ``True``, else the test set (10,000).
        transform (callable, optional): applied to each image (PIL image, or array without Pillow).
        target_transform (callable, optional): applied to each ``int`` target.
        download (bool): fetch missing files from ``mirrors`` into ``root/KMNIST/raw`` first, each checked
            against the MD5 of ``resources`` (torchvision's).
    """

    _bundled_root = None
    _content_sha256 = {}
    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class QMNIST(_LocalOnlyMNIST):
    """QMNIST (Yadav and Bottou, 2019; BSD licence): MNIST's digits rebuilt from NIST, with 60,000 test images
    and, per image, eight label fields (class, NIST writer, ...), read from the files of ``root/QMNIST/raw``.

    Args:
        root (str or path): directory holding ``QMNIST/raw/`` with ``qmnist-{train,test}-images-idx3-ubyte`` and
            ``qmnist-{train,test}-labels-idx2-int`` (``xnist-...`` for ``what="nist"``), plain or ``.gz``.
        what (str, optional): ``"train"``, ``"test"`` (60,000 images), ``"test10k"`` (the first 10,000, MNIST's
            test set), ``"test50k"`` (the other 50,000) or ``"nist"``; default ``"train"`` or ``"test"`` as
            ``train`` says.
        compat (bool): targets are the class ``int`` if True, else the int64 tensor of the 8 label fields.
        train (bool): the subset when ``what`` is None.
        transform, target_transform (callable, optional), download (bool): as for ``MNIST``; nothing is
            downloaded.
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test", "nist": "nist"}
    # torchvision's sources of each subset's files (torchless reads them from raw/, and downloads nothing)
    _QMNIST_URL = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
    resources = {
        "train": [(_QMNIST_URL + "qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
                  (_QMNIST_URL + "qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4")],
        "test": [(_QMNIST_URL + "qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
                 (_QMNIST_URL + "qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa")],
        "nist": [(_QMNIST_URL + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
                 (_QMNIST_URL + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d")],
    }
    # the halves of the test files the two smaller test subsets keep
    _test_rows = {"test10k": slice(0, 10000), "test50k": slice(10000, None)}

    def __init__(self, root, what=None, compat=True, train=True, **kwargs):
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets))
        self.compat = compat
        self.data_file = what + ".pt"
        self.training_file = self.test_file = self.data_file
        super().__init__(root, train, **kwargs)

    def _split_files(self):
        prefix = "xnist" if self.what == "nist" else f"qmnist-{self.subsets[self.what]}"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx2-int"

    @property
    def images_file(self):
        return os.path.join(self.raw_folder, self._split_files()[0])

    @property
    def labels_file(self):
        return os.path.join(self.raw_folder, self._split_files()[1])

    def _load_data(self):
        image_path, label_path = (self._find(name) for name in self._split_files())
        images = _idx.read_idx(image_path, _idx.IMAGES_MAGIC)
        targets = _idx.read_idx(label_path, _idx.INT_TABLE_MAGIC).astype(np.int64)
        rows = self._test_rows.get(self.what, slice(None))
        return Tensor._wrap(np.ascontiguousarray(images[rows])), Tensor._wrap(np.ascontiguousarray(targets[rows]))

    def __getitem__(self, index):
        """``(image, target)``: a 28 x 28 PIL image of mode ``"L"`` after ``transform``, and the class ``int``
        (``compat``) or the int64 tensor of the 8 label fields, after ``target_transform``."""
        img, target = self.data[index].numpy().copy(), self.targets[index]
        pil = pil_image_or_none()
        if pil is not None:
            img = pil.fromarray(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.compat:
            target = int(target[0])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _get_batch(self, indices):
        return NotImplemented  # the targets are rows of label fields: items one by one

    def extra_repr(self):
        return f"Split: {self.what}"
