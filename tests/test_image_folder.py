"""torchless.vision.datasets DatasetFolder and ImageFolder on tiny folder trees built in tmp_path: class and
sample order, loading, transforms, and torchvision's errors."""
import os
import subprocess
import sys

import numpy as np
import pytest

import torchless
from torchless.utils.data import DataLoader
from torchless.vision import transforms
from torchless.vision.datasets import DatasetFolder, ImageFolder
from torchless.vision.datasets.folder import (IMG_EXTENSIONS, default_loader, find_classes,
                                              has_file_allowed_extension, is_image_file, make_dataset, pil_loader)

ALL_EXTENSIONS = ".jpg, .jpeg, .png, .ppm, .bmp, .pgm, .tif, .tiff, .webp"


def write_png(path, pixels, mode):
    Image = pytest.importorskip("PIL.Image")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, np.uint8), mode).save(path)


def grey(height, width, value):
    return np.full((height, width), value, np.uint8)


@pytest.fixture
def tree(tmp_path):
    """root/{cat,dog,emu}/... with images, a nested folder, a text file and mixed-case names."""
    pytest.importorskip("PIL")
    root = tmp_path / "pets"
    write_png(root / "dog" / "b.png", grey(3, 5, 10), "L")
    write_png(root / "dog" / "B.png", grey(3, 5, 20), "L")  # upper case sorts first
    write_png(root / "dog" / "a.PNG", grey(3, 5, 30), "L")  # extensions match in any case
    write_png(root / "cat" / "z.png", np.dstack([grey(4, 2, 200), grey(4, 2, 100), grey(4, 2, 50)]), "RGB")
    write_png(root / "cat" / "deeper" / "a.png", grey(2, 2, 7), "L")  # sub-folders belong to their class
    rgba = np.dstack([grey(2, 3, 1), grey(2, 3, 2), grey(2, 3, 3), grey(2, 3, 0)])
    write_png(root / "emu" / "only.png", rgba, "RGBA")
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "stray.png").write_bytes((root / "dog" / "b.png").read_bytes())  # files in root are no class
    return root


def expected_samples(root):
    j = os.path.join
    return [(j(root, "cat", "z.png"), 0), (j(root, "cat", "deeper", "a.png"), 0),
            (j(root, "dog", "B.png"), 1), (j(root, "dog", "a.PNG"), 1), (j(root, "dog", "b.png"), 1),
            (j(root, "emu", "only.png"), 2)]


def test_classes_samples_and_targets(tree):
    dataset = ImageFolder(str(tree))
    assert dataset.classes == ["cat", "dog", "emu"]
    assert dataset.class_to_idx == {"cat": 0, "dog": 1, "emu": 2}
    assert dataset.samples == expected_samples(str(tree))
    assert dataset.imgs is dataset.samples
    assert dataset.targets == [0, 0, 1, 1, 1, 2]
    assert len(dataset) == 6 and dataset.extensions == IMG_EXTENSIONS
    assert dataset.loader is default_loader
    assert repr(dataset) == f"Dataset ImageFolder\n    Number of datapoints: 6\n    Root location: {tree}"


def test_items_are_rgb_pil_images(tree):
    Image = pytest.importorskip("PIL.Image")
    dataset = ImageFolder(tree)
    image, target = dataset[0]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (2, 4)
    assert target == 0
    np.testing.assert_array_equal(np.asarray(image)[0, 0], [200, 100, 50])
    image, target = dataset[3]  # dog/a.PNG, greyscale 30
    assert image.mode == "RGB" and image.size == (5, 3) and target == 1
    np.testing.assert_array_equal(np.asarray(image), np.full((3, 5, 3), 30))
    image, _ = dataset[5]  # RGBA: the alpha channel is dropped
    np.testing.assert_array_equal(np.asarray(image)[1, 2], [1, 2, 3])


def test_transforms_are_applied(tree):
    dataset = ImageFolder(tree, transform=transforms.Compose([transforms.Resize((4, 4)), transforms.ToTensor()]),
                          target_transform=lambda target: 10 * target + 1)
    image, target = dataset[2]
    assert isinstance(image, torchless.Tensor) and tuple(image.shape) == (3, 4, 4)
    np.testing.assert_allclose(image.numpy(), np.full((3, 4, 4), 20 / 255), rtol=1e-6)
    assert target == 11
    loader = DataLoader(ImageFolder(tree, transform=transforms.Compose([transforms.Resize((2, 2)),
                                                                        transforms.ToTensor()])), batch_size=4)
    images, targets = next(iter(loader))
    assert tuple(images.shape) == (4, 3, 2, 2) and targets.tolist() == [0, 0, 1, 1]


def test_is_valid_file_replaces_the_extensions(tree):
    seen = []

    def only_lower_b(path):
        seen.append(path)
        return os.path.basename(path) in ("b.png", "z.png", "only.png")

    dataset = ImageFolder(tree, is_valid_file=only_lower_b)
    assert dataset.extensions is None
    assert [os.path.relpath(p, tree) for p, _ in dataset.samples] == [
        os.path.join("cat", "z.png"), os.path.join("dog", "b.png"), os.path.join("emu", "only.png")]
    assert os.path.join(str(tree), "dog", "notes.txt") in seen  # it is given full paths, every file


