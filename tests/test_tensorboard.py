"""torchless.utils.tensorboard: the event files and projector files read back and compared with PyTorch's writer.

Each parity test makes the same calls on torch's SummaryWriter and torchless's, into two directories, reads both
back with TensorBoard's own event-file loader and compares what TensorBoard would show: tags, steps, values,
histogram buckets, decoded pixels, plugin data, the directories and files. The other tests check the output
against independent references (NumPy, Pillow, the wave module) and need no torch.
"""
import contextlib
import io
import os
import sys
import wave

import numpy as np
import pytest

pytest.importorskip("tensorboard")

from PIL import Image  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import (EventFileLoader,  # noqa: E402
                                                                    LegacyEventFileLoader)
from tensorboard.compat.proto.graph_pb2 import GraphDef  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

import torchless  # noqa: E402
from torchless import nn  # noqa: E402
from torchless.utils.tensorboard import FileWriter, SummaryWriter  # noqa: E402


# ------------------------------------------------------------------------------------------------ reading back
def read_events(root, raw=True):
    """{directory relative to root: [Event, ...]} over every event file, files in name (= creation) order.

    ``raw``: the protos as written; otherwise as TensorBoard reads them (migrated to tensor summaries).
    """
    loader = LegacyEventFileLoader if raw else EventFileLoader
    found = {}
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            if "tfevents" in f:
                found.setdefault(os.path.relpath(d, root), []).extend(loader(os.path.join(d, f)).Load())
    return found


