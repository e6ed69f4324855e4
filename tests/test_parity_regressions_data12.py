"""torchless.utils.data and torchless.vision against torch 2.13 (and torchvision 0.28) on the data pipeline.

Differences fixed:

- ``IterableDataset`` is a ``collections.abc.Iterable`` whose ``__iter__`` is abstract, as PyTorch's: neither it
  nor a subclass without ``__iter__`` can be instantiated (TypeError), and ``ConcatDataset([..., IterableDataset()])``
  fails there.
- ``DataLoader.multiprocessing_context`` is checked on every assignment as PyTorch's property is: a start method
  that does not exist (ValueError) or a value that is no context (TypeError) is refused, a start method's name
  becomes its context; the worker-count warning is given at construction too; the iterators are named
  ``_SingleProcessDataLoaderIter`` / ``_MultiProcessingDataLoaderIter``.
- antialiased float32 interpolation (bilinear, bicubic) agrees with PyTorch's AVX2 kernel to the bit: the taps
  after the first are added as plain products in whole blocks of 4, the rest in fused multiply-adds; the weights'
  total is summed tap by tap (NumPy's pairwise sum differed from 8 taps); the bicubic filter's polynomial is
  fused. torchvision's v1 ``resize`` of tensors is ``interpolate``'s (torchless.vision resampled with weight
  matrices of its own, a last bit off, and so a uint8 pixel off by one now and then).
- v1 ``RandomChoice`` / ``RandomOrder`` draw from Python's ``random`` module as torchvision's do
  (``random.choices`` / ``random.shuffle``), not from torch's stream, which they no longer advance; v2's
  ``RandomChoice`` draws ``torch.multinomial`` of its normalised ``p`` (kept as ``.p``).
- the grids of v1's tensor ``affine`` / ``rotate`` / ``perspective`` are summed as torchvision's ``bmm`` sums
  them: in fused multiply-adds (BLAS) from 400 multiply-adds on, rounded step by step below; bilinear values and
  nearest ties (pixels of a uint8 affine) differed.
- Dirichlet draws are ``torch._sample_dirichlet``'s (its Marsaglia-Tsang gammas from torch's stream, rows
  normalised in float64): ``distributions.Dirichlet`` / ``Beta`` samples, AugMix's mixing weights and v2
  ``MixUp`` / ``CutMix``'s ``lam`` came from NumPy's gamma sampler before.
- ``utils.flow_to_image`` blends in float32 as torchvision does (the wheel fraction, float32 - int64, was
  promoted to float64 by NumPy): a pixel now and then was one grey level off.
- ``elastic_transform``'s identity grid takes torch.linspace's values (v1's in float32, linspace's default,
  whatever the displacement's dtype; v2's in the image's), not NumPy's.
- v2 functionals refusing an input type list torchvision's registry in its order (the geometric ones register
  keypoints and boxes before masks; ``normalize``, ``to_dtype``, ``jpeg``, ``gaussian_noise``, ``get_num_frames``,
  ``uniform_temporal_subsample`` their own types) and refuse PIL images where torchvision has no PIL kernel;
  ``get_num_frames`` takes videos (and pure tensors) only; v2's ``to_grayscale`` is its ``rgb_to_grayscale``.
"""
import collections.abc
import multiprocessing
import random
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_error

torch = pytest.importorskip("torch")


