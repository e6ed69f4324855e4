"""torchless.summary against torchinfo 1.8.0's summary of the same models (tests/fixtures/torchinfo/).

The fixture holds torchinfo's numbers for the models of summary_models.py, built there once for both
libraries; make_summary18.py regenerates it. Compared: the totals, and per module call the class, attribute
name, call depth, output shape, parameters, reuse and mult-adds. Layout choices differ and are not compared
(torchless indents instead of ``depth-index`` labels, shows every output of a multi-output layer, writes
``(reused)``/``*`` instead of ``(recursive)``/``(n)`` and lists no row for a ModuleList that is never called). The
rows torchless adds for convolutions and pooling called as functions (``F.max_pool2d``), which torchinfo cannot see,
are left out of the comparison and checked in test_summary.py.
"""
import json
import math
import re
import sys
from pathlib import Path

import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from torchless._summary import FunctionalLayerInfo
from torchless.vision import models as vision_models

FIXTURES = Path(__file__).parent / "fixtures" / "torchinfo"
sys.path.insert(0, str(FIXTURES))
from summary_models import CASES, build  # noqa: E402

FIXTURE = json.loads((FIXTURES / "summary18.json").read_text())


def torchinfo_rows(name):
    return [dict(zip(FIXTURE["columns"], row)) for row in FIXTURE["models"][name]["layers"]]


def called_rows(rows):
    """torchinfo's rows of modules that ran, each with its depth counted in calls (torchless's depth).

    torchinfo also lists a container that never ran (a ModuleList whose items ``forward`` calls) as the
    parent of its items; torchless shows calls only, so such a row is dropped and its items move up a level.
    """
    open_rows, result = [], []
    for row in rows:
        while open_rows and open_rows[-1]["depth"] >= row["depth"]:
            open_rows.pop()
        called_ancestors = sum(1 for parent in open_rows if parent["output_size"])
        open_rows.append(row)
        if row["output_size"]:
            result.append(dict(row, call_depth=called_ancestors))
    return result


def first_shape(shape):
    return first_shape(shape[0]) if shape and isinstance(shape[0], list) else shape


def mult_adds_wrong_in_torchinfo(layer):
    """The layers torchinfo miscounts (see multiply_accumulates), checked against hand counts below."""
    return layer.class_name.startswith("ConvTranspose") or (layer.class_name == "Linear" and
                                                            len(layer.input_shape) > 2)


@pytest.fixture(scope="module")
def summaries():
    cache = {}

    def get(name):
        if name not in cache:
            torchless.manual_seed(0)
            model = build(name, nn, F, vision_models)
            cache[name] = torchless.summary(model, input_size=CASES[name], verbose=0)
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(CASES))
def test_rows_match_torchinfo(name, summaries):
    result = summaries(name)
    expected = called_rows(torchinfo_rows(name))
    module_rows = [layer for layer in result.layers if not isinstance(layer, FunctionalLayerInfo)]
    assert len(module_rows) == len(expected)
    for layer, row in zip(module_rows, expected):
        where = f"{name}: {layer.name or layer.class_name}"
        assert layer.class_name == row["class_name"], where
        if layer.depth:
            assert layer.name.split(".")[-1] == row["var_name"], where
        assert layer.depth == row["call_depth"], where
        assert first_shape(layer.output_shape) == row["output_size"], where
        assert layer.reused == row["is_recursive"], where
        if row["is_leaf_layer"]:
            if not row["is_recursive"]:
                assert (layer.num_params, layer.trainable_params) == (row["num_params"], row["trainable_params"]), where
            if not mult_adds_wrong_in_torchinfo(layer):
                assert layer.mult_adds == row["macs"], where


