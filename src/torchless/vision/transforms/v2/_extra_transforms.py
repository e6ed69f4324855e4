"""v2's transforms without a v1 counterpart that act on one image: ``Identity``, ``RGB``,
``RandomChannelPermutation``, ``RandomPhotometricDistort``, ``GaussianNoise``, ``JPEG``, ``LinearTransformation``
(v1's, with v2's refusal of PIL images) and the size jitters ``RandomResize``, ``RandomShortestSize``,
``ScaleJitter`` and ``RandomZoomOut``. Their random draws come from torchless's generator (reproducible with
``torchless.manual_seed``, not PyTorch's streams); what they do with the drawn parameters is v2's."""
import numpy as np

from ...._creation import as_tensor
from ..._pillow import is_pil_image
from .. import transforms as _v1
from .._transform_base import _check_sequence_input, _rand, _randint, _uniform
from . import functional as F
from ._transform import Transform, image_leaf
from ._utils import query_chw, query_size
from ._v1_based import _fill_for, _v2_fill


class _ImageTransform(Transform):
    """A v2 transform of images (tensors, tv_tensors.Image / Video, PIL images); others pass through, unless
    the transform needs the image's channels or size (``_query``) for its random parameters and the sample holds
    no image."""

    _query = None

    def make_params(self, flat_inputs):
        # the transforms that size up the sample do so here (after a random-apply draw), refusing one without
        # an image
        if self._query == "chw":
            query_chw(flat_inputs)
        elif self._query == "size":
            query_size(flat_inputs)
        return {}


def _permutation(n):
    """``torch.randperm(n)``: an int64 tensor, drawn from the generator torchless.manual_seed seeds."""
    from ....random import stream

    return as_tensor(stream().permutation(n).astype(np.int64))


class Identity(Transform):
    """Return the input unchanged."""

    def transform(self, inpt, params):
        return inpt


class RGB(_ImageTransform):
    """Convert a grayscale image to RGB (``grayscale_to_rgb``); RGB images are returned as they are."""

    _transforms_videos = False

    def _transform(self, inpt):
        return F.grayscale_to_rgb(inpt)


class RandomChannelPermutation(_ImageTransform):
    """Permute the channels of the images of a sample, all alike, at random."""

    _query = "chw"

    def make_params(self, flat_inputs):
        return {"permutation": _permutation(query_chw(flat_inputs)[0])}

    def transform(self, inpt, params):
        return self._call_kernel(F.permute_channels, inpt, params["permutation"])


class RandomPhotometricDistort(_ImageTransform):
    """SSD's photometric distortion: each of brightness, contrast, saturation and hue is changed with probability
    ``p`` by a factor drawn from its range, contrast either first or last, and the channels permuted at random with
    probability ``p``; one draw for all the images of a sample."""

    _query = "chw"

    def __init__(self, brightness=(0.875, 1.125), contrast=(0.5, 1.5), saturation=(0.5, 1.5), hue=(-0.05, 0.05),
                 p=0.5):
        self.brightness = brightness
        self.contrast = contrast
        self.hue = hue
        self.saturation = saturation
        self.p = p

    def make_params(self, flat_inputs):
        channels = query_chw(flat_inputs)[0]
        params = {name: _uniform(bounds[0], bounds[1]) if _rand() < self.p else None
                  for name, bounds in (("brightness_factor", self.brightness), ("contrast_factor", self.contrast),
                                       ("saturation_factor", self.saturation), ("hue_factor", self.hue))}
        params["contrast_before"] = bool(_rand() < 0.5)
        params["channel_permutation"] = _permutation(channels) if _rand() < self.p else None
        return params

    def transform(self, inpt, params):
        contrast = params["contrast_factor"]
        if params["brightness_factor"] is not None:
            inpt = self._call_kernel(F.adjust_brightness, inpt, params["brightness_factor"])
        if contrast is not None and params["contrast_before"]:
            inpt = self._call_kernel(F.adjust_contrast, inpt, contrast)
        if params["saturation_factor"] is not None:
            inpt = self._call_kernel(F.adjust_saturation, inpt, params["saturation_factor"])
        if params["hue_factor"] is not None:
            inpt = self._call_kernel(F.adjust_hue, inpt, params["hue_factor"])
        if contrast is not None and not params["contrast_before"]:
            inpt = self._call_kernel(F.adjust_contrast, inpt, contrast)
        if params["channel_permutation"] is not None:
            inpt = self._call_kernel(F.permute_channels, inpt, params["channel_permutation"])
        return inpt


class GaussianNoise(_ImageTransform):
    """Add Gaussian noise of ``mean`` and ``sigma`` to the image (see ``functional.gaussian_noise``)."""

    def __init__(self, mean=0.0, sigma=0.1, clip=True):
        self.mean = mean
        self.sigma = sigma
        self.clip = clip

    def _transform(self, inpt):
        return F.gaussian_noise(inpt, mean=self.mean, sigma=self.sigma, clip=self.clip)


