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


# giflib's error codes, which torchvision reports ("DGifSlurp() failed - <code>")
READ_FAILED, NOT_GIF_FILE, NO_SCREEN_DESCRIPTOR, WRONG_RECORD, IMAGE_DEFECT, EOF_TOO_SOON = 102, 103, 104, 107, 112, 113
_LZ_MAX_CODE = 4095
_NO_SUCH_CODE = 4098


class GifError(ValueError):
    """The bytes are not a GIF file giflib would decode; its message is torchvision's: the giflib function that
    failed (``DGifOpenFileName`` opening the file, ``DGifSlurp`` reading its records) and giflib's error code (0
    where DGifSlurp fails without setting one)."""

    def __init__(self, code=READ_FAILED, opening=False):
        super().__init__(f"{'DGifOpenFileName' if opening else 'DGifSlurp'}() failed - {code}")


def decode_frames(raw):
    """The frames of the GIF file ``raw`` (bytes) as torchvision's decode_gif gives them: a uint8 array
    (frames, height, width, 3), the canvas as large as the logical screen and at least as the first frame.

    Raises:
        GifError: for bytes giflib would not decode, with torchvision's message.
    """
    reader = _Reader(raw)
    # DGifOpen: the 6-byte signature, "GIF" at its start, the screen descriptor and its colour table
    if len(raw) < 6:
        raise GifError(READ_FAILED, opening=True)
    if raw[:3] != b"GIF":
        raise GifError(NOT_GIF_FILE, opening=True)
    try:
        reader.take(6)
        screen_width, screen_height, flags, background_index, _ = reader.unpack("<HHBBB")
        global_palette = reader.palette(flags)
    except GifError:
        raise GifError(NO_SCREEN_DESCRIPTOR, opening=True) from None
    frames = []
    control = _GraphicsControl()
    while True:
        record = reader.take(1)[0]
        if record == 0x3B:  # the trailer
            break
        if record == 0x21:  # an extension: a graphic control block holds the next frame's disposal and transparency
            label = reader.take(1)[0]
            blocks = reader.sub_blocks()
            if not blocks:  # (DGifSlurp reads on after an empty first sub-block, up to the next empty one)
                reader.sub_blocks()
            if label == 0xF9 and blocks and len(blocks[0]) >= 4:
                control = _GraphicsControl(blocks[0])
        elif record == 0x2C:
            left, top, width, height, flags = reader.unpack("<HHHHB")
            palette = reader.palette(flags)
            min_code_size = reader.take(1)[0]
            if min_code_size > 8:  # (giflib's "somewhat bogus" read error)
                raise GifError(READ_FAILED)
            if not width or not height:  # (DGifSlurp gives up without an error code)
                raise GifError(0)
            start = reader.position
            # (GIF's code sizes start at 2; below that, and for a defective stream, giflib's reading decides)
            indices = None if min_code_size < 2 else _lzw_decode(b"".join(reader.sub_blocks()), min_code_size,
                                                                 width * height)
            if indices is None:
                reader.position = start
                indices = _LzwReader(reader, min_code_size).pixels(width * height)
            indices = indices.reshape(height, width)
            if flags & 0x40:
                indices = _deinterlaced(indices)
            frames.append((left, top, indices, global_palette if palette is None else palette, control))
            control = _GraphicsControl()
        else:
            raise GifError(WRONG_RECORD)
    if not frames:
        raise GifError(READ_FAILED)  # (no image: what torchvision reported of such files before)
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
            raise GifError(READ_FAILED)  # (a frame without a colour table, and no global one)
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
            raise GifError(READ_FAILED)  # (the file ends early)
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
    """The ``pixel_count`` colour indices (uint8 array) in GIF's variable-width LZW ``data`` (codes packed least
    significant bit first), decoded a table entry at a time; None for a stream that is not sound (a code past the
    table, an end before the pixels do), which ``_LzwReader`` then reads as giflib does."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    table = [bytes([i]) for i in range(clear)] + [b"", b""]
    code_size, previous = min_code_size + 1, None
    out = bytearray()
    bits = bit_count = position = 0
    while len(out) < pixel_count:
        while bit_count < code_size:
            if position >= len(data):
                return None
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
            return None
        if code < len(table):
            entry = table[code]
            if previous is not None and len(table) < _MAX_CODES:
                table.append(previous + entry[:1])
        elif previous is not None and code == len(table):
            entry = previous + previous[:1]
            table.append(entry)
        else:
            return None
        out += entry
        previous = entry
        if len(table) == 1 << code_size and code_size < 12:
            code_size += 1
    return np.frombuffer(bytes(out[:pixel_count]), np.uint8)


class _LzwReader:
    """giflib's LZW decompression (``DGifDecompressLine``), reading the image's data sub-blocks as it goes: the
    same pixels for a sound stream, and for a defective one the same pixels or the same error (a code past the
    table, a stream that ends before the pixels do, an empty sub-block among the data)."""

    def __init__(self, reader, min_code_size):
        self.reader, self.block, self.at = reader, b"", 0
        self.clear = 1 << min_code_size
        self.end = self.clear + 1
        self.min_code_size = min_code_size
        self.bits = self.bit_count = 0
        self.suffix = [0] * (_LZ_MAX_CODE + 1)
        self._reset()

    def _reset(self):
        self.prefix = [_NO_SUCH_CODE] * (_LZ_MAX_CODE + 1)
        self.running_code, self.running_bits = self.end + 1, self.min_code_size + 1
        self.max_code = 1 << self.running_bits
        self.last_code = _NO_SUCH_CODE

    def _byte(self):
        # DGifBufferedInput: the next byte of the current sub-block, reading the next sub-block when it is used up
        if self.at == len(self.block):
            size = self.reader.take(1)[0]
            if size == 0:
                raise GifError(IMAGE_DEFECT)  # (an empty sub-block among the image data)
            self.block, self.at = self.reader.take(size), 0
        self.at += 1
        return self.block[self.at - 1]

    def _code(self):
        # DGifDecompressInput
        if self.running_bits > 12:
            raise GifError(IMAGE_DEFECT)  # (LZW codes wider than 12 bits)
        while self.bit_count < self.running_bits:
            self.bits |= self._byte() << self.bit_count
            self.bit_count += 8
        code = self.bits & ((1 << self.running_bits) - 1)
        self.bits >>= self.running_bits
        self.bit_count -= self.running_bits
        if self.running_code < _LZ_MAX_CODE + 2:
            self.running_code += 1
            if self.running_code > self.max_code and self.running_bits < 12:
                self.max_code <<= 1
                self.running_bits += 1
        return code

    def _prefix_char(self, code):
        # DGifGetPrefixChar
        steps = 0
        while code > self.clear and steps <= _LZ_MAX_CODE:
            steps += 1
            if code > _LZ_MAX_CODE:
                return _NO_SUCH_CODE
            code = self.prefix[code]
        return code

    def pixels(self, count):
        """The ``count`` colour indices of the image (uint8 array), then the rest of its data skipped, as
        DGifGetLine flushes it."""
        out, stack = bytearray(), []
        prefix, suffix = self.prefix, self.suffix
        while len(out) < count:
            code = self._code()
            if code == self.end:
                raise GifError(EOF_TOO_SOON)  # (the LZW stream ends before the image)
            if code == self.clear:
                self._reset()
                prefix = self.prefix
                continue
            if code < self.clear:
                out.append(code & 0xFF)
            else:
                if prefix[code] == _NO_SUCH_CODE:
                    current_prefix = self.last_code
                    # (only the code about to be defined is valid here: its first pixel is the last code's)
                    known = self.last_code if code == self.running_code - 2 else code
                    suffix[self.running_code - 2] = first = self._prefix_char(known) & 0xFF
                    stack.append(first)
                else:
                    current_prefix = code
                while len(stack) < _LZ_MAX_CODE and self.clear < current_prefix <= _LZ_MAX_CODE:
                    stack.append(suffix[current_prefix])
                    current_prefix = prefix[current_prefix]
                if len(stack) >= _LZ_MAX_CODE or current_prefix > _LZ_MAX_CODE:
                    raise GifError(IMAGE_DEFECT)  # (a code past the table)
                stack.append(current_prefix & 0xFF)
                while stack and len(out) < count:
                    out.append(stack.pop())
            new = self.running_code - 2
            if self.last_code != _NO_SUCH_CODE and new < _LZ_MAX_CODE + 1 and prefix[new] == _NO_SUCH_CODE:
                prefix[new] = self.last_code
                known = self.last_code if code == new else code
                suffix[new] = self._prefix_char(known) & 0xFF
            self.last_code = code
        size = self.reader.take(1)[0]
        while size:  # the data's remaining sub-blocks, up to the empty one
            self.reader.take(size)
            size = self.reader.take(1)[0]
        return np.frombuffer(bytes(out), np.uint8)


def _deinterlaced(rows):
    """The rows of an interlaced frame in display order (GIF's four passes: every 8th row from 0, every 8th
    from 4, every 4th from 2, every 2nd from 1)."""
    order = np.concatenate([np.arange(start, len(rows), step) for start, step in ((0, 8), (4, 8), (2, 4), (1, 2))])
    display = np.empty_like(rows)
    display[order] = rows
    return display
