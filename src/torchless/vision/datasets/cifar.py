"""CIFAR-10 and CIFAR-100 with torchvision's interface, read from the official python-pickle batches.

Items are ``(image, target)`` as in torchvision: ``image`` a 32 x 32 ``PIL.Image.Image`` of mode ``"RGB"``
and ``target`` an ``int``. Pillow is not a core dependency of torchless: without it, ``image`` is the
32 x 32 x 3 uint8 NumPy array (HWC) instead (``ToTensor`` turns either into the same 3 x 32 x 32 float
tensor in [0, 1]). Nothing is downloaded.

The batches are pickles, and unpickling can run arbitrary code. Only the expected file names are opened,
and through an unpickler that resolves no global but the NumPy array-rebuilding functions the official
files use (and a latin-1-only ``_codecs.encode`` for bytes pickled by Python 3), so a planted file cannot execute anything.
"""
import os
import pickle

import numpy as np

from .._pillow import pil_image_or_none
from .vision import VisionDataset

_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}


def _latin1_encode(text, encoding):
    # Python 3 writes bytes into protocol-2 pickles as _codecs.encode(text, "latin1"); other codecs (zlib,
    # bz2, ...) could inflate data, so only that one is honoured.
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"codec {encoding!r} is forbidden in a CIFAR batch")
    return text.encode("latin1")


class _ArrayOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        if (module, name) == ("_codecs", "encode"):
            return _latin1_encode
        raise pickle.UnpicklingError(f"global '{module}.{name}' is forbidden in a CIFAR batch")


def _load_batch(path):
    try:
        with open(path, "rb") as f:
            entry = _ArrayOnlyUnpickler(f, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise RuntimeError(f"Corrupt CIFAR file {path}: {error}") from error
    if not isinstance(entry, dict):
        raise RuntimeError(f"Corrupt CIFAR file {path}: expected a dict, found {type(entry).__name__}")
    return entry


class CIFAR10(VisionDataset):
    """CIFAR-10 (Krizhevsky, 2009): 60,000 32 x 32 colour images in 10 classes.

    Args:
        root (str or path): directory holding ``cifar-10-batches-py/`` (``data_batch_1`` to ``data_batch_5``,
            ``test_batch``, ``batches.meta``).
        train (bool): the 50,000 training images if ``True``, else the 10,000 test images.
        transform (callable, optional): applied to each image: a 32 x 32 ``PIL.Image.Image`` of mode ``"RGB"``,
            or without Pillow installed the 32 x 32 x 3 uint8 NumPy array.
        target_transform (callable, optional): applied to each ``int`` target.
        download (bool): accepted for compatibility; nothing is downloaded.

    Attributes:
        data (numpy.ndarray): uint8, N x 32 x 32 x 3.  targets (list of int).  classes (list of str).

    Items are ``(image, target)``: ``image`` is a ``PIL.Image.Image`` of mode ``"RGB"`` as in torchvision when
    Pillow is importable, else the 32 x 32 x 3 uint8 NumPy array (Pillow is only in torchless's extras). Like
    torchvision's, the PIL images cannot be batched by ``DataLoader``'s default collate: give a ``transform``
    such as ``ToTensor()``.

    Raises:
        RuntimeError: "Dataset not found or corrupted..." when a file is missing, or naming a corrupt file.
    """

    base_folder = "cifar-10-batches-py"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    _labels_key = "labels"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        # MD5s are not checked: the files are only ever read as arrays (see the module docstring), and
        # checking would reject the small stand-in files tests build.
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")
        data, self.targets = [], []
        for file_name, _ in (self.train_list if self.train else self.test_list):
            path = os.path.join(self.root, self.base_folder, file_name)
            entry = _load_batch(path)
            images, labels = entry.get("data"), entry.get(self._labels_key)
            if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 2 \
                    or images.shape[1] != 3 * 32 * 32:
                raise RuntimeError(f"Corrupt CIFAR file {path}: 'data' is not an N x 3072 uint8 array")
            if labels is None or len(labels) != len(images):
                raise RuntimeError(f"Corrupt CIFAR file {path}: '{self._labels_key}' does not give one label per "
                                   "image")
            data.append(images)
            self.targets.extend(int(label) for label in labels)
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))  # CHW rows to HWC images
        self._load_meta()
        if self.targets and not 0 <= min(self.targets) <= max(self.targets) < len(self.classes):
            raise RuntimeError(f"Corrupt CIFAR files: labels must lie in 0 to {len(self.classes) - 1}")

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not os.path.isfile(path):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use download=True to download it")
        names = _load_batch(path).get(self.meta["key"])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise RuntimeError(f"Corrupt CIFAR file {path}: '{self.meta['key']}' is not a list of names")
        self.classes = names
        self.class_to_idx = {_class: i for i, _class in enumerate(self.classes)}

    def _check_integrity(self):
        return all(os.path.isfile(os.path.join(self.root, self.base_folder, name))
                   for name, _ in self.train_list + self.test_list)

    def __getitem__(self, index):
        """``(image, target)``: a 32 x 32 RGB PIL image (a 32 x 32 x 3 uint8 array without Pillow), after
        ``transform``, and an int (after ``target_transform``)."""
        img, target = np.array(self.data[index]), self.targets[index]
        pil = pil_image_or_none()
        if pil is not None:
            img = pil.fromarray(img)  # uint8 H x W x 3: mode "RGB"
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def download(self):
        """Not supported: torchless reads local files only."""

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: like ``CIFAR10`` with 100 fine classes, read from ``root/cifar-100-python/`` (``train``,
    ``test``, ``meta``); targets are the fine labels."""

    base_folder = "cifar-100-python"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfbbe3ae5ddb"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}
    _labels_key = "fine_labels"
