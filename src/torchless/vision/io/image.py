"""Decoding image files into uint8 C x H x W tensors and encoding such tensors as PNG or JPEG, by Pillow, with the
channels and conversions of torchvision's libjpeg / libpng / giflib decoders."""
import io
import struct
import zlib

import numpy as np

from ..._creation import as_tensor
from ..._tensor import Tensor
from ..._device import device as _device
from ... import _dtype
from .._pillow import require_pil_image
from . import _gif, _jpeg, _png
from ._file import (check_byte_tensor, check_encoded_data, check_op_arguments, read_file, warn_deprecated,
                    write_file)
from ._read_mode import ImageReadMode, as_read_mode

# The Pillow mode each read mode converts to; UNCHANGED keeps the file's own channels.
_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}
_UNSUPPORTED_FILE = ("Unsupported image file. Only jpeg, png, webp and gif are currently supported. For avif and heic "
                     "format, please rely on `decode_avif` and `decode_heic` directly.")
# What each of torchvision's decoders says of a file with the right signature that it cannot decode (truncated,
# corrupt): libjpeg's premature end, libpng's read callback running out of bytes (GIFs are torchless's own to read)
_CORRUPT = {"JPEG": "Image is incomplete or truncated",
            "PNG": "Out of bound read in decode_png. Probably, the input image is corrupted"}
_SIGNATURES = {"JPEG": b"\xff\xd8", "PNG": b"\x89PNG\r\n\x1a\n"}
# The schemas of torchvision's C++ operators, whose argument types the dispatcher checks
_DECLARATIONS = {name: f"image::{name}({parameters}) -> Tensor" for name, parameters in (
    ("decode_image", "Tensor data, int mode, bool apply_exif_orientation=False"),
    ("decode_png", "Tensor data, int mode, bool apply_exif_orientation=False"),
    ("decode_jpeg", "Tensor data, int mode, bool apply_exif_orientation=False"),
    ("decode_gif", "Tensor data"), ("decode_webp", "Tensor encoded_data, int mode"),
    ("encode_png", "Tensor data, int compression_level"), ("encode_jpeg", "Tensor data, int quality"))}
# libpng's png_set_rgb_to_gray(png, 1, 0.2989, 0.587) as torchvision calls it: 15-bit fixed point, truncated.
_LIBPNG_LUMA = (9794, 19234, 32768 - 9794 - 19234)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read a JPEG, PNG, GIF or WEBP image file into a uint8 tensor (C, H, W) (see ``decode_image``).

    Args:
        path (str or ``pathlib.Path``): path of the image.
        mode (ImageReadMode or str): the channels to convert to. Default: ``ImageReadMode.UNCHANGED``.
        apply_exif_orientation (bool): turn the image as its EXIF orientation tag says. Default: False.

    Returns:
        Tensor[image_channels, image_height, image_width]
    """
    warn_deprecated()
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode the bytes of a JPEG, PNG, GIF or WEBP file into a uint8 tensor (C, H, W), as torchvision's
    libjpeg / libpng / giflib decoders give it.

    Args:
        input (Tensor or str or ``pathlib.Path``): a one-dimensional uint8 tensor of the file's bytes, or the
            file's path.
        mode (ImageReadMode or str): the channels to convert to. Default: ``ImageReadMode.UNCHANGED``, which
            keeps grayscale (1), grayscale + alpha (2), RGB (3) or RGBA (4) -- and, as libpng, the palette
            indices (1 channel) of a palette PNG; CMYK JPEGs keep 4 channels. GIFs always give RGB.
        apply_exif_orientation (bool): turn the image as its EXIF orientation tag says. Default: False.

    Raises:
        RuntimeError: for a tensor that is not uint8 or not one-dimensional and non-empty, or bytes that are
            not a JPEG, PNG, GIF or WEBP image.
    """
    warn_deprecated()
    if not isinstance(input, Tensor):
        input = read_file(input)
    mode = as_read_mode(mode)
    check_op_arguments(_DECLARATIONS["decode_image"], input, mode.value, apply_exif_orientation)
    check_byte_tensor(input)
    # torchvision dispatches on the first bytes alone; the format's decoder then has its say
    decode = _decoder_for(_leading_bytes(input, 15))
    if decode is None:
        raise RuntimeError(_UNSUPPORTED_FILE)
    check_encoded_data(input)  # the format's decoder checks the tensor again (and refuses a strided one)
    return decode(input, mode, apply_exif_orientation)


