"""Regressions found by the data23 session: torchless.vision's transforms on real images and torchless.utils.data
against torchvision 0.29 / torch.

The torchvision cases are recorded by ``fixtures/torchvision/make_data23.py`` into ``fixtures/torchvision/data23``:
each is a Python expression evaluated there with torchvision and here with torchless, which must give the same
result (uint8 pixels exactly) or raise the same exception type with the same message. The torch.utils.data tests
compare with torch itself (skipped without it).
"""
import pytest

import torchless
import torchless.vision.transforms as T
from torchless.vision import tv_tensors
from torchless.vision.transforms import v2

from torchvision_cases import check_case, load_record, recorded_namespace, round_grids_as_the_recording_host

RECORD, ARRAYS, CASES = load_record("data23")


@pytest.fixture(scope="module")
def scope():
    return recorded_namespace("make_data23", torchless, T, v2, tv_tensors)


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope, monkeypatch):
    round_grids_as_the_recording_host(monkeypatch, fused=True)  # (its nearest rotations recorded on an Intel host)
    check_case(CASES[name], scope, ARRAYS, atol=1e-6)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_data23.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    assert sum("raises" in case for case in CASES.values()) >= 50
