"""libjpeg-turbo's reading of a JPEG file's headers, as torchvision's decoder drives it (``jpeg_read_header`` up to
the first scan, then ``jpeg_start_decompress``): the error it stops with, for the files Pillow cannot decode.

Only the markers and tables are walked (``jdmarker.c``), with the checks made before each scan is decoded
(``jdinput.c``'s ``initial_setup`` and ``latch_quant_tables``, the Huffman tables' derivation in ``jdhuff.c``, the
upsampler's sampling ratios); a scan's entropy-coded data is skipped to the marker that ends it, and errors in
that data are the caller's to report.
"""
# SOFn: the process (sequential, progressive or lossless) and whether arithmetic-coded
_SOF_SUPPORTED = {0xC0: ("sequential", False), 0xC1: ("sequential", False), 0xC2: ("progressive", False),
                  0xC3: ("lossless", False), 0xC9: ("sequential", True), 0xCA: ("progressive", True),
                  0xCB: ("lossless", True)}
_SOF_UNSUPPORTED = {0xC5, 0xC6, 0xC7, 0xC8, 0xCD, 0xCE, 0xCF}
_TABLES = 4  # NUM_HUFF_TBLS, NUM_QUANT_TBLS
_MAX_DIMENSION = 65500
_MAX_COMPONENTS = 10
_BAD_LENGTH = "Bogus marker length"


class _OutOfData(Exception):
    """The bytes ran out: torchvision's source manager reports the file as truncated."""


class _Reader:
    def __init__(self, raw):
        self.raw, self.position = raw, 0

    def byte(self):
        if self.position >= len(self.raw):
            raise _OutOfData
        self.position += 1
        return self.raw[self.position - 1]

    def two_bytes(self):
        return self.byte() << 8 | self.byte()

    def skip(self, count):
        # torchvision's skip_input_data: skipping past the end leaves an EOI byte (not a marker) to read
        if count > 0:
            if self.position + count > len(self.raw):
                self.raw, self.position = b"\xd9", 0
            else:
                self.position += count

    def skip_scan_data(self):
        """Past a scan's entropy-coded data, to the marker that ends it: its stuffed 0xFF 0x00 and restart markers
        are data (the bytes running out, the file is truncated)."""
        while True:
            found = self.raw.find(b"\xff", self.position)
            while 0 <= found < len(self.raw) - 1 and self.raw[found + 1] == 0xFF:
                found += 1
            if found < 0 or found + 1 >= len(self.raw):
                raise _OutOfData
            code = self.raw[found + 1]
            if code != 0 and not 0xD0 <= code <= 0xD7:
                self.position = found  # (next_marker reads the marker from here)
                return
            self.position = found + 2

    def next_marker(self):
        """The next marker's code, past any bytes before it and the 0xFF fill bytes (libjpeg's next_marker)."""
        while True:
            while self.byte() != 0xFF:
                pass
            code = self.byte()
            while code == 0xFF:
                code = self.byte()
            if code != 0:  # (0xFF 0x00 is stuffed data, not a marker)
                return code


class _Header:
    def __init__(self):
        self.components = []  # [id, h, v, quant table]
        self.process = None  # "sequential", "progressive" or "lossless"; None until the frame header (SOF) is read
        self.single_scan = False  # a sequential image whose first scan holds every component
        self.dc_tables, self.ac_tables, self.quant_tables = {}, {}, set()


def as_libjpeg_reads(raw):
    """The bytes of a JPEG file with what libjpeg discards before its first scan left out: bytes that are not a
    marker where one should start (it skips them, with a warning; Pillow refuses the file); ``raw`` itself when
    there are none, or when libjpeg stops at an error in the headers anyway (``failure``)."""
    position, kept, start = 2, [raw[:2]], 2
    while position + 4 <= len(raw):
        if raw[position] != 0xFF:  # extraneous bytes: skipped up to the next 0xFF
            following = raw.find(b"\xff", position)
            if following < 0:
                return raw
            kept.append(raw[start:position])
            position = start = following
            continue
        code = raw[position + 1]
        if code == 0xFF:  # a fill byte
            position += 1
        elif code == 0xDA or code == 0xD9:  # the first scan (or the end): the rest is libjpeg's to read
            break
        elif 0xD0 <= code <= 0xD7 or code in (0x01, 0xD8):
            position += 2
        else:  # (a length below 2 still has its two bytes read)
            position += 2 + max(raw[position + 2] << 8 | raw[position + 3], 2)
    if len(kept) == 1 or failure(raw):
        return raw
    return b"".join(kept) + raw[start:]


