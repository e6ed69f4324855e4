"""``torchless show filters|activations|curves``: pictures of a model (needs matplotlib, the [viz] extra)."""
import os

import numpy as np

from .. import models
from .checkpoint import load_checkpoint, model_from_checkpoint
from .data import MNIST_MEAN, MNIST_STD
from .errors import CLIError
from .images import read_image, to_mnist


def add_parser(subparsers):
    p = subparsers.add_parser("show", help="draw a model's filters, activation maps or training curves as PNG",
                              description="Draw pictures of a model (needs matplotlib: pip install 'torchless[viz]').")
    pictures = p.add_subparsers(dest="picture", metavar="PICTURE", required=True)

    f = pictures.add_parser("filters", help="every convolution layer's kernels as a grid")
    f.add_argument("checkpoint", metavar="MODEL", nargs="?", help="checkpoint written by 'torchless train'")
    _model_options(f, "filters")
    f.set_defaults(run=run_filters)

    a = pictures.add_parser("activations", help="the maps each convolution and pooling layer computes for an image")
    a.add_argument("checkpoint", metavar="MODEL", nargs="?", help="checkpoint written by 'torchless train'")
    a.add_argument("image", metavar="IMAGE", help="digit image (PNG/JPEG of any size, or a .npy array)")
    _model_options(a, "activations")
    a.set_defaults(run=run_activations)

    c = pictures.add_parser("curves", help="loss and accuracy per epoch from a checkpoint's history")
    c.add_argument("checkpoint", metavar="MODEL", help="checkpoint written by 'torchless train'")
    c.add_argument("--out", metavar="FILE", help="PNG to write (default: beside the checkpoint)")
    c.set_defaults(run=run_curves)


def _model_options(parser, kind):
    parser.add_argument("--model", dest="model_name", choices=sorted(models.MODELS),
                        help="an untrained model of this architecture instead of a checkpoint")
    parser.add_argument("--out", metavar="FILE", help=f"PNG to write (default: CHECKPOINT-{kind}.png beside the "
                                                      f"checkpoint, or NAME-{kind}.png for --model NAME)")


def picture_path(checkpoint, kind):
    """Where a picture of a checkpoint goes by default: runs/course.ckpt -> runs/course-KIND.png."""
    return f"{os.path.splitext(checkpoint)[0]}-{kind}.png"


def write_figure(draw, path):
    """``draw(torchless.viz)`` -> Figure, written to ``path``; CLIError without matplotlib or when unwritable."""
    from .. import viz

    try:
        viz.require()
    except ImportError as err:
        raise CLIError(str(err)) from None
    figure = draw(viz)
    try:
        figure.savefig(path, dpi=100)
    except OSError as err:
        raise CLIError(f"cannot write {path}: {err.strerror or err}") from None
    print(f"wrote {path}")


def _model(args, kind):
    """(model, default output path) from a checkpoint or --model."""
    if args.checkpoint and args.model_name:
        raise CLIError("give a checkpoint or --model, not both")
    if args.model_name:
        return models.create(args.model_name).eval(), args.out or f"{args.model_name}-{kind}.png"
    if not args.checkpoint:
        raise CLIError("give a checkpoint written by 'torchless train', or --model NAME for an untrained model")
    model = model_from_checkpoint(load_checkpoint(args.checkpoint), args.checkpoint)
    return model, args.out or picture_path(args.checkpoint, kind)


def run_filters(args):
    model, out = _model(args, "filters")
    write_figure(lambda viz: viz.filters(model), out)
    return 0


def run_activations(args):
    import torchless

    model, out = _model(args, "activations")
    digit = to_mnist(read_image(args.image))
    x = torchless.from_numpy(((digit - MNIST_MEAN) / MNIST_STD).astype(np.float32)[None])
    write_figure(lambda viz: viz.activations(model, x), out)
    return 0


def run_curves(args):
    history = load_checkpoint(args.checkpoint).get("history") or []
    if not history:
        raise CLIError(f"{args.checkpoint} has no training history yet")
    write_figure(lambda viz: viz.curves(history), args.out or picture_path(args.checkpoint, "curves"))
    return 0
