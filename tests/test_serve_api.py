"""The web API of ``torchless serve``: every endpoint, every error path, the numbers, and a small load test.

In-process through Starlette's TestClient, except the load test and the command line, which run a
real server on 127.0.0.1. The numbers are checked against a NumPy forward pass of the course CNN
written here from its state dict; the classes against MNIST labels and the pen-drawn fixtures.
"""
import importlib.util
import io
import json
import pathlib
import socket
import struct
import subprocess
import sys
import warnings
import zlib

import numpy as np
import pytest

for _module, _package in (("starlette", "starlette"), ("uvicorn", "uvicorn"), ("httpx", "httpx"),
                          ("python_multipart", "python-multipart"), ("PIL", "pillow")):
    pytest.importorskip(_module, reason=f"the serve extra is not installed ({_package}): pip install -e '.[serve,test]'")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from PIL import Image  # noqa: E402

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with")  # recent Starlette prefers httpx2 to httpx
    from starlette.testclient import TestClient  # noqa: E402

import torchless  # noqa: E402
from torchless import models  # noqa: E402
from torchless.cli.errors import CLIError  # noqa: E402
from torchless.serve import create_app, default_checkpoint  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
DIGITS = REPO / "tests" / "fixtures" / "digits"
PEN_DIGITS = sorted(p for p in DIGITS.iterdir() if p.suffix in (".png", ".jpg"))
MEAN, STD = 0.1307, 0.3081
ACTIVATION_DECIMALS = 4


# ---- fixtures and helpers ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def checkpoint():
    try:
        return default_checkpoint()
    except CLIError:
        pytest.skip("the bundled course CNN checkpoint (src/torchless/models/weights/course.ckpt) is not there")


@pytest.fixture(scope="module")
def client(checkpoint):
    return TestClient(create_app(checkpoint))


@pytest.fixture(scope="module")
def state(checkpoint):
    """The checkpoint's weights as float64 arrays, read with torchless.load, not through the app."""
    return {k: np.asarray(v.numpy(), np.float64) for k, v in torchless.load(checkpoint)["state_dict"].items()}


@pytest.fixture(scope="module")
def untrained():
    """An app over a freshly initialised course CNN, for the error paths: no checkpoint needed."""
    torchless.manual_seed(0)
    return TestClient(create_app(model=models.create("course"), name="course"))


@pytest.fixture(scope="module")
def mnist_test():
    from torchless.vision import datasets

    test = datasets.MNIST(None, train=False, download=False)
    return test.data[:40].numpy(), test.targets[:40].numpy()


