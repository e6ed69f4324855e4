"""The ``torchless`` command line end to end, in subprocesses, as a user runs it."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
DIGITS = REPO / "tests" / "fixtures" / "digits"
SMALL = ["--limit-train", "640", "--limit-test", "200", "--batch-size", "64", "--no-progress"]


def cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "torchless.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short epoch on a subset: a real checkpoint to evaluate, resume and predict with."""
    out = tmp_path_factory.mktemp("run") / "course.ckpt"
    result = cli("train", "--epochs", "1", "--out", out, *SMALL)
    assert result.returncode == 0, result.stderr
    assert "epoch 1/1" in result.stdout and out.exists()
    return out


def test_train_writes_a_loadable_checkpoint(trained):
    import torchless
    from torchless import models

    checkpoint = torchless.load(trained)
    assert checkpoint["model"] == "course" and checkpoint["epoch"] == 1
    model = models.create("course")
    model.load_state_dict(checkpoint["state_dict"])
    assert 0.0 <= checkpoint["history"][0]["test_accuracy"] <= 1.0


def test_resume_continues_from_the_saved_epoch(trained, tmp_path):
    out = tmp_path / "course.ckpt"
    out.write_bytes(trained.read_bytes())
    result = cli("train", "--epochs", "2", "--out", out, "--resume", *SMALL)
    assert result.returncode == 0, result.stderr
    assert "resuming course" in result.stdout and "epoch 2/2" in result.stdout and "epoch 1/2" not in result.stdout
    import torchless

    assert torchless.load(out)["epoch"] == 2


def test_resume_matches_an_uninterrupted_run(tmp_path):
    """Two epochs in one go and one epoch + resume give the same weights (shuffling depends on seed and epoch)."""
    import torchless

    straight, resumed = tmp_path / "straight.ckpt", tmp_path / "resumed.ckpt"
    assert cli("train", "--epochs", "2", "--out", straight, *SMALL).returncode == 0
    assert cli("train", "--epochs", "1", "--out", resumed, *SMALL).returncode == 0
    assert cli("train", "--epochs", "2", "--out", resumed, "--resume", *SMALL).returncode == 0
    a, b = torchless.load(straight)["state_dict"], torchless.load(resumed)["state_dict"]
    for key in a:
        np.testing.assert_allclose(a[key].numpy(), b[key].numpy(), rtol=1e-6, atol=1e-7)


def test_evaluate_reports_accuracy_and_confusion(trained):
    result = cli("evaluate", trained, "--limit-test", "200", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    counts = np.array(report["confusion_matrix"])
    assert counts.shape == (10, 10) and counts.sum() == 200
    assert report["accuracy"] == pytest.approx(np.trace(counts) / 200)
    text = cli("evaluate", trained, "--limit-test", "200").stdout
    assert "per-class accuracy" in text and "confusion matrix" in text


def test_predict_json_lists_every_image(trained):
    images = sorted(DIGITS.glob("*_pen.png"))
    result = cli("predict", trained, *images, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["path"] for r in rows] == [str(p) for p in images]
    for row in rows:
        assert 0 <= row["class"] <= 9 and 0.0 < row["probability"] <= 1.0


def test_predict_reads_npy_arrays(trained, tmp_path):
    from torchless.vision.datasets import MNIST

    test_set = MNIST(None, train=False)
    path = tmp_path / "digit.npy"
    np.save(path, test_set.data[0].numpy())
    result = cli("predict", trained, path, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["path"] == str(path)


def test_bundled_model_reads_pen_drawn_digits():
    """The shipped course CNN names every pen-drawn fixture correctly (the digit is the file name's first character)."""
    from torchless.models import pretrained_path

    images = sorted(DIGITS.glob("*.png")) + sorted(DIGITS.glob("*.jpg"))
    result = cli("predict", pretrained_path("course"), *images, "--json")
    assert result.returncode == 0, result.stderr
    predicted = {pathlib.Path(r["path"]).name: r["class"] for r in json.loads(result.stdout)}
    assert predicted == {p.name: int(p.name[0]) for p in images}


@pytest.mark.parametrize("args, fragments", [
    (("predict", "missing.ckpt", DIGITS / "7_pen.png"), ("no such checkpoint", "missing.ckpt")),
    (("evaluate", "missing.ckpt"), ("no such checkpoint",)),
    (("train", "--resume", "--out", "missing.ckpt", "--limit-train", "10"), ("no such checkpoint",)),
    (("train", "--epochs", "0"), ("must be positive",)),
])
def test_error_paths_print_one_line(args, fragments, tmp_path):
    assert_one_line_error(cli(*args, cwd=tmp_path), *fragments)


def test_corrupt_checkpoint_and_unreadable_image(trained, tmp_path):
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(trained.read_bytes()[:200])
    assert_one_line_error(cli("predict", corrupt, DIGITS / "7_pen.png"), "cannot read checkpoint")
    not_image = tmp_path / "notes.png"
    not_image.write_text("not a picture")
    assert_one_line_error(cli("predict", trained, not_image), "cannot read image")
    assert_one_line_error(cli("predict", trained, tmp_path / "absent.png"), "no such file")
    wrong_shape = tmp_path / "cube.npy"
    np.save(wrong_shape, np.zeros((2, 3, 4)))
    assert_one_line_error(cli("predict", trained, wrong_shape), "expected a 2-D grey image")
    for name, array in (("blank.npy", np.full((40, 40), 255.0)), ("black28.npy", np.zeros((28, 28)))):
        np.save(tmp_path / name, array)
        assert_one_line_error(cli("predict", trained, tmp_path / name), "blank")


def test_predict_reports_a_bad_image_by_name_and_classifies_the_rest(trained, tmp_path):
    blank = tmp_path / "blank.npy"
    np.save(blank, np.zeros((28, 28)))
    result = cli("predict", trained, blank, DIGITS / "7_pen.png", tmp_path / "absent.png", "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert len(errors) == 2 and str(blank) in errors[0] and "blank" in errors[0] and "absent.png" in errors[1]
    assert [row["path"] for row in json.loads(result.stdout)] == [str(DIGITS / "7_pen.png")]


def test_wrong_model_in_checkpoint_is_refused(trained, tmp_path):
    import torchless

    checkpoint = torchless.load(trained)
    checkpoint["model"] = "lenet5"
    path = tmp_path / "mismatch.ckpt"
    torchless.save(checkpoint, path)
    assert_one_line_error(cli("predict", path, DIGITS / "7_pen.png"), "does not match its model")


def test_lr_decay_scales_the_rate_each_epoch(tmp_path):
    import torchless

    out = tmp_path / "decay.ckpt"
    result = cli("train", "--epochs", "2", "--lr", "0.01", "--lr-decay", "0.5", "--out", out, *SMALL)
    assert result.returncode == 0, result.stderr
    assert torchless.load(out)["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.005)
    assert_one_line_error(cli("train", "--lr-decay", "1.5", "--out", tmp_path / "x.ckpt", *SMALL), "--lr-decay")