class _Range:
    """A map-style dataset of its indices, for both libraries' loaders."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return index


# ---------------------------------------------------------------------------- IterableDataset
def test_iterable_dataset_is_an_abstract_iterable():
    assert_same_error(lambda: torch.utils.data.IterableDataset(), lambda: torchless.utils.data.IterableDataset())
    assert_same_error(lambda: type("Stream", (torch.utils.data.IterableDataset,), {})(),
                      lambda: type("Stream", (torchless.utils.data.IterableDataset,), {})())
    assert_same_error(lambda: torch.utils.data.ConcatDataset([_Range(2), torch.utils.data.IterableDataset()]),
                      lambda: torchless.utils.data.ConcatDataset([_Range(2), torchless.utils.data.IterableDataset()]))

    class Stream(torchless.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    assert isinstance(Stream(), collections.abc.Iterable)
    assert isinstance(torchless.utils.data.ChainDataset([]), collections.abc.Iterable)
    assert list(Stream() + Stream()) == [0, 1, 2, 0, 1, 2]


# ---------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("workers, context", [(1, "nope"), (1, 3), (0, "fork"), (0, "nope")])
def test_dataloader_checks_its_multiprocessing_context(workers, context):
    assert_same_error(
        lambda: torch.utils.data.DataLoader(_Range(4), num_workers=workers, multiprocessing_context=context),
        lambda: torchless.utils.data.DataLoader(_Range(4), num_workers=workers, multiprocessing_context=context))
    # PyTorch's property checks assignments after construction too
    assert_same_error(
        lambda: setattr(torch.utils.data.DataLoader(_Range(4), num_workers=workers), "multiprocessing_context",
                        context),
        lambda: setattr(torchless.utils.data.DataLoader(_Range(4), num_workers=workers), "multiprocessing_context",
                        context))


def test_dataloader_start_method_becomes_its_context():
    for lib in (torch, torchless):
        loader = lib.utils.data.DataLoader(_Range(4), num_workers=1, multiprocessing_context="spawn")
        assert isinstance(loader.multiprocessing_context, multiprocessing.context.SpawnContext)
        assert lib.utils.data.DataLoader(_Range(4), num_workers=1).multiprocessing_context is None
    loader = torchless.utils.data.DataLoader(_Range(6), num_workers=1, batch_size=4, multiprocessing_context="spawn")
    assert [batch.tolist() for batch in loader] == [[0, 1, 2, 3], [4, 5]]


def test_dataloader_iterator_classes_have_pytorchs_names():
    for workers in (0, 1):
        expected = type(iter(torch.utils.data.DataLoader(_Range(3), num_workers=workers))).__name__
        assert type(iter(torchless.utils.data.DataLoader(_Range(3), num_workers=workers))).__name__ == expected


def test_dataloader_warns_about_too_many_workers_when_built():
    def warned(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.utils.data.DataLoader(_Range(3), num_workers=1000)
        return [str(w.message) for w in caught]

    assert warned(torchless) == warned(torch)
    assert len(warned(torch)) == 1


# ---------------------------------------------------------------------------- antialiased resampling
def _photo(height, width, seed=0):
    """A noisy RGB gradient, uint8 C x H x W, as a photo's pixels."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 255 / (width - 1), y * 255 / (height - 1), (x + y) * 127 / (width + height - 2)])
    return np.clip(image + rng.normal(0, 20, image.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(29, 61), (50, 37), (50, 61), (29, 20), (60, 17), (13, 10), (5, 100), (40, 1)])
def test_antialiased_float32_resampling_is_pytorchs_to_the_bit(mode, size):
    # PyTorch's AVX2 kernel adds a tap's product in fused multiply-adds after whole blocks of 4 plain ones, totals
    # the weights tap by tap, and fuses the bicubic filter's polynomial: float32 results agree to the bit
    image = _photo(29, 37).astype(np.float32)[None]
    expected = torch.nn.functional.interpolate(torch.from_numpy(image), size=size, mode=mode, antialias=True)
    actual = torchless.nn.functional.interpolate(torchless.tensor(image), size=size, mode=mode, antialias=True)
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("size", [[50, 61], [20, 25], [13, 9]])
def test_v1_resize_of_a_tensor_is_interpolates(seed, size):
    # torchvision's v1 resize hands tensors to interpolate (a uint8 one as its float32 copy, rounded back): the
    # float32 result is interpolate's to the bit, and one ulp can decide a uint8 pixel
    import torchless.vision.transforms.functional as F

    image = _photo(29, 37, seed)
    for mode in ("bilinear", "bicubic"):
        resized = torch.nn.functional.interpolate(torch.from_numpy(image).float()[None] / 255, size=size, mode=mode,
                                                  antialias=True)[0]
        actual = F.resize(torchless.tensor(image).float() / 255, size, interpolation=F.InterpolationMode(mode))
        np.testing.assert_array_equal(actual.numpy(), resized.numpy())
    expected = torch.nn.functional.interpolate(torch.from_numpy(image).float()[None], size=size, mode="bilinear",
                                               antialias=True)[0].round().to(torch.uint8)
    np.testing.assert_array_equal(F.resize(torchless.tensor(image), size).numpy(), expected.numpy())


# ---------------------------------------------------------------------------- RandomChoice / RandomOrder
def _tagged(T, n):
    """n transforms, each giving its number (a pick can be read off), or appending it to a list for v1 (and so
    the order they ran in)."""
    return [T.Lambda(lambda trail, i=i: trail + [i] if isinstance(trail, list) else i) for i in range(n)]


