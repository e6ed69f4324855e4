"""Image files as tensors, with the interface of ``torchvision.io``: ``read_image``/``decode_image`` give a
uint8 C x H x W tensor (``decode_png``/``decode_jpeg``/``decode_gif``/``decode_webp`` for one format),
``write_png``/``encode_png`` and ``write_jpeg``/``encode_jpeg`` go the other way,
``read_file``/``write_file`` move the raw bytes (``decode_avif``/``decode_heic`` raise, as torchvision's do without
its extra decoders). Decoding and encoding are done by Pillow (the ``[viz]``
extra), imported on first use; GIFs are read by torchless itself, as giflib reads them."""
from ._file import read_file, write_file
from ._read_mode import ImageReadMode
from .image import (decode_avif, decode_gif, decode_heic, decode_image, decode_jpeg, decode_png, decode_webp, encode_jpeg,
                    encode_png, read_image, write_jpeg, write_png)

__all__ = ["ImageReadMode", "decode_avif", "decode_gif", "decode_heic", "decode_image", "decode_jpeg", "decode_png",
           "decode_webp", "encode_jpeg", "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]
