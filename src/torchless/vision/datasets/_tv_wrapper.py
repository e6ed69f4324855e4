"""``wrap_dataset_for_transforms_v2``: a dataset whose samples the v2 transforms take whole. For the
classification datasets (MNIST and its kin, CIFAR, ImageFolder / DatasetFolder) the samples are left as they are
and the dataset's ``transforms`` are applied to the whole ``(image, target)``, as torchvision's wrapper does."""
import collections.abc
import contextlib
from copy import copy

from .cifar import CIFAR10, CIFAR100
from .folder import DatasetFolder, ImageFolder
from .mnist import MNIST, FashionMNIST
from .vision import VisionDataset

_CLASSIFICATION = (CIFAR10, CIFAR100, MNIST, FashionMNIST, DatasetFolder, ImageFolder)


def wrap_dataset_for_transforms_v2(dataset, target_keys=None):
    """Wrap a dataset for ``transforms.v2``: its ``transforms`` (or ``transform`` / ``target_transform``) then
    run on each whole sample. torchless wraps the classification datasets (their samples unchanged).

    Raises:
        ValueError: for ``target_keys`` neither None, "all" nor a collection of strings, or given at all for
            a classification dataset.
        TypeError: for an object that is not a VisionDataset, or a dataset with no wrapper.
    """
    if not (target_keys is None or target_keys == "all" or (
            isinstance(target_keys, collections.abc.Collection) and all(isinstance(key, str) for key in target_keys))):
        raise ValueError(f"`target_keys` can be None, 'all', or a collection of strings denoting the keys to be "
                         f"returned, but got {target_keys}")
    wrapped_cls = type(f"Wrapped{type(dataset).__name__}", (VisionDatasetTVTensorWrapper, type(dataset)), {})
    return wrapped_cls(dataset, target_keys)


class VisionDatasetTVTensorWrapper:
    def __init__(self, dataset, target_keys):
        dataset_cls = type(dataset)
        if not isinstance(dataset, VisionDataset):
            raise TypeError(
                f"This wrapper is meant for subclasses of `torchvision.datasets.VisionDataset`, "
                f"but got a '{dataset_cls.__name__}' instead.\n"
                f"For an example of how to perform the wrapping for custom datasets, see\n\n"
                "https://pytorch.org/vision/main/auto_examples/plot_tv_tensors.html"
                "#do-i-have-to-wrap-the-output-of-the-datasets-myself")
        for cls in dataset_cls.mro():
            if cls in _CLASSIFICATION:
                if target_keys is not None:
                    raise ValueError(f"`target_keys` is currently only supported for `CocoDetection`, `VOCDetection`, "
                                     f"`Kitti`, and `WIDERFace`, but got {cls.__name__}.")
                break
            if cls is VisionDataset:
                from .. import datasets

                message = (f"No wrapper exists for dataset class {dataset_cls.__name__}. Please wrap the output "
                           "yourself.")
                if dataset_cls in vars(datasets).values():
                    message = (f"{message} If an automated wrapper for this dataset would be useful for you, please "
                               "open an issue at https://github.com/pytorch/vision/issues.")
                raise TypeError(message)
        self._dataset = dataset
        self._target_keys = target_keys
        self.transform, dataset.transform = dataset.transform, None
        self.target_transform, dataset.target_transform = dataset.target_transform, None
        self.transforms, dataset.transforms = dataset.transforms, None

    def __getattr__(self, item):
        with contextlib.suppress(AttributeError):
            return object.__getattribute__(self, item)
        return getattr(self._dataset, item)

    def __getitem__(self, idx):
        sample = self._dataset[idx]
        if self.transforms is not None:
            sample = self.transforms(*sample)
        return sample

    def __len__(self):
        return len(self._dataset)

    def __reduce__(self):
        dataset = copy(self._dataset)
        dataset.transform = self.transform
        dataset.transforms = self.transforms
        dataset.target_transform = self.target_transform
        return wrap_dataset_for_transforms_v2, (dataset, self._target_keys)