@pytest.mark.parametrize("p", [None, [0.2, 0.5, 3.0]])
def test_v1_random_choice_draws_from_pythons_random_as_torchvision(p):
    # torchvision: ``random.choices(self.transforms, weights=self.p)[0]``; torch's stream is left alone
    import torchless.vision.transforms as T

    random.seed(4)
    expected = [random.choices(range(3), weights=p)[0] for _ in range(12)]
    random.seed(4)
    torchless.manual_seed(0)
    choice = T.RandomChoice(_tagged(T, 3), p=p)
    assert [choice(0) for _ in range(12)] == expected
    torch.manual_seed(0)
    np.testing.assert_array_equal(torchless.rand(3).numpy(), torch.rand(3).numpy())


def test_v1_random_order_shuffles_with_pythons_random_as_torchvision():
    import torchless.vision.transforms as T

    random.seed(5)
    expected = []
    for _ in range(6):
        order = list(range(4))
        random.shuffle(order)
        expected.append(order)
    random.seed(5)
    torchless.manual_seed(0)
    ordered = T.RandomOrder(_tagged(T, 4))
    assert [ordered([]) for _ in range(6)] == expected
    torch.manual_seed(0)
    np.testing.assert_array_equal(torchless.rand(3).numpy(), torch.rand(3).numpy())


@pytest.mark.parametrize("p", [None, [0.2, 0.5, 3.0]])
def test_v2_random_choice_draws_torch_multinomial(p):
    # torchvision's v2: ``int(torch.multinomial(torch.tensor(self.p), 1))`` with p normalised
    import torchless.vision.transforms.v2 as v2

    weights = [1.0] * 3 if p is None else p
    normalised = [w / sum(weights) for w in weights]
    torch.manual_seed(2)
    expected = [int(torch.multinomial(torch.tensor(normalised), 1)) for _ in range(12)]
    torchless.manual_seed(2)
    choice = v2.RandomChoice(_tagged(v2, 3), p=p)
    assert choice.p == normalised
    assert [choice(0) for _ in range(12)] == expected


# ---------------------------------------------------------------------------- affine grids
def _torchvision_affine(image, matrix, mode):
    """torchvision's v1 affine of a float tensor without fill, in torch: its ``_gen_affine_grid`` (a bmm of the
    base grid and the matrix over the half sizes) and ``grid_sample``."""
    height, width = image.shape[-2:]
    theta = torch.tensor(matrix, dtype=torch.float32).reshape(1, 2, 3)
    base = torch.empty(1, height, width, 3)
    base[..., 0].copy_(torch.linspace(-width * 0.5 + 0.5, width * 0.5 + 0.5 - 1, steps=width))
    base[..., 1].copy_(torch.linspace(-height * 0.5 + 0.5, height * 0.5 + 0.5 - 1, steps=height).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * width, 0.5 * height])
    grid = base.view(1, height * width, 3).bmm(rescaled).view(1, height, width, 2)
    return torch.nn.functional.grid_sample(image[None], grid, mode=mode, padding_mode="zeros", align_corners=False)[0]


@pytest.mark.parametrize("height, width", [(48, 64), (29, 37), (5, 6)])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("angle, scale", [(33.0, 0.9), (20.0, 1.2)])
def test_affine_grid_sums_as_torchvisions_bmm(height, width, mode, angle, scale):
    # bmm's BLAS kernel fuses the float32 multiply-adds (its own loop, below 400 of them, does not): the grid and
    # so the bilinear values (and nearest ties) are torchvision's to the bit
    import torchless.vision.transforms.functional as F
    from torchless.vision.transforms._warp import _get_inverse_affine_matrix

    image = _photo(height, width).astype(np.float32) / 255
    args = dict(angle=angle, translate=[3, -2], scale=scale, shear=[5.0, 10.0])
    matrix = _get_inverse_affine_matrix([0.0, 0.0], args["angle"], [3.0, -2.0], args["scale"], args["shear"])
    expected = _torchvision_affine(torch.from_numpy(image), matrix, mode)
    actual = F.affine(torchless.tensor(image), **args, interpolation=F.InterpolationMode(mode))
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


# ---------------------------------------------------------------------------- Dirichlet draws
@pytest.mark.parametrize("alpha, shape, dtype", [(1.0, (1, 2), "float32"), (0.3, (5, 4), "float64"),
                                                 (2.5, (3, 7), "float32"), (0.05, (6, 3), "float32")])
