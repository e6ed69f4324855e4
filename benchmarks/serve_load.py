"""Load test of ``torchless serve``: concurrent predictions mixed with malformed requests, on 127.0.0.1.

    python benchmarks/serve_load.py [--valid 200] [--malformed 50] [--checkpoint PATH]

Starts its own server in this process (a uvicorn thread on a free loopback port), then sends every
request at once from one asyncio client: valid ones are MNIST test digits and the pen-drawn fixtures
as PNG/JPEG bodies or multipart uploads; malformed ones cycle through the API's error cases. A valid
request passes when its class and probabilities are those ``torchless predict`` computes in-process
for the same bytes; a malformed one passes on its expected 4xx status with a JSON ``error``.
Afterwards the server must still answer. Prints p50/p95 latencies and ``N passed, N failed``;
exit status 1 if anything failed. Bounded: a fixed number of requests, each with a timeout.
"""
import argparse
import asyncio
import io
import pathlib
import random
import struct
import sys
import time
import zlib

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
DIGITS = REPO / "tests" / "fixtures" / "digits"
REQUEST_TIMEOUT = 120.0
RUN_TIMEOUT = 600.0
PROBABILITY_TOLERANCE = 2e-6  # the API rounds probabilities to 6 decimals


def png_bytes(array):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header(width, height):
    """A PNG that is only a signature, an IHDR claiming ``width`` x ``height`` and IEND: no pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + chunk(b"IEND", b"")


def multipart(field, filename, data, content_type):
    boundary = "torchlessloadtest"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def valid_requests(count, reference):
    """``count`` (endpoint, body, content type, expected probabilities) of MNIST test digits and pen fixtures."""
    from torchless.vision import datasets

    test = datasets.MNIST(None, train=False, download=False)
    images = [(path.read_bytes(), "image/jpeg" if path.suffix == ".jpg" else "image/png")
              for path in sorted(DIGITS.glob("*_*.*")) if path.suffix in (".png", ".jpg")]
    images += [(png_bytes(test.data[i].numpy()), "image/png") for i in range(max(count - len(images), 0))]
    requests = []
    for index in range(count):
        data, kind = images[index % len(images)]
        expected = reference(data)
        if index % 4 == 3:  # every fourth as a browser's form upload
            body, kind = multipart("file", "digit.png", data, kind)
        else:
            body = data
        # every fifth asks for the activation maps too: forward hooks under concurrent load
        requests.append(("activations" if index % 5 == 4 else "predict", body, kind, expected))
    return requests


def malformed_requests(count, max_upload_bytes):
    """``count`` (endpoint, body, content type, expected status) cycling through the API's error cases."""
    pen = (DIGITS / "7_pen.png").read_bytes()
    cases = [
        (b"this is not an image", "image/png", 400),
        (b"", "image/png", 400),
        (pen, "text/plain", 415),
        (pen, "image/gif", 415),
        (pen[: len(pen) // 2], "image/png", 400),           # truncated: a corrupt PNG
        (png_header(20000, 20000), "image/png", 413),        # a header claiming 400 million pixels
        (np.zeros(max_upload_bytes + 1, np.uint8).tobytes(), "image/png", 413),
        (png_bytes(np.full((64, 64), 255)), "image/png", 422),  # blank paper: no digit
        (*multipart("picture", "x.png", pen, "image/png"), 400),  # no 'file' field
    ]
    return [("predict",) + cases[i % len(cases)] for i in range(count)]


async def send_all(url, requests):
    """Send every request at once; (latency seconds, status or None, JSON or error text) for each, in order."""
    import httpx

    async def one(client, endpoint, body, kind):
        started = time.perf_counter()
        try:
            response = await client.post(f"/api/{endpoint}", content=body, headers={"Content-Type": kind})
            reply = response.json()
            return time.perf_counter() - started, response.status_code, reply
        except (httpx.HTTPError, ValueError) as err:
            return time.perf_counter() - started, None, f"{type(err).__name__}: {err}"

    limits = httpx.Limits(max_connections=len(requests) + 1, max_keepalive_connections=len(requests) + 1)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        return await asyncio.wait_for(asyncio.gather(*(one(client, *request) for request in requests)), RUN_TIMEOUT)


def still_answering(url):
    import httpx

    try:
        model = httpx.get(f"{url}/api/model", timeout=30)
        pen = httpx.post(f"{url}/api/predict", content=(DIGITS / "7_pen.png").read_bytes(),
                         headers={"Content-Type": "image/png"}, timeout=30)
        return model.status_code == 200 and pen.status_code == 200
    except httpx.HTTPError:
        return False


def run_load(checkpoint=None, valid=200, malformed=50, seed=0):
    """Run the load test; a dict with passed, failed, failures and latency lists. Prints nothing."""
    from torchless.cli.checkpoint import load_checkpoint, model_from_checkpoint
    from torchless.cli.images import decode_image, to_mnist
    from torchless.cli.predict import predict_arrays
    from torchless.serve import create_app, default_checkpoint
    from torchless.serve.app import MAX_UPLOAD_BYTES
    from torchless.serve.background import serving
    from torchless.serve.engine import Engine

    path = checkpoint or default_checkpoint()
    model = model_from_checkpoint(load_checkpoint(path), path)
    reference = lambda data: predict_arrays(model, [to_mnist(decode_image(data, "reference"))])[0]
    layers = [(name, call) for name, call, _, _ in Engine(model, "reference").activations(np.zeros((28, 28)))[1]]
    good = [("valid", request) for request in valid_requests(valid, reference)]
    bad = [("malformed", request) for request in malformed_requests(malformed, MAX_UPLOAD_BYTES)]
    mixed = good + bad
    random.Random(seed).shuffle(mixed)
    failures, latencies = [], {"valid": [], "malformed": []}
    with serving(create_app(path)) as url:
        started = time.perf_counter()
        results = asyncio.run(send_all(url, [request[:3] for _, request in mixed]))
        seconds = time.perf_counter() - started
        for (kind, (endpoint, _, content_type, expected)), (latency, status, reply) in zip(mixed, results):
            latencies[kind].append(latency)
            problem = _check(kind, expected, layers if endpoint == "activations" else None, status, reply)
            if problem:
                failures.append(f"{kind} /api/{endpoint} {content_type}: {problem}")
        alive = still_answering(url)
    if not alive:
        failures.append("the server stopped answering after the load")
    return {"passed": len(mixed) + 1 - len(failures), "failed": len(failures), "failures": failures,
            "latencies": latencies, "seconds": seconds}


def _check(kind, expected, layers, status, reply):
    if status is None:
        return f"no answer ({reply})"
    if kind == "malformed":
        if status != expected or not isinstance(reply, dict) or set(reply) != {"error"}:
            return f"expected {expected} with an error, got {status} {reply}"
        return None
    if status != 200:
        return f"expected 200, got {status} {reply}"
    probabilities = np.asarray(reply["probabilities"])
    if reply["class"] != int(expected.argmax()) or np.abs(probabilities - expected).max() > PROBABILITY_TOLERANCE:
        return f"answered class {reply['class']} {reply['probabilities']}, expected {int(expected.argmax())}"
    if layers is not None and [(layer["name"], layer["call"]) for layer in reply["layers"]] != layers:
        return f"activation maps of {[(layer['name'], layer['call']) for layer in reply['layers']]}, expected {layers}"
    return None


def percentile_ms(values, q):
    return 1000 * float(np.percentile(values, q)) if values else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--valid", type=int, default=200, help="concurrent valid predictions (default: 200)")
    parser.add_argument("--malformed", type=int, default=50, help="malformed requests among them (default: 50)")
    parser.add_argument("--checkpoint", help="checkpoint to serve (default: the bundled course CNN)")
    args = parser.parse_args(argv)
    result = run_load(args.checkpoint, args.valid, args.malformed)
    total = args.valid + args.malformed
    print(f"{total} requests at once ({args.valid} valid, {args.malformed} malformed) in {result['seconds']:.2f} s")
    for kind, values in result["latencies"].items():
        print(f"{kind:>9}: p50 {percentile_ms(values, 50):7.1f} ms   p95 {percentile_ms(values, 95):7.1f} ms")
    for failure in result["failures"][:20]:
        print(f"FAILED {failure}")
    print(f"{result['passed']} passed, {result['failed']} failed")
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