def failure(raw):
    """libjpeg's message for the JPEG bytes ``raw`` (starting with its SOI marker), or None when its headers and
    tables hold up to the first scan's data."""
    try:
        return _read_headers(_Reader(raw))
    except _OutOfData:
        return None


def _read_headers(reader):
    header, seen_soi, scans = _Header(), False, 0
    reader.two_bytes()  # the SOI marker (checked by the caller)
    code = 0xD8
    while True:
        if code == 0xD8:
            if seen_soi:
                return "Invalid JPEG file structure: two SOI markers"
            seen_soi = True
        elif code in _SOF_SUPPORTED:
            message = _read_frame(reader, header, _SOF_SUPPORTED[code])
            if message:
                return message
        elif code in _SOF_UNSUPPORTED:
            return f"Unsupported JPEG process: SOF type 0x{code:02x}"
        elif code == 0xDA:
            message = _read_scan(reader, header, first=not scans)
            if message:
                return message
            if scans and header.single_scan:
                return "Didn't expect more than one scan"
            scans += 1
            reader.skip_scan_data()
        elif code == 0xD9:
            if scans:
                return None  # (the image's data is read: the failure lies in it)
            if header.process is not None:
                return "Invalid JPEG file structure: missing SOS marker"
            return "JPEG datastream contains no image"
        elif code == 0xC4:
            message = _read_huffman_tables(reader, header)
            if message:
                return message
        elif code == 0xDB:
            message = _read_quant_tables(reader, header)
            if message:
                return message
        elif code == 0xDD:
            if reader.two_bytes() != 4:
                return _BAD_LENGTH
            reader.two_bytes()
        elif code == 0xCC:
            message = _read_arithmetic_tables(reader)
            if message:
                return message
        elif 0xE0 <= code <= 0xEF or code in (0xFE, 0xDC):  # APPn, COM, DNL: skipped
            reader.skip(reader.two_bytes() - 2)
        elif not (0xD0 <= code <= 0xD7 or code == 0x01):  # (RSTn and TEM have no body)
            return f"Unsupported marker type 0x{code:02x}"
        code = reader.next_marker()


def _read_frame(reader, header, process):
    if header.process is not None:
        return "Invalid JPEG file structure: two SOF markers"
    length = reader.two_bytes()
    precision, height, width, count = reader.byte(), reader.two_bytes(), reader.two_bytes(), reader.byte()
    if height <= 0 or width <= 0 or count <= 0:
        return "Empty JPEG image (DNL not supported)"
    if length - 8 != count * 3:
        return _BAD_LENGTH
    for _ in range(count):
        identifier, sampling, quant_table = reader.byte(), reader.byte(), reader.byte()
        header.components.append((identifier, sampling >> 4, sampling & 15, quant_table))
    (header.process, header.arithmetic), header.size, header.precision = process, (height, width), precision


def _read_scan(reader, header, first):
    if header.process is None:
        return "Invalid JPEG file structure: SOS before SOF"
    length, count = reader.two_bytes(), reader.byte()
    if length != count * 2 + 6 or not 1 <= count <= 4:
        return _BAD_LENGTH
    scan = []
    for i in range(count):
        identifier, tables = reader.byte(), reader.byte()
        # libjpeg-turbo takes the component of that id among those whose index has no scan slot filled yet: the
        # i-th of the scan is one of the frame's i-th to fourth
        index = next((c for c in range(i, min(len(header.components), 4)) if header.components[c][0] == identifier),
                     None)
        if index is None:
            return f"Invalid component ID {identifier} in SOS"
        scan.append((index, tables))
    spectral_start, spectral_end, approximation = reader.byte(), reader.byte(), reader.byte()
    if first:
        message = _check_frame(header, scan)
        if message:
            return message
    return _check_scan(header, scan, spectral_start, spectral_end, approximation)