def test_sample_dirichlet_draws_pytorchs_gammas_from_its_stream(alpha, shape, dtype):
    concentration = np.full(shape, alpha, dtype)
    torch.manual_seed(3)
    expected = torch._sample_dirichlet(torch.from_numpy(concentration))
    after = torch.rand(3)
    torchless.manual_seed(3)
    actual = torchless.distributions.Dirichlet(torchless.tensor(concentration)).sample()
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    np.testing.assert_array_equal(torchless.rand(3).numpy(), after.numpy())  # as many draws taken


def test_beta_samples_are_pytorchs():
    def draw(lib):
        lib.manual_seed(1)
        return lib.distributions.Beta(lib.tensor([0.5, 2.0]), lib.tensor([1.5, 0.7])).sample((4,))

    np.testing.assert_array_equal(draw(torchless).numpy(), draw(torch).numpy())


def test_mixup_draws_its_weight_as_torchvision():
    # torchvision's MixUp / CutMix draw lam from Beta(tensor([alpha]), tensor([alpha])).sample(()) (and AugMix its
    # weights from torch._sample_dirichlet, the same sampler): the draws, and the stream after them, are torch's
    import torchless.vision.transforms.v2 as v2

    for alpha in (1.0, 0.3):
        torch.manual_seed(5)
        expected = float(torch.distributions.Beta(torch.tensor([alpha]), torch.tensor([alpha])).sample(()))
        after = torch.rand(2)
        torchless.manual_seed(5)
        mixup = v2.MixUp(alpha=alpha, num_classes=3)
        _, labels = mixup(torchless.zeros(2, 3, 4, 4), torchless.tensor([0, 2]))
        assert labels[0, 0].item() == pytest.approx(expected, rel=1e-6)
        np.testing.assert_array_equal(torchless.rand(2).numpy(), after.numpy())


# ---------------------------------------------------------------------------- flow_to_image
def _torchvision_flow_to_image(flow):
    """torchvision's ``flow_to_image`` of a (2, H, W) float32 flow, in torch (its colour wheel and blending)."""
    wheel = torch.zeros(55, 3)
    col = 0
    for length, rising, falling, full in ((15, 1, None, 0), (6, None, 0, 1), (4, 2, None, 1), (11, None, 1, 2),
                                          (13, 0, None, 2), (6, None, 2, 0)):
        ramp = torch.floor(255 * torch.arange(0, length) / length)
        wheel[col:col + length, full] = 255
        if rising is not None:
            wheel[col:col + length, rising] = ramp
        else:
            wheel[col:col + length, falling] = 255 - ramp
        col += length
    flow = flow[None] / (torch.sum(flow[None].pow(2), dim=1).sqrt().max() + torch.finfo(torch.float32).eps)
    norm = torch.sum(flow.pow(2), dim=1).sqrt()
    fk = (torch.atan2(-flow[:, 1], -flow[:, 0]) / torch.pi + 1) / 2 * 54
    k0 = torch.floor(fk).to(torch.long)
    k1 = k0 + 1
    k1[k1 == 55] = 0
    f = fk - k0
    image = torch.zeros(1, 3, *flow.shape[-2:], dtype=torch.uint8)
    for c in range(3):
        blended = (1 - f) * (wheel[:, c][k0] / 255.0) + f * (wheel[:, c][k1] / 255.0)
        image[:, c] = torch.floor(255 * (1 - norm * (1 - blended)))
    return image[0]


@pytest.mark.parametrize("height, width, channels, shift", [(48, 64, (0, 2), (0.3, 0.6)), (29, 37, (0, 1), (0.5, 0.5))])
def test_flow_to_image_blends_in_float32_as_torchvision(height, width, channels, shift):
    # the wheel position's fraction is float32 - int64, float32 in torch (NumPy promoted it to float64)
    import torchless.vision.utils as U

    image = _photo(height, width).astype(np.float32) / 255
    flow = np.stack([image[channels[0]] - np.float32(shift[0]), image[channels[1]] - np.float32(shift[1])])
    expected = _torchvision_flow_to_image(torch.from_numpy(flow))
    np.testing.assert_array_equal(U.flow_to_image(torchless.tensor(flow)).numpy(), expected.numpy())


