"""Regressions found by the data32 session: torch.utils.data against torch 2.13, and v2's float16 colour kernels
against torchvision 0.29.

Differences fixed:

- A DataLoader with workers and ``prefetch_factor=0`` (which its checks let through) fails with PyTorch's
  AssertionError when iterated, before any worker starts; torchless iterated it to an empty epoch.
- float16 ``add`` / ``sub`` / ``add_`` with an ``alpha``: PyTorch's CPU kernel computes its vector loop as one
  float32 fused multiply-add rounded to half, but the scalar code that takes what is left of each run after the
  whole vectors (or all of a run whose elements are not adjacent) in half arithmetic: ``alpha * other`` rounded to
  half, then the sum. torchless used the fused form throughout, a half step off on some of those last elements.
- v2's float16 colour kernels, which add that way (``r.mul(0.2989).add_(g, alpha=0.587)...`` for the luma,
  ``image.mul(ratio).add_(other, alpha=1 - ratio)`` for the brightness, contrast and saturation blends, and the
  sharpness blend of the interior), now go through the add kernel's rounding, in the image's own layout (a
  transposed image was taken element by element in C order).
- The colour blends (v1 and v2), v1's flips and gamma and v2's autocontrast lay their results out as PyTorch's
  preserve_format (an expanded batch dense and outermost; NumPy's order "K" put it innermost); v2's ``adjust_hue``
  and ``equalize`` give contiguous results, as torchvision's ``stack`` and ``gather`` (torchless kept a transposed
  image's layout).
- Every v2 transform is a ``v2.Transform`` (``isinstance`` / ``issubclass``), those built on v1's classes too
  (Compose, RandomApply, ColorJitter, Resize, ... were not), and so are the user's subclasses of them; v1's are not.
- v2's ``make_params`` gives torchvision's parameters, which a subclass overriding it sees and changes: ColorJitter's
  ``fn_idx`` tensor and ``brightness_factor`` ...; RandomCrop's ``height``, ``width`` and ``needs_pad``;
  RandomPhotometricDistort's ``*_factor`` and ``channel_permutation``; RandomChannelPermutation's permutation as a
  tensor; ScaleJitter's and RandomShortestSize's size as a tuple; JPEG's ``quality``, drawn once for the whole
  sample (torchless drew one per image); RandomPerspective's ``coefficients``; MixUp's ``lam`` and CutMix's ``box``
  and ``lam_adjusted`` from ``make_params`` (torchless: a private method a subclass could not override), their
  ``transform`` taking the labels and batch size from the parameters. The containers (Compose, RandomApply,
  RandomChoice, RandomOrder) have the base's ``check_inputs``, ``make_params`` and ``transform``
  (NotImplementedError).

- ``torch.utils.data._utils.worker`` (``WorkerInfo``, ``get_worker_info``) and ``_utils``'s
  ``MP_STATUS_CHECK_INTERVAL`` and ``IS_WINDOWS`` exist, as there.

The torchvision cases are recorded by ``fixtures/torchvision/make_data32.py`` into ``fixtures/torchvision/data32``:
each is a Python expression evaluated there with torchvision and here with torchless, which must give the same
result (float16 exactly) or raise the same exception with the same message.
"""
import numpy as np
import pytest

import torchless
import torchless.vision.transforms as T
from torchless.vision import tv_tensors
from torchless.vision.transforms import v2

torch = pytest.importorskip("torch")
pytest.importorskip("PIL.Image")  # the photo is a PNG

from torchvision_cases import check_case, load_record, recorded_namespace  # noqa: E402  (after the skips)

RECORD, ARRAYS, CASES = load_record("data32")


@pytest.fixture(scope="module")
def scope():
    return recorded_namespace("make_data32", torchless, T, v2, tv_tensors)


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS, exact_half=True)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_data32.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert CASES["half_0_0"]["result"]["tensor"] == "float16"
    assert list(ARRAYS[CASES["half_0_1"]["result"]["array"]].shape) == [1, 37, 14]


