"""``torchless predict MODEL IMAGE...``: the class and its probability for each image."""
import json

import numpy as np

from .checkpoint import load_checkpoint, model_from_checkpoint
from .data import MNIST_MEAN, MNIST_STD
from .errors import CLIError, report
from .images import read_image, to_mnist


def add_parser(subparsers):
    p = subparsers.add_parser("predict", help="classify digit images (PNG/JPEG of any size, or .npy arrays)")
    p.add_argument("model", metavar="MODEL", help="checkpoint written by 'torchless train'")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files or .npy arrays")
    p.add_argument("--json", action="store_true", help='print a JSON list of {"path", "class", "probability"}')
    p.set_defaults(run=run)


def predict_arrays(model, digits):
    """Class probabilities (N, 10) for MNIST-like (N, 28, 28) arrays in [0, 1]."""
    import torchless
    from ..nn import functional as F

    batch = torchless.from_numpy(((np.stack(digits) - MNIST_MEAN) / MNIST_STD).astype(np.float32)[:, None])
    with torchless.no_grad():
        return F.softmax(model(batch), dim=1).numpy()


def read_digit(path):
    """The MNIST-like (28, 28) array of the image file ``path``; a CLIError naming the file if it has none."""
    grey = read_image(path)  # (its errors name the file)
    try:
        return to_mnist(grey)
    except CLIError as err:
        raise CLIError(f"{path}: {err}") from None


def run(args):
    model = model_from_checkpoint(load_checkpoint(args.model), args.model)
    # One unreadable or blank image is reported and skipped: the others are still classified.
    paths, digits, failed = [], [], False
    for path in args.images:
        try:
            digits.append(read_digit(path))
            paths.append(path)
        except CLIError as err:
            report("predict", err)
            failed = True
    probabilities = predict_arrays(model, digits) if digits else []
    results = [{"path": path, "class": int(p.argmax()), "probability": float(p.max())}
               for path, p in zip(paths, probabilities)]
    if args.json:
        print(json.dumps(results))
    else:
        for r in results:
            print(f"{r['path']}: {r['class']} ({r['probability']:.4f})")
    return 1 if failed else 0
