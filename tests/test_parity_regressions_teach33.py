"""The teaching tools against their references (session 33).

``explain.conv`` describes ``nn.Conv2d(...)`` on one input: its output size must be the layer's, and the settings
the layer refuses must raise what PyTorch raises (the constructor's ValueError, the call's RuntimeError).
"""
import itertools
import warnings

import pytest

import torchless

CONV_GRID = list(itertools.product(range(1, 6), range(0, 5), range(0, 3), [0, 1, -1, "same", "valid"], range(0, 3)))


def explained(channels, height, width, kernel, stride, padding, dilation, groups=1, out_channels=2):
    try:
        return torchless.explain.conv((channels, height, width), out_channels, kernel, stride, padding, dilation,
                                      groups).output_shape
    except Exception as err:
        return type(err), str(err)


def formula_size(n, kernel, stride, padding, dilation):
    """PyTorch's documented output length, or None where the layer cannot run."""
    if min(kernel, stride, dilation) < 1 or padding != "same" and padding != "valid" and padding < 0:
        return None
    total = dilation * (kernel - 1) if padding == "same" else 0 if padding == "valid" else 2 * padding
    length = (n + total - dilation * (kernel - 1) - 1) // stride + 1
    return length if length >= 1 else None


def test_explain_conv_output_size_follows_the_formula():
    for n, k, s, p, d in CONV_GRID:
        if p == "same" and s != 1:
            continue
        expected = [formula_size(n, k, s, p, d), formula_size(n + 1, max(k, 1), s, p, d)]
        got = explained(2, n, n + 1, (k, max(k, 1)), s, p, d)
        if None in expected:
            assert isinstance(got[0], type) and issubclass(got[0], RuntimeError), (n, k, s, p, d, got)
        else:
            assert got == (2, *expected), (n, k, s, p, d)


def test_explain_conv_matches_the_layer_over_a_grid():
    torch = pytest.importorskip("torch")
    for n, k, s, p, d in CONV_GRID:
        kernel = (k, max(k, 1))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = tuple(torch.nn.Conv2d(2, 2, kernel, s, p, d)(torch.zeros(2, n, n + 1)).shape)
        except Exception as err:
            expected = type(err), str(err)
        assert explained(2, n, n + 1, kernel, s, p, d) == expected, (n, k, s, p, d)


@pytest.mark.parametrize("groups, in_channels, out_channels", [(0, 2, 2), (-1, 2, 2), (2, 3, 4), (2, 4, 3)])
def test_explain_conv_group_errors_are_the_constructors(groups, in_channels, out_channels):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as expected:
        torch.nn.Conv2d(in_channels, out_channels, 3, groups=groups)
    assert explained(in_channels, 5, 5, 3, 1, 0, 1, groups, out_channels) == (ValueError, str(expected.value))


def test_explain_conv_cli_reports_the_calls_error_in_one_line(capsys):
    from torchless.cli.main import main

    assert main(["explain", "conv", "--input", "1x4x4", "--kernel", "3", "--stride", "0"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "non-positive stride is not supported" in err
