"""Datasets read from a folder per class (``root/<class>/<file>``), as torchvision's ``DatasetFolder`` and
``ImageFolder``. Images are opened with Pillow (the ``[viz]`` extra), imported only when one is loaded."""
import os

from .._pillow import require_pil_image
from .vision import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions):
    """Whether ``filename`` ends, case-insensitively, with one of ``extensions`` (a string or a tuple)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename):
    """Whether ``filename`` has one of ``IMG_EXTENSIONS``."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """The sub-folders of ``directory``, sorted, as ``(classes, class_to_idx)``.

    Raises:
        FileNotFoundError: if ``directory`` has no sub-folder.
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: index for index, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None, allow_empty=False):
    """The ``(path, class_index)`` samples under ``directory``: classes in sorted order, and within each
    class folder (walked recursively, following links) the files in sorted order.

    Args:
        directory (str or path): root directory.
        class_to_idx (dict, optional): class folder name -> class index; ``find_classes`` by default.
        extensions (str or tuple of str, optional): keep files with these extensions ...
        is_valid_file (callable, optional): ... or the paths this accepts; exactly one of the two is given.
        allow_empty (bool): if False, a class folder without any valid file is an error.

    Raises:
        ValueError: if ``class_to_idx`` is empty, or ``extensions`` and ``is_valid_file`` are both None or
            both given.
        FileNotFoundError: if a class has no valid file and ``allow_empty`` is False.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)

    instances, found_classes = [], set()
    for class_name in sorted(class_to_idx):
        class_dir = os.path.join(directory, class_name)
        if not os.path.isdir(class_dir):
            continue
        for folder, _, file_names in sorted(os.walk(class_dir, followlinks=True)):
            for file_name in sorted(file_names):
                path = os.path.join(folder, file_name)
                if is_valid_file(path):
                    instances.append((path, class_to_idx[class_name]))
                    found_classes.add(class_name)

    empty_classes = set(class_to_idx) - found_classes
    if empty_classes and not allow_empty:
        message = f"Found no valid file for the classes {', '.join(sorted(empty_classes))}. "
        if extensions is not None:
            listed = extensions if isinstance(extensions, str) else ", ".join(extensions)
            message += f"Supported extensions are: {listed}"
        raise FileNotFoundError(message)
    return instances


class DatasetFolder(VisionDataset):
    """A generic data loader where the samples are arranged in this way by default: ::

        root/class_x/xxx.ext
        root/class_x/xxy.ext
        root/class_x/[...]/xxz.ext

        root/class_y/123.ext
        root/class_y/nsdf3.ext
        root/class_y/[...]/asd932_.ext

    Override ``find_classes`` and ``make_dataset`` to read another layout.

    Args:
        root (str or path): Root directory path.
        loader (callable): A function to load a sample given its path.
        extensions (tuple[string]): A list of allowed extensions; exclusive with ``is_valid_file``.
        transform (callable, optional): A function/transform that takes in a sample and returns a
            transformed version. E.g, ``transforms.RandomCrop`` for images.
        target_transform (callable, optional): A function/transform that takes in the target and transforms it.
        is_valid_file (callable, optional): A function that takes the path of a file and checks if the file is
            a valid file (to skip corrupt files); exclusive with ``extensions``.
        allow_empty (bool, optional): If True, empty folders are considered to be valid classes.
            An error is raised on empty folders if False (default).

    Attributes:
        classes (list): List of the class names sorted alphabetically.
        class_to_idx (dict): Dict with items (class_name, class_index).
        samples (list): List of (sample path, class_index) tuples
        targets (list): The class_index value for each image in the dataset
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None, is_valid_file=None,
                 allow_empty=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx=class_to_idx, extensions=extensions,
                                    is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [target for _, target in samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False):
        """The ``(path, class_index)`` samples: ``make_dataset`` with a required ``class_to_idx``.

        Raises:
            ValueError: if ``class_to_idx`` is None -- the module function would then use ``find_classes``
                instead of this class's (possibly overridden) method.
        """
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions=extensions, is_valid_file=is_valid_file,
                            allow_empty=allow_empty)

    def find_classes(self, directory):
        """``(classes, class_to_idx)`` of ``directory``: its sub-folders, sorted (see ``find_classes``)."""
        return find_classes(directory)

    def __getitem__(self, index):
        """``(sample, target)``: the loaded file (after ``transform``) and its class index (after ``target_transform``)."""
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self):
        return len(self.samples)


def pil_loader(path):
    """The image at ``path`` as an RGB ``PIL.Image``, its file closed (needs Pillow)."""
    image_module = require_pil_image()
    with open(path, "rb") as f:  # an explicit open closes the file, which Image.open alone leaves to the GC
        return image_module.open(f).convert("RGB")


def accimage_loader(path):
    """The image at ``path`` loaded by accimage, as torchvision's loader for its accimage backend (which
    torchless does not have: it raises the ImportError of ``import accimage`` unless accimage is installed);
    Pillow's when accimage cannot decode the file."""
    import accimage

    try:
        return accimage.Image(path)
    except OSError:
        return pil_loader(path)


def default_loader(path):
    """The image at ``path`` loaded by the backend ``torchless.vision.set_image_backend`` chose: ``pil_loader``
    (the default), or ``accimage_loader``."""
    from .. import get_image_backend

    if get_image_backend() == "accimage":
        return accimage_loader(path)
    return pil_loader(path)


class ImageFolder(DatasetFolder):
    """A generic data loader where the images are arranged in this way by default: ::

        root/dog/xxx.png
        root/dog/xxy.png
        root/dog/[...]/xxz.png

        root/cat/123.png
        root/cat/nsdf3.png
        root/cat/[...]/asd932_.png

    Files are kept by ``IMG_EXTENSIONS`` unless ``is_valid_file`` is given.

    Args:
        root (str or path): Root directory path.
        transform (callable, optional): A function/transform that takes in a PIL image and returns a
            transformed version. E.g, ``transforms.RandomCrop``
        target_transform (callable, optional): A function/transform that takes in the target and transforms it.
        loader (callable, optional): A function to load an image given its path (default: RGB ``PIL.Image``).
        is_valid_file (callable, optional): A function that takes the path of an image file and checks if the
            file is a valid file (to skip corrupt files).
        allow_empty (bool, optional): If True, empty folders are considered to be valid classes.
            An error is raised on empty folders if False (default).

    Attributes:
        classes (list): List of the class names sorted alphabetically.
        class_to_idx (dict): Dict with items (class_name, class_index).
        imgs (list): List of (image path, class_index) tuples
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader, is_valid_file=None,
                 allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform=transform,
                         target_transform=target_transform, is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