def _decoder_for(head):
    """decode_image's decoder, (input, mode, apply_exif_orientation) to tensor, for a file starting with ``head``;
    None for an unsupported format."""
    if head.startswith(b"\xff\xd8\xff"):
        return _jpeg_from_bytes
    if head.startswith(b"\x89PNG"):
        return _png_from_bytes
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return lambda input, mode, apply_exif_orientation: _gif_from_bytes(input)
    if head[:4] == b"RIFF" and head[8:15] == b"WEBPVP8":
        return lambda input, mode, apply_exif_orientation: _webp_from_bytes(input, mode)
    return None


def _leading_bytes(data, count):
    """The first ``count`` bytes in memory from a one-dimensional uint8 tensor's first element, which is what
    torchvision's decode_image reads to tell the format, whatever the tensor's stride (a strided view of a file's
    bytes is then told by the file's signature, and its decoder refuses it as not contiguous)."""
    array = data.numpy()
    stride = array.strides[0]
    if array.flags.c_contiguous or stride <= 0:
        return array[:count].tobytes()
    span = (array.shape[0] - 1) * stride + 1  # the bytes the view covers, read no further
    return np.lib.stride_tricks.as_strided(array, (min(count, span),), (1,)).tobytes()


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode the bytes of a PNG file into a uint8 tensor (C, H, W) (see ``decode_image``).

    Raises:
        RuntimeError: for a tensor that is not a non-empty one-dimensional uint8 one, or bytes that are not a PNG.
    """
    warn_deprecated()
    mode = as_read_mode(mode)
    check_op_arguments(_DECLARATIONS["decode_png"], input, mode.value, apply_exif_orientation)
    check_encoded_data(input)
    return _png_from_bytes(input, mode, apply_exif_orientation)


def _png_from_bytes(input, mode, apply_exif_orientation):
    if input.numel() < 8:
        raise RuntimeError("Content is too small for png!")
    image = _open(input, "Content is not png!", "PNG")
    return _exif_layout(_decode_png(image, mode, apply_exif_orientation), image, apply_exif_orientation)


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    """Decode the bytes of a JPEG file (or a list of them) into a uint8 tensor (C, H, W) (or a list of them).

    Args:
        input (Tensor or list of Tensors): one-dimensional uint8 tensors of the files' bytes.
        mode (ImageReadMode or str): the channels to convert to. Default: ``ImageReadMode.UNCHANGED``.
        device (str): only ``"cpu"``: torchless has no GPU decoder.
        apply_exif_orientation (bool): turn the image as its EXIF orientation tag says. Default: False.

    Raises:
        ValueError: for an empty list.
        RuntimeError: for bytes that are not a JPEG file.
    """
    warn_deprecated()
    if isinstance(device, str):  # parsed first, as torchvision does: a malformed string is torch.device's error
        device = _device(device)
    if isinstance(input, list):  # (only a list: torchvision takes anything else for a tensor)
        if len(input) == 0:
            raise ValueError("Input list must contain at least one element")
        if not all(isinstance(data, Tensor) for data in input):
            raise ValueError("All elements of the input list must be tensors.")
        return [decode_jpeg(data, mode, device, apply_exif_orientation) for data in input]
    input.device  # noqa: B018  (torchvision asks for the device first: AttributeError for a non-tensor)
    mode = as_read_mode(mode)
    check_op_arguments(_DECLARATIONS["decode_jpeg"], input, mode.value, apply_exif_orientation)
    check_encoded_data(input)
    return _jpeg_from_bytes(input, mode, apply_exif_orientation)


def _jpeg_from_bytes(input, mode, apply_exif_orientation):
    head = input.numpy()[:2].tobytes()
    if len(head) < 2:  # libjpeg cannot even read the two bytes of a marker
        raise RuntimeError(_CORRUPT["JPEG"])
    if head != b"\xff\xd8":  # libjpeg looks for the SOI marker first (the rest of the bytes come later)
        raise RuntimeError("Not a JPEG file: starts with " + " ".join(f"0x{byte:02x}" for byte in head))
    image = _open(input, _CORRUPT["JPEG"], "JPEG")
    return _exif_layout(_decode_jpeg(image, mode, apply_exif_orientation), image, apply_exif_orientation)


def _exif_layout(chw, image, apply_exif_orientation):
    """The decoded ``chw`` laid out as torchvision orients images, by a transpose and flips of the decoded buffer
    (flips keep the layout): an orientation that swaps the axes (EXIF 5 to 8) leaves the pixels in the file's
    order in memory, strides (1, C, H * C) -- where torchless's Pillow turned the pixels themselves."""
    if not apply_exif_orientation or image.getexif().get(0x0112) not in (5, 6, 7, 8):
        return chw
    return as_tensor(np.ascontiguousarray(chw.numpy().transpose(2, 1, 0))).permute(2, 1, 0)


