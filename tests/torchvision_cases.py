"""Checking torchless against cases recorded from torchvision by the scripts in fixtures/torchvision/: each case is
a Python expression with torchvision's result (tensors, PIL images, values; their arrays in an npz) or its
exception's type and message, evaluated again here with torchless.

Imported as ``from torchvision_cases import ...`` (pytest puts tests/ on ``sys.path``). torchless names its dtypes
and classes ``torchless.*`` where torch says ``torch.*`` (and ``torchless.vision.*`` where torchvision says
``torchvision.*``): messages and strings are compared with those prefixes read as torch's.
"""
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless

FIXTURES = Path(__file__).parent / "fixtures" / "torchvision"


def load_record(stem):
    """The record ``fixtures/torchvision/<stem>.json`` (or its gzipped ``.json.gz``), its arrays (``<stem>.npz``)
    and its cases by name."""
    path = FIXTURES / f"{stem}.json"
    if path.exists():
        record = json.loads(path.read_text())
    else:
        import gzip

        record = json.loads(gzip.decompress(path.with_suffix(".json.gz").read_bytes()))
    return record, np.load(FIXTURES / f"{stem}.npz"), {case["name"]: case for case in record["cases"]}


def recorded_namespace(maker, *modules):
    """The names the cases of the script ``fixtures/torchvision/<maker>.py`` are written in, bound to torchless's
    ``modules`` (the script's own ``namespace`` function, so that both sides evaluate the same expressions)."""
    sys.path.insert(0, str(FIXTURES))
    try:
        make_namespace = __import__(maker).namespace
    finally:
        sys.path.remove(str(FIXTURES))
    return make_namespace(*modules)


def round_grids_as_the_recording_host(monkeypatch, fused):
    """Round the warps' grid products as PyTorch's MKL did on the host that recorded a fixture: ``fused`` on an
    Intel host (MKL's kernels fuse the multiply-adds), step by step on an AMD one (torchless follows the host it
    runs on, as torch does, so that a fixture's nearest-pixel ties hold on either kind of host)."""
    from torchless import _cpu_features

    monkeypatch.setattr(_cpu_features, "_VENDOR", "GenuineIntel" if fused else "AuthenticAMD")


def as_torch(text):
    # torchless.vision is torchvision (its classes named as torchvision's modules name them); the rest is torch
    return text.replace("torchless.vision.", "torchvision.").replace("torchless.", "torch.")


def assert_matches(value, expected, tolerance, where, arrays, pil_tolerance=True, exact_half=False, atol=1e-5,
                   rtol=1e-5):
    """``value`` against a recorded result. Integer pixels may differ by ``tolerance`` (PIL images only with
    ``pil_tolerance``); floats agree to ``rtol`` and ``atol`` (float16 exactly with ``exact_half``)."""
    if "sequence" in expected:
        assert type(value).__name__ == expected["sequence"], where
        assert len(value) == len(expected["items"]), where
        for i, (item, expected_item) in enumerate(zip(value, expected["items"])):
            assert_matches(item, expected_item, tolerance, f"{where}[{i}]", arrays, pil_tolerance, exact_half, atol,
                           rtol)
    elif "mapping" in expected:
        assert isinstance(value, dict), where
        assert list(value) == [name for name, _ in expected["mapping"]], where
        for name, expected_item in expected["mapping"]:
            assert_matches(value[name], expected_item, tolerance, f"{where}[{name!r}]", arrays, pil_tolerance,
                           exact_half, atol, rtol)
    elif "pil" in expected:
        from PIL import Image  # (only where a case's result is a picture)

        assert isinstance(value, Image.Image), where
        assert (value.mode, list(value.size)) == (expected["pil"], expected["size"]), where
        if "sha256" in expected:
            _assert_digest(np.asarray(value), expected, where)
            return
        got, want = np.asarray(value), arrays[expected["array"]]
        assert got.shape == want.shape, where
        allowed = tolerance if pil_tolerance else 0
        assert np.abs(got.astype(np.int64) - want.astype(np.int64)).max(initial=0) <= allowed, where
    elif "tensor" in expected:
        assert isinstance(value, torchless.Tensor), where
        assert str(value.dtype) == f"torchless.{expected['tensor']}", where
        # the class is recorded since tv_tensors (and boxes with their format, canvas size and clamping mode)
        assert type(value).__name__ == expected.get("kind", type(value).__name__), where
        for name in ("format", "canvas_size", "clamping_mode"):
            if name in expected:
                meta = getattr(value, name)
                meta = meta.name if hasattr(meta, "name") else list(meta) if isinstance(meta, tuple) else meta
                assert meta == expected[name], where
        if "sha256" in expected:
            _assert_digest(value.numpy(), expected, where)
            return
        # (a result that requires grad read detached, as the recorder reads it)
        got, want = (value.detach() if value.requires_grad else value).numpy(), arrays[expected["array"]]
        assert got.shape == want.shape, where
        if want.dtype.kind == "f":
            atol = 0 if exact_half and want.dtype == np.float16 else atol
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)
        else:
            assert np.abs(got.astype(np.int64) - want.astype(np.int64)).max(initial=0) <= tolerance, where
    else:
        shown = as_torch(value) if isinstance(value, str) else value
        assert shown == expected["value"], where


def _assert_digest(got, expected, where):
    # integer pixels recorded exactly, by the SHA-256 of their bytes (make_fixtures.array_digest)
    import hashlib

    assert list(got.shape) == expected["shape"], where
    assert hashlib.sha256(np.ascontiguousarray(got).tobytes()).hexdigest() == expected["sha256"], where


def check_case(case, scope, arrays, **matching):
    """Evaluate a recorded case with torchless in ``scope``: torchvision's result, or its exception's type and
    message (``matching``: assert_matches's options)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "raises" in case:
            kind, message = case["raises"]
            with pytest.raises(Exception) as raised:
                eval(case["expression"], dict(scope))
            assert type(raised.value).__name__ == kind
            assert as_torch(str(raised.value)) == message
            return
        value = eval(case["expression"], dict(scope))
    if isinstance(value, torchless.Size):
        value = list(value)
    assert_matches(value, case["result"], case["tolerance"], case["name"], arrays, **matching)
