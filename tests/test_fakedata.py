"""FakeData: torchvision's random-image dataset (its repr and errors as recorded from torchvision 0.29)."""
import numpy as np
import pytest

import torchless
from torchless.vision import datasets, transforms


def test_items_are_pil_images_and_int_targets_of_the_requested_size():
    data = datasets.FakeData(size=4, image_size=(3, 10, 7), num_classes=3)
    image, target = data[2]
    assert image.mode == "RGB" and image.size == (7, 10)
    assert type(target) is int and 0 <= target < 3
    gray, _ = datasets.FakeData(size=1, image_size=(1, 5, 5))[0]
    assert gray.mode == "L"


def test_an_item_is_the_same_every_time_and_leaves_the_global_generator_alone():
    data = datasets.FakeData(size=6, image_size=(1, 8, 6), transform=transforms.ToTensor())
    torchless.manual_seed(123)
    expected_next = torchless.rand(3)
    torchless.manual_seed(123)
    first, target = data[4]
    again, target_again = data[4]
    assert torchless.equal(first, again) and target == target_again
    assert torchless.equal(torchless.rand(3), expected_next)
    other, _ = data[3]
    assert not torchless.equal(first, other)
    shifted, _ = datasets.FakeData(size=6, image_size=(1, 8, 6), transform=transforms.ToTensor(), random_offset=1)[3]
    assert torchless.equal(shifted, first)  # seed = index + random_offset


def test_values_are_standard_normal_draws_cast_to_bytes():
    torchless.manual_seed(7)
    drawn = torchless.randn(1, 4, 5)
    image, _ = datasets.FakeData(size=8, image_size=(1, 4, 5), random_offset=7)[0]
    # ToPILImage of a float tensor: value * 255 cast to uint8 (wrapping as the cast does).
    expected = (np.asarray(drawn)[0] * 255).astype(np.int64).astype(np.uint8)
    assert np.array_equal(np.asarray(image), expected)


def test_targets_cover_the_classes_and_transforms_apply():
    data = datasets.FakeData(size=60, image_size=(1, 2, 2), num_classes=4, target_transform=lambda t: t + 100)
    targets = {data[i][1] for i in range(len(data))}
    assert targets == {100, 101, 102, 103}


def test_index_past_the_end_and_repr_as_torchvision():
    data = datasets.FakeData(size=5, image_size=(1, 8, 6), transform=transforms.ToTensor())
    with pytest.raises(IndexError, match="^FakeData index out of range$"):
        data[5]
    assert len(data) == 5
    assert repr(data) == ("Dataset FakeData\n    Number of datapoints: 5\n    StandardTransform\n"
                          "Transform: ToTensor()")
    assert repr(datasets.FakeData(size=2)) == "Dataset FakeData\n    Number of datapoints: 2"


def test_a_loader_batches_it():
    loader = torchless.utils.data.DataLoader(
        datasets.FakeData(size=10, image_size=(3, 4, 4), transform=transforms.ToTensor()), batch_size=4)
    images, targets = next(iter(loader))
    assert images.shape == (4, 3, 4, 4) and targets.dtype == torchless.int64
