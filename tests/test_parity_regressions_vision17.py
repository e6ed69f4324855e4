"""torchless.vision against torchvision 0.29 on real images (the fixture photo, pen-drawn digits, an RGBA clip-art
present and a 16-bit MRI crop from matplotlib's sample data, MNIST digits): the everyday transforms with many
argument combinations on PIL images of every mode and on uint8 / float, batched and unbatched tensors, the random
ones under ``torch.manual_seed`` (the same draws from the same generator), io's decoders with every ImageReadMode,
make_grid / save_image, and the ImageFolder, DatasetFolder, MNIST and FashionMNIST datasets.

Each case of ``fixtures/torchvision/vision17.json.gz`` is a Python expression that ``make_vision17.py`` evaluated with
torchvision; it is evaluated here with torchless and must give the same result (tensor dtype, shape and values;
PIL mode and pixels; plain values) or raise the same exception type with the same message.
"""
import pytest

import torchless
import torchless.vision.datasets as datasets
import torchless.vision.io as tio
import torchless.vision.transforms as T
import torchless.vision.transforms.functional as F
import torchless.vision.transforms.v2.functional as F2
import torchless.vision.utils as U
from torchless.vision import tv_tensors
from torchless.vision.transforms import v2

pytest.importorskip("PIL.Image")  # the fixture images are PNGs

from torchvision_cases import check_case, load_record, recorded_namespace  # noqa: E402  (after the skip without Pillow)

RECORD, ARRAYS, CASES = load_record("vision17")


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_vision17", torchless, tio, T, F, v2, F2, U, datasets, tv_tensors,
                              ARRAYS["input_mnist"], tmp_path_factory.mktemp("vision17"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_vision17.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert len(CASES) >= 300 and sum("raises" in case for case in CASES.values()) >= 50
    assert ARRAYS["input_mnist"].shape == (8, 28, 28)