def png(array, mode=None):
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8), mode).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header(width, height):
    """A PNG with a valid signature, IHDR (claiming width x height, with its CRC) and IEND: no pixel data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + chunk(b"IEND", b"")


def post_image(client, data, content_type="image/png", endpoint="predict"):
    return client.post(f"/api/{endpoint}", content=data, headers={"Content-Type": content_type})


def course_forward(state, image):
    """Maps after conv1, pool, conv2, pool and the probabilities, for one (28, 28) image in [0, 1], in NumPy."""
    def conv(x, weight, bias):
        padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # (C, H, W, 3, 3)
        return np.einsum("chwij,ocij->ohw", windows, weight) + bias[:, None, None]

    def pool(x):
        c, h, w = x.shape
        return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))

    x = ((np.asarray(image, np.float64) - MEAN) / STD)[None]
    conv1 = conv(x, state["conv1.weight"], state["conv1.bias"])
    pool1 = pool(np.maximum(conv1, 0))
    conv2 = conv(pool1, state["conv2.weight"], state["conv2.bias"])
    pool2 = pool(np.maximum(conv2, 0))
    logits = state["fc.weight"] @ pool2.reshape(-1) + state["fc.bias"]
    e = np.exp(logits - logits.max())
    return [conv1, pool1, conv2, pool2], e / e.sum()


# ---- the page and the model description -------------------------------------------------------

def test_page_and_its_static_files_are_served(untrained):
    page = untrained.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<canvas id="pad"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        response = untrained.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"], name
    # Nothing is loaded from another host: the page works offline.
    for text in (page.text, untrained.get("/static/app.js").text, untrained.get("/static/style.css").text):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_model_endpoint_gives_the_summary_and_the_filters(client, state):
    reply = client.get("/api/model").json()
    assert reply["model"] == "course"
    summary = reply["summary"]
    # conv1 1*5*9+5, conv2 5*10*9+10, fc 490*10+10
    assert summary["total_params"] == summary["trainable_params"] == 50 + 460 + 4910
    # torchinfo's mult-adds: every weight and bias once per output pixel (conv) or sample (Linear)
    assert summary["total_mult_adds"] == 28 * 28 * 50 + 14 * 14 * 460 + 4910
    rows = {row["name"]: row for row in summary["layers"]}
    assert rows["conv1"]["output_shape"] == [1, 5, 28, 28] and rows["conv1"]["params"] == 50
    assert rows["fc"]["output_shape"] == [1, 10] and rows["fc"]["params"] == 4910
    assert "conv1 (Conv2d)" in summary["text"] and "Total params: 5,420" in summary["text"]
    filters = {f["name"]: f for f in reply["filters"]}
    assert list(filters) == ["conv1", "conv2"]
    assert filters["conv2"]["shape"] == [10, 5, 3, 3]
    for name in filters:
        np.testing.assert_allclose(filters[name]["values"], state[f"{name}.weight"], atol=0.51 * 10 ** -ACTIVATION_DECIMALS)
    assert 0 < reply["test_accuracy"] <= 1 and reply["epochs"] >= 1


# ---- predictions ------------------------------------------------------------------------------

def test_predict_gives_the_numbers_of_the_course_cnn(client, state, mnist_test):
    images, _ = mnist_test
    for image in images[:5]:
        reply = post_image(client, png(image)).json()
        _, expected = course_forward(state, image / 255.0)
        assert set(reply) == {"class", "probabilities", "model"} and reply["model"] == "course"
        np.testing.assert_allclose(reply["probabilities"], expected, atol=2e-6)
        assert reply["class"] == int(expected.argmax())


def test_predict_names_mnist_test_digits(client, mnist_test):
    images, labels = mnist_test
    answers = np.array([post_image(client, png(image)).json()["class"] for image in images])
    assert (answers == labels).mean() >= 0.9, list(zip(answers, labels))


@pytest.mark.parametrize("path", PEN_DIGITS, ids=lambda p: p.name)
def test_predict_names_pen_drawn_digits_as_body_and_as_upload(client, path):
    digit = int(path.name[0])
    kind = "image/jpeg" if path.suffix == ".jpg" else "image/png"
    assert post_image(client, path.read_bytes(), kind).json()["class"] == digit
    upload = client.post("/api/predict", files={"file": (path.name, path.read_bytes(), kind)})
    assert upload.status_code == 200 and upload.json()["class"] == digit


def test_a_canvas_drawing_white_on_black_reads_like_dark_ink_on_paper(client):
    pen = np.asarray(Image.open(DIGITS / "7_pen.png").convert("L"), np.float64)
    on_paper = post_image(client, png(pen)).json()
    on_canvas = post_image(client, png(255 - pen)).json()  # the page's pad: white strokes on black
    assert on_paper["class"] == on_canvas["class"] == 7
    np.testing.assert_allclose(on_paper["probabilities"], on_canvas["probabilities"], atol=1e-3)


def test_activations_are_the_maps_of_every_conv_and_pool_call(client, state, mnist_test):
    image = mnist_test[0][0]
    reply = post_image(client, png(image), endpoint="activations").json()
    maps, probabilities = course_forward(state, image / 255.0)
    assert [(layer["name"], layer["call"], layer["type"]) for layer in reply["layers"]] == [
        ("conv1", 1, "Conv2d"), ("pool", 1, "MaxPool2d"), ("conv2", 1, "Conv2d"), ("pool", 2, "MaxPool2d")]
    for layer, expected in zip(reply["layers"], maps):
        assert layer["shape"] == list(expected.shape)
        np.testing.assert_allclose(layer["values"], expected, atol=0.51 * 10 ** -ACTIVATION_DECIMALS + 1e-5)
    np.testing.assert_allclose(reply["input"], image / 255.0, atol=0.51 * 10 ** -ACTIVATION_DECIMALS)
    np.testing.assert_allclose(reply["probabilities"], probabilities, atol=2e-6)
    assert reply["class"] == int(probabilities.argmax())


# ---- bad input --------------------------------------------------------------------------------

PEN = (DIGITS / "7_pen.png").read_bytes()

BAD_REQUESTS = {
    "not an image": (b"GIF89a? no, just text", "image/png", 400, "not a PNG or JPEG"),
    "a GIF labelled PNG": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/png", 400, "not a PNG or JPEG"),
    "empty body": (b"", "image/png", 400, "empty request body"),
    "truncated PNG": (PEN[: len(PEN) // 2], "image/png", 400, "corrupt image"),
    "PNG with a damaged chunk": (PEN[:60] + bytes(40) + PEN[100:], "image/png", 400, "corrupt image"),
    "header claiming 5000x5000": (png_header(5000, 5000), "image/png", 413, "5000x5000 pixels"),
    "header claiming 10^10 pixels": (png_header(100_000, 100_000), "image/png", 413, "image too large"),
    "text/plain": (PEN, "text/plain", 415, "unsupported content type 'text/plain'"),
    "image/gif": (PEN, "image/gif", 415, "unsupported content type 'image/gif'"),
    "no content type": (PEN, "", 415, "no Content-Type"),
    "blank paper": (png(np.full((64, 64), 240)), "image/png", 422, "blank"),
    "multipart without boundary": (b"--x\r\n", "multipart/form-data", 400, "no boundary"),
}


@pytest.mark.parametrize("name", BAD_REQUESTS)
@pytest.mark.parametrize("endpoint", ["predict", "activations"])
def test_bad_input_gets_a_4xx_json_error_naming_the_problem(untrained, name, endpoint):
    body, kind, status, fragment = BAD_REQUESTS[name]
    headers = {"Content-Type": kind} if kind else {}
    response = untrained.post(f"/api/{endpoint}", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert list(response.json()) == ["error"] and fragment in response.json()["error"], response.json()


def test_multipart_without_a_file_field_or_with_an_empty_file(untrained):
    no_file = untrained.post("/api/predict", files={"picture": ("x.png", PEN, "image/png")}, data={"note": "hi"})
    assert no_file.status_code == 400 and "no 'file' field" in no_file.json()["error"]
    assert "'picture'" in no_file.json()["error"] and "'note'" in no_file.json()["error"]
    empty = untrained.post("/api/predict", files={"file": ("x.png", b"", "image/png")})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]
    not_image = untrained.post("/api/predict", files={"file": ("notes.txt", b"hello", "text/plain")})
    assert not_image.status_code == 400 and "notes.txt is not a PNG or JPEG" in not_image.json()["error"]


def test_oversize_bodies_are_refused_declared_or_streamed():
    app = TestClient(create_app(model=models.create("course"), max_upload_bytes=1000))
    declared = app.post("/api/predict", content=bytes(1001), headers={"Content-Type": "image/png"})
    assert declared.status_code == 413 and "1,000 bytes" in declared.json()["error"]
    # Without a Content-Length (chunked), the cap is enforced while reading.
    streamed = app.post("/api/predict", content=iter([bytes(600), bytes(600)]), headers={"Content-Type": "image/png"})
    assert streamed.status_code == 413
    upload = app.post("/api/predict", files={"file": ("big.png", bytes(2000), "image/png")})
    assert upload.status_code == 413
    assert app.post("/api/predict", content=PEN[:900], headers={"Content-Type": "image/png"}).status_code == 400


def test_the_default_body_cap_is_5_mb(untrained):
    response = post_image(untrained, bytes(5 * 1024 * 1024 + 1))
    assert response.status_code == 413 and "5,242,880 bytes" in response.json()["error"]


def test_the_pixel_cap_is_checked_before_decoding(monkeypatch):
    import torchless.serve.uploads as uploads

    app = TestClient(create_app(model=models.create("course"), max_pixels=100 * 100))
    decoded = []
    monkeypatch.setattr(uploads, "decode_image", lambda *a: decoded.append(a) or pytest.fail("decoded"))
    response = post_image(app, png(np.zeros((101, 100))))
    assert response.status_code == 413 and "100x101 pixels" in response.json()["error"]
    assert decoded == []


def test_the_largest_allowed_image_is_read(client):
    """A 4096x4096 photo of a 7 (the pixel cap exactly) is brought down to 28x28 and named; one more row is refused."""
    from PIL import ImageDraw

    photo = Image.new("RGB", (4096, 4096), (245, 242, 235))
    ImageDraw.Draw(photo).line([(800, 600), (3200, 600), (1800, 3600)], fill=(20, 20, 60), width=300)
    buffer = io.BytesIO()
    photo.save(buffer, format="PNG")
    assert post_image(client, buffer.getvalue()).json()["class"] == 7
    taller = post_image(client, png_header(4096, 4097))
    assert taller.status_code == 413 and "4096x4097 pixels, the limit is 16,777,216 pixels" in taller.json()["error"]


def test_wrong_methods_and_paths_answer_in_json(untrained):
    assert untrained.get("/api/predict").status_code == 405
    assert untrained.get("/api/predict").json() == {"error": "Method Not Allowed"}
    assert untrained.post("/api/model").status_code == 405
    assert untrained.get("/api/nothing").json() == {"error": "Not Found"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_images_never_break_the_server(untrained, data):
    """Random byte damage to a real PNG or JPEG: an answer or a 4xx, never a 500 (the client re-raises those)."""
    path = data.draw(st.sampled_from([DIGITS / "7_pen.png", DIGITS / "7_pen.jpg", DIGITS / "3_canvas.png"]))
    body = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        body[data.draw(st.integers(0, len(body) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(8, len(body)))
    response = post_image(untrained, bytes(body[:cut]), "image/jpeg" if path.suffix == ".jpg" else "image/png")
    assert response.status_code in (200, 400, 413, 422), response.text
    assert ("error" in response.json()) == (response.status_code != 200)


def test_nothing_is_written_to_disk(untrained, monkeypatch):
    """A 2 MB multipart upload (above Starlette's 1 MB spooling threshold) is handled without temporary files."""
    import tempfile

    def refuse(*args, **kwargs):
        raise AssertionError("the server opened a temporary file")

    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refuse)
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("padding", "x" * (2 * 1024 * 1024))
    buffer = io.BytesIO()
    Image.open(DIGITS / "7_pen.png").save(buffer, format="PNG", pnginfo=info)
    assert buffer.tell() > 2 * 1024 * 1024
    response = untrained.post("/api/predict", files={"file": ("big.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 200, response.text


# ---- under load, and from the command line ----------------------------------------------------

def test_concurrent_predictions_and_malformed_requests(checkpoint):
    """The benchmark's load test, small: 40 valid (some asking for activation maps) and 10 malformed at once."""
    spec = importlib.util.spec_from_file_location("serve_load", REPO / "benchmarks" / "serve_load.py")
    serve_load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve_load)
    result = serve_load.run_load(checkpoint, valid=40, malformed=10)
    assert result["failed"] == 0, result["failures"]
    assert result["passed"] == 51 and len(result["latencies"]["valid"]) == 40


def cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "torchless.cli.main", *map(str, args)], capture_output=True,
                          text=True, timeout=60, **kwargs)