def decode_gif(input):
    """Decode the bytes of a GIF file into a uint8 RGB tensor: (3, H, W), or (N, 3, H, W) for N frames."""
    warn_deprecated()
    check_op_arguments(_DECLARATIONS["decode_gif"], input)
    check_encoded_data(input)
    return _gif_from_bytes(input)


def _gif_from_bytes(input):
    """giflib's output, as torchvision returns it whatever the mode (and without EXIF orientation): RGB, one
    (3, H, W) image per frame, stacked to (N, 3, H, W) when there are several, channels last in memory. Decoded
    by torchless's own reader (``_gif``), which reads defective files as giflib does (Pillow reads them otherwise)."""
    try:
        frames = _gif.decode_frames(input.numpy().tobytes())
    except _gif.GifError as error:
        raise RuntimeError(str(error)) from None
    return as_tensor(frames[0] if len(frames) == 1 else frames).movedim(-1, -3)


def decode_webp(input, mode=ImageReadMode.UNCHANGED):
    """Decode the bytes of a WEBP file into a uint8 tensor (C, H, W) (RGB, or RGBA with transparency)."""
    warn_deprecated()
    mode = as_read_mode(mode)
    check_op_arguments(_DECLARATIONS["decode_webp"], input, mode.value)
    check_encoded_data(input)
    return _webp_from_bytes(input, mode)


def _webp_from_bytes(input, mode):
    image = _open(input, None, "WEBP")
    return _decode_webp(image, mode, False)


def _decode_webp(image, mode, apply_exif_orientation):
    """libwebp's output: RGB, or RGBA for an image with alpha; torchvision's WEBP decoder has no grayscale
    conversion and hands GRAY and GRAY_ALPHA requests the image in its own colours (with a C++ warning)."""
    if getattr(image, "is_animated", False):
        raise RuntimeError("Animated webp files are not supported.")
    if mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA):
        mode = ImageReadMode.UNCHANGED
    # torchvision's WEBP decoder takes no EXIF orientation (decode_image does not pass it on)
    return _decode_generic(image, mode, False)


# torchvision decodes AVIF and HEIC only through the separate (LGPL) torchvision-extra-decoders package
_NO_EXTRA_DECODERS = (
    "In order to enable the AVIF and HEIC decoding capabilities of torchvision, you need to `pip install "
    "torchvision-extra-decoders`. Just install the package, you don't need to update your code. This is only "
    "supported on Linux, and this feature is still in BETA stage. Please let us know of any issue: "
    "https://github.com/pytorch/vision/issues/new/choose. Note that `torchvision-extra-decoders` is released under "
    "the LGPL license. ")


