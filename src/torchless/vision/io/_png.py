"""A PNG writer that gives the very bytes torchvision's ``encode_png`` (libpng with its defaults) gives.

libpng, as torchvision drives it: 8-bit grey or RGB, no ancillary chunks; each row filtered by whichever of the
five PNG filters leaves the smallest sum of its bytes read as signed (the first of equal ones: none, sub, up,
average, Paeth) -- of those that can help: an image one row high is left to none and sub, one pixel wide to none
and up (``png_write_start_row``); the rows deflated by zlib with ``Z_FILTERED``, memory level 8 and a window
shrunk (from 2 ** 15 down to no less than 2 ** 9) while the image, plus zlib's 262-byte lookahead, fits in half
of it, and the zlib header then rewritten to claim the smallest window the image fits in; the stream cut into IDAT
chunks of at most 8192 bytes. Level 0 on images whose stored blocks outgrow libpng's 8192-byte output buffer
splits them elsewhere.
"""
import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 3: 2}  # grey, RGB
_IDAT_SIZE = 8192


def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


IEND = _chunk(b"IEND", b"")  # the chunk that ends every PNG file


def _paeth(left, up, up_left):
    estimate = left + up - up_left
    to_left, to_up, to_up_left = np.abs(estimate - left), np.abs(estimate - up), np.abs(estimate - up_left)
    return np.where((to_left <= to_up) & (to_left <= to_up_left), left, np.where(to_up <= to_up_left, up, up_left))


def _filtered(rows, bytes_per_pixel):
    """Each row of ``rows`` (H x row bytes, uint8) prefixed by the filter type libpng picks and filtered by it."""
    allowed = [True] * 5  # none, sub, up, average, Paeth
    if rows.shape[0] == 1:  # no row above: up, average and Paeth would only repeat none and sub
        allowed[2] = allowed[3] = allowed[4] = False
    if rows.shape[1] == bytes_per_pixel:  # no pixel to the left: sub, average and Paeth would repeat none and up
        allowed[1] = allowed[3] = allowed[4] = False
    out = []
    up = np.zeros(rows.shape[1], np.int32)
    for row in rows.astype(np.int32):
        left = np.concatenate([np.zeros(bytes_per_pixel, np.int32), row[:-bytes_per_pixel]])
        up_left = np.concatenate([np.zeros(bytes_per_pixel, np.int32), up[:-bytes_per_pixel]])
        candidates = [row, row - left, row - up, row - ((left + up) >> 1), row - _paeth(left, up, up_left)]
        candidates = [candidate & 0xFF for candidate in candidates]
        costs = [int(np.minimum(candidate, 256 - candidate).sum()) for candidate in candidates]
        best = min((k for k in range(5) if allowed[k]), key=lambda k: (costs[k], k))
        out.append(bytes([best]) + candidates[best].astype(np.uint8).tobytes())
        up = row
    return b"".join(out)


def _window_bits(data_size):
    bits, half = 15, 1 << 14
    if data_size <= 16384:
        while data_size + 262 <= half and bits > 9:
            half >>= 1
            bits -= 1
    return bits


def _smallest_window_header(stream, data_size):
    """The zlib stream with its header rewritten, as libpng does, to claim the smallest window (down to 256
    bytes) that still holds ``data_size`` bytes of image data, its check bits redone."""
    cmf, flags = stream[0], stream[1]
    if data_size > 16384 or (cmf & 0x0F) != 8 or (cmf & 0xF0) > 0x70:
        return stream
    window_log = cmf >> 4  # the window is 2 ** (window_log + 8) bytes
    half_window = 1 << (window_log + 7)
    if data_size > half_window:
        return stream
    while True:
        half_window >>= 1
        window_log -= 1
        if window_log == 0 or data_size > half_window:
            break
    cmf = (cmf & 0x0F) | (window_log << 4)
    flags &= 0xE0
    flags += 0x1F - ((cmf << 8) + flags) % 0x1F
    return bytes([cmf, flags]) + stream[2:]


