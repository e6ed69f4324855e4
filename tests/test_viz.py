"""torchless.viz pictures and ``torchless show``: what is drawn, rendered headless, and the CLI's error paths."""
import os
import subprocess
import sys

import numpy as np
import pytest

import torchless
from torchless import models

matplotlib = pytest.importorskip("matplotlib")
from torchless import viz  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGIT = os.path.join(ROOT, "tests", "fixtures", "digits", "3_pen.png")
NO_MATPLOTLIB = "import sys; sys.modules['matplotlib'] = None; "


def run(*args, prelude=""):
    """``python -m torchless.cli ARGS``, optionally after ``prelude`` (e.g. hiding matplotlib)."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    code = prelude + "import sys; from torchless.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300)


def assert_picture(path, min_width=300, min_height=200):
    """A PNG of a sensible size that is not blank: many colours, not one."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[1] >= min_width and pixels.shape[0] >= min_height
    assert pixels.std() > 0
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20


def image_arrays(figure):
    """The data of every image drawn, in drawing order."""
    return [np.ma.getdata(im.get_array()) for ax in figure.axes for im in ax.images]


def tiles(grid):
    """Split a tile mosaic at its all-NaN rows and columns; the non-empty tiles, row by row."""
    def runs(filled):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], filled.astype(int), [0]])))
        return list(zip(edges[::2], edges[1::2]))

    rows, cols = runs(~np.isnan(grid).all(1)), runs(~np.isnan(grid).all(0))
    found = [grid[r0:r1, c0:c1] for r0, r1 in rows for c0, c1 in cols]
    return [t for t in found if not np.isnan(t).all()]


@pytest.fixture
def course():
    torchless.manual_seed(0)
    return models.create("course")


@pytest.fixture
def digit():
    from torchless.cli.data import MNIST_MEAN, MNIST_STD
    from torchless.cli.images import read_image, to_mnist

    return torchless.from_numpy(((to_mnist(read_image(DIGIT)) - MNIST_MEAN) / MNIST_STD).astype(np.float32)[None])


@pytest.fixture
def checkpoint(tmp_path, course):
    from torchless.cli.checkpoint import save_checkpoint

    path = str(tmp_path / "course.ckpt")
    history = [{"epoch": e, "train_loss": 1.0 / e, "train_accuracy": 0.8 + e / 100, "test_accuracy": 0.85 + e / 100,
                "seconds": 1.0} for e in (1, 2, 3)]
    save_checkpoint(path, "course", course, None, 3, history, {})
    return path


# ------------------------------------------------------------------ the Python API
def test_importing_torchless_and_viz_does_not_import_matplotlib():
    code = ("import sys, torchless, torchless.viz; assert 'matplotlib' not in sys.modules, 'imported'; "
            "torchless.viz.curves; assert 'matplotlib' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")))
    assert done.returncode == 0, done.stderr


def test_filters_tiles_are_the_kernels(course, tmp_path):
    figure = viz.filters(course)
    conv1, conv2 = map(tiles, image_arrays(figure))
    assert len(conv1) == 5 and len(conv2) == 5 * 10
    weight = course.conv2.weight.detach().numpy()
    for i, o in [(0, 0), (2, 7), (4, 9)]:  # row: input channel, column: filter
        np.testing.assert_allclose(conv2[10 * i + o], weight[o, i], rtol=1e-6)
    np.testing.assert_allclose(conv1[3], course.conv1.weight.detach().numpy()[3, 0], rtol=1e-6)
    path = tmp_path / "filters.png"
    figure.savefig(path)
    assert_picture(path)


def test_filters_limits_large_layers_and_needs_a_conv():
    figure = viz.filters(models.create("mnist-cnn"), max_filters=6, max_channels=3)
    assert len(tiles(image_arrays(figure)[1])) == 3 * 6
    assert "first 6 x 3 shown" in figure.axes[2].get_title()
    with pytest.raises(ValueError, match="no Conv2d"):
        viz.filters(torchless.nn.Linear(2, 3))


