"""torchvision's ``utils``: ``make_grid`` lays a batch of images out as one picture, ``save_image`` writes it,
``draw_bounding_boxes``, ``draw_segmentation_masks`` and ``draw_keypoints`` draw on an image tensor (the boxes,
labels and keypoints with Pillow's ``ImageDraw``, as torchvision does, so those need Pillow)."""
import math
import warnings

import numpy as np

from .._creation import as_tensor, tensor
from .._dtype import uint8
from .._functions import cat, is_tensor, stack
from .._tensor import Tensor
from ..autograd import no_grad
from ._pillow import require_pil_image

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks", "draw_keypoints",
           "flow_to_image"]


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
    # (indexed, as torchvision does: a tuple of one is an IndexError, and one of three uses its first two)
    low, high = (value_range[0], value_range[1]) if value_range is not None else (float(images.min()),
                                                                                  float(images.max()))
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


# ---------------------------------------------------------------------------------------------- drawing
def _require_pil(what):
    """``(Image, ImageColor, ImageDraw, ImageFont)`` from Pillow, or an ImportError naming ``what``."""
    require_pil_image(f"{what} (it draws with PIL.ImageDraw)")
    from PIL import Image, ImageColor, ImageDraw, ImageFont
    return Image, ImageColor, ImageDraw, ImageFont


def _check_image(image, what_type, rgb_only):
    if not isinstance(image, Tensor):
        raise TypeError(what_type.format(type(image)))
    if not (image.dtype == uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if rgb_only and image.size()[0] != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")


def _generate_color_palette(num_objects):
    palette = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1], np.int64)
    return [tuple(int(v) for v in (i * palette) % 255) for i in range(num_objects)]


def _parse_colors(colors, *, num_objects, floating=False):
    """torchvision's ``_parse_colors``: a list of ``num_objects`` RGB tuples (in [0, 1] if ``floating``)."""
    generated = colors is None
    if colors is None:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"Number of colors must be equal or larger than the number of objects, but got "
                             f"{len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got {colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got {colors}.")
    else:  # colors specifies a single color for all objects
        colors = [colors] * num_objects

    if any(isinstance(color, str) for color in colors):
        _, image_color, _, _ = _require_pil("colour names")
        colors = [image_color.getrgb(color) if isinstance(color, str) else color for color in colors]
    if floating:
        # torchvision's generated palette holds int64 tensors, which it divides in float32
        colors = [tuple(float(np.float32(v) / np.float32(255)) if generated else v / 255 for v in color)
                  for color in colors]
    return colors


def _to_uint8(image):
    from .transforms.v2._type_conversion import to_dtype
    return to_dtype(image, uint8, scale=True) if image.is_floating_point() else image


def _from_uint8(out, original_dtype):
    from .transforms.v2._type_conversion import to_dtype
    return to_dtype(out, original_dtype, scale=True) if original_dtype != uint8 else out


_DRAW_CLASS = None


def _image_draw_class():
    """torchvision's ``_ImageDrawTV``: ``ImageDraw`` with the dashed-top oriented rectangle, made on first use."""
    global _DRAW_CLASS
    if _DRAW_CLASS is None:
        _, _, image_draw, _ = _require_pil("draw_bounding_boxes")

        class _ImageDrawTV(image_draw.ImageDraw):
            def oriented_rectangle(self, xy, fill=None, outline=None, width=1):
                self.dashed_line(((xy[0], xy[1]), (xy[2], xy[3])), width=width, fill=outline)
                for i in range(2, len(xy), 2):
                    self.line(((xy[i], xy[i + 1]), (xy[(i + 2) % len(xy)], xy[(i + 3) % len(xy)])), width=width,
                              fill=outline)
                self.polygon(xy, fill=fill, outline=None, width=0)

            def dashed_line(self, xy, fill=None, width=0, joint=None, dash_length=5, space_length=5):
                current_dash = True
                for i in range(1, len(xy)):
                    x1, y1 = xy[i - 1]
                    x2, y2 = xy[i]
                    segment_length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
                    while segment_length > 0:
                        dash_length_to_draw = min(segment_length, dash_length if current_dash else space_length)
                        angle = math.atan2(y2 - y1, x2 - x1)
                        end_x = x1 + math.cos(angle) * dash_length_to_draw
                        end_y = y1 + math.sin(angle) * dash_length_to_draw
                        if current_dash:
                            self.line([(x1, y1), (end_x, end_y)], fill, width, joint)
                        segment_length -= dash_length_to_draw
                        x1, y1 = end_x, end_y
                        current_dash = not current_dash

        _DRAW_CLASS = _ImageDrawTV
    return _DRAW_CLASS


