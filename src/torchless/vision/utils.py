"""torchvision's ``utils``: ``make_grid`` lays a batch of images out as one picture, ``save_image`` writes it."""
import math

from .._dtype import uint8
from .._functions import cat, is_tensor, stack
from ..autograd import no_grad
from ._pillow import require_pil_image

__all__ = ["make_grid", "save_image"]


@no_grad()
def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Make a grid of images.

    Single-channel images are repeated to 3 channels first, so greyscale batches give an RGB grid. A lone
    image comes back unpadded (as a C x H x W tensor).

    Args:
        tensor (Tensor or list): 4D mini-batch Tensor of shape (B x C x H x W), a single image (C x H x W or
            H x W), or a list of images all of the same size.
        nrow (int, optional): Number of images displayed in each row of the grid.
            The final grid size is ``(B / nrow, nrow)``. Default: ``8``.
        padding (int, optional): amount of padding around and between the images. Default: ``2``.
        normalize (bool, optional): If True, shift the image to the range (0, 1),
            by the min and max values specified by ``value_range``. Default: ``False``.
        value_range (tuple, optional): tuple (min, max) where min and max are numbers,
            then these numbers are used to normalize the image. By default, min and max
            are computed from the tensor.
        scale_each (bool, optional): If ``True``, scale each image in the batch of
            images separately rather than the (min, max) over all images. Default: ``False``.
        pad_value (float, optional): Value for the padded pixels. Default: ``0``.

    Returns:
        grid (Tensor): of shape (C, ymaps * (H + padding) + padding, xmaps * (W + padding) + padding), with
        ``xmaps = min(nrow, B)`` and ``ymaps = ceil(B / xmaps)``; image ``k`` sits at row ``k // xmaps``,
        column ``k % xmaps``.
    """
    if not is_tensor(tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not is_tensor(t):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = stack(tensor, dim=0)

    if tensor.dim() == 2:  # H x W
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # C x H x W
        if tensor.size(0) == 1:
            tensor = cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = cat((tensor, tensor, tensor), 1)

    if normalize is True:
        tensor = tensor.clone()  # the caller's images stay as they were
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        for images in (tensor if scale_each is True else [tensor]):
            _normalize_in_place(images, value_range)

    if tensor.size(0) == 1:
        return tensor.squeeze(0)

    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((tensor.size(1), height * ymaps + padding, width * xmaps + padding), pad_value)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        cell = grid.narrow(1, y * height + padding, height - padding).narrow(2, x * width + padding, width - padding)
        cell.copy_(tensor[k])
    return grid


def _normalize_in_place(images, value_range):
    """Clamp ``images`` to (low, high) -- by default their own min and max -- and map that range onto (0, 1)."""
    low, high = value_range if value_range is not None else (float(images.min()), float(images.max()))
    images.clamp_(min=low, max=high)
    images.sub_(low).div_(max(high - low, 1e-5))  # a constant image becomes 0 instead of NaN


@no_grad()
def save_image(tensor, fp, format=None, **kwargs):
    """Save a given Tensor into an image file (needs Pillow, the ``[viz]`` extra).

    Args:
        tensor (Tensor or list): Image to be saved, values in [0, 1]. If given a mini-batch tensor,
            saves the tensor as a grid of images by calling ``make_grid``.
        fp (string or file object): A filename or a file object.
        format (Optional): If omitted, the format to use is determined from the filename extension.
            If a file object was used instead of a filename, this parameter should always be used.
        **kwargs: Other arguments are documented in ``make_grid``.
    """
    image = require_pil_image()
    grid = make_grid(tensor, **kwargs)
    # + 0.5 rounds to the nearest integer when the cast to uint8 truncates
    pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", uint8).numpy()
    image.fromarray(pixels).save(fp, format=format)