@pytest.mark.parametrize("name", list(CASES))
def test_totals_match_torchinfo(name, summaries):
    result, expected = summaries(name), FIXTURE["models"][name]
    assert result.total_params == expected["total_params"]
    assert result.trainable_params == expected["trainable_params"]
    assert result.non_trainable_params == expected["total_params"] - expected["trainable_params"]
    assert result.params_bytes == expected["total_param_bytes"]
    assert result.forward_backward_bytes == expected["total_output_bytes"]
    if not any(mult_adds_wrong_in_torchinfo(layer) for layer in result.layers if layer.is_leaf):
        assert result.total_mult_adds == expected["total_mult_adds"]
    # torchinfo measures an input by sys.getsizeof of its storage, which adds the Python object's own size
    # (64 bytes with torch 2.14); torchless counts the data only.
    data_bytes = sum(4 * math.prod(size) for size in CASES[name])
    assert result.input_bytes == data_bytes
    assert 0 <= expected["total_input_bytes"] - data_bytes <= 100 * len(CASES[name])


def test_table_shows_torchinfos_megabytes(summaries):
    text, expected = str(summaries("mnist_example")), FIXTURE["models"]["mnist_example"]
    for label, key in (("Forward/backward pass size", "total_output_bytes"), ("Params size", "total_param_bytes")):
        assert f"{label} (MB): {expected[key] / 1e6:.2f}" in text
    assert re.search(rf"Total mult-adds: {expected['total_mult_adds']:,} ", text)


def test_transposed_convolution_counts_each_input_element_once(summaries):
    # torchinfo charges N x H_out x W_out x (all weights), stride**2 times too many: a stride-2, 2x2
    # transposed conv touches each output pixel with exactly one kernel tap per input channel.
    first, _, second, _ = summaries("transposed").layers[1:]
    n, c_in, h_in, w_in = first.input_shape
    assert first.mult_adds == n * c_in * h_in * w_in * 4 * 2 * 2 + n * 4 * 10 * 10  # + a bias per output element
    wrong = next(row["macs"] for row in torchinfo_rows("transposed") if row["class_name"] == "ConvTranspose2d")
    assert wrong == n * 10 * 10 * (6 * 4 * 2 * 2 + 4)
    n, c_in, h_in, w_in = second.input_shape  # groups=2, no bias: C_out/groups x k x k weights per element
    assert second.mult_adds == n * c_in * h_in * w_in * (4 // 2) * 3 * 3


def test_linear_on_sequences_counts_every_row(summaries):
    # torchinfo multiplies a Linear layer's parameters by the batch size only (2 x 208 for the first
    # layer here); the weights are applied to each of the 2 x 7 rows.
    first, _, norm, last = summaries("linear_3d").layers[1:]
    torchinfo_first, _, torchinfo_norm, _ = torchinfo_rows("linear_3d")[1:]
    assert torchinfo_first["macs"] == 2 * (12 * 16 + 16)
    assert first.mult_adds == 2 * 7 * (12 * 16 + 16)
    assert last.mult_adds == 2 * 7 * 16 * 3
    assert norm.mult_adds == torchinfo_norm["macs"] == 2 * 2 * 16  # torchinfo's convention: once per sample


@pytest.mark.parametrize("layer, sample_shape, mult_adds", [
    (nn.Conv2d(3, 5, 3, stride=2), (3, 9, 13), 4 * 6 * (5 * 3 * 3 * 3 + 5)),
    (nn.ConvTranspose2d(3, 4, 2, stride=2), (3, 5, 6), 5 * 6 * 3 * 4 * 2 * 2 + 4 * 10 * 12),
    (nn.Conv1d(3, 4, 2, dilation=2), (3, 9), 7 * (4 * 3 * 2 + 4)),
    (nn.Linear(5, 3), (5,), 5 * 3 + 3)])
def test_unbatched_input_counts_like_a_batch_of_one(layer, sample_shape, mult_adds):
    # torch layers take one sample without its batch dimension; torchinfo would read C_in as the batch
    unbatched = torchless.summary(layer, input_size=sample_shape, verbose=0).total_mult_adds
    batched = torchless.summary(layer, input_size=(1,) + sample_shape, verbose=0).total_mult_adds
    assert unbatched == batched == mult_adds