@no_grad()
def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill=False, width=1, font=None, font_size=None,
                        label_colors=None, label_background_colors=None, fill_labels=False):
    """Draws bounding boxes on given RGB image (needs Pillow, the ``[viz]`` extra).

    The image values should be uint8 in [0, 255] or float in [0, 1].
    If fill is True, Resulting Tensor should be saved as PNG image.

    Args:
        image (Tensor): Tensor of shape (C, H, W) and dtype uint8 or float; C is 1 or 3.
        boxes (Tensor): Tensor of size (N, 4) or (N, 8) containing bounding boxes.
            For (N, 4), the format is (xmin, ymin, xmax, ymax) and the boxes are absolute coordinates with
            respect to the image. For (N, 8), the format is (x1, y1, x2, y2, x3, y3, x4, y4): an oriented box,
            drawn with a dashed first side.
        labels (List[str]): List containing the labels of bounding boxes.
        colors (color or list of colors, optional): List containing the colors
            of the boxes or single color for all boxes. The color can be represented as
            PIL strings e.g. "red" or "#FF00FF", or as RGB tuples e.g. ``(240, 10, 157)``.
            By default, random colors are generated for boxes.
        fill (bool): If `True` fills the bounding box with specified color (alpha 100).
        width (int): Width of bounding box.
        font (str): A filename containing a TrueType font; Pillow's default font when None.
        font_size (int): The requested font size in points (used only with ``font``; default 10).
        label_colors (color or list of colors, optional): Colors for the label text. Defaults to the same
            colors used for the boxes, or to black if ``fill_labels`` is True.
        label_background_colors (color or list of colors, optional): Colors for the label text box fill.
            Defaults to the same colors used for the boxes. Ignored when ``fill_labels`` is False.
        fill_labels (bool): If `True` fills the label background. Default: False.

    Returns:
        img (Tensor[C, H, W]): Image Tensor of the input's dtype, with bounding boxes plotted; grayscale
        images come back with 3 channels.
    """
    if not isinstance(image, Tensor):
        raise TypeError(f"Tensor expected, got {type(image)}")
    elif not (image.dtype == uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    elif image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    elif image.size(0) not in {1, 3}:
        raise ValueError("Only grayscale and RGB images are supported")
    # torchvision's check, on the boxes as given: what has no shape, a 0-d tensor and boxes of the wrong rank fail
    # as they fail there (Python's and the indexing's errors)
    if not hasattr(boxes, "shape"):
        raise AttributeError(f"'{type(boxes).__name__}' object has no attribute 'shape'")
    if len(boxes.shape) == 0:
        raise IndexError("tuple index out of range")
    if boxes.shape[-1] == 4 and ((boxes[:, 0] > boxes[:, 2]).any() or (boxes[:, 1] > boxes[:, 3]).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use torchvision.ops.box_convert to "
                         "convert them")
    box_values = np.asarray(boxes.numpy(force=True) if isinstance(boxes, Tensor) else boxes)

    num_boxes = box_values.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn")
        return image

    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. Please specify labels "
                         f"for each box.")

    image_module, _, _, image_font = _require_pil("draw_bounding_boxes")
    colors = _parse_colors(colors, num_objects=num_boxes)
    if label_colors or fill_labels:
        label_colors = _parse_colors(label_colors if label_colors else "black", num_objects=num_boxes)
    else:
        label_colors = colors.copy()
    if fill_labels and label_background_colors:
        label_background_colors = _parse_colors(label_background_colors, num_objects=num_boxes)
    else:
        label_background_colors = colors.copy()

    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.")
        txt_font = image_font.load_default()
    else:
        txt_font = image_font.truetype(font=font, size=font_size or 10)

    if not isinstance(boxes, Tensor):  # (an array passed the checks; torchvision casts it with boxes.to)
        raise AttributeError(f"'{type(boxes).__module__}.{type(boxes).__name__}' object has no attribute 'to'")
    original_dtype = image.dtype
    pixels = _to_uint8(image).numpy(force=True)
    if pixels.shape[0] == 1:
        pixels = np.tile(pixels, (3, 1, 1))
    img_to_draw = image_module.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)))
    # .to(torch.int64) truncates towards zero, as astype does
    img_boxes = box_values.astype(np.int64).tolist() if box_values.dtype.kind in "fiub" else box_values.tolist()

    draw = _image_draw_class()(img_to_draw, "RGBA" if fill else None)
    for bbox, color, label, label_color, label_bg_color in zip(img_boxes, colors, labels, label_colors,
                                                               label_background_colors):
        draw_method = draw.oriented_rectangle if len(bbox) > 4 else draw.rectangle
        fill_color = color + (100,) if fill else None
        draw_method(bbox, width=width, outline=color, fill=fill_color)

        if label is not None:
            box_margin = 1
            margin = width + box_margin
            if fill_labels:
                left, top, right, bottom = draw.textbbox((bbox[0] + margin, bbox[1] + margin), label, font=txt_font)
                draw.rectangle((left - box_margin, top - box_margin, right + box_margin, bottom + box_margin),
                               fill=label_bg_color)
            draw.text((bbox[0] + margin, bbox[1] + margin), label, fill=label_color, font=txt_font)

    out = as_tensor(np.array(img_to_draw)).permute(2, 0, 1)
    return _from_uint8(out, original_dtype)


