"""uint16, uint32 and uint64 tensors (PyTorch's "limited support" dtypes) and 16-bit images: creation, conversion,
promotion, serialization and the vision paths that give uint16 (pil_to_tensor of an I;16 image, 16-bit PNGs,
to_dtype with scale). Independent references first (NumPy, Pillow, a PNG written by hand); then parity with
PyTorch, compared at run time."""
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision.io import ImageReadMode, decode_png, read_image
from torchless.vision.transforms import functional as TF
from torchless.vision.transforms import v2
from torchless.vision.transforms.v2 import functional as F2

PIL_Image = pytest.importorskip("PIL.Image")

SCAN16 = Path(__file__).parent / "fixtures" / "digits" / "photos" / "3_scan16.png"
UNSIGNED = ("uint16", "uint32", "uint64")
BITS = {"uint16": 16, "uint32": 32, "uint64": 64}


# ------------------------------------------------------------------ independent references
@pytest.mark.parametrize("name", UNSIGNED)
def test_attributes_and_limits_from_their_bit_width(name):
    d, bits = getattr(torchless, name), BITS[name]
    assert repr(d) == f"torchless.{name}" and d.itemsize == bits // 8
    assert not d.is_signed and not d.is_floating_point and not d.is_complex
    info = torchless.iinfo(d)
    assert (info.bits, info.min, info.max) == (bits, 0, 2 ** bits - 1)


@pytest.mark.parametrize("name", UNSIGNED)
def test_numpy_round_trip_shares_memory(name):
    array = np.array([0, 1, 2 ** BITS[name] - 1], dtype=name)
    t = torchless.from_numpy(array)
    assert t.dtype is getattr(torchless, name) and t.tolist() == [0, 1, 2 ** BITS[name] - 1]
    array[0] = 7
    assert t[0].item() == 7 and t.numpy().dtype == np.dtype(name)
    copied = torchless.tensor(array)
    array[0] = 8
    assert copied[0].item() == 7


@pytest.mark.parametrize("name", UNSIGNED)
def test_promotion_only_with_itself_and_floats(name):
    d = getattr(torchless, name)
    scalar = {"uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}[name]
    for other, other_name in ((torchless.int64, "Long"), (torchless.uint8, "Byte"), (torchless.bool, "Bool"),
                              (torchless.int8, "Char"), (torchless.complex64, "ComplexFloat")):
        with pytest.raises(RuntimeError, match=f"attempted to promote {scalar} and {other_name}$"):
            torchless.promote_types(d, other)
    for f in (torchless.float16, torchless.float32, torchless.float64):
        assert torchless.promote_types(d, f) is f and torchless.promote_types(f, d) is f
    x = torchless.tensor([1, 2, 3], dtype=d)
    assert (x * 2).dtype is d and (x * torchless.tensor(2)).dtype is d  # a 0-d tensor takes no part
    with pytest.raises(RuntimeError, match="Promotion for uint16, uint32, uint64 types is not supported"):
        x * torchless.tensor([2])
    assert (x / 2).dtype is torchless.float32 and (x + 1.5).tolist() == [2.5, 3.5, 4.5]


def test_index_tensors_of_wide_unsigned_types_are_refused_but_0_d_ones_select():
    x = torchless.arange(4.0)
    assert x[torchless.tensor(2, dtype=torchless.uint16)].item() == 2.0  # (read through __index__, as an int)
    for name in UNSIGNED:
        with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
            x[torchless.tensor([1], dtype=getattr(torchless, name))]


def test_conversions_wrap_modulo_the_width():
    assert torchless.tensor([70000, -1]).to(torchless.uint16).tolist() == [70000 % 2 ** 16, 2 ** 16 - 1]
    assert torchless.tensor([2 ** 64 - 1], dtype=torchless.uint64).to(torchless.int64).tolist() == [-1]
    assert torchless.tensor([65535], dtype=torchless.uint16).to(torchless.int16).tolist() == [-1]
    assert torchless.tensor([1.9, 65535.0]).to(torchless.uint16).tolist() == [1, 65535]
    assert torchless.tensor([1, 65535], dtype=torchless.uint16).float().tolist() == [1.0, 65535.0]


def test_uint64_from_python_ints_only():
    assert torchless.tensor([[1, 2 ** 64 - 1]], dtype=torchless.uint64).tolist() == [[1, 2 ** 64 - 1]]
    with pytest.raises(OverflowError, match="can't convert negative int to unsigned"):
        torchless.tensor([-1], dtype=torchless.uint64)
    with pytest.raises(OverflowError, match="int too big to convert"):
        torchless.tensor([2 ** 64], dtype=torchless.uint64)
    with pytest.raises(TypeError, match="an integer is required"):
        torchless.tensor([1.0], dtype=torchless.uint64)


def test_save_load_round_trip():
    data = {"a": torchless.tensor([[1, 65535], [3, 4]], dtype=torchless.uint16).t(),
            "b": torchless.tensor([2 ** 63 + 1], dtype=torchless.uint64)}
    buffer = io.BytesIO()
    torchless.save(data, buffer)
    buffer.seek(0)
    loaded = torchless.load(buffer)
    assert loaded["a"].dtype is torchless.uint16 and loaded["a"].tolist() == [[1, 3], [65535, 4]]
    assert loaded["b"].tolist() == [2 ** 63 + 1]


def _png(samples, color_type, interlace=False, filters=(0,)):
    """A 16-bit PNG of ``samples`` (H, W, C) written by hand: each row filtered by the next of ``filters``."""
    height, width, channels = samples.shape
    bpp = 2 * channels

    def scanlines(block, counter):
        out, previous = [], np.zeros(block.shape[1] * bpp, np.int64)
        for row in block:
            raw = np.frombuffer(row.astype(">u2").tobytes(), np.uint8).astype(np.int64)
            left = np.concatenate([np.zeros(bpp, np.int64), raw[:-bpp]])
            up_left = np.concatenate([np.zeros(bpp, np.int64), previous[:-bpp]])
            kind = filters[counter[0] % len(filters)]
            counter[0] += 1
            if kind == 4:
                p = left + previous - up_left
                pa, pb, pc = abs(p - left), abs(p - previous), abs(p - up_left)
                guess = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, previous, up_left))
            else:
                guess = {0: 0 * raw, 1: left, 2: previous, 3: (left + previous) // 2}[kind]
            out.append(bytes([kind]) + ((raw - guess) % 256).astype(np.uint8).tobytes())
            previous = raw
        return b"".join(out)

    counter = [0]
    if interlace:
        passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
        body = b"".join(scanlines(samples[y::dy, x::dx], counter) for x, y, dx, dy in passes
                        if samples[y::dy, x::dx].size)
    else:
        body = scanlines(samples, counter)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, int(interlace))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(body)) + \
        chunk(b"IEND", b"")