def other_files(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            if "tfevents" not in f:
                path = os.path.join(d, f)
                with open(path, "rb") as fh:
                    out[os.path.relpath(path, root)] = fh.read()
    return out


def png_pixels(data):
    return np.asarray(Image.open(io.BytesIO(data)))


def describe_value(v):
    out = {"tag": v.tag, "kind": v.WhichOneof("value")}
    if v.HasField("metadata"):
        out["plugin"] = (v.metadata.plugin_data.plugin_name, v.metadata.plugin_data.content,
                         v.metadata.display_name)
    if out["kind"] == "simple_value":
        out["simple"] = v.simple_value
    elif out["kind"] == "tensor":
        t = v.tensor
        out["dtype"] = t.dtype
        out["shape"] = [d.size for d in t.tensor_shape.dim]
        out["values"] = list(t.string_val) if t.string_val else tensor_util.make_ndarray(t)
    elif out["kind"] == "histo":
        h = v.histo
        out["histo"] = [h.min, h.max, h.num, h.sum, h.sum_squares, np.array(h.bucket_limit), np.array(h.bucket)]
    elif out["kind"] == "image":
        im = v.image
        out["image"] = [im.height, im.width, im.colorspace,
                        png_pixels(im.encoded_image_string) if im.encoded_image_string else None]
    elif out["kind"] == "audio":
        a = v.audio
        out["audio"] = [a.sample_rate, a.num_channels, a.length_frames, a.encoded_audio_string, a.content_type]
    return out


def describe_event(e):
    out = {"step": e.step, "what": e.WhichOneof("what")}
    if out["what"] == "summary":
        out["values"] = [describe_value(v) for v in e.summary.value]
    elif out["what"] == "file_version":
        out["version"] = e.file_version
    elif out["what"] == "session_log":
        out["status"] = e.session_log.status
    return out


def assert_same(a, b, path="events"):
    """Structural equality; float arrays and floats within float32 precision."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: {sorted(a)} vs {sorted(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: {a!r:.300} vs {b!r:.300}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        b = np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, f"{path}: {a.shape} {a.dtype} vs {b.shape} {b.dtype}"
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7, equal_nan=True, err_msg=path)
        else:
            np.testing.assert_array_equal(b, a, err_msg=path)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-6, abs=1e-7, nan_ok=True), f"{path}: {a} vs {b}"
    else:
        assert a == b, f"{path}: {a!r:.300} vs {b!r:.300}"


def write_both(tmp_path, calls, **writer_kwargs):
    """Run ``calls(writer, lib)`` with torch's writer and torchless's; compare outcomes, events and files."""
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    results = {}
    for name, writer_cls, lib in (("torch", TorchWriter, torch), ("torchless", SummaryWriter, torchless)):
        root = str(tmp_path / name)
        writer = writer_cls(root, **writer_kwargs)
        outcomes = []
        for call in calls:
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    call(writer, lib)
                outcomes.append(("ok", printed.getvalue()))
            except Exception as e:  # noqa: BLE001 - the exception is the thing compared
                outcomes.append((type(e), str(e), printed.getvalue()))
        writer.close()
        results[name] = (outcomes, read_events(root), read_events(root, raw=False), other_files(root))
    (t_out, t_events, t_shown, t_files), (l_out, l_events, l_shown, l_files) = results["torch"], results["torchless"]
    assert l_out == t_out
    for written, read in ((t_events, l_events), (t_shown, l_shown)):
        assert sorted(read) == sorted(written)
        for d in written:
            assert_same([describe_event(e) for e in written[d]], [describe_event(e) for e in read[d]], d)
    assert sorted(l_files) == sorted(t_files)
    for name, data in t_files.items():
        if name.endswith(".png"):
            np.testing.assert_array_equal(png_pixels(l_files[name]), png_pixels(data), err_msg=name)
        else:
            assert l_files[name] == data, name
    return l_out, l_events


def tensor(lib, array, requires_grad=False):
    t = lib.from_numpy(np.ascontiguousarray(array).copy())
    return t.requires_grad_() if requires_grad else t


RNG = np.random.default_rng(0)
F32 = RNG.random((3, 5, 7)).astype(np.float32)


# ------------------------------------------------------------------------------------------------ parity with torch
def test_scalars_old_and_new_style_match_torch(tmp_path):
    value = np.float32(0.3)
    write_both(tmp_path, [
        lambda w, lib: w.add_scalar("loss", 1.25, 0),
        lambda w, lib: w.add_scalar("loss", 7, 1, walltime=123.5),
        lambda w, lib: w.add_scalar("loss", tensor(lib, np.array(2.5, np.float32), requires_grad=True), 2),
        lambda w, lib: w.add_scalar("np", np.array([[value]]), np.int64(3)),
        lambda w, lib: w.add_scalar("np", value, 4),
        lambda w, lib: w.add_scalar("flag", True, 5),
        lambda w, lib: w.add_scalar("nan", float("nan"), 6),
        lambda w, lib: w.add_scalar("new", 0.1, 7, new_style=True),
        lambda w, lib: w.add_scalar("new64", 0.1, 8, new_style=True, double_precision=True),
    ])


def test_scalar_errors_match_torch(tmp_path):
    outcomes, _ = write_both(tmp_path, [
        lambda w, lib: w.add_scalar("bad", tensor(lib, np.ones(2, np.float32)), 0),
        lambda w, lib: w.add_scalar("bad", tensor(lib, np.ones((2, 3))), 0),
        lambda w, lib: w.add_scalar("bad", np.zeros(0), 0),
        lambda w, lib: w.add_scalar("bad", [1.0], 0),
        lambda w, lib: w.add_scalar("bad", None, 0),
        lambda w, lib: w.add_scalar("bad", "abc", 0),
    ])
    assert [o[0] for o in outcomes] == [AssertionError] * 3 + [NotImplementedError] * 2 + [ValueError]


def test_add_scalars_makes_torchs_sub_writers(tmp_path):
    _, events = write_both(tmp_path, [
        lambda w, lib: w.add_scalars("run/loss", {"train": 1.0, "val": 2.0}, 1),
        lambda w, lib: w.add_scalars("run/loss", {"train": tensor(lib, np.array(0.5)), "test": 3}, 2),
    ])
    assert sorted(events) == [".", "run_loss_test", "run_loss_train", "run_loss_val"]


@pytest.mark.parametrize("bins,max_bins", [("tensorflow", None), ("tensorflow", 7), ("auto", None), ("fd", 3),
                                           (10, None), ("sqrt", 2), ([0.0, 0.5, 1.0, 2.0], None)])
def test_histograms_match_torch(tmp_path, bins, max_bins):
    values = RNG.standard_normal(200)
    write_both(tmp_path, [
        lambda w, lib: w.add_histogram("f64", tensor(lib, values), 0, bins=bins, max_bins=max_bins),
        lambda w, lib: w.add_histogram("f32", tensor(lib, values.astype(np.float32), True), 1, bins=bins,
                                       max_bins=max_bins),
        lambda w, lib: w.add_histogram("int", tensor(lib, np.arange(-5, 40)), 2, bins=bins, max_bins=max_bins),
        lambda w, lib: w.add_histogram("one", np.array([0.25]), 3, bins=bins, max_bins=max_bins),
    ])


def test_histogram_errors_and_raw_match_torch(tmp_path):
    write_both(tmp_path, [
        lambda w, lib: w.add_histogram("empty", tensor(lib, np.zeros((2, 0))), 0),
        lambda w, lib: w.add_histogram("outside", np.array([5.0, 6.0]), 0, bins=[0, 1, 2]),
        lambda w, lib: w.add_histogram("nan", np.array([1.0, np.nan]), 0, bins="auto"),
        lambda w, lib: w.add_histogram_raw("raw", 0.0, 3.0, 6, 9.0, 20.0, [1.0, 2.0, 3.0], [1, 2, 3], 4),
        lambda w, lib: w.add_histogram_raw("raw", 0.0, 3.0, 6, 9.0, 20.0, [1.0, 2.0], [1, 2, 3], 4),
    ])


def test_images_match_torch(tmp_path):
    u8 = RNG.integers(0, 256, (5, 7, 3)).astype(np.uint8)
    write_both(tmp_path, [
        lambda w, lib: w.add_image("chw", tensor(lib, F32, requires_grad=True), 0),
        lambda w, lib: w.add_image("hwc", tensor(lib, u8), 1, dataformats="HWC"),
        lambda w, lib: w.add_image("hw", F32[0].astype(np.float64) * 1.5 - 0.2, 2, dataformats="HW"),
        lambda w, lib: w.add_image("gray", tensor(lib, F32[:1]), 3),
        lambda w, lib: w.add_image("rgba", tensor(lib, F32[:, :4, :3].transpose(1, 2, 0)), 4),
        lambda w, lib: w.add_image("whc", tensor(lib, F32.transpose(2, 1, 0)), 5, dataformats="whc"),
        lambda w, lib: w.add_image("bool", F32 > 0.5, 6),
    ])


def test_image_batches_and_errors_match_torch(tmp_path):
    batch = RNG.random((9, 3, 4, 5)).astype(np.float32)
    write_both(tmp_path, [
        lambda w, lib: w.add_images("nchw", tensor(lib, batch), 0),
        lambda w, lib: w.add_images("nhwc", tensor(lib, batch.transpose(0, 2, 3, 1)), 1, dataformats="NHWC"),
        lambda w, lib: w.add_images("gray", tensor(lib, (batch[:3, :1] * 255).astype(np.uint8)), 2),
        lambda w, lib: w.add_images("one", tensor(lib, batch[:1]), 3),
        lambda w, lib: w.add_images("rgba", tensor(lib, batch[:, :2].reshape(2, 4, 9, 5)), 4),
        lambda w, lib: w.add_image("ndim", tensor(lib, batch), 5),
        lambda w, lib: w.add_image("twice", tensor(lib, F32), 6, dataformats="CHH"),
    ])


def test_image_with_boxes_matches_torch(tmp_path):
    pytest.importorskip("PIL.ImageDraw")
    image = RNG.random((3, 32, 40)).astype(np.float32)
    boxes = np.array([[2, 3, 20, 25], [10, 5, 30, 30.5]], np.float32)
    write_both(tmp_path, [
        lambda w, lib: w.add_image_with_boxes("plain", tensor(lib, image), tensor(lib, boxes), 0),
        lambda w, lib: w.add_image_with_boxes("named", tensor(lib, image), tensor(lib, boxes), 1,
                                              labels=["cat", "dog"], rescale=2),
        lambda w, lib: w.add_image_with_boxes("miscounted", tensor(lib, image), tensor(lib, boxes), 2, labels="x"),
    ])


def test_figures_match_torch(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def figures(w, lib):
        fig = plt.figure(figsize=(2, 1.5))
        plt.plot([1, 3, 2])
        w.add_figure("one", fig, 0)
        many = [plt.figure(figsize=(1, 1)) for _ in range(3)]
        for i, f in enumerate(many):
            f.gca().plot([0, i])
        w.add_figure("many", many, 1)
        kept = plt.figure(figsize=(1, 1))
        w.add_figure("kept", kept, 2, close=False)
        print(plt.get_fignums() == [kept.number])  # the others were closed
        plt.close(kept)

    plt.close("all")
    outcomes, _ = write_both(tmp_path, [figures])
    assert outcomes == [("ok", "True\n")]


def test_text_tensor_pr_audio_layouts_match_torch(tmp_path):
    labels = RNG.integers(0, 2, 60)
    preds = RNG.random(60).astype(np.float32)
    sound = RNG.uniform(-1.3, 1.3, 300).astype(np.float32)
    curves = [RNG.random(5) for _ in range(6)]
    write_both(tmp_path, [
        lambda w, lib: w.add_text("notes", "**bold** ünïcode\nline", 0),
        lambda w, lib: w.add_tensor("t32", tensor(lib, F32[:2, :2]), 1),
        lambda w, lib: w.add_tensor("t64", tensor(lib, np.arange(6.0).reshape(2, 3)), 1),
        lambda w, lib: w.add_tensor("ti64", tensor(lib, np.arange(4)), 1),
        lambda w, lib: w.add_tensor("tbool", tensor(lib, np.array([True, False])), 1),
        lambda w, lib: w.add_pr_curve("pr", tensor(lib, labels), tensor(lib, preds), 2),
        lambda w, lib: w.add_pr_curve("pr", labels, preds, 3, num_thresholds=10, weights=0.5),
        lambda w, lib: w.add_pr_curve("pr", labels, preds, 4, num_thresholds=500),
        # PyTorch needs the weights as an array; torchless also takes them as a tensor
        lambda w, lib: w.add_pr_curve("pr", labels, preds, 5, num_thresholds=20,
                                      weights=preds * 2 if lib.__name__ == "torch" else tensor(lib, preds * 2)),
        lambda w, lib: w.add_pr_curve_raw("raw", *curves, 5, num_thresholds=5),
        lambda w, lib: w.add_audio("clip", tensor(lib, sound), 6, sample_rate=8000),
        lambda w, lib: w.add_audio("clip", tensor(lib, sound[:10].reshape(1, 10)), 7),
        lambda w, lib: w.add_audio("bad", tensor(lib, sound[:10].reshape(2, 5)), 8),
        lambda w, lib: w.add_custom_scalars({"cat": {"a": ["Multiline", ["x", "y"]], "b": ["Margin", ["v", "l", "u"]]}}),
        lambda w, lib: w.add_custom_scalars_multilinechart(["x", "y"], title="xy"),
        lambda w, lib: w.add_custom_scalars_marginchart(["v", "l", "u"], category="c"),
        lambda w, lib: w.add_custom_scalars_marginchart(["v", "l"]),
    ])


def test_mesh_and_video_match_torch(tmp_path):
    vertices = RNG.random((1, 6, 3)).astype(np.float32)
    faces = RNG.integers(0, 6, (1, 4, 3))
    colors = RNG.integers(0, 255, (1, 6, 3))
    clips = RNG.random((3, 2, 3, 4, 4)).astype(np.float32)
    write_both(tmp_path, [
        lambda w, lib: w.add_mesh("m", tensor(lib, vertices), colors=tensor(lib, colors),
                                  faces=tensor(lib, faces), global_step=1),
        lambda w, lib: w.add_mesh("cloud", tensor(lib, vertices), config_dict={"camera": {"fov": 75}}),
    ] + ([] if _has_moviepy_editor() else [lambda w, lib: w.add_video("v", tensor(lib, clips), 1)]))


def _has_moviepy_editor():
    try:
        from moviepy import editor  # noqa: F401
    except ImportError:
        return False
    return True


def test_hparams_match_torch_with_child_runs(tmp_path):
    _, events = write_both(tmp_path, [
        lambda w, lib: w.add_hparams({"lr": 0.1, "bs": 32, "opt": "adam", "flag": True, "skip": None},
                                     {"hparam/acc": 0.9, "hparam/loss": 1}, run_name="run1"),
        lambda w, lib: w.add_hparams({"lr": np.float64(0.5), "bs": 16, "t": tensor(lib, np.array([0.25]))},
                                     {"acc": 0.5}, hparam_domain_discrete={"bs": [16, 32]}, run_name="run2",
                                     global_step=4),
        lambda w, lib: w.add_hparams({"opt": "sgd"}, {"m": 1.0}, hparam_domain_discrete={"opt": ["sgd", "adam"]},
                                     run_name="run3"),
        lambda w, lib: w.add_hparams([("lr", 1)], {"m": 1}, run_name="x"),
        lambda w, lib: w.add_hparams({"lr": 1}, {"m": 1}, hparam_domain_discrete={"lr": [1, "a"]}, run_name="x"),
        lambda w, lib: w.add_hparams({"lr": 1}, {"m": 1}, hparam_domain_discrete={"zz": [1]}, run_name="x"),
        lambda w, lib: w.add_hparams({"lr": [1]}, {"m": 1}, run_name="x"),
        lambda w, lib: w.add_hparams({"lr": np.float32(1)}, {"m": 1}, run_name="x"),
    ])
    assert {"run1", "run2", "run3"} <= set(events)


def test_hparams_default_run_name_is_a_timestamp(tmp_path):
    import time
    before = time.time()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams({"lr": 0.1}, {"m": 1.0})
    runs = [d for d in os.listdir(tmp_path) if os.path.isdir(tmp_path / d)]
    assert len(runs) == 1 and before <= float(runs[0]) <= time.time()


def test_embeddings_write_torchs_projector_files(tmp_path):
    mat = RNG.standard_normal((5, 3)).astype(np.float32)
    sprites = RNG.random((5, 3, 4, 6)).astype(np.float32)
    write_both(tmp_path, [
        lambda w, lib: w.add_embedding(tensor(lib, mat, True), metadata=[f"p{i}" for i in range(5)],
                                       label_img=tensor(lib, sprites)),
        lambda w, lib: w.add_embedding(tensor(lib, mat.astype(np.float64)), metadata=tensor(lib, np.arange(5)),
                                       global_step=12, tag="a/b%c"),
        lambda w, lib: w.add_embedding(tensor(lib, mat), metadata=[[f"p{i}", i] for i in range(5)],
                                       metadata_header=["name", "index"], global_step=12, tag="x\\y",
                                       label_img=tensor(lib, sprites[:, :1])),
        lambda w, lib: w.add_embedding(tensor(lib, mat), global_step=12, tag="a/b%c"),  # directory exists: warns
        lambda w, lib: w.add_embedding(tensor(lib, mat), metadata=["a"], global_step=13),
        lambda w, lib: w.add_embedding(tensor(lib, mat), label_img=tensor(lib, sprites[:2]), global_step=14),
        lambda w, lib: w.add_embedding(tensor(lib, mat[:, :, None]), global_step=15),
        lambda w, lib: w.add_embedding(tensor(lib, mat[:0]), global_step=16),  # no points: no tensors.tsv
    ])


def test_purge_step_close_and_reopen_match_torch(tmp_path):
    def calls(w, lib):
        w.add_scalar("x", 1.0, 5)
        w.close()
        w.add_scalar("x", 2.0, 6)  # a closed writer opens a new event file
        w.flush()
        w.close()
        w.close()

    write_both(tmp_path, [calls], purge_step=3)


# ------------------------------------------------------------------------------------------------ without torch
def scalar_events(root):
    return [(e.step, v.tag, v.simple_value)
            for e in read_events(root)["."] if e.HasField("summary") for v in e.summary.value]


def test_event_files_and_logdirs(tmp_path, monkeypatch):
    import socket
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1", filename_suffix=".sfx")
    logdir = w.get_logdir()
    parent, name = os.path.split(logdir)
    assert parent == "runs" and name.endswith("_" + socket.gethostname() + "_lr0.1")
    w.add_scalar("a", torchless.tensor(2.0, requires_grad=True), 3)
    w.close()
    files = os.listdir(logdir)
    assert len(files) == 1 and files[0].startswith("events.out.tfevents.") and files[0].endswith(".sfx")
    assert scalar_events(logdir) == [(3, "a", 2.0)]

    import pathlib
    path = pathlib.Path(tmp_path / "p")
    with SummaryWriter(path) as w:
        assert w.get_logdir() is path
        w.add_scalars("m", {"u": 1, "v": np.float64(2.5)}, 7)
    assert scalar_events(str(path / "m_v")) == [(7, "m", 2.5)]


def test_image_pixels_are_the_input_scaled_like_torch(tmp_path):
    floats = RNG.random((3, 6, 5)).astype(np.float32)
    floats[0, 0, 0], floats[1, 0, 0] = 1.7, -0.3  # clipped
    with SummaryWriter(str(tmp_path)) as w:
        w.add_image("f", torchless.from_numpy(floats), 0)
        w.add_image("gray", torchless.from_numpy(floats[0]), 1, dataformats="HW")
        w.add_images("grid", torchless.from_numpy(np.stack([floats] * 10)), 2)
    images = {v.tag: v.image for e in read_events(str(tmp_path))["."] if e.HasField("summary")
              for v in e.summary.value}
    expected = np.clip(floats * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)  # truncated, not rounded
    assert (images["f"].height, images["f"].width, images["f"].colorspace) == (6, 5, 3)
    np.testing.assert_array_equal(png_pixels(images["f"].encoded_image_string), expected)
    np.testing.assert_array_equal(png_pixels(images["gray"].encoded_image_string),
                                  np.repeat(expected[:, :, :1], 3, axis=2))
    grid = png_pixels(images["grid"].encoded_image_string)
    assert grid.shape == (12, 40, 3)  # 8 a row: two rows, the second holding 2 images
    np.testing.assert_array_equal(grid[6:, 5:10], expected)
    assert not grid[6:, 10:].any()


def test_histogram_against_numpy(tmp_path):
    values = RNG.standard_normal(500)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_histogram("h", torchless.from_numpy(values), 0, bins=20)
        w.add_histogram("tf", torchless.from_numpy(values), 0)
    hists = {v.tag: v.histo for e in read_events(str(tmp_path))["."] if e.HasField("summary")
             for v in e.summary.value}
    counts, edges = np.histogram(values, bins=20)
    h = hists["h"]
    assert (h.min, h.max, h.num) == (values.min(), values.max(), 500)
    assert h.sum == pytest.approx(values.sum()) and h.sum_squares == pytest.approx((values ** 2).sum())
    np.testing.assert_allclose(h.bucket_limit, edges[:], rtol=1e-12)  # first bucket: empty, up to the minimum
    assert list(h.bucket) == [0] + counts.tolist()
    tf_hist = hists["tf"]
    assert sum(tf_hist.bucket) == 500
    positive = np.array(tf_hist.bucket_limit)
    positive = positive[positive > 0]
    assert np.allclose(positive[1:] / positive[:-1], 1.1)  # TensorFlow's buckets, 10% wider each


def test_tensor_protos_tensorboard_can_read(tmp_path):
    # PyTorch writes float16 and uint8 tensors into fields TensorBoard cannot read back; torchless does not
    half = np.array([[1.5, -2.0, 65504.0]], np.float16)
    u8 = np.array([0, 7, 255], np.uint8)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_tensor("half", torchless.from_numpy(half), 0)
        w.add_tensor("u8", torchless.from_numpy(u8), 0)
        w.add_tensor("i32", np.arange(3, dtype=np.int32), 0)
        w.add_tensor("number", 2.5, 0)
    values = {v.tag: tensor_util.make_ndarray(v.tensor) for e in read_events(str(tmp_path))["."]
              if e.HasField("summary") for v in e.summary.value}
    np.testing.assert_array_equal(values["half"], half)
    assert values["half"].dtype == np.float16
    np.testing.assert_array_equal(values["u8"], u8)
    np.testing.assert_array_equal(values["i32"], np.arange(3))
    assert values["number"].dtype == np.float32 and values["number"] == 2.5


def test_audio_is_16_bit_wav(tmp_path):
    samples = np.linspace(-1.5, 1.5, 101).astype(np.float32)
    printed = io.StringIO()
    with SummaryWriter(str(tmp_path)) as w, contextlib.redirect_stdout(printed):
        w.add_audio("a", torchless.from_numpy(samples), 0, sample_rate=8000)
    assert printed.getvalue() == "warning: audio amplitude out of range, auto clipped.\n"
    (audio,) = [v.audio for e in read_events(str(tmp_path))["."] if e.HasField("summary") for v in e.summary.value]
    assert (audio.sample_rate, audio.num_channels, audio.length_frames, audio.content_type) == (8000, 1, 101,
                                                                                              "audio/wav")
    with wave.open(io.BytesIO(audio.encoded_audio_string)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        pcm = np.frombuffer(wav.readframes(101), "<i2")
    np.testing.assert_array_equal(pcm, (np.clip(samples, -1, 1) * 32767).astype(np.int16))


def test_pr_curve_against_a_direct_count(tmp_path):
    labels = RNG.integers(0, 2, 80)
    preds = RNG.random(80)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_pr_curve("pr", torchless.from_numpy(labels), torchless.from_numpy(preds), 0, num_thresholds=11)
    (v,) = [v for e in read_events(str(tmp_path))["."] if e.HasField("summary") for v in e.summary.value]
    data = tensor_util.make_ndarray(v.tensor)
    assert data.shape == (6, 11)
    for k in range(11):
        predicted = np.floor(preds * 10) >= k  # a prediction reaches threshold k/10 through its bucket
        tp = np.sum(predicted & (labels == 1))
        fp = np.sum(predicted & (labels == 0))
        assert (data[0, k], data[1, k]) == (tp, fp)
        assert data[2, k] == np.sum(labels == 0) - fp and data[3, k] == np.sum(labels == 1) - tp


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.act = nn.ReLU()
        self.fc = nn.Linear(4 * 3 * 3, 5)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = self.act(self.features(x))
        x = torchless.flatten(x, 1)
        return self.drop(self.act(self.fc(x)))


def test_add_graph_logs_one_node_per_leaf_module_call(tmp_path):
    net = _Net()
    net.train()
    printed = io.StringIO()
    with SummaryWriter(str(tmp_path)) as w, contextlib.redirect_stdout(printed):
        w.add_graph(net, torchless.randn(2, 1, 8, 8), verbose=True)
    assert net.training  # put back in training mode afterwards
    assert "Net/Linear[fc] = Linear(Net/ReLU[act])" in printed.getvalue().replace("_Net", "Net")
    events = read_events(str(tmp_path))["."]
    (graph_event,) = [e for e in events if e.HasField("graph_def")]
    (metadata,) = [e for e in events if e.HasField("tagged_run_metadata")]
    assert metadata.tagged_run_metadata.tag == "step1"
    nodes = GraphDef.FromString(graph_event.graph_def).node
    table = [(n.name, n.op, list(n.input), [[d.size for d in s.dim] for s in n.attr["_output_shapes"].list.shape])
             for n in nodes]
    assert table == [
        ("input/x", "IO Node", [], [[2, 1, 8, 8]]),
        ("_Net/Sequential[features]/Conv2d[0]", "Conv2d", ["input/x"], [[2, 4, 6, 6]]),
        ("_Net/Sequential[features]/ReLU[1]", "ReLU", ["_Net/Sequential[features]/Conv2d[0]"], [[2, 4, 6, 6]]),
        ("_Net/Sequential[features]/MaxPool2d[2]", "MaxPool2d", ["_Net/Sequential[features]/ReLU[1]"],
         [[2, 4, 3, 3]]),
        ("_Net/ReLU[act]", "ReLU", ["_Net/Sequential[features]/MaxPool2d[2]"], [[2, 4, 3, 3]]),
        ("_Net/Linear[fc]", "Linear", ["_Net/ReLU[act]"], [[2, 5]]),  # flatten is not a module: the previous node
        ("_Net/ReLU[act].1", "ReLU", ["_Net/Linear[fc]"], [[2, 5]]),
        ("_Net/Dropout[drop]", "Dropout", ["_Net/ReLU[act].1"], [[2, 5]]),
        ("output/output.1", "IO Node", ["_Net/Dropout[drop]"], [[2, 5]]),
    ]
    fc = nodes[5]
    assert fc.attr["attr"].s == b"in_features=36, out_features=5, bias=True"
    assert [[d.size for d in s.dim] for s in fc.attr["input_shapes"].list.shape] == [[2, 36]]


def test_add_graph_branches_follow_the_tensors(tmp_path):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(3, 4)
            self.left = nn.Linear(4, 2)
            self.right = nn.Linear(4, 1)

        def forward(self, a):
            h = self.body(a)
            return self.left(h), self.right(h)

    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(TwoHeads(), (torchless.randn(5, 3),))
    (event,) = [e for e in read_events(str(tmp_path))["."] if e.HasField("graph_def")]
    edges = {n.name: list(n.input) for n in GraphDef.FromString(event.graph_def).node}
    assert edges == {"input/a": [], "TwoHeads/Linear[body]": ["input/a"],
                     "TwoHeads/Linear[left]": ["TwoHeads/Linear[body]"],
                     "TwoHeads/Linear[right]": ["TwoHeads/Linear[body]"],
                     "output/output.1": ["TwoHeads/Linear[left]"], "output/output.2": ["TwoHeads/Linear[right]"]}


def test_file_writer_and_video_without_moviepy(tmp_path, monkeypatch):
    fw = FileWriter(tmp_path / "fw")
    assert fw.get_logdir() == str(tmp_path / "fw")
    fw.close()
    monkeypatch.setitem(sys.modules, "moviepy", None)
    printed = io.StringIO()
    with SummaryWriter(str(tmp_path)) as w, contextlib.redirect_stdout(printed):
        w.add_video("v", np.zeros((1, 2, 3, 4, 4), np.uint8), 0)
    # as PyTorch: no exception, a message, and the tag logged without an image
    assert printed.getvalue() == "add_video needs package moviepy\n"
    (value,) = [v for e in read_events(str(tmp_path))["."] if e.HasField("summary") for v in e.summary.value]
    assert value.tag == "v" and value.WhichOneof("value") is None


def test_import_fails_like_torchs_without_a_recent_tensorboard(monkeypatch):
    import types
    for name in [m for m in sys.modules if m.startswith("torchless.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", types.SimpleNamespace(__version__="1.14.0"))
    with pytest.raises(ImportError, match=r"^TensorBoard logging requires TensorBoard version 1.15 or above$"):
        import torchless.utils.tensorboard  # noqa: F401
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError):
        import torchless.utils.tensorboard  # noqa: F401,F811


def test_default_bins_are_torchs(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    with TorchWriter(str(tmp_path / "t")) as theirs, SummaryWriter(str(tmp_path / "l")) as ours:
        assert ours.default_bins == theirs.default_bins
    assert torch is not None


def test_layouts_and_meshes_torch_cannot_handle_fail_clearly(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(AssertionError, match=r"input_format should have 2, 3 or 4 letters .* got: C$"):
            w.add_image("line", np.zeros(4, np.float32), 0, dataformats="C")
        with pytest.raises(ValueError, match=r"^mesh vertex should be 3-D \(batch, points, 3\), got shape \(4, 3\)$"):
            w.add_mesh("flat", np.zeros((4, 3), np.float32))