def _rounded(values, dtype):
    return values.astype(dtype, copy=False)


@no_grad()
def draw_segmentation_masks(image, masks, alpha=0.8, colors=None):
    """Draws segmentation masks on given RGB image.

    The image values should be uint8 in [0, 255] or float in [0, 1]. Pixels where masks overlap are drawn
    black. Needs Pillow only for colours given by name.

    Args:
        image (Tensor): Tensor of shape (3, H, W) and dtype uint8 or float.
        masks (Tensor): Tensor of shape (num_masks, H, W) or (H, W) and dtype bool.
        alpha (float): Float number between 0 and 1 denoting the transparency of the masks.
            0 means full transparency, 1 means no transparency.
        colors (color or list of colors, optional): List containing the colors
            of the masks or single color for all masks. The color can be represented as
            PIL strings e.g. "red" or "#FF00FF", or as RGB tuples e.g. ``(240, 10, 157)``.
            By default, random colors are generated for each mask.

    Returns:
        img (Tensor[C, H, W]): Image Tensor of the input's dtype, with segmentation masks drawn on top.
    """
    _check_image(image, "The image must be a tensor, got {}", rgb_only=True)
    if masks.ndim == 2:
        masks = masks[None, :, :]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype != _dtype_bool():
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if tuple(masks.shape[-2:]) != tuple(image.shape[-2:]):
        raise ValueError("The image and the masks must have the same height and width")

    mask_values = masks.numpy(force=True)
    num_masks = mask_values.shape[0]
    overlapping_masks = mask_values.sum(axis=0) > 1
    if num_masks == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn")
        return image

    pixels = image.numpy(force=True)
    floating = image.is_floating_point()
    # the colours and their painting as torchvision's tensors, which refuse odd colours with PyTorch's errors
    colors = [tensor(color, dtype=image.dtype) for color in _parse_colors(colors, num_objects=num_masks,
                                                                         floating=floating)]
    canvas = as_tensor(pixels.copy())
    for mask, color in zip(as_tensor(mask_values), colors):
        canvas[:, mask] = color[:, None]
    img_to_draw = canvas.numpy()
    img_to_draw[:, overlapping_masks] = 0

    # PyTorch: uint8 * python float is float32; half-precision ops run in float32 and round after each op
    result_dtype = pixels.dtype if floating else np.dtype(np.float32)
    compute = np.float64 if result_dtype == np.float64 else np.float32
    kept = _rounded(pixels.astype(compute) * compute(1 - alpha), result_dtype)
    drawn = _rounded(img_to_draw.astype(compute) * compute(alpha), result_dtype)
    out = _rounded(kept.astype(compute) + drawn.astype(compute), result_dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        return as_tensor(out.astype(pixels.dtype))


def _dtype_bool():
    from .._dtype import bool as bool_dtype
    return bool_dtype


@no_grad()
def draw_keypoints(image, keypoints, connectivity=None, colors=None, radius=2, width=3, visibility=None):
    """Draws Keypoints on given RGB image (needs Pillow, the ``[viz]`` extra).

    The image values should be uint8 in [0, 255] or float in [0, 1].
    Keypoints can be drawn for multiple instances at a time.

    Args:
        image (Tensor): Tensor of shape (3, H, W) and dtype uint8 or float.
        keypoints (Tensor): Tensor of shape (num_instances, K, 2) the K keypoint locations for each of the N
            instances, in the format [x, y].
        connectivity (List[Tuple[int, int]]]): A List of tuple where each tuple contains a pair of keypoints
            to be connected. If at least one of the two connected keypoints has a ``visibility`` of False,
            this specific connection is not drawn.
        colors (str, Tuple): The color can be represented as
            PIL strings e.g. "red" or "#FF00FF", or as RGB tuples e.g. ``(240, 10, 157)``.
        radius (int): Integer denoting radius of keypoint.
        width (int): Integer denoting width of line connecting keypoints.
        visibility (Tensor): Tensor of shape (num_instances, K) specifying the visibility of the K
            keypoints for each of the N instances (cast to bool). Default ``None``: all visible.

    Returns:
        img (Tensor[C, H, W]): Image Tensor of the input's dtype, with keypoints drawn.
    """
    _check_image(image, "The image must be a tensor, got {}", rgb_only=True)
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        from .._creation import ones
        visibility = ones(tuple(keypoints.shape[:-1]), dtype=_dtype_bool())
    if visibility.ndim == 3:
        visibility = visibility.squeeze(-1)
    if visibility.ndim != 2:
        raise ValueError(f"visibility must be of shape (num_instances, K). Got ndim={visibility.ndim}")
    if visibility.shape != keypoints.shape[:-1]:
        raise ValueError("keypoints and visibility must have the same dimensionality for num_instances and K. "
                         f"Got {visibility.shape=} and {keypoints.shape=}")

    image_module, _, image_draw, _ = _require_pil("draw_keypoints")
    original_dtype = image.dtype
    pixels = _to_uint8(image).numpy(force=True)
    img_to_draw = image_module.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)))
    draw = image_draw.Draw(img_to_draw)
    img_kpts = np.asarray(keypoints.numpy(force=True)).astype(np.int64).tolist()
    img_vis = np.asarray(visibility.numpy(force=True)).astype(bool).tolist()

    for kpt_inst, vis_inst in zip(img_kpts, img_vis):
        for kpt_coord, kp_vis in zip(kpt_inst, vis_inst):
            if not kp_vis:
                continue
            x1, x2 = kpt_coord[0] - radius, kpt_coord[0] + radius
            y1, y2 = kpt_coord[1] - radius, kpt_coord[1] + radius
            draw.ellipse([x1, y1, x2, y2], fill=colors, outline=None, width=0)
        if connectivity:
            for connection in connectivity:
                if (not vis_inst[connection[0]]) or (not vis_inst[connection[1]]):
                    continue
                start_x, start_y = kpt_inst[connection[0]][0], kpt_inst[connection[0]][1]
                end_x, end_y = kpt_inst[connection[1]][0], kpt_inst[connection[1]][1]
                draw.line(((start_x, start_y), (end_x, end_y)), width=width)

    out = as_tensor(np.array(img_to_draw)).permute(2, 0, 1)
    return _from_uint8(out, original_dtype)


