"""Regressions found by the data19 session: torchless.vision and torchless.utils.data against torchvision 0.29 /
torch as a user training a CNN on MNIST or an image folder meets them.

The torchvision cases are recorded by ``fixtures/torchvision/make_data19.py`` into ``fixtures/torchvision/data19``:
each is a Python expression evaluated there with torchvision and here with torchless, which must give the same
result or raise the same exception type with the same message.
"""
import pytest

import torchless
import torchless.vision.transforms as T
import torchless.vision.transforms.functional as F
import torchless.vision.transforms.v2.functional as F2
from torchless.vision.transforms import v2

from torchvision_cases import check_case, load_record, recorded_namespace

RECORD, ARRAYS, CASES = load_record("data19")


@pytest.fixture(scope="module")
def scope():
    return recorded_namespace("make_data19", torchless, T, F, v2, F2)


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_data19.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    raised = [case["raises"][0] for case in CASES.values() if "raises" in case]
    # the mode refusals that used to lose to the size check are among them
    assert raised.count("NotImplementedError") >= 100 and raised.count("ValueError") >= 20
