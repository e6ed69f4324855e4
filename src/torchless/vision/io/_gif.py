"""GIF frames as torchvision's decoder composes them from giflib's ``DGifSlurp``: each frame's colour indices
painted over a canvas that is the previous frame's (when the frame's own disposal is unspecified, "do not
dispose" or "restore previous") or the background colour (the first frame, and the other disposals),
transparent indices leaving the canvas as it is.

Pillow composes frames otherwise (its disposal applies after a frame, and transparency shows as alpha or as the
palette's own colour), so the file is walked and its LZW data decoded here.
"""
import struct

import numpy as np

# giflib's DISPOSAL_UNSPECIFIED, DISPOSE_DO_NOT and DISPOSE_PREVIOUS: torchvision draws a frame with one of these
# over the previous frame's canvas
_OVER_PREVIOUS = (0, 1, 3)
_MAX_CODES = 4096  # GIF's LZW codes are at most 12 bits wide


class GifError(ValueError):
    """The bytes are not a GIF file giflib would decode."""


def decode_frames(raw):
    """The frames of the GIF file ``raw`` (bytes) as torchvision's decode_gif gives them: a uint8 array
    (frames, height, width, 3), the canvas as large as the logical screen and at least as the first frame.

    Raises:
        GifError: for bytes that end early or hold an unknown record.
    """
    reader = _Reader(raw)
    if reader.take(6)[:3] != b"GIF":
        raise GifError("not a GIF file")
    screen_width, screen_height, flags, background_index, _ = reader.unpack("<HHBBB")
    global_palette = reader.palette(flags)
    frames = []
    control = _GraphicsControl()
    while True:
        record = reader.take(1)[0]
        if record == 0x3B:  # the trailer
            break
        if record == 0x21:  # an extension: a graphic control block holds the next frame's disposal and transparency
            label = reader.take(1)[0]
            blocks = reader.sub_blocks()
            if label == 0xF9 and blocks and len(blocks[0]) >= 4:
                control = _GraphicsControl(blocks[0])
        elif record == 0x2C:
            left, top, width, height, flags = reader.unpack("<HHHHB")
            palette = reader.palette(flags)
            min_code_size = reader.take(1)[0]
            indices = _lzw_decode(b"".join(reader.sub_blocks()), min_code_size, width * height)
            indices = indices.reshape(height, width)
            if flags & 0x40:
                indices = _deinterlaced(indices)
            frames.append((left, top, indices, global_palette if palette is None else palette, control))
            control = _GraphicsControl()
        else:
            raise GifError(f"unknown record type {record}")
    if not frames:
        raise GifError("no image")
    return _composed(frames, screen_width, screen_height, global_palette, background_index)


def _composed(frames, screen_width, screen_height, global_palette, background_index):
    first = frames[0][2]
    out_height, out_width = max(screen_height, first.shape[0]), max(screen_width, first.shape[1])
    background = (global_palette[background_index] if global_palette is not None
                  and background_index < len(global_palette) else np.zeros(3, np.uint8))
    canvas = np.zeros((len(frames), out_height, out_width, 3), np.uint8)
    for i, (left, top, indices, palette, control) in enumerate(frames):
        if i > 0 and control.disposal in _OVER_PREVIOUS:
            canvas[i] = canvas[i - 1]
        else:
            canvas[i, :screen_height, :screen_width] = background
        if palette is None:
            raise GifError("no colour map")
        # (a frame reaching past the canvas is cut to it)
        height, width = min(indices.shape[0], out_height - top), min(indices.shape[1], out_width - left)
        if height <= 0 or width <= 0:
            continue
        indices = indices[:height, :width]
        painted = indices != control.transparent_index
        region = canvas[i, top:top + height, left:left + width]
        region[painted] = palette[np.minimum(indices[painted], len(palette) - 1)]
    return canvas


class _GraphicsControl:
    """giflib's GraphicsControlBlock: the disposal mode and the transparent index (-1: none) of a frame."""

    def __init__(self, block=None):
        self.disposal, self.transparent_index = 0, -1
        if block is not None:
            self.disposal = (block[0] >> 2) & 7
            if block[0] & 1:
                self.transparent_index = block[3]


class _Reader:
    def __init__(self, raw):
        self.raw, self.position = raw, 0

    def take(self, count):
        if self.position + count > len(self.raw):
            raise GifError("the file ends early")
        chunk = self.raw[self.position:self.position + count]
        self.position += count
        return chunk

    def unpack(self, layout):
        return struct.unpack(layout, self.take(struct.calcsize(layout)))

    def palette(self, flags):
        """The colour table a descriptor's ``flags`` announce, as a (colours, 3) uint8 array, or None."""
        if not flags & 0x80:
            return None
        colours = 2 << (flags & 7)
        return np.frombuffer(self.take(3 * colours), np.uint8).reshape(colours, 3)

    def sub_blocks(self):
        blocks = []
        while True:
            size = self.take(1)[0]
            if size == 0:
                return blocks
            blocks.append(self.take(size))


def _lzw_decode(data, min_code_size, pixel_count):
    """The ``pixel_count`` colour indices in GIF's variable-width LZW ``data`` (codes packed least significant
    bit first); a code stream that ends early leaves the remaining indices 0."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    table = [bytes([i]) for i in range(clear)] + [b"", b""]
    code_size, previous = min_code_size + 1, None
    out = bytearray()
    bits = bit_count = position = 0
    while len(out) < pixel_count:
        while bit_count < code_size:
            if position >= len(data):
                return _indices(out, pixel_count)
            bits |= data[position] << bit_count
            position += 1
            bit_count += 8
        code = bits & ((1 << code_size) - 1)
        bits >>= code_size
        bit_count -= code_size
        if code == clear:
            del table[clear + 2:]
            code_size, previous = min_code_size + 1, None
            continue
        if code == end:
            break
        if code < len(table):
            entry = table[code]
            if previous is not None and len(table) < _MAX_CODES:
                table.append(previous + entry[:1])
        elif previous is not None and code == len(table):
            entry = previous + previous[:1]
            table.append(entry)
        else:
            raise GifError("corrupt LZW code")
        out += entry
        previous = entry
        if len(table) == 1 << code_size and code_size < 12:
            code_size += 1
    return _indices(out, pixel_count)


def _indices(out, pixel_count):
    indices = np.zeros(pixel_count, np.uint8)
    count = min(len(out), pixel_count)
    indices[:count] = np.frombuffer(bytes(out[:count]), np.uint8)
    return indices


def _deinterlaced(rows):
    """The rows of an interlaced frame in display order (GIF's four passes: every 8th row from 0, every 8th
    from 4, every 4th from 2, every 2nd from 1)."""
    order = np.concatenate([np.arange(start, len(rows), step) for start, step in ((0, 8), (4, 8), (2, 4), (1, 2))])
    display = np.empty_like(rows)
    display[order] = rows
    return display