# The Middlebury optical-flow colour wheel (Baker et al., "A Database and Evaluation Methodology for Optical
# Flow"): hue segments red-yellow, yellow-green, green-cyan, cyan-blue, blue-magenta, magenta-red, each a ramp of
# this many steps from one primary mix to the next.
_WHEEL_SEGMENTS = (15, 6, 4, 11, 13, 6)


def _colour_wheel():
    """The wheel as a (55, 3) float32 array: in each segment one channel ramps up or down (in whole levels,
    ``floor(255 * i / n)``) while another stays at 255."""
    # (channel held at 255, channel that ramps, rising?) for each segment, red = 0, green = 1, blue = 2
    plan = ((0, 1, True), (1, 0, False), (1, 2, True), (2, 1, False), (2, 0, True), (0, 2, False))
    rows = []
    for steps, (held, ramped, rising) in zip(_WHEEL_SEGMENTS, plan):
        ramp = np.floor(np.float32(255) * (np.arange(steps, dtype=np.float32) / np.float32(steps)))
        block = np.zeros((steps, 3), np.float32)
        block[:, held] = 255
        block[:, ramped] = ramp if rising else 255 - ramp
        rows.append(block)
    return np.concatenate(rows)


@no_grad()
def flow_to_image(flow):
    """An optical flow field as an RGB uint8 image, as torchvision's ``flow_to_image``: the direction of each
    vector picks a hue on the Middlebury colour wheel and its length (relative to the longest vector of the
    batch) the saturation.

    Args:
        flow (Tensor): float32 flow of shape (2, H, W) or (N, 2, H, W), x then y.

    Returns:
        Tensor: uint8 image of shape (3, H, W) or (N, 3, H, W).

    Raises:
        ValueError: for a flow that is not float32 or not of one of those shapes.
    """
    from .._dtype import float32

    if flow.dtype != float32:
        raise ValueError(f"Flow should be of dtype torch.float, got {flow.dtype}.")
    original_shape = flow.shape
    data = flow._data[None] if flow.ndim == 3 else flow._data
    if data.ndim != 4 or data.shape[1] != 2:
        raise ValueError(f"Input flow should have shape (2, H, W) or (N, 2, H, W), got {original_shape}.")
    longest = np.sqrt(np.sum(data ** 2, axis=1)).max()
    data = data / (longest + np.finfo(np.float32).eps)
    wheel = _colour_wheel()
    colours = wheel.shape[0]
    length = np.sqrt(np.sum(data ** 2, axis=1))
    # the angle of the vector turned half a turn, in (-1, 1], mapped onto the wheel's positions
    angle = np.arctan2(-data[:, 1], -data[:, 0]) / np.float32(np.pi)
    position = (angle + 1) / 2 * np.float32(colours - 1)
    below = np.floor(position).astype(np.int64)
    above = below + 1
    above[above == colours] = 0
    fraction = position - below.astype(np.float32)  # float32, as torch's float - long (NumPy would give float64)
    image = np.zeros((data.shape[0], 3, data.shape[2], data.shape[3]), np.uint8)
    for channel in range(3):
        mixed = (1 - fraction) * (wheel[below, channel] / np.float32(255)) + fraction * (
            wheel[above, channel] / np.float32(255))
        mixed = 1 - length * (1 - mixed)
        image[:, channel] = np.floor(np.float32(255) * mixed)
    out = Tensor._wrap(image)
    return out[0] if len(original_shape) == 3 else out
