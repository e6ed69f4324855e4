"""Fuzzing the readers of untrusted files: torchless.load (PyTorch's zip format and torchless's own) and
the MNIST IDX reader, with thousands of mutated files -- bit flips, truncations, insertions, deletions,
and header fields, pickle integers and zip fields set to extreme values.

Each file must either load or raise the documented error -- ``CheckpointError`` (a ``RuntimeError`` and
``pickle.UnpicklingError``) from torchless.load, ``RuntimeError`` naming the file from MNIST -- within a
time bound, without allocating more than a bounded amount of memory. The default run takes about 30 s;
``TORCHLESS_FUZZ_EXAMPLES=N`` runs N examples per test instead.
"""
import contextlib
import gzip
import io
import os
import pathlib
import pickletools
import re
import resource
import shutil
import signal
import struct
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

import torchless
from torchless.serialization import CheckpointError
from torchless.vision.datasets import MNIST
from helpers import pickled_int

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "torch"
TIME_LIMIT = 5.0
EXAMPLES = int(os.environ.get("TORCHLESS_FUZZ_EXAMPLES", "0"))
# torchless.load may allocate 8 x the file's size + 256 MiB for tensors (see torchless._torch_format);
# the IDX reader, the file's size (x 1032 for gzip). Beyond that and a margin, an example fails.
MEMORY_MARGIN = 64 << 20


def fuzz(default_examples):
    return settings(max_examples=EXAMPLES or default_examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


class ExampleTimedOut(BaseException):
    """Raised by the alarm; a BaseException so that no reader's ``except Exception`` can swallow it."""


def address_space():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def bounded(memory, seconds=TIME_LIMIT):
    """Fail the example if it runs longer than ``seconds``, or if it asks for more than ``memory`` bytes
    (+ MEMORY_MARGIN) of address space: the allocation fails with MemoryError, which no reader documents."""
    def alarm(signum, frame):
        raise ExampleTimedOut(f"example ran longer than {seconds} s")

    previous_handler = signal.signal(signal.SIGALRM, alarm)
    previous_limit = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (address_space() + memory + MEMORY_MARGIN, previous_limit[1]))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, previous_limit)
        signal.signal(signal.SIGALRM, previous_handler)
    assert time.perf_counter() - start < seconds


def test_the_bounds_catch_blow_ups_and_hangs():
    with pytest.raises(MemoryError):
        with bounded(1 << 20):
            np.ones(MEMORY_MARGIN * 4, np.uint8)
    with pytest.raises(ExampleTimedOut):
        with bounded(1 << 20, seconds=0.1):
            while True:
                pass
    with bounded(1 << 20):  # and let ordinary work through
        np.ones(1 << 20, np.uint8)


def outcome(error):
    """The kind of an error message, for Hypothesis's statistics: numbers, names and details dropped."""
    return re.sub(r"\(.*?\)|b?'[^']*'|0x[0-9a-f]+|\d+", "_", str(error).partition(": ")[2])[:70]


# ---------------------------------------------------------------------------- mutations
EXTREMES = [0, 1, 2, 3, 255, 256, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 40, (1 << 63) - 1,
            1 << 63, (1 << 64) - 1]


def field_value(width):
    return st.sampled_from(EXTREMES).map(lambda v: v % (1 << 8 * width)) | st.integers(0, (1 << 8 * width) - 1)


@st.composite
def mutated(draw, seed, fields=()):
    """``seed`` with 1 to 4 mutations; ``fields`` are (offset, width, byte order) of header fields that
    may be set to extreme values."""
    data = bytearray(seed)
    kinds = ["flip", "truncate", "insert", "delete", "overwrite"] + (["field"] * 3 if fields else [])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(kinds))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[position:]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "delete":
            del data[position:position + draw(st.integers(1, 32))]
        elif kind == "overwrite":
            width = draw(st.sampled_from([1, 2, 4, 8]))
            data[position:position + width] = draw(field_value(width)).to_bytes(width, draw(st.sampled_from(
                ["little", "big"])))
        elif kind == "field":
            offset, width, order = draw(st.sampled_from(fields))
            data[offset:offset + width] = draw(field_value(width)).to_bytes(width, order)
    return bytes(data)


# ---------------------------------------------------------------------------- PyTorch checkpoints
def own_torch_format_seed():
    state = {"w": torchless.nn.Parameter(torchless.randn(2, 3)), "v": torchless.arange(6).reshape(2, 3).t(),
             "n": {"b": torchless.tensor([True, False]), "h": torchless.ones(2, dtype=torchless.float16)}}
    buffer = io.BytesIO()
    torchless.save(state, buffer, format="torch")
    return buffer.getvalue()


SEEDS = {"cnn": (FIXTURES / "cnn.pt").read_bytes(), "tensors": (FIXTURES / "tensors.pt").read_bytes(),
         "written": own_torch_format_seed()}