def _bytes_tensor(data):
    return torchless.frombuffer(bytearray(data), dtype=torchless.uint8)


@pytest.mark.parametrize("color_type, channels", [(0, 1), (2, 3), (4, 2), (6, 4)])
@pytest.mark.parametrize("interlace", [False, True])
def test_16_bit_png_decodes_whole(color_type, channels, interlace):
    samples = np.random.default_rng(color_type).integers(0, 2 ** 16, (11, 9, channels), dtype=np.uint16)
    data = _png(samples, color_type, interlace, filters=(0, 1, 2, 3, 4))
    out = decode_png(_bytes_tensor(data))
    assert out.dtype is torchless.uint16 and out.shape == (channels, 11, 9)
    np.testing.assert_array_equal(out.numpy().transpose(1, 2, 0), samples)


def test_16_bit_png_read_modes_as_libpng_transforms_them():
    rgba = np.random.default_rng(3).integers(0, 2 ** 16, (4, 6, 4), dtype=np.uint16)
    data = _bytes_tensor(_png(rgba, 6, filters=(4, 1)))
    wide = rgba.astype(np.int64)
    # libpng's 16-bit rgb_to_gray: weights 0.2989 and 0.587 as 15-bit fixed point, rounded
    grey = (9794 * wide[..., 0] + 19234 * wide[..., 1] + (32768 - 9794 - 19234) * wide[..., 2] + 16384) >> 15
    np.testing.assert_array_equal(decode_png(data, ImageReadMode.GRAY).numpy()[0], grey)
    np.testing.assert_array_equal(decode_png(data, ImageReadMode.GRAY_ALPHA).numpy()[1], rgba[..., 3])
    np.testing.assert_array_equal(decode_png(data, ImageReadMode.RGB).numpy().transpose(1, 2, 0), rgba[..., :3])
    grey_png = _bytes_tensor(_png(rgba[..., :1], 0))
    out = decode_png(grey_png, ImageReadMode.RGB_ALPHA).numpy()
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out[:3], np.repeat(rgba[None, ..., 0], 3, axis=0))
    assert (out[3] == 65535).all()


