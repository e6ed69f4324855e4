"""Getting a digit out of a request: body size cap, content type, multipart, image header checks.

Everything stays in memory: the body is capped before it is read in full, the pixel count is
checked from the image header before any pixel is decoded, and the result goes through the same
``decode_image`` and ``to_mnist`` as ``torchless predict``.
"""
import io

from ..cli.errors import CLIError
from ..cli.images import decode_image, to_mnist
from .errors import APIError

IMAGE_TYPES = ("image/png", "image/jpeg")
FORMATS = ("PNG", "JPEG")
ACCEPTED = "send image/png or image/jpeg, or a multipart/form-data upload with a 'file' field"


async def read_image_bytes(request, max_bytes):
    """The image's bytes and a name for messages, from a raw PNG/JPEG body or a multipart upload."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in IMAGE_TYPES + ("multipart/form-data",):
        shown = f"content type '{media_type}'" if media_type else "no Content-Type"
        raise APIError(415, f"unsupported {shown}: {ACCEPTED}")
    body = await _read_capped(request, max_bytes)
    if not body:
        raise APIError(400, f"empty request body: {ACCEPTED}")
    if media_type == "multipart/form-data":
        return _file_field(request.headers["content-type"], body)
    return body, "upload"


async def _read_capped(request, max_bytes):
    too_large = APIError(413, f"request body too large: the limit is {max_bytes:,} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large  # refused before a byte of the body is read
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large  # a chunked or mislabelled body: stop at the cap
        chunks.append(chunk)
    return b"".join(chunks)


def _file_field(content_type, body):
    """The bytes and file name of the ``file`` part of a multipart/form-data body already in memory."""
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    boundary = parse_options_header(content_type)[1].get(b"boundary")
    if not boundary:
        raise APIError(400, "malformed multipart body: the Content-Type has no boundary")
    parts, header = [], {}

    def on_part_begin():
        parts.append({"headers": {}, "data": []})

    def on_header_field(data, start, end):
        header["field"] = header.get("field", b"") + data[start:end]

    def on_header_value(data, start, end):
        header["value"] = header.get("value", b"") + data[start:end]

    def on_header_end():
        parts[-1]["headers"][header.pop("field", b"").lower()] = header.pop("value", b"")

    def on_part_data(data, start, end):
        parts[-1]["data"].append(data[start:end])

    callbacks = {"on_part_begin": on_part_begin, "on_header_field": on_header_field,
                 "on_header_value": on_header_value, "on_header_end": on_header_end, "on_part_data": on_part_data}
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except FormParserError as err:
        raise APIError(400, f"malformed multipart body: {err}") from None
    names = []
    for part in parts:
        options = parse_options_header(part["headers"].get(b"content-disposition", b""))[1]
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == "file":
            data = b"".join(part["data"])
            if not data:
                raise APIError(400, "the uploaded file is empty")
            return data, options.get(b"filename", b"upload").decode("utf-8", "replace") or "upload"
        names.append(name)
    listed = f" (fields: {', '.join(repr(n) for n in names)})" if names else ""
    raise APIError(400, f"the multipart upload has no 'file' field{listed}")


def image_to_digit(data, name, max_pixels):
    """The (28, 28) MNIST-like array of a PNG/JPEG image, after checking its header's size."""
    from PIL import Image, UnidentifiedImageError

    try:
        # Image.open reads only the header: the size is known before any pixel is decoded.
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
    except Image.DecompressionBombError as err:
        raise APIError(413, f"image too large: {err}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise APIError(400, f"{name} is not a PNG or JPEG image") from None
    if width * height > max_pixels:
        raise APIError(413, f"image too large: {width}x{height} pixels, the limit is {max_pixels:,} pixels")
    try:
        grey = decode_image(data, name)
    except CLIError as err:
        raise APIError(400, f"corrupt image: {err}") from None
    try:
        return to_mnist(grey)
    except CLIError as err:
        raise APIError(422, str(err)) from None
