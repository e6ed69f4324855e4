"""``torchless evaluate MODEL``: accuracy, per-class accuracy and confusion matrix on the MNIST test set."""
import json

from .checkpoint import load_checkpoint, model_from_checkpoint
from .data import mnist
from .evaluation import accuracy, confusion_matrix, format_report, per_class_accuracy


def add_parser(subparsers):
    p = subparsers.add_parser("evaluate", help="accuracy and confusion matrix of a checkpoint on the MNIST test set")
    p.add_argument("model", metavar="MODEL", help="checkpoint written by 'torchless train'")
    p.add_argument("--data", metavar="ROOT", default=None, help="torchvision-style MNIST root (default: bundled)")
    p.add_argument("--limit-test", type=int, metavar="N", help="evaluate on the first N test images only")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)


def run(args):
    from ..utils.data import DataLoader

    model = model_from_checkpoint(load_checkpoint(args.model), args.model)
    counts = confusion_matrix(model, DataLoader(mnist(args.data, train=False, limit=args.limit_test), batch_size=1000))
    if args.json:
        print(json.dumps({"accuracy": accuracy(counts), "per_class_accuracy": per_class_accuracy(counts).tolist(),
                          "confusion_matrix": counts.tolist()}))
    else:
        print(format_report(counts))
    return 0