def decode_avif(input, mode=ImageReadMode.UNCHANGED):
    """Decode an AVIF image. torchless has no AVIF decoder: it raises what torchvision raises without
    ``torchvision-extra-decoders`` installed.

    Raises:
        RuntimeError: always.
    """
    warn_deprecated()
    raise RuntimeError(_NO_EXTRA_DECODERS)


def decode_heic(input, mode=ImageReadMode.UNCHANGED):
    """Decode an HEIC image. torchless has no HEIC decoder: it raises what torchvision raises without
    ``torchvision-extra-decoders`` installed.

    Raises:
        RuntimeError: always.
    """
    warn_deprecated()
    raise RuntimeError(_NO_EXTRA_DECODERS)


def _open(data, message, expected_format=None):
    """The (not yet loaded) Pillow image in ``data``'s bytes, or RuntimeError(``message``) when Pillow cannot
    read it or it is not of ``expected_format`` (a Pillow format name; None: any). Bytes that start with
    ``expected_format``'s signature but cannot be read are a truncated file, with that decoder's message."""
    Image = require_pil_image()
    raw = data.numpy().tobytes()
    if expected_format == "PNG" and raw.startswith(_SIGNATURES["PNG"]):
        raw = _as_libpng_reads(raw)
    elif expected_format == "JPEG":
        raw = _jpeg.as_libjpeg_reads(raw)
    try:
        image = Image.open(io.BytesIO(raw))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        # Pillow's "cannot identify image file", or a header whose size it takes for a decompression bomb (a size
        # that disagrees with the bitstream's own, which the formats' decoders refuse)
        if expected_format == "WEBP" or raw.startswith(_SIGNATURES.get(expected_format, b"-")):
            message = _corrupt(expected_format, raw)
        raise RuntimeError(message) from None
    if expected_format is not None and image.format != expected_format:
        raise RuntimeError(message or _corrupt(expected_format, raw))
    image.encoded = raw  # for the message of a file that then fails to decode
    return image


def _corrupt(file_format, raw):
    """What torchvision's decoder of ``file_format`` says of the bytes ``raw`` that Pillow could not decode."""
    if file_format == "PNG":
        # the chunks were whole (``_as_libpng_reads``): libpng's error handler met a defect in the image data
        return "Internal error."
    if file_format == "WEBP":
        return _webp_failure(raw)
    if file_format == "JPEG":
        return _jpeg.failure(raw) or _CORRUPT["JPEG"]
    return _CORRUPT.get(file_format, _UNSUPPORTED_FILE)


def _webp_failure(raw):
    """libwebp's error, as torchvision reports it, for WEBP bytes Pillow could not decode: what WebPGetFeatures
    (``_webp_features_status``) says of their headers, or, when it could read them, the decoding's own failure."""
    status = _webp_features_status(raw)
    if status != 0:
        return f"WebPGetFeatures failed with error code {status}"
    is_animated = raw[12:16] == b"VP8X" and raw[20] & 0x02  # (features read: a RIFF file, its VP8X whole)
    return "Animated webp files are not supported." if is_animated else "WebPDecodeRGB[A] failed."


def _webp_features_status(raw):
    """libwebp's ``ParseHeadersInternal`` as WebPGetFeatures runs it (not all the data at hand): 0 (OK) once the
    headers are read, VP8_STATUS_NOT_ENOUGH_DATA (7) for bytes that stop before they end, VP8_STATUS_BITSTREAM_ERROR
    (3) for headers it refuses. An extended file (VP8X) whose later headers are cut short is OK: its VP8X chunk
    gave the features."""
    status, canvas = _webp_headers_status(raw)
    return 0 if status == 7 and canvas is not None else status


