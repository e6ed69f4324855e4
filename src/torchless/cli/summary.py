"""``torchless summary``: the layer table of a model (untrained by name, or from a checkpoint)."""
from .. import models
from .checkpoint import load_checkpoint, model_from_checkpoint
from .errors import CLIError


def add_parser(subparsers):
    p = subparsers.add_parser("summary", help="layer table: output shapes, parameters, mult-adds, receptive fields",
                              description="Run a model once on zeros and print, per layer, the output shape, the "
                                          "parameters, the multiply-accumulates and the receptive field, then totals "
                                          "and memory.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--model", choices=sorted(models.MODELS), help="architecture (default: course)")
    source.add_argument("--checkpoint", metavar="PATH", help="checkpoint written by 'torchless train'")
    p.add_argument("--input-size", type=image_size, default=(1, 28, 28), metavar="CxHxW",
                   help="size of one input image (default: 1x28x28)")
    p.add_argument("--batch-size", type=int, default=1, metavar="N", help="batch size of the input (default: 1)")
    p.set_defaults(run=run)


def image_size(text):
    """'1x28x28' -> (1, 28, 28), for argparse."""
    import argparse

    try:
        size = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        size = ()
    if not size or min(size) < 1:
        raise argparse.ArgumentTypeError(f"expected positive sizes like 1x28x28, got {text!r}")
    return size


def run(args):
    from .. import summary

    if args.checkpoint:
        model, name = model_from_checkpoint(load_checkpoint(args.checkpoint), args.checkpoint), args.checkpoint
    else:
        name = args.model or "course"
        model = models.create(name)
    if args.batch_size < 1:
        raise CLIError("--batch-size must be positive")
    size = (args.batch_size,) + args.input_size
    try:
        summary(model, input_size=size, verbose=1)
    except RuntimeError as err:
        raise CLIError(f"cannot run {name} on an input of size {'x'.join(map(str, size))}: {err}") from None
    return 0
