"""Convolution, padding and fold layers on cases earlier sessions missed (session 27), each checked against torch
run on the same arrays, or against an independent reference where torch is not needed."""
import pytest

import torchless


# ---------------------------------------------------------------- the layers' overridable hooks
# PyTorch's circular padding layers check the input's rank in _check_input_dim, and its lazy convolutions ask
# _get_num_spatial_dims how many spatial dims the first input has: subclasses override both.

@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_circular_pad_checks_the_rank_in_its_hook(spatial):
    layer = getattr(torchless.nn, f"CircularPad{spatial}d")(1)
    with pytest.raises(ValueError, match=rf"^expected {spatial + 1}D or {spatial + 2}D input \(got 6D input\)$"):
        layer._check_input_dim(torchless.zeros([2] * 6))
    assert layer._check_input_dim(torchless.zeros([2] * (spatial + 1))) is None

    class AnyRank(type(layer)):
        def _check_input_dim(self, input):
            pass

    # the hook overridden: F.pad's own check speaks instead
    with pytest.raises(NotImplementedError, match=f"^Padding size {2 * spatial} is not supported for 6D input tensor"):
        AnyRank(1)(torchless.zeros([2] * 6))


@pytest.mark.parametrize("name, spatial", [("LazyConv1d", 1), ("LazyConv2d", 2), ("LazyConv3d", 3),
                                           ("LazyConvTranspose1d", 1), ("LazyConvTranspose2d", 2),
                                           ("LazyConvTranspose3d", 3)])
def test_lazy_convolution_asks_its_hook_for_the_spatial_dims(name, spatial):
    cls = getattr(torchless.nn, name)
    assert cls(3, 1)._get_num_spatial_dims() == spatial

    class OneLess(cls):  # a subclass taking inputs of one spatial dim fewer, as a PyTorch subclass would
        def _get_num_spatial_dims(self):
            return spatial - 1

    with pytest.raises(RuntimeError, match=rf"^Expected {spatial}D \(unbatched\) or {spatial + 1}D \(batched\) input "
                                           rf"to OneLess, but got input of size: "):
        OneLess(3, 1)(torchless.zeros([2] * (spatial + 2)))