# ---------------------------------------------------------------------------- elastic identity grid
@pytest.mark.parametrize("displacement_dtype", ["float32", "float64"])
def test_v1_elastic_grid_is_torch_linspace_in_float32(displacement_dtype):
    # torchvision's v1 elastic_transform: torch.linspace((-s + 1) / s, (s - 1) / s, s) (float32, torch's values),
    # meshgrid, plus the displacement (promoted to its dtype), then grid_sample
    import torchless.vision.transforms.functional as F

    image = _photo(29, 37).astype(np.float32) / 255
    displacement = (np.random.default_rng(1).random((1, 29, 37, 2)) * 0.1 - 0.05).astype(displacement_dtype)
    space = [torch.linspace((-s + 1) / s, (s - 1) / s, s) for s in (29, 37)]
    grid_y, grid_x = torch.meshgrid(space, indexing="ij")
    grid = torch.stack([grid_x, grid_y], -1).unsqueeze(0) + torch.from_numpy(displacement)
    source = torch.from_numpy(image)[None].to(grid.dtype)
    expected = torch.nn.functional.grid_sample(source, grid, mode="bilinear", padding_mode="zeros",
                                               align_corners=False)[0].to(torch.float32)
    actual = F.elastic_transform(torchless.tensor(image), torchless.tensor(displacement))
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


# ---------------------------------------------------------------------------- v2 functionals' registries
# torchvision 0.28's messages (recorded with it; 0.29's are the same) for an input type a functional has no kernel for
_TV = "<class 'torchvision.tv_tensors._{}.{}'>"
_IMAGE, _VIDEO, _MASK = _TV.format("image", "Image"), _TV.format("video", "Video"), _TV.format("mask", "Mask")
_BOXES, _POINTS = _TV.format("bounding_boxes", "BoundingBoxes"), _TV.format("keypoints", "KeyPoints")
_TENSOR, _PIL = "<class 'torch.Tensor'>", "<class 'PIL.Image.Image'>"
_REGISTRIES = {
    "rotate": [_IMAGE, _TENSOR, _PIL, _POINTS, _BOXES, _MASK, _VIDEO],
    "center_crop": [_IMAGE, _TENSOR, _PIL, _POINTS, _BOXES, _MASK, _VIDEO],
    "resize": [_IMAGE, _TENSOR, _PIL, _MASK, _POINTS, _BOXES, _VIDEO],
    "normalize": [_IMAGE, _TENSOR, _VIDEO],
    "to_dtype": [_IMAGE, _TENSOR, _VIDEO, _MASK, _BOXES, _POINTS],
    "jpeg": [_IMAGE, _TENSOR, _VIDEO, _PIL],
    "get_num_frames": [_VIDEO, _TENSOR],
    "uniform_temporal_subsample": [_VIDEO, _TENSOR],
}


@pytest.mark.parametrize("name", list(_REGISTRIES))
def test_v2_functionals_list_torchvisions_registry_when_refusing_a_type(name):
    import torchless.vision.transforms.v2.functional as F2

    arguments = {"rotate": [1], "center_crop": [1], "resize": [1], "jpeg": [1], "uniform_temporal_subsample": [1],
                 "normalize": [[0.5], [0.5]]}.get(name, [])
    with pytest.raises(TypeError) as raised:
        getattr(F2, name)(None, *arguments)
    shown = str(raised.value).replace("torchless.vision.", "torchvision.").replace("torchless.", "torch.")
    assert shown == (f"Functional F.{name} supports inputs of type dict_keys([{', '.join(_REGISTRIES[name])}]), "
                     "but got <class 'NoneType'> instead.")


def test_v2_functionals_without_pil_kernels_refuse_pil_images_and_to_grayscale_is_rgb_to_grayscale():
    from PIL import Image

    import torchless.vision.transforms.v2.functional as F2
    from torchless.vision import tv_tensors

    pil = Image.fromarray(_photo(5, 6).transpose(1, 2, 0))
    for call in (lambda: F2.to_dtype(pil, torchless.float32), lambda: F2.normalize(pil, [0.5], [0.5]),
                 lambda: F2.get_num_frames(tv_tensors.Image(torchless.zeros(3, 4, 4)))):
        with pytest.raises(TypeError, match="supports inputs of type dict_keys"):
            call()
    # v2's to_grayscale is its rgb_to_grayscale (tensors too), as torchvision's alias; compared with torch's formula
    image = _photo(5, 6).astype(np.float32) / 255
    expected = (torch.from_numpy(image) * torch.tensor([0.2989, 0.587, 0.114]).reshape(3, 1, 1)).sum(0, keepdim=True)
    np.testing.assert_allclose(F2.to_grayscale(torchless.tensor(image)).numpy(), expected.numpy(), rtol=1e-6)
    assert F2.get_num_frames(tv_tensors.Video(torchless.zeros(2, 3, 4, 4))) == 2
