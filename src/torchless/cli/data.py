"""MNIST for the command line: the bundled copy (or --data ROOT) with the course's normalisation."""
from .errors import CLIError

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def mnist(root, train, limit=None):
    """The MNIST split as tensors normalised like the course, optionally only its first ``limit`` samples."""
    from ..utils.data import Subset
    from ..vision import datasets, transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    try:
        dataset = datasets.MNIST(root, train=train, download=False, transform=transform)
    except RuntimeError as err:
        raise CLIError(f"cannot load MNIST from {root or 'the bundled copy'}: {err}") from None
    if limit is not None:
        if limit <= 0:
            raise CLIError(f"the sample limit must be positive, got {limit}")
        dataset = Subset(dataset, range(min(limit, len(dataset))))
    return dataset