def _webp_headers_status(raw):
    """``_webp_features_status``'s status before an extended file's leniency, and the VP8X canvas (width, height),
    or None without one."""
    not_enough_data, bitstream_error = 7, 3
    if len(raw) < 12:
        return not_enough_data, None
    riff_size, position, canvas = 0, 0, None
    if raw[:4] == b"RIFF":
        if raw[8:12] != b"WEBP":
            return bitstream_error, None
        riff_size = int.from_bytes(raw[4:8], "little")
        if not 12 <= riff_size <= 0xFFFFFFF6:  # at least one chunk header; at most libwebp's largest payload
            return bitstream_error, None
        position = 12
    if len(raw) - position < 8:
        return not_enough_data, None
    if raw[position:position + 4] == b"VP8X":
        if int.from_bytes(raw[position + 4:position + 8], "little") != 10:
            return bitstream_error, None
        if len(raw) - position < 18:
            return not_enough_data, None
        canvas = (1 + int.from_bytes(raw[position + 12:position + 15], "little"),
                  1 + int.from_bytes(raw[position + 15:position + 18], "little"))
        if canvas[0] * canvas[1] >= 1 << 32 or not riff_size:
            return bitstream_error, None
        if raw[position + 8] & 0x02:  # animated: the VP8X says all WebPGetFeatures tells
            return 0, canvas
        position += 18
        # the optional chunks (ALPH, ICCP, ...) up to the frame's, each within the RIFF size
        total_size = 22
        while True:
            if len(raw) - position < 8:
                return not_enough_data, canvas
            chunk_size = int.from_bytes(raw[position + 4:position + 8], "little")
            if chunk_size > 0xFFFFFFF6:
                return bitstream_error, canvas
            disk_size = (8 + chunk_size + 1) & ~1
            total_size += disk_size
            if total_size > riff_size:
                return bitstream_error, canvas
            if raw[position:position + 4] in (b"VP8 ", b"VP8L"):
                break
            if len(raw) - position < disk_size:
                return not_enough_data, canvas
            position += disk_size
    elif len(raw) - position < 4:
        return not_enough_data, canvas
    tag = raw[position:position + 4]
    if tag in (b"VP8 ", b"VP8L"):
        size = int.from_bytes(raw[position + 4:position + 8], "little")
        if riff_size >= 12 and size > riff_size - 12:
            return bitstream_error, canvas
        lossless, position = tag == b"VP8L", position + 8
    else:  # a raw bitstream, lossless if it has VP8L's signature
        lossless = _vp8l_signature(raw[position:])
        size = len(raw) - position
    frame = raw[position:]
    if len(frame) < (5 if lossless else 10):
        return not_enough_data, canvas
    if lossless:
        bits = int.from_bytes(frame[1:5], "little")
        dimensions = (1 + (bits & 0x3FFF), 1 + (bits >> 14 & 0x3FFF)) if _vp8l_signature(frame) else None
    else:
        bits = int.from_bytes(frame[:3], "little")
        dimensions = (int.from_bytes(frame[6:8], "little") & 0x3FFF, int.from_bytes(frame[8:10], "little") & 0x3FFF)
        key_frame = not bits & 1
        if not (frame[3:6] == b"\x9d\x01\x2a" and key_frame and (bits >> 1) & 7 <= 3 and (bits >> 4) & 1
                and bits >> 5 < size and all(dimensions)):
            dimensions = None
    if dimensions is None or canvas not in (None, dimensions):
        return bitstream_error, canvas
    return 0, canvas


def _vp8l_signature(frame):
    # VP8L's signature byte, then (past 14-bit width and height and the alpha bit) a 3-bit version of 0
    return len(frame) >= 5 and frame[0] == 0x2F and frame[4] >> 5 == 0