# ------------------------------------------------------------------------------------ float16 add with an alpha
def _layouts(shape, rng):
    """(a, b) float16 pairs of ``shape`` laid out as the cases below need them."""
    a, b = (rng.random(shape).astype(np.float16) for _ in range(2))
    yield a, b
    yield a, b[..., :1]                                   # b broadcast along the last dim
    yield np.ascontiguousarray(a.T).T, np.ascontiguousarray(b.T).T  # both transposed in memory
    yield np.ascontiguousarray(a.T).T, b                  # layouts that disagree
    yield a[::2], b[::2]                                  # every other row


@pytest.mark.parametrize("shape", [(7,), (50,), (64,), (1073,), (3, 29, 37), (2, 5, 40), (40000,)])
@pytest.mark.parametrize("alpha", [0.587, -2.5, 0.114])
def test_float16_add_with_alpha_rounds_as_pytorchs_kernel(shape, alpha):
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    for a, b in _layouts(shape, rng):
        if a.size == 0:
            continue
        for op in ("add", "sub"):
            want = getattr(torch.from_numpy(a), op)(torch.from_numpy(b), alpha=alpha).numpy()
            got = getattr(torchless.from_numpy(a), op)(torchless.from_numpy(b), alpha=alpha).numpy()
            np.testing.assert_array_equal(got, want, err_msg=f"{op} {a.strides} {b.strides}")
        if a.shape == np.broadcast_shapes(a.shape, b.shape):
            want = torch.from_numpy(a.copy(order="K")).add_(torch.from_numpy(b), alpha=alpha).numpy()
            got = torchless.from_numpy(a.copy(order="K")).add_(torchless.from_numpy(b), alpha=alpha).numpy()
            np.testing.assert_array_equal(got, want)


def test_the_scalar_code_differs_from_the_fused_form_in_these_cases():
    # (the cases above can fail: half arithmetic and the fused float32 form disagree on some tail elements)
    rng = np.random.default_rng(0)
    a, b = (rng.random(1073).astype(np.float16) for _ in range(2))
    fused = (a.astype(np.float64) + np.float64(np.float16(0.587)) * b).astype(np.float32).astype(np.float16)
    assert (torch.from_numpy(a).add(torch.from_numpy(b), alpha=0.587).numpy()[1056:] != fused[1056:]).any()


# ------------------------------------------------------------------------------------- v2's float16 luma, torch's own
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "batched", "every other row"])
def test_v2_float16_luma_is_torchs_add_chain(layout):
    rng = np.random.default_rng(3)
    image = rng.random((2, 3, 21, 37)).astype(np.float16)
    image = {"contiguous": image[0], "transposed": np.ascontiguousarray(image[0].transpose(0, 2, 1)).transpose(0, 2, 1),
             "batched": image, "every other row": image[0, :, ::2]}[layout]
    r, g, b = torch.from_numpy(image).unbind(dim=-3)
    want = r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114).unsqueeze(-3)  # torchvision v2's formula
    got = v2.functional.rgb_to_grayscale(torchless.from_numpy(image))
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# --------------------------------------------------------------------------------------------------- DataLoader
class _Squares:
    def __len__(self):
        return 6

    def __getitem__(self, index):
        return index * index


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # (torch's half-built iterator)
@pytest.mark.parametrize("library", ["torch", "torchless"])
def test_prefetch_factor_zero_fails_when_iterated_with_workers(library):
    data = torch.utils.data if library == "torch" else torchless.utils.data
    loader = data.DataLoader(_Squares(), num_workers=1, prefetch_factor=0)  # accepted when built, as there
    assert loader.prefetch_factor == 0
    with pytest.raises(AssertionError, match="^prefetch_factor must be greater than 0 for "
                                             "MultiProcessingDataLoaderIter$"):
        iter(loader)


@pytest.mark.parametrize("library", ["torch", "torchless"])
def test_utils_worker_module_holds_worker_info(library):
    data = torch.utils.data if library == "torch" else torchless.utils.data
    import importlib

    worker = importlib.import_module(f"{data.__name__}._utils.worker")
    assert worker.get_worker_info is data.get_worker_info and worker.get_worker_info() is None
    assert worker.WorkerInfo.__name__ == "WorkerInfo"
    assert data._utils.MP_STATUS_CHECK_INTERVAL == torch.utils.data._utils.MP_STATUS_CHECK_INTERVAL
    assert data._utils.IS_WINDOWS == torch.utils.data._utils.IS_WINDOWS
