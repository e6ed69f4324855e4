"""Accuracy, per-class accuracy and the confusion matrix of a classifier over a dataset."""
import numpy as np

from ..autograd import grad_mode


def confusion_matrix(model, loader, num_classes=10):
    """counts[true, predicted] over every sample of ``loader``, with the model in eval mode."""
    counts = np.zeros((num_classes, num_classes), np.int64)
    model.eval()
    with grad_mode.no_grad():
        for inputs, labels in loader:
            predicted = model(inputs).argmax(1).numpy()
            np.add.at(counts, (labels.numpy(), predicted), 1)
    return counts


def accuracy(counts):
    return float(np.trace(counts) / max(counts.sum(), 1))


def per_class_accuracy(counts):
    totals = counts.sum(axis=1)
    return np.divide(np.diag(counts), totals, out=np.zeros(len(totals)), where=totals > 0)


def format_report(counts):
    """Accuracy, per-class accuracy and the confusion matrix as aligned text."""
    n = len(counts)
    width = max(5, len(str(counts.max())) + 1)
    lines = [f"accuracy {accuracy(counts):.4f} ({np.trace(counts)}/{counts.sum()})", "", "per-class accuracy:"]
    lines += [f"  {c}: {a:.4f} ({counts[c, c]}/{counts[c].sum()})" for c, a in enumerate(per_class_accuracy(counts))]
    lines += ["", "confusion matrix (rows: true class, columns: predicted):",
              " " * 6 + "".join(f"{c:>{width}}" for c in range(n))]
    lines += [f"  {r:>3} " + "".join(f"{v:>{width}}" for v in counts[r]) for r in range(n)]
    return "\n".join(lines)
