"""EMNIST (Cohen, Afshar, Tapson, van Schaik, 2017): NIST handwritten digits and letters in MNIST's format,
read from the files torchvision unpacks into ``root/EMNIST/raw``."""
import os
import string

from .mnist import _LocalOnlyMNIST
from .utils import verify_str_arg


class EMNIST(_LocalOnlyMNIST):
    """The EMNIST dataset: 28 x 28 greyscale characters in six splits.

    Items are ``(image, target)`` as for ``MNIST``: a 28 x 28 ``PIL.Image.Image`` of mode ``"L"`` (the uint8
    NumPy array when Pillow is not installed) and an ``int``. As in torchvision, images come exactly as stored
    in the files, which hold each character transposed (rows and columns swapped) --
    ``transforms.Lambda(lambda t: t.transpose(-1, -2))`` after ``ToTensor`` turns them upright.

    Args:
        root (str or path): directory holding ``EMNIST/raw/`` with the IDX files
            ``emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte`` (plain or ``.gz``), the layout
            torchvision's download leaves.
        split (string): The dataset has 6 different splits: ``byclass``, ``bymerge``,
            ``balanced``, ``letters``, ``digits`` and ``mnist``. This argument specifies
            which one to use.
        **kwargs: ``MNIST``'s, by keyword: ``train`` (bool: the split's training set if ``True``, else its test
            set), ``transform`` (applied to each image: PIL image, or array without Pillow), ``target_transform``
            (applied to each ``int`` target) and ``download`` (accepted for compatibility; nothing is downloaded).

    Attributes:
        data (Tensor): uint8, N x 28 x 28.  targets (Tensor): int64, N.
        classes (list of str): the split's class names, ``classes_split_dict[split]``.

    Raises:
        ValueError: "Unknown value '...' for argument split. Valid values are {...}." for an unknown split.
        RuntimeError: "Dataset not found..." when the split's files are missing, or naming a corrupt file.
    """

    # torchvision's archive of all the splits (torchless reads the files it unpacks, and downloads nothing)
    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # bymerge and balanced merge the letters whose upper and lower case look alike into one class
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),  # letter labels start at 1
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split, **kwargs):
        self.split = verify_str_arg(split, "split", self.splits)
        # the names of torchvision's legacy processed files of the split (torchless never reads them)
        self.training_file, self.test_file = f"training_{split}.pt", f"test_{split}.pt"
        self.classes = self.classes_split_dict[self.split]  # before loading: labels are checked against it
        super().__init__(root, **kwargs)

    @property
    def _file_prefix(self):
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    def _split_files(self):
        return f"{self._file_prefix}-images-idx3-ubyte", f"{self._file_prefix}-labels-idx1-ubyte"

    @property
    def images_file(self):
        name = self._split_files()[0]
        return self._find(name) or os.path.join(self.raw_folder, name)

    @property
    def labels_file(self):
        name = self._split_files()[1]
        return self._find(name) or os.path.join(self.raw_folder, name)