class JPEG(_ImageTransform):
    """A JPEG round trip at a quality drawn from ``quality`` (an int, or a ``[min, max]`` range within 1..100)."""

    def __init__(self, quality):
        if isinstance(quality, int):
            if isinstance(quality, bool):
                raise TypeError("quality can't be bool")
            quality = [quality, quality]
        else:
            _check_sequence_input(quality, "quality", req_sizes=(2,))
        if not (1 <= quality[0] <= quality[1] <= 100 and isinstance(quality[0], int) and isinstance(quality[1], int)):
            raise ValueError(f"quality must be an integer from 1 to 100, got {quality =}")
        self.quality = quality

    def make_params(self, flat_inputs):
        return {"quality": _randint(self.quality[0], self.quality[1] + 1)}  # (one quality for the whole sample)

    def transform(self, inpt, params):
        return image_leaf(inpt, lambda image: F.jpeg(image, quality=params["quality"]))


class LinearTransformation(Transform, _v1.LinearTransformation):
    """v1's ``LinearTransformation`` (flattened image minus ``mean_vector``, times ``transformation_matrix``) with
    v2's repr, and a TypeError for PIL images."""

    _flatten = "reshape"

    def __init__(self, transformation_matrix, mean_vector):
        _v1.LinearTransformation.__init__(self, transformation_matrix, mean_vector)

    def check_inputs(self, flat_inputs):
        if any(is_pil_image(inpt) for inpt in flat_inputs):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def _transform(self, inpt):
        return _v1.LinearTransformation.forward(self, inpt)

    __repr__ = Transform.__repr__


class _SizeJitter(_ImageTransform):
    """A resize to a size drawn once per sample (``_draw_size(height, width)``), of every leaf."""

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        return {"size": self._draw_size(height, width)}

    def transform(self, inpt, params):
        return self._call_kernel(F.resize, inpt, params["size"], interpolation=self.interpolation,
                                 antialias=self.antialias)


class RandomResize(_SizeJitter):
    """Resize the shorter edge to a size drawn from [``min_size``, ``max_size``)."""

    def __init__(self, min_size, max_size, interpolation="bilinear", antialias=True):
        self.min_size = min_size
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs):
        return {"size": [_randint(self.min_size, self.max_size)]}


class RandomShortestSize(_SizeJitter):
    """Resize so that the shorter edge is one of ``min_size`` (drawn at random), the longer one no more than
    ``max_size``; the new sizes are truncated to integers."""

    _query = "size"

    def __init__(self, min_size, max_size=None, interpolation="bilinear", antialias=True):
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias

    def _draw_size(self, height, width):
        ratio = self.min_size[_randint(0, len(self.min_size))] / min(height, width)
        if self.max_size is not None:
            ratio = min(ratio, self.max_size / max(height, width))
        return int(height * ratio), int(width * ratio)


class ScaleJitter(_SizeJitter):
    """Resize to fit ``target_size`` (width, height) times a scale drawn from ``scale_range``, keeping the aspect
    ratio; the new sizes are truncated to integers."""

    _query = "size"

    def __init__(self, target_size, scale_range=(0.1, 2.0), interpolation="bilinear", antialias=True):
        self.target_size = target_size
        self.scale_range = scale_range
        self.interpolation = interpolation
        self.antialias = antialias

    def _draw_size(self, height, width):
        scale = self.scale_range[0] + _rand() * (self.scale_range[1] - self.scale_range[0])
        ratio = min(self.target_size[1] / height, self.target_size[0] / width) * scale
        return int(height * ratio), int(width * ratio)


class RandomZoomOut(_ImageTransform):
    """With probability ``p``, place the image at a random spot of a canvas ``side_range`` times its size (the
    factor drawn from that range), filled with ``fill``."""

    _query = "size"

    def __init__(self, fill=0, side_range=(1.0, 4.0), p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p
        _v2_fill(self, fill)
        _check_sequence_input(side_range, "side_range", req_sizes=(2,))
        self.side_range = side_range
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")

    _v2_random_apply = True

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        ratio = self.side_range[0] + _rand() * (self.side_range[1] - self.side_range[0])
        canvas_width, canvas_height = int(width * ratio), int(height * ratio)
        left = int((canvas_width - width) * _rand())
        top = int((canvas_height - height) * _rand())
        return {"padding": [left, top, canvas_width - (left + width), canvas_height - (top + height)]}

    def transform(self, inpt, params):
        return self._call_kernel(F.pad, inpt, params["padding"], fill=_fill_for(self, inpt))


class UniformTemporalSubsample(Transform):
    """Keep ``num_samples`` frames of each video, evenly spaced in time (``uniform_temporal_subsample``)."""

    _transformed_types = (F.Tensor,)

    def __init__(self, num_samples):
        self.num_samples = num_samples

    def transform(self, inpt, params):
        return self._call_kernel(F.uniform_temporal_subsample, inpt, self.num_samples)