def test_real_16_bit_scan_through_every_path():
    expected = np.array(PIL_Image.open(SCAN16))  # Pillow keeps 16-bit grey whole (I;16)
    assert expected.dtype == np.uint16 and expected.max() > 255
    from_pil = TF.pil_to_tensor(PIL_Image.open(SCAN16))
    assert from_pil.dtype is torchless.uint16
    np.testing.assert_array_equal(from_pil.numpy()[0], expected)
    np.testing.assert_array_equal(read_image(str(SCAN16), ImageReadMode.UNCHANGED).numpy()[0], expected)
    image = v2.ToImage()(PIL_Image.open(SCAN16))
    assert image.dtype is torchless.uint16
    scaled = F2.to_dtype(image, torchless.float32, scale=True)
    np.testing.assert_array_equal(scaled.numpy()[0], expected.astype(np.float32) * np.float32(1 / 65535))


def test_to_dtype_scale_from_and_to_uint16():
    values = np.array([0, 1, 255, 256, 32768, 65535], np.uint16)
    x = torchless.from_numpy(values.copy())
    # torchvision: uint16 narrows by a float division (no shifts on uint16), widens by a shift
    np.testing.assert_array_equal(F2.to_dtype(x, torchless.uint8, scale=True).numpy(),
                                  (values.astype(np.float32) / 256).astype(np.uint8))
    np.testing.assert_array_equal(F2.to_dtype(x, torchless.int32, scale=True).numpy(), values.astype(np.int32) << 15)
    u8 = torchless.tensor([0, 1, 128, 255], dtype=torchless.uint8)
    assert F2.to_dtype(u8, torchless.uint16, scale=True).tolist() == [0, 256, 32768, 65280]
    f = np.array([0.0, 0.25, 0.5, 0.999, 1.0], np.float32)
    np.testing.assert_array_equal(F2.to_dtype(torchless.from_numpy(f), torchless.uint16, scale=True).numpy(),
                                  (f * np.float32(65536 - 1e-3)).astype(np.uint16))


def test_pillow_i16_image_made_in_memory():
    array = np.random.default_rng(5).integers(0, 2 ** 16, (7, 5), dtype=np.uint16)
    image = PIL_Image.fromarray(array)
    assert image.mode.startswith("I;16")
    out = TF.pil_to_tensor(image)
    assert out.dtype is torchless.uint16 and out.shape == (1, 7, 5)
    np.testing.assert_array_equal(out.numpy()[0], array)