ZIP_LAYOUTS = {  # signature: (offset, width) of flags, method, CRC, sizes, name/extra lengths, offsets
    b"PK\x03\x04": ((6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)),
    b"PK\x01\x02": ((8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2), (30, 2), (32, 2), (42, 4)),
    b"PK\x05\x06": ((8, 2), (10, 2), (12, 4), (16, 4), (20, 2)),
}


def zip_fields(data):
    """(offset, width, byte order) of the fields of every zip header in ``data``."""
    fields = []
    for signature, layout in ZIP_LAYOUTS.items():
        start = data.find(signature)
        while start != -1:
            fields += [(start + offset, width, "little") for offset, width in layout]
            start = data.find(signature, start + 1)
    return fields


def entries(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


SEED_ENTRIES = {name: entries(data) for name, data in SEEDS.items()}


def rezip(items):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in items:
            archive.writestr(name, content)
    return buffer.getvalue()


def integer_arguments(pickled):
    """(start, end) of every integer opcode in ``pickled``, opcode byte included."""
    operations = list(pickletools.genops(pickled))
    return [(position, operations[i + 1][2]) for i, (opcode, _, position) in enumerate(operations[:-1])
            if opcode.name in ("BININT", "BININT1", "BININT2", "LONG1")]


INTEGER_ARGUMENTS = {name: integer_arguments(next(content for entry, content in items if entry.endswith("/data.pkl")))
                     for name, items in SEED_ENTRIES.items()}


def assert_loads_or_refuses(data):
    """Load ``data``, bounded; the outcome goes to Hypothesis's statistics."""
    with bounded(8 * len(data) + (256 << 20)):
        try:
            torchless.load(io.BytesIO(data))
        except CheckpointError as error:
            event(outcome(error))
        else:
            event("loaded")


@fuzz(1200)
@given(st.sampled_from(sorted(SEEDS)).flatmap(lambda name: mutated(SEEDS[name], zip_fields(SEEDS[name]))))
def test_fuzz_torch_checkpoint_bytes(data):
    assert_loads_or_refuses(data)


@st.composite
def mutated_pickle(draw):
    """A seed whose data.pkl is mutated (generically, or with integers set to extremes), re-zipped with
    valid CRCs so that the unpickler and the tensor checks see it."""
    seed = draw(st.sampled_from(sorted(SEEDS)))
    items = list(SEED_ENTRIES[seed])
    index = next(i for i, (name, _) in enumerate(items) if name.endswith("/data.pkl"))
    pickled = items[index][1]
    if draw(st.booleans()):
        # one integer at a time, at positions of the seed's pickle: later replacements may shift them,
        # which mutates further
        for _ in range(draw(st.integers(1, 3))):
            start, end = draw(st.sampled_from(INTEGER_ARGUMENTS[seed]))
            value = draw(st.sampled_from(EXTREMES + [-1, -2 ** 31, -(1 << 63)]) | st.integers(-8, 64))
            pickled = pickled[:start] + pickled_int(value) + pickled[end:]
    else:
        pickled = draw(mutated(pickled))
    items[index] = (items[index][0], pickled)
    return rezip(items)


@fuzz(1500)
@given(mutated_pickle())
def test_fuzz_torch_checkpoint_pickle(data):
    assert_loads_or_refuses(data)


@st.composite
def mutated_records(draw):
    """A seed with one record (byteorder, a storage, ...) mutated, dropped or duplicated, re-zipped."""
    items = list(SEED_ENTRIES[draw(st.sampled_from(sorted(SEEDS)))])
    index = draw(st.integers(0, len(items) - 1))
    action = draw(st.sampled_from(["mutate", "drop", "duplicate", "rename"]))
    name, content = items[index]
    if action == "mutate":
        items[index] = (name, draw(mutated(content)) if content else draw(st.binary(max_size=8)))
    elif action == "drop":
        del items[index]
    elif action == "duplicate":
        items.insert(draw(st.integers(0, len(items))), (name, draw(st.binary(max_size=64))))
    else:
        items[index] = (draw(st.sampled_from(["x/" + name, name.partition("/")[2], name + "0", "data.pkl"])), content)
    return rezip(items)


@pytest.mark.filterwarnings("ignore:Duplicate name")
@fuzz(600)
@given(mutated_records())
def test_fuzz_torch_checkpoint_records(data):
    assert_loads_or_refuses(data)


def own_format_seed():
    buffer = io.BytesIO()
    torchless.save({"w": torchless.randn(3, 4), "i": torchless.arange(5), "meta": (1, "x", None)}, buffer)
    return buffer.getvalue()


OWN_SEED = own_format_seed()


@fuzz(500)
@given(mutated(OWN_SEED, zip_fields(OWN_SEED)))
def test_fuzz_torchless_checkpoint(data):
    assert_loads_or_refuses(data)


# ---------------------------------------------------------------------------- MNIST IDX files
def idx_seed(count=3):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    return (struct.pack(">IIII", 2051, count, 28, 28) + images.tobytes(),
            struct.pack(">II", 2049, count) + labels.tobytes())


IMAGES, LABELS = idx_seed()
# the magic number, and more often the sizes, whole or byte by byte
IMAGE_FIELDS = ([(offset, 4, "big") for offset in (0, 4, 4, 8, 8, 12, 12)]
                + [(offset, 1, "big") for offset in range(4, 16)])
LABEL_FIELDS = [(0, 4, "big")] + [(4, 4, "big")] * 3 + [(offset, 1, "big") for offset in range(4, 8)]


def load_mnist(root, images, labels, compressed):
    """MNIST's test split from these two files, bounded: a dataset or the RuntimeError naming a file."""
    raw = root / "MNIST" / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir(parents=True)
    suffix = ".gz" if compressed else ""
    (raw / f"t10k-images-idx3-ubyte{suffix}").write_bytes(images)
    (raw / f"t10k-labels-idx1-ubyte{suffix}").write_bytes(labels)
    with bounded(1032 * (len(images) + len(labels))):
        try:
            return MNIST(root, train=False)
        except RuntimeError as error:
            assert "t10k-" in str(error), str(error)
            return error


def assert_mnist_loads_or_names_the_file(root, images, labels, compressed):
    dataset = load_mnist(root, images, labels, compressed)
    if isinstance(dataset, RuntimeError):
        event(re.sub(r"\S*t10k-\S*|\(.*?\)|b?'[^']*'|0x[0-9a-f]+|\d+", "_", str(dataset))[:70])
    else:
        event("loaded")
        assert dataset.data.shape[1:] == (28, 28) and len(dataset.data) == len(dataset.targets)


@fuzz(800)
@given(st.booleans(), mutated(IMAGES, IMAGE_FIELDS), mutated(LABELS, LABEL_FIELDS), st.booleans())
def test_fuzz_mnist_idx_files(tmp_path, which, images, labels, both):
    # mostly one corrupt file beside an intact one, so that each is reached
    images, labels = (images, labels) if both else (images, LABELS) if which else (IMAGES, labels)
    assert_mnist_loads_or_names_the_file(tmp_path, images, labels, compressed=False)


@st.composite
def gzipped_idx(draw):
    """Both files gzipped, one mutated either as gzip bytes or as content before compression."""
    images, labels = gzip.compress(IMAGES, mtime=0), gzip.compress(LABELS, mtime=0)
    change_images, before_compression = draw(st.booleans()), draw(st.booleans())
    if before_compression:
        if change_images:
            return gzip.compress(draw(mutated(IMAGES, IMAGE_FIELDS)), mtime=0), labels
        return images, gzip.compress(draw(mutated(LABELS, LABEL_FIELDS)), mtime=0)
    return (draw(mutated(images)), labels) if change_images else (images, draw(mutated(labels)))


@fuzz(800)
@given(gzipped_idx())
def test_fuzz_mnist_gzipped_idx_files(tmp_path, files):
    assert_mnist_loads_or_names_the_file(tmp_path, *files, compressed=True)


def test_seeds_load(tmp_path):
    """The fuzz seeds are valid files: the mutations start from something that loads."""
    for data in [*SEEDS.values(), OWN_SEED]:
        assert isinstance(torchless.load(io.BytesIO(data)), dict)
    for compressed in (False, True):
        images, labels = (gzip.compress(IMAGES), gzip.compress(LABELS)) if compressed else (IMAGES, LABELS)
        dataset = load_mnist(tmp_path, images, labels, compressed)
        assert len(dataset) == 3 and dataset.data.numpy().tobytes() == IMAGES[16:]


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("torch_format", [False, True])
def test_damaged_compressed_members_are_refused(method, torch_format):
    """A checkpoint whose members are compressed (bz2, lzma, deflate) and then damaged: a CheckpointError naming the
    damage, never the decompressor's own error (bz2's OSError and lzma's LZMAError were found by the fuzzer)."""
    buffer = io.BytesIO()
    torchless.save({"w": torchless.arange(64.0).reshape(8, 8)}, buffer, format="torch" if torch_format else "torchless")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as original:
        entries = [(info.filename, original.read(info)) for info in original.infolist()]
    recompressed = io.BytesIO()
    with zipfile.ZipFile(recompressed, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data, compress_type=method)
    damaged = bytearray(recompressed.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(damaged))) as archive:
        for info in archive.infolist():
            start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            for offset in range(start + 2, start + min(info.compress_size, 24)):
                damaged[offset] ^= 0x5A
    with pytest.raises(CheckpointError):
        torchless.load(io.BytesIO(bytes(damaged)))