def _as_libpng_reads(raw):
    """The bytes of a PNG file as libpng, driven by torchvision, takes them in, or its RuntimeError.

    libpng reads chunk by chunk through torchvision's callback, which complains when the bytes run out before the
    image data is complete; before that, a chunk it rejects (a type that is not four letters or has the reserved bit
    set, a length beyond 2 ** 31 - 1, a header that is not the first chunk or not 13 bytes long, a palette image's
    data before its palette, a critical chunk whose CRC does not match) goes through its error handler, for which
    torchvision only says "Internal error.". An ancillary chunk whose CRC does not match is dropped (Pillow would
    refuse the file), and nothing after the image data is read at all (so Pillow is handed the file ended there)."""
    position, kept, dropped, image_data = 8, [raw[:8]], False, False
    while position < len(raw) or not image_data:
        if position + 8 > len(raw):
            if image_data:
                break
            raise RuntimeError(_CORRUPT["PNG"])
        length, tag = struct.unpack(">I4s", raw[position:position + 8])
        if image_data and tag != b"IDAT":
            break
        if length > 0x7FFFFFFF or not tag.isalpha() or tag[2:3].islower() or _misplaced_png_chunk(raw, tag, length,
                                                                                                   position, kept):
            raise RuntimeError("Internal error.")
        end = position + 8 + length
        if end + 4 > len(raw):
            raise RuntimeError(_CORRUPT["PNG"])
        if zlib.crc32(raw[position + 4:end]) == struct.unpack(">I", raw[end:end + 4])[0]:
            kept.append(raw[position:end + 4])
        elif tag[:1].isupper():  # a critical chunk
            raise RuntimeError("Internal error.")
        else:
            dropped = True
        image_data = image_data or tag == b"IDAT"
        position = end + 4
        if tag == b"IEND":
            break
    if image_data:  # the file as far as libpng reads it, ended there (whatever follows, whole or cut short)
        return b"".join(kept) + _png.IEND
    return b"".join(kept) + raw[position:] if dropped else raw


def _misplaced_png_chunk(raw, tag, length, position, kept):
    """Whether libpng refuses the chunk ``tag`` of ``length`` bytes at ``position`` before reading it: a header
    (IHDR) that is not the first chunk or not 13 bytes long, or a palette image's first image data (IDAT) before
    its palette (``kept``: the chunks read so far)."""
    if tag == b"IHDR":
        return length != 13 or position != 8
    if tag == b"IDAT" and raw[25:26] == b"\x03":  # colour type 3: a palette image
        return not any(chunk[4:8] == b"PLTE" for chunk in kept[1:])
    return False


def _loaded(image, apply_exif_orientation):
    try:
        image.load()
    except (OSError, ValueError, SyntaxError):  # a truncated or corrupt file
        raise RuntimeError(_corrupt(image.format, image.encoded)) from None
    if apply_exif_orientation:
        from PIL import ImageOps
        image = ImageOps.exif_transpose(image)
    return image


def _as_chw(image):
    """The (C, H, W) tensor of a Pillow image, channels last in memory as torchvision's decoders leave it."""
    array = np.array(image, dtype=np.uint8).reshape(image.size[1], image.size[0], len(image.getbands()))
    return as_tensor(array).permute(2, 0, 1)


def _decode_generic(image, mode, apply_exif_orientation):
    image = _loaded(image, apply_exif_orientation)
    return _as_chw(image.convert(_PIL_MODES.get(mode) or _unchanged_mode(image)))


def _decode_jpeg(image, mode, apply_exif_orientation):
    """libjpeg's output: GRAY is the luma plane itself (Pillow's ``draft("L")`` asks libjpeg for it, rather
    than converting the decoded RGB); a CMYK file keeps its 4 (inverted Adobe) channels when UNCHANGED.
    JPEGs have no alpha: torchvision refuses GRAY_ALPHA and RGB_ALPHA."""
    if mode not in (ImageReadMode.UNCHANGED, ImageReadMode.GRAY, ImageReadMode.RGB):
        raise RuntimeError("The provided mode is not supported for JPEG files")
    if image.mode == "CMYK":
        if mode == ImageReadMode.UNCHANGED:
            cmyk = np.asarray(_loaded(image, apply_exif_orientation), dtype=np.uint8)
            # Pillow inverts the CMYK of Adobe's JPEGs; libjpeg hands them over as stored
            return as_tensor(255 - cmyk).permute(2, 0, 1)
    if mode == ImageReadMode.GRAY and image.mode in ("RGB", "YCbCr"):
        image.draft("L", image.size)
    return _decode_generic(image, mode, apply_exif_orientation)