# ------------------------------------------------------------------ parity with PyTorch
EXPRESSIONS = [
    "x*2", "x/2", "x==x", "x!=2", "x.sum()", "x.sort()[0]", "x&x", "x|1", "x^x", "x.float()", "x.to(torch.int64)",
    "x.to(torch.uint8)", "x.to(torch.int16)", "x.double()", "x.half()", "x.bool()", "torch.cat([x,x])",
    "torch.stack([x,x])", "x[1:]", "x[torch.tensor([0,2])]", "x[x==2]", "x.clone()", "x.reshape(3,1).t().contiguous()",
    "x.view(3,1)", "x.flatten()", "torch.zeros(2,dtype=D)", "torch.ones(2,dtype=D)", "torch.full((2,),7,dtype=D)",
    "torch.zeros_like(x)", "torch.full_like(x,3)", "torch.tensor([1.5]).to(D)", "torch.tensor([-1.]).to(D)",
    "torch.tensor([70000.]).to(D)", "torch.tensor([-1]).to(D)", "torch.tensor([1e10]).to(D)",
    "torch.tensor([-3.7]).to(D)", "x.mean()", "x.prod()", "torch.where(x==1,x,x)", "x.cumsum(0)", "x.unique()",
    "x.clone().fill_(3)", "x.clone().zero_()", "x.tolist()", "x[0].item()", "x.type()", "x.eq(1)", "x.ne(x)",
    "x.bitwise_xor(x)", "torch.equal(x,x)", "x.isnan()", "x.all()", "x.any()", "x+1.5", "x*torch.tensor(2.)",
    "x.new_zeros(2)", "x.repeat(2)", "x.expand(2,3)", "x.sqrt()", "x.true_divide(2)", "x*x", "x.clone().mul_(2)",
    "x*torch.tensor([2])", "x*torch.tensor(2)", "x==torch.tensor([1])", "x&torch.tensor([1])",
    "torch.cat([x,torch.tensor([1])])", "torch.cat([x,torch.tensor([1.])])", "x.sum().dtype", "x.numpy().dtype",
    "torch.from_numpy(np.array([1,2],dtype=D_np))", "torch.tensor(np.array([1,2],dtype=D_np))",
    "torch.tensor([-1],dtype=D)", "torch.tensor([70000],dtype=D)", "torch.full((1,),70000,dtype=D)",
    "torch.full((1,),-1,dtype=D)", "torch.tensor([2**64-1],dtype=D)", "torch.tensor([2**32],dtype=D)",
    "torch.tensor([2.5,3.9],dtype=D)", "torch.iinfo(D)", "x.element_size()", "x.is_floating_point()",
    "x.dtype.to_complex()", "x.type(torch.float32)", "torch.promote_types(D,torch.float16)",
    "torch.promote_types(D,torch.int64)", "torch.promote_types(D,torch.bool)", "torch.result_type(x,1)",
    "torch.result_type(x,torch.tensor(1))", "torch.result_type(x,torch.tensor([1]))", "torch.result_type(x,1.)",
    "torch.result_type(x,1j)", "torch.result_type(x,True)", "torch.can_cast(D,torch.int64)",
    "torch.can_cast(torch.float32,D)", "x.float().mean()", "x.msort()", "x.argsort()", "x.roll(1)", "x.chunk(3)",
    "x.new_full((2,),3)", "torch.zeros(2,dtype=D).copy_(torch.tensor([1.5,2.5]))", "torch.zeros(2).copy_(x[:2])",
    "torch.tensor([True],dtype=D)", "x.float().to(D)", "torch.empty(0,dtype=D).sum()", "x.sum(0,keepdim=True)",
    "repr(torch.tensor([[1,2],[3,40000]],dtype=D))", "torch.zeros(3)[torch.tensor(1,dtype=D)]",
    "torch.zeros(3)[torch.tensor([1],dtype=D)]", "torch.nn.Conv2d(1,1,3)(torch.zeros(1,1,5,5,dtype=D))",
    "torch.nn.functional.embedding(torch.tensor([1],dtype=D),torch.zeros(3,2))", "torch.tensor([D_np(1)])",
    "torch.tensor(D_np(3))", "torch.tensor([D_np(1)],dtype=torch.int64)", "torch.tensor([D_np(1),2])",
    "torch.tensor([D_np(1),2.5])", "torch.ones(2)*D_np(3)", "torch.ones(2,dtype=torch.int64)+D_np(3)",
    "x*D_np(3)", "torch.as_tensor(D_np(5))", "torch.full((2,),D_np(3))",
]


def _outcome(torch, name, expression):
    D = getattr(torch, name)
    names = {"torch": torch, "np": np, "D": D, "D_np": getattr(np, name), "x": torch.tensor([1, 2, 3], dtype=D)}
    try:
        r = eval(expression, names)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    if isinstance(r, torch.Tensor):
        return "tensor", str(r.dtype).replace("torchless", "torch"), tuple(r.shape), r.tolist()
    if isinstance(r, tuple):
        return tuple(_outcome_of(torch, v) for v in r)
    return repr(r).replace("torchless", "torch")


def _outcome_of(torch, value):
    return (str(value.dtype).replace("torchless", "torch"), value.tolist()) if isinstance(value, torch.Tensor) \
        else value


@pytest.mark.parametrize("name", UNSIGNED)
def test_ops_match_torch(name):
    torch = pytest.importorskip("torch")
    mismatches = [(e, _outcome(torch, name, e), _outcome(torchless, name, e)) for e in EXPRESSIONS]
    mismatches = [m for m in mismatches if m[1] != m[2] and m[1][0] != "NotImplementedError"]
    assert not mismatches


def test_checkpoints_cross_with_torch(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"a": torch.tensor([1, 65535], dtype=torch.uint16), "b": torch.tensor([7], dtype=torch.uint32),
                "c": torch.tensor([2 ** 64 - 1], dtype=torch.uint64)}, path)
    ours = torchless.load(path)
    assert [(v.dtype.name, v.tolist()) for v in ours.values()] == \
        [("uint16", [1, 65535]), ("uint32", [7]), ("uint64", [2 ** 64 - 1])]
    torchless.save({**ours, "t": torchless.tensor([[1, 2], [3, 4]], dtype=torchless.uint16).t()}, path)
    theirs = torch.load(path)
    assert theirs["a"].dtype == torch.uint16 and theirs["c"].tolist() == [2 ** 64 - 1]
    assert theirs["t"].tolist() == [[1, 3], [2, 4]]
