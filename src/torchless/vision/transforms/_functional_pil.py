"""The functional transforms for PIL images, done by Pillow as torchvision's ``_functional_pil`` does them,
so that a PIL image comes back as a PIL image with the very pixels torchvision gives.

``functional`` checks the arguments shared with the tensor path and imports this module only once it is
given a PIL image: importing torchless never imports Pillow.
"""
import numpy as np
from PIL import Image, ImageEnhance, ImageOps

# Pillow's integer codes: the Image.Transpose / Image.Transform enums they stand for are missing in Pillow 9.0.
_FLIP_LEFT_RIGHT, _FLIP_TOP_BOTTOM = 0, 1
_AFFINE, _PERSPECTIVE = 0, 2


# ---------------------------------------------------------------------------------------------- geometry
def hflip(img):
    return img.transpose(_FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(_FLIP_TOP_BOTTOM)


def crop(img, top, left, height, width):
    """The box at (top, left); Pillow fills what lies outside the image with zeros."""
    return img.crop((left, top, left + width, top + height))


def resize(img, size, interpolation):
    """``img`` resized to ``size`` = [height, width] with Pillow's filter code ``interpolation``."""
    height, width = size
    return img.resize((width, height), interpolation)


def parse_fill(fill, img, name="fillcolor"):
    """``{name: fill}`` for Pillow: one value per band, integers unless the image is of mode ``F``.

    Raises:
        ValueError: for a sequence whose length is neither 1 nor the number of bands.
    """
    num_channels = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * num_channels
        elif len(fill) != num_channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {num_channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill, padding_mode):
    """``img`` padded by ``padding`` = (left, top, right, bottom) pixels (negative amounts crop).

    ``constant`` padding is Pillow's ``ImageOps.expand``; the other modes go through ``numpy.pad``, as in
    torchvision. Palette images keep their palette.
    """
    palette = img.getpalette() if img.mode == "P" else None
    if padding_mode == "constant":
        padded = ImageOps.expand(img, border=tuple(padding), **parse_fill(fill, img, name="fill"))
    else:
        # torchvision's NumPy arithmetic: bools count as 0 and 1, floats reach np.pad, which refuses them
        crop_left, crop_top, crop_right, crop_bottom = -np.minimum(padding, 0)
        if crop_left or crop_top or crop_right or crop_bottom:
            img = img.crop((crop_left, crop_top, img.width - crop_right, img.height - crop_bottom))
        left, top, right, bottom = np.maximum(padding, 0)
        array = np.asarray(img)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)
        padded = Image.fromarray(np.pad(array, widths, mode=padding_mode))
    if palette is not None:
        padded.putpalette(palette)
    return padded


def rotate(img, angle, interpolation, expand, center, fill):
    return img.rotate(angle, interpolation, expand, center, **parse_fill(fill, img))


def affine(img, matrix, interpolation, fill):
    """``img`` sampled through ``matrix``, the 2 x 3 map from output to input pixel coordinates."""
    return img.transform(img.size, _AFFINE, matrix, interpolation, **parse_fill(fill, img))


def perspective(img, coeffs, interpolation, fill):
    """``img`` sampled through the output-to-input homography with the eight ``coeffs``."""
    return img.transform(img.size, _PERSPECTIVE, coeffs, interpolation, **parse_fill(fill, img))


# ------------------------------------------------------------------------------------------------ colour
def to_grayscale(img, num_output_channels):
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        luma = np.array(img.convert("L"), dtype=np.uint8)
        return Image.fromarray(np.dstack([luma, luma, luma]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def adjust_brightness(img, brightness_factor):
    return ImageEnhance.Brightness(img).enhance(brightness_factor)


def adjust_contrast(img, contrast_factor):
    return ImageEnhance.Contrast(img).enhance(contrast_factor)


def adjust_saturation(img, saturation_factor):
    return ImageEnhance.Color(img).enhance(saturation_factor)


def adjust_sharpness(img, sharpness_factor):
    return ImageEnhance.Sharpness(img).enhance(sharpness_factor)


def adjust_hue(img, hue_factor):
    """Shift Pillow's 8-bit hue channel by ``hue_factor * 255`` (truncated), wrapping around the circle."""
    input_mode = img.mode
    if input_mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    hue = np.array(h, dtype=np.uint8)
    hue += np.int32(hue_factor * 255).astype(np.uint8)  # uint8 arithmetic wraps: the hue is an angle
    return Image.merge("HSV", (Image.fromarray(hue, "L"), s, v)).convert(input_mode)


def adjust_gamma(img, gamma, gain):
    """``255 * gain * (I / 255) ** gamma`` through a lookup table on the RGB version of the image."""
    input_mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(value / 255.0, gamma)) for value in range(256)] * 3
    return img.convert("RGB").point(table).convert(input_mode)


def invert(img):
    return ImageOps.invert(img)


def posterize(img, bits):
    return ImageOps.posterize(img, bits)


def solarize(img, threshold):
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    return ImageOps.autocontrast(img)


def equalize(img):
    return ImageOps.equalize(img)