def _raw_mode(image):
    """The raw mode Pillow will unpack a not yet loaded image from (its bit depth shows there)."""
    raw_mode = image.tile[0][3] if image.tile else image.mode
    return raw_mode[0] if isinstance(raw_mode, tuple) else raw_mode


def _gray_bit_depth(image):
    """The bit depth of a not yet loaded grayscale PNG (1, 2, 4 or 8)."""
    return {"1": 1, "L;2": 2, "L;4": 4}.get(_raw_mode(image), 8)


def _decode_png(image, mode, apply_exif_orientation):
    """libpng's output: UNCHANGED keeps a palette image's indices (torchvision asks libpng to expand the
    palette only for the other modes), and GRAY converts colour with libpng's own weights.

    16-bit PNGs decode to uint16 tensors, whole (Pillow would reduce colour ones to 8 bits)."""
    if _raw_mode(image).split(";")[-1].startswith("16"):
        return _decode_png_16_bit(image, mode, apply_exif_orientation)
    depth = _gray_bit_depth(image) if image.mode in ("1", "L") else 8
    image = _loaded(image, apply_exif_orientation)
    if image.mode != "P":
        # torchvision expands a tRNS chunk only for palette images: keyed grey or RGB colours stay opaque
        image.info.pop("transparency", None)
    if depth < 8 and mode in (ImageReadMode.GRAY_ALPHA, ImageReadMode.RGB_ALPHA):
        # torchvision asks libpng for an opaque alpha of (1 << bit depth) - 1, which libpng adds after widening
        # the grey levels to 8 bits: such images come out all but transparent
        out = _decode_generic(image, mode, False)
        out._data[-1] = (1 << depth) - 1
        return out
    if mode == ImageReadMode.UNCHANGED and image.mode == "P":
        return _as_chw(image)
    if mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA) and image.mode in ("RGB", "RGBA", "P", "PA"):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.uint32)
        luma = (rgba[..., :3] @ np.array(_LIBPNG_LUMA, np.uint32)) >> 15
        planes = [luma] if mode == ImageReadMode.GRAY else [luma, rgba[..., 3]]
        return as_tensor(np.stack(planes, axis=-1).astype(np.uint8)).permute(2, 0, 1)
    return _decode_generic(image, mode, False)


def _decode_png_16_bit(image, mode, apply_exif_orientation):
    """A 16-bit PNG as libpng's transforms give it to torchvision at 16 bits: grey widened to RGB by copies, an
    added alpha opaque (65535), colour made grey by libpng's integer weights, rounded."""
    try:
        decoded = _png.decode_16_bit(image.encoded)
    except (ValueError, KeyError, struct.error, zlib.error):
        raise RuntimeError(_corrupt(image.format, image.encoded)) from None
    samples, color_type = decoded
    has_color, has_alpha = bool(color_type & 2), bool(color_type & 4)
    wants_color = mode in (ImageReadMode.RGB, ImageReadMode.RGB_ALPHA)
    wants_alpha = mode in (ImageReadMode.GRAY_ALPHA, ImageReadMode.RGB_ALPHA)
    if mode != ImageReadMode.UNCHANGED:
        colour = samples[..., :3 if has_color else 1].astype(np.uint32)
        if has_color and not wants_color:
            colour = (colour @ np.array(_LIBPNG_LUMA, np.uint32) + 16384)[..., None] >> 15
        elif wants_color and not has_color:
            colour = np.repeat(colour, 3, axis=-1)
        planes = [colour]
        if wants_alpha:
            planes.append(samples[..., -1:] if has_alpha else np.full(colour.shape[:2] + (1,), 65535, np.uint32))
        samples = np.concatenate(planes, axis=-1).astype(np.uint16)
    if apply_exif_orientation:  # as Pillow's exif_transpose turns 8-bit images
        samples = _EXIF_TURNS.get(image.getexif().get(0x0112), lambda a: a)(samples)
    return as_tensor(np.ascontiguousarray(samples)).permute(2, 0, 1)


