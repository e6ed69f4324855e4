"""RandomErasing and GaussianBlur.
"""
import numbers
from collections.abc import Sequence

import numpy as np

from ..._creation import as_tensor
from ..._tensor import Tensor
from ...random import stream
from . import functional as F
from ._transform_base import (_check_scale_and_ratio, _log, _rand_tensor, _randint, _region_sides, _setup_size, _Transform,
                              _uniform)


class RandomErasing(_Transform):
    """Erase a random rectangle of a tensor image with probability ``p`` (Zhong et al., Random Erasing).

    Args:
        p (float): probability of erasing. Default: 0.5.
        scale (tuple): range of the erased area as a fraction of the image's. Default: (0.02, 0.33).
        ratio (tuple): range of the erased region's aspect ratio, drawn log-uniformly. Default: (0.3, 3.3).
        value (number, sequence or "random"): erasing value, one per channel, or standard normal noise for
            ``"random"``. Default: 0.
        inplace (bool): erase the input tensor itself. Default: ``False``.
    """

    _input_word = "input"  # v2 says "inpt"

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        _check_scale_and_ratio(scale, ratio)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """(i, j, h, w, v): the region and its new content; the whole image and itself if ten draws fail."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (_log(ratio[0]), _log(ratio[1]))
        for _ in range(10):
            h, w = _region_sides(area, scale, log_ratio)
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = Tensor._wrap(stream().normal((img_c, h, w), np.float32))
            else:
                v = as_tensor(value)[:, None, None]  # torch.tensor(value): ints stay int64
            i = _randint(0, img_h - h + 1)
            j = _randint(0, img_w - w + 1)
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def _erasing_value(self, channels):
        """``value`` as the erased pixels' channel values: one for every channel or one per channel (a sequence of
        another length refused), or None for "random"."""
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        if value is not None and len(value) not in (1, channels):
            raise ValueError("If value is a sequence, it should have either a single value or "
                             f"{channels} (number of {self._input_word} channels)")
        return value

    def forward(self, img):
        if _rand_tensor() < self.p:
            value = self._erasing_value(img.shape[-3])
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self):
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class GaussianBlur(_Transform):
    """Blur with a Gaussian kernel whose sigma is drawn uniformly from ``sigma``.

    Args:
        kernel_size (int or sequence): odd, positive (kx, ky), or an int for both.
        sigma (float or (min, max)): the standard deviation, or its range. Default: (0.1, 2.0).
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        """A sigma drawn uniformly from [sigma_min, sigma_max]."""
        return _uniform(sigma_min, sigma_max)

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self):
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"