def test_serve_command_serves_the_page_and_the_api(checkpoint):
    import httpx

    process = subprocess.Popen([sys.executable, "-m", "torchless.cli.main", "serve", checkpoint, "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()
        assert banner.startswith("torchless serve: the course CNN from"), banner + process.stderr.read()
        url = banner.split(" at ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url, timeout=30).status_code == 200
        reply = httpx.post(f"{url}api/predict", content=PEN, headers={"Content-Type": "image/png"}, timeout=30)
        assert reply.json()["class"] == 7
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()


def test_serve_command_errors_are_one_line(tmp_path):
    from torchless.cli.checkpoint import save_checkpoint

    missing = cli("serve", tmp_path / "missing.ckpt")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [f"torchless serve: error: no such checkpoint: {tmp_path / 'missing.ckpt'}"]
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"not a checkpoint")
    unreadable = cli("serve", corrupt)
    assert unreadable.returncode == 1 and len(unreadable.stderr.strip().splitlines()) == 1
    assert "cannot read checkpoint" in unreadable.stderr
    untrained = tmp_path / "untrained.ckpt"
    save_checkpoint(untrained, "course", models.create("course"), None, 0, [], {})
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        taken = cli("serve", untrained, "--port", port)
    assert taken.returncode == 1
    assert taken.stderr.strip().splitlines() == [f"torchless serve: error: cannot listen on 127.0.0.1:{port}: "
                                                 "Address already in use"]


def test_serve_command_without_the_extra_names_the_install(monkeypatch, capsys):
    from torchless.cli import main, serve

    real = importlib.util.find_spec
    monkeypatch.setattr(serve.importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    assert main.main(["serve"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "torchless serve: error: the web page needs the serve extra (missing uvicorn): pip install 'torchless[serve]'"]


def test_json_of_every_reply_is_plain(client, mnist_test):
    """Replies are plain JSON numbers and lists (no NaN, no NumPy types), as a browser's JSON.parse needs."""
    reply = post_image(client, png(mnist_test[0][1]), endpoint="activations")
    json.loads(reply.text, parse_constant=lambda name: pytest.fail(f"{name} in the reply"))