def test_dataset_folder_with_a_custom_loader_and_extensions(tmp_path):
    for name, text in [("a/1.txt", "one"), ("a/2.TXT", "two"), ("b/3.txt", "three"), ("b/4.csv", "four")]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)

    def read(path):
        with open(path) as f:
            return f.read()

    dataset = DatasetFolder(str(tmp_path), read, extensions=(".txt",))
    assert [dataset[i] for i in range(len(dataset))] == [("one", 0), ("two", 0), ("three", 1)]
    assert DatasetFolder(str(tmp_path), read, extensions=".csv", allow_empty=True).samples == [
        (os.path.join(str(tmp_path), "b", "4.csv"), 1)]
    with pytest.raises(FileNotFoundError) as raised:
        DatasetFolder(str(tmp_path), read, extensions=".csv")
    assert str(raised.value) == "Found no valid file for the classes a. Supported extensions are: .csv"


def test_find_classes_can_be_overridden(tree):
    class OnlyDogs(ImageFolder):
        def find_classes(self, directory):
            return ["dog"], {"dog": 7}

    dataset = OnlyDogs(tree)
    assert dataset.classes == ["dog"] and dataset.targets == [7, 7, 7]


def test_empty_class_folder(tree):
    (tree / "fox").mkdir()
    (tree / "fox" / "readme.md").write_text("no images yet")
    with pytest.raises(FileNotFoundError) as raised:
        ImageFolder(tree)
    assert str(raised.value) == f"Found no valid file for the classes fox. Supported extensions are: {ALL_EXTENSIONS}"
    (tree / "ant").mkdir()
    with pytest.raises(FileNotFoundError) as raised:
        ImageFolder(tree, is_valid_file=lambda path: path.endswith("z.png"))
    assert str(raised.value) == "Found no valid file for the classes ant, dog, emu, fox. "
    dataset = ImageFolder(tree, allow_empty=True)
    assert dataset.classes == ["ant", "cat", "dog", "emu", "fox"]
    assert dataset.targets == [1, 1, 2, 2, 2, 3]


def test_no_class_folder(tmp_path):
    (tmp_path / "loose.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as raised:
        ImageFolder(str(tmp_path))
    assert str(raised.value) == f"Couldn't find any class folder in {tmp_path}."
    with pytest.raises(FileNotFoundError):
        ImageFolder(str(tmp_path / "missing"))


@pytest.mark.parametrize("extensions, is_valid_file", [(None, None), ((".png",), lambda path: True)])
def test_extensions_and_is_valid_file_exclusive(tree, extensions, is_valid_file):
    message = "Both extensions and is_valid_file cannot be None or not None at the same time"
    with pytest.raises(ValueError) as raised:
        DatasetFolder(tree, default_loader, extensions=extensions, is_valid_file=is_valid_file)
    assert str(raised.value) == message
    with pytest.raises(ValueError) as raised:
        make_dataset(str(tree), {"dog": 0}, extensions, is_valid_file)
    assert str(raised.value) == message


def test_make_dataset_functions(tree):
    assert make_dataset(str(tree), extensions=IMG_EXTENSIONS) == expected_samples(str(tree))
    assert make_dataset(str(tree), {"emu": 5, "missing": 6}, extensions=".png", allow_empty=True) == [
        (os.path.join(str(tree), "emu", "only.png"), 5)]
    with pytest.raises(ValueError) as raised:
        make_dataset(str(tree), {}, extensions=".png")
    assert str(raised.value) == "'class_to_index' must have at least one entry to collect any samples."
    with pytest.raises(ValueError) as raised:
        DatasetFolder.make_dataset(str(tree), None, extensions=".png")
    assert str(raised.value) == "The class_to_idx parameter cannot be None."
    assert find_classes(tree) == (["cat", "dog", "emu"], {"cat": 0, "dog": 1, "emu": 2})


def test_extension_helpers():
    assert IMG_EXTENSIONS == (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
    assert is_image_file("x/Y.JPEG") and is_image_file("a.webp") and not is_image_file("a.gif")
    assert not is_image_file("png")
    assert has_file_allowed_extension("a.TXT", ".txt") and has_file_allowed_extension("a.md", [".txt", ".md"])
    assert not has_file_allowed_extension("a.txt.bak", (".txt",))


def test_loaders_without_pillow_name_the_extra(tmp_path):
    code = ("import sys; sys.modules['PIL'] = None\n"
            "from torchless.vision.datasets.folder import pil_loader\n"
            f"pil_loader({str(tmp_path / 'x.png')!r})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "ImportError: reading and writing image files needs Pillow: pip install 'torchless[viz]'" in done.stderr


def test_pil_loader_converts_palette_images_to_rgb(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    palette = Image.fromarray(np.array([[0, 1], [1, 0]], np.uint8), "P")
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.save(tmp_path / "p.png")
    image = pil_loader(tmp_path / "p.png")
    assert image.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(image), [[[255, 0, 0], [0, 0, 255]], [[0, 0, 255], [255, 0, 0]]])
    assert np.array_equal(np.asarray(default_loader(str(tmp_path / "p.png"))), np.asarray(image))