def _check_frame(header, scan):
    """The checks libjpeg makes once the headers are read, before the first scan (``initial_setup``, the
    upsampler's)."""
    header.single_scan = header.process == "sequential" and len(scan) == len(header.components)
    height, width = header.size
    if height > _MAX_DIMENSION or width > _MAX_DIMENSION:
        return f"Maximum supported image dimension is {_MAX_DIMENSION} pixels"
    if header.precision != 8:
        return f"Unsupported JPEG data precision {header.precision}"
    if len(header.components) > _MAX_COMPONENTS:
        return f"Too many color components: {len(header.components)}, max {_MAX_COMPONENTS}"
    if any(not (1 <= h <= 4 and 1 <= v <= 4) for _, h, v, _ in header.components):
        return "Bogus sampling factors"
    max_h = max(h for _, h, _, _ in header.components)
    max_v = max(v for _, _, v, _ in header.components)
    if any(max_h % h or max_v % v for _, h, v, _ in header.components):
        return "Fractional sampling not implemented yet"
    return None


def _check_scan(header, scan, spectral_start, spectral_end, approximation):
    """The checks libjpeg makes before a scan's data (``latch_quant_tables``, the entropy decoder's start)."""
    for index, _ in scan:
        quant_table = header.components[index][3]
        if quant_table not in header.quant_tables:
            return f"Quantization table 0x{quant_table:02x} was not defined"
    if header.arithmetic:
        return None  # (the arithmetic decoders' tables are not checked here)
    if header.process == "progressive":
        high, low = approximation >> 4, approximation & 15
        dc_band = spectral_start == 0
        if (spectral_end != 0 if dc_band else spectral_start > spectral_end or spectral_end >= 64 or len(scan) != 1) \
                or (high and low != high - 1) or low > 13:
            return f"Invalid progressive/lossless parameters Ss={spectral_start} Se={spectral_end} Ah={high} Al={low}"
        # a DC band's first pass reads the DC tables, a refinement none; an AC band its AC table
        used = [] if dc_band and high else [(dc_band, tables >> 4 if dc_band else tables & 15) for _, tables in scan]
        standard = ()
    else:  # the sequential decoder reads both of each component's tables; 0 and 1, left undefined, are standard
        used = [(is_dc, number) for _, tables in scan for is_dc, number in ((True, tables >> 4), (False, tables & 15))]
        standard = (0, 1)
    for is_dc, number in used:
        defined = header.dc_tables if is_dc else header.ac_tables
        if number not in defined and number not in standard:
            return f"Huffman table 0x{number:02x} was not defined"
        if number in defined:
            message = _derived_table_failure(*defined[number], is_dc)
            if message:
                return message
    return None


def _derived_table_failure(counts, symbols, is_dc):
    """jpeg_make_d_derived_tbl's check of a Huffman table: its codes fit their lengths, a DC table's symbols are
    at most 15."""
    code, previous = 0, None
    for length, count in enumerate(counts, 1):
        if count:
            code = (code << (length - previous if previous else 0)) + count
            if code >= 1 << length:  # (the code of all ones is reserved)
                return "Bogus Huffman table definition"
            previous = length
    if is_dc and any(symbol > 15 for symbol in symbols):
        return "Bogus Huffman table definition"
    return None


def _read_huffman_tables(reader, header):
    length = reader.two_bytes() - 2
    while length > 16:
        index = reader.byte()
        counts = [reader.byte() for _ in range(16)]
        length -= 17
        if sum(counts) > 256 or sum(counts) > length:
            return "Bogus Huffman table definition"
        symbols = bytes(reader.byte() for _ in range(sum(counts)))
        length -= sum(counts)
        tables, number = (header.ac_tables, index - 0x10) if index & 0x10 else (header.dc_tables, index)
        if not 0 <= number < _TABLES:
            return f"Bogus DHT index {number}"
        tables[number] = (counts, symbols)
    if length != 0:
        return _BAD_LENGTH


def _read_quant_tables(reader, header):
    length = reader.two_bytes() - 2
    while length > 0:
        byte = reader.byte()
        wide, number = byte >> 4, byte & 15
        if number >= _TABLES:
            return f"Bogus DQT index {number}"
        entries = 64 * (2 if wide else 1)  # (libjpeg-turbo reads a whole table whatever the length says)
        for _ in range(entries):
            reader.byte()
        length -= entries + 1
        header.quant_tables.add(number)
    if length != 0:
        return _BAD_LENGTH


def _read_arithmetic_tables(reader):
    length = reader.two_bytes() - 2
    while length > 0:
        index, value = reader.byte(), reader.byte()
        length -= 2
        if index >= 32:
            return f"Bogus DAC index {index}"
        if index < 16 and value & 15 > value >> 4:
            return f"Bogus DAC value 0x{value:x}"
    if length != 0:
        return _BAD_LENGTH