def test_activations_show_each_conv_and_pool_output(course, digit, tmp_path):
    figure = viz.activations(course, digit)
    panels = [tiles(grid) for grid in image_arrays(figure)]
    assert [len(p) for p in panels] == [1, 5, 5, 10, 10]  # input, conv1, pool, conv2, pool
    np.testing.assert_allclose(panels[0][0], digit[0].numpy())
    with torchless.no_grad():
        conv1 = course.conv1(digit[None]).numpy()[0]
        pooled = torchless.nn.functional.max_pool2d(course.conv1(digit[None]).relu(), 2).numpy()[0]
        scores = course(digit[None])
    for c in range(5):
        np.testing.assert_allclose(panels[1][c], conv1[c], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(panels[2][c], pooled[c], rtol=1e-5, atol=1e-6)
    predicted = int(scores.argmax())
    probability = float(torchless.nn.functional.softmax(scores, dim=1)[0, predicted])
    assert f"predicts {predicted} (probability {probability:.2f})" in figure._suptitle.get_text()
    path = tmp_path / "activations.png"
    figure.savefig(path)
    assert_picture(path)


def test_activations_keep_the_models_mode_and_check_the_input(course, digit):
    course.train()
    viz.activations(course, digit, max_channels=3)
    assert course.training and not course.conv1._forward_hooks
    with pytest.raises(ValueError, match="one image"):
        viz.activations(course, torchless.zeros(2, 1, 28, 28))


@pytest.mark.parametrize("rows, cols, h, w, gap", [(1, 1, 3, 2, 1), (1, 5, 3, 3, 1), (4, 1, 2, 5, 2),
                                                   (3, 10, 4, 4, 1), (2, 3, 6, 6, 3)])
def test_mosaic_places_tiles_with_nan_gaps_between(rows, cols, h, w, gap):
    from torchless.viz._figure import mosaic

    tiles = np.random.default_rng(rows * cols).standard_normal((rows, cols, h, w))
    expected = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for r in range(rows):
        for c in range(cols):
            for i in range(h):
                for j in range(w):
                    expected[r * (h + gap) + i, c * (w + gap) + j] = tiles[r, c, i, j]
    found = mosaic(tiles, gap)
    assert found.dtype == np.float64
    np.testing.assert_array_equal(found, expected)


def test_curves_plot_the_history(tmp_path):
    history = [{"epoch": 1, "train_loss": 0.9, "train_accuracy": 0.7, "test_accuracy": 0.8},
               {"epoch": 2, "train_loss": 0.4, "train_accuracy": 0.9, "test_accuracy": 0.93}]
    path = tmp_path / "curves.png"
    figure = viz.curves(history, str(path))
    loss_axes, accuracy_axes = figure.axes
    np.testing.assert_allclose(loss_axes.lines[0].get_ydata(), [0.9, 0.4])
    np.testing.assert_allclose(accuracy_axes.lines[1].get_ydata(), [0.8, 0.93])
    assert_picture(path)
    with pytest.raises(ValueError, match="empty"):
        viz.curves([])


def test_convolving_colours_pixels_by_their_uses(tmp_path):
    figure = viz.convolving((5, 5), kernel_size=3, stride=1, padding=1)
    grid = image_arrays(figure)[0]
    # Per axis, a 3-wide kernel with padding 1 over 5 pixels reads them 2, 3, 3, 3, 2 times.
    per_axis = np.array([2, 3, 3, 3, 2])
    np.testing.assert_array_equal(grid[1:-1, 1:-1], np.outer(per_axis, per_axis))
    assert np.isnan(grid[0]).all() and np.isnan(grid[:, -1]).all()  # the padding ring
    assert "5x5 input -> 5x5 output" in figure._suptitle.get_text()
    path = tmp_path / "convolving.png"
    figure.savefig(path)
    assert_picture(path)


def test_missing_matplotlib_is_a_clear_import_error():
    code = NO_MATPLOTLIB + ("import torchless; from torchless import viz, models\n"
                            "try:\n    viz.filters(models.create('course'))\n"
                            "except ImportError as err:\n    print(err)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")))
    assert done.stdout.strip() == "drawing pictures needs matplotlib: pip install 'torchless[viz]'"


# ------------------------------------------------------------------ the command line
def test_cli_show_filters_from_a_checkpoint_defaults_beside_it(checkpoint):
    done = run("show", "filters", checkpoint)
    expected = checkpoint[:-len(".ckpt")] + "-filters.png"
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {expected}"
    assert_picture(expected)


def test_cli_show_activations_and_curves(checkpoint, tmp_path):
    out = tmp_path / "act.png"
    done = run("show", "activations", checkpoint, DIGIT, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert_picture(out)
    done = run("show", "activations", "--model", "lenet5", DIGIT, "--out", str(out))
    assert done.returncode == 0, done.stderr
    done = run("show", "curves", checkpoint)
    assert done.returncode == 0, done.stderr
    assert_picture(checkpoint[:-len(".ckpt")] + "-curves.png")


def test_cli_show_untrained_filters(tmp_path):
    out = tmp_path / "f.png"
    done = run("show", "filters", "--model", "course", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert_picture(out)


@pytest.mark.parametrize("args, message", [
    (["filters", "no/such.ckpt"], "no such checkpoint: no/such.ckpt"),
    (["activations", "{ckpt}", "no/such.png"], "no such file: no/such.png"),
    (["activations", "{ckpt}", "{garbage}"], "cannot read image"),
    (["filters"], "give a checkpoint written by 'torchless train', or --model NAME"),
    (["filters", "{ckpt}", "--model", "course"], "give a checkpoint or --model, not both"),
    (["filters", "{ckpt}", "--out", "no/such/dir/f.png"], "cannot write no/such/dir/f.png"),
])
def test_cli_show_errors_are_one_line(args, message, checkpoint, tmp_path, capsys):
    from torchless.cli.main import main

    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not a picture at all")
    assert main(["show", *[a.format(ckpt=checkpoint, garbage=garbage) for a in args]]) == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith("torchless show: error: ") and stderr.count("\n") == 1 and message in stderr


def test_cli_show_without_matplotlib_names_the_extra(checkpoint):
    done = run("show", "filters", checkpoint, prelude=NO_MATPLOTLIB)
    assert done.returncode == 1
    assert done.stderr == "torchless show: error: drawing pictures needs matplotlib: pip install 'torchless[viz]'\n"


TINY_TRAINING = ("train", "--limit-train", "64", "--limit-test", "32", "--no-progress")


def test_train_draws_curves_beside_the_checkpoint(tmp_path):
    out = str(tmp_path / "runs" / "tiny.ckpt")
    done = run(*TINY_TRAINING, "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"loss/accuracy curves: {tmp_path}/runs/tiny-curves.png" in done.stdout
    assert_picture(tmp_path / "runs" / "tiny-curves.png")


def test_train_without_matplotlib_says_so_once_and_trains(tmp_path):
    out = str(tmp_path / "tiny.ckpt")
    done = run(*TINY_TRAINING, "--epochs", "2", "--out", out, prelude=NO_MATPLOTLIB)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("matplotlib is not installed (pip install 'torchless[viz]')") == 1
    assert os.path.exists(out) and not os.path.exists(str(tmp_path / "tiny-curves.png"))