# (H, W, C) arrays turned as each EXIF orientation asks (Pillow's exif_transpose)
_EXIF_TURNS = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
               5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
               7: lambda a: np.rot90(a, 2).transpose(1, 0, 2), 8: lambda a: np.rot90(a)}


def _unchanged_mode(image):
    """The 8-bit Pillow mode that keeps ``image``'s channels."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image.mode
    if image.mode == "P":
        return "RGBA" if "transparency" in image.info else "RGB"
    if image.mode in ("1", "I", "I;16", "I;16B", "I;16L", "F"):
        return "L"
    if image.mode in ("PA", "RGBa"):
        return "RGBA"
    return "RGB"


def encode_png(input, compression_level=6):
    """Encode a uint8 tensor (C, H, W) with 1 or 3 channels as the bytes of a PNG file.

    Args:
        input (Tensor[channels, image_height, image_width]): uint8 image with 1 or 3 channels.
        compression_level (int): zlib compression, from 0 to 9. Default: 6.

    Returns:
        Tensor[1]: the bytes of the PNG file, uint8.

    Raises:
        RuntimeError: for a compression level outside [0, 9], or an input that is not a uint8 tensor of
            3 dimensions with 1 or 3 channels.
    """
    warn_deprecated()
    check_op_arguments(_DECLARATIONS["encode_png"], input, compression_level)
    if not 0 <= compression_level <= 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    _check_encodable(input)
    # libpng's filters and zlib settings (``_png``), so that the bytes are torchvision's too
    data = _png.encode(input.numpy(force=True), compression_level)
    return as_tensor(np.frombuffer(data, dtype=np.uint8).copy())


def write_png(input, filename, compression_level=6):
    """Save a uint8 tensor (C, H, W) with 1 or 3 channels as a PNG file (see ``encode_png``); returns the
    file's bytes."""
    warn_deprecated()
    return write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality=75):
    """Encode a uint8 tensor (C, H, W) with 1 or 3 channels (or a list of them) as the bytes of a JPEG file.

    Args:
        input (Tensor[channels, image_height, image_width] or list): uint8 image(s) with 1 or 3 channels.
        quality (int): JPEG quality, from 1 to 100. Default: 75.

    Returns:
        Tensor[1]: the bytes of the JPEG file, uint8.

    Raises:
        ValueError: for a quality outside [1, 100].
        RuntimeError: for an input that is not a uint8 tensor of 3 dimensions with 1 or 3 channels.
    """
    warn_deprecated()
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is passed")
        input[0].device  # noqa: B018  (as torchvision, which looks for a CUDA batch)
        return [_encode_jpeg(image, quality) for image in input]
    input.device  # noqa: B018
    return _encode_jpeg(input, quality)


def write_jpeg(input, filename, quality=75):
    """Save a uint8 tensor (C, H, W) with 1 or 3 channels as a JPEG file (see ``encode_jpeg``); returns the
    file's bytes."""
    warn_deprecated()
    return write_file(filename, encode_jpeg(input, quality))


def _encode_jpeg(input, quality):
    check_op_arguments(_DECLARATIONS["encode_jpeg"], input, quality)
    return _encode(input, "JPEG", quality=quality)


def _check_encodable(input):
    if not isinstance(input, Tensor) or input.dtype != _dtype.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.ndim != 3:
        raise RuntimeError("Input data should be a 3-dimensional tensor")
    channels = input.shape[0]
    if channels not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {channels}")


def _encode(input, file_format, **options):
    _check_encodable(input)
    channels = input.shape[0]
    hwc = np.ascontiguousarray(input.numpy(force=True).transpose(1, 2, 0))
    image = require_pil_image().fromarray(hwc[:, :, 0] if channels == 1 else hwc, "L" if channels == 1 else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=file_format, **options)
    return as_tensor(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())