def encode(chw, compression_level):
    """The bytes of a PNG file of the uint8 array ``chw`` (1 or 3 channels, H, W)."""
    channels, height, width = chw.shape
    rows = np.ascontiguousarray(chw.transpose(1, 2, 0)).reshape(height, width * channels)
    data = _filtered(rows, channels) if height and width else b""
    deflate = zlib.compressobj(compression_level, zlib.DEFLATED, _window_bits(len(data)), 8, zlib.Z_FILTERED)
    stream = _smallest_window_header(deflate.compress(data) + deflate.flush(), len(data))
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    idat = b"".join(_chunk(b"IDAT", stream[i:i + _IDAT_SIZE]) for i in range(0, len(stream), _IDAT_SIZE))
    return _SIGNATURE + _chunk(b"IHDR", header) + idat + IEND


# Adam7's passes: (first column, first row, column step, row step)
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # the colour types a 16-bit image can have: grey, RGB, grey + alpha, RGBA


def decode_16_bit(data):
    """The samples of a 16-bit PNG file's bytes ``data`` as a uint16 array (H, W, C) with the colour type (as
    libpng reads them for torchvision, which keeps 16-bit images whole where Pillow reduces colour ones to 8
    bits), or None for a file of another bit depth. A corrupt file raises ValueError or zlib.error."""
    position, header, idat = 8, None, []
    while position + 8 <= len(data):
        length, tag = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
        position += 12 + length
    if header is None or header[2] != 16:
        return None
    width, height, _, color_type, _, _, interlace = header
    channels = _CHANNELS[color_type]
    raw = zlib.decompress(b"".join(idat))
    out = np.empty((height, width, channels), np.uint16)
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    offset = 0
    for x0, y0, dx, dy in passes:
        columns, rows = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if columns <= 0 or rows <= 0:
            continue
        row_bytes = columns * channels * 2
        size = rows * (row_bytes + 1)
        samples = _unfiltered(raw[offset:offset + size], rows, row_bytes, channels * 2)
        offset += size
        out[y0::dy, x0::dx] = samples.view(">u2").reshape(rows, columns, channels)
    return out, color_type


def _unfiltered(raw, rows, row_bytes, bytes_per_pixel):
    """The (rows, row_bytes) uint8 array of scanlines ``raw`` (each led by its filter type) with the filters
    undone."""
    if len(raw) < rows * (row_bytes + 1):
        raise ValueError("truncated image data")
    lines = np.frombuffer(raw, np.uint8, rows * (row_bytes + 1)).reshape(rows, row_bytes + 1)
    out = np.zeros((rows, row_bytes), np.uint8)
    previous = np.zeros(row_bytes, np.uint8)
    bpp = bytes_per_pixel
    for i in range(rows):
        kind, line = lines[i, 0], lines[i, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 2:
            row = line + previous
        elif kind == 1:  # each byte adds the one bpp before it: a running sum per byte lane, modulo 256
            lanes = line.reshape(-1, bpp).astype(np.uint64)
            row = (np.cumsum(lanes, axis=0) & 0xFF).astype(np.uint8).reshape(-1)
        elif kind in (3, 4):
            row = _undo_average_or_paeth(bytearray(line), bytearray(previous), bpp, kind == 4)
        else:
            raise ValueError(f"unknown filter type {kind}")
        out[i] = previous = row
    return out


def _undo_average_or_paeth(line, up, bpp, paeth):
    """One scanline with its average or Paeth filter undone (byte by byte: each depends on the one before)."""
    for j in range(len(line)):
        left = line[j - bpp] if j >= bpp else 0
        if paeth:
            up_left = up[j - bpp] if j >= bpp else 0
            estimate = left + up[j] - up_left
            to_left, to_up, to_up_left = abs(estimate - left), abs(estimate - up[j]), abs(estimate - up_left)
            guess = left if to_left <= to_up and to_left <= to_up_left else up[j] if to_up <= to_up_left else up_left
        else:
            guess = (left + up[j]) >> 1
        line[j] = (line[j] + guess) & 0xFF
    return np.frombuffer(bytes(line), np.uint8)
