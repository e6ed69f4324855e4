"""Small CNNs for 28x28 grey digits, by name: the course's CNN, LeNet-5 and the classic MNIST CNN."""
from .. import nn


class CourseCNN(nn.Module):
    """The chapter's network: two (3x3 conv, padding 1) + ReLU + 2x2 max-pool stages and one Linear layer.

    (N, 1, 28, 28) -> conv 5 -> (N, 5, 14, 14) -> conv 10 -> (N, 10, 7, 7) -> Linear(490, 10).
    """

    def __init__(self, num_classes=10):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=5, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(in_channels=5, out_channels=10, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc = nn.Linear(7 * 7 * 10, num_classes)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = x.view(-1, 7 * 7 * 10)
        return self.fc(x)


class LeNet5(nn.Module):
    """LeNet-5 for 28x28 input (the first conv pads by 2 to recover the original 32x32 geometry)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class MnistCNN(nn.Module):
    """The classic MNIST CNN (PyTorch's examples/mnist): conv 32, conv 64, max-pool, dropout, 9216 -> 128 -> 10."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.conv1(x).relu()
        x = self.conv2(x).relu()
        x = nn.functional.max_pool2d(x, 2)
        x = self.dropout1(x).flatten(1)
        x = self.dropout2(self.fc1(x).relu())
        return self.fc2(x)


MODELS = {"course": CourseCNN, "lenet5": LeNet5, "mnist-cnn": MnistCNN}


def create(name, num_classes=10):
    """A freshly initialised model by name (one of ``MODELS``)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name](num_classes)


def pretrained_path(name):
    """The checkpoint shipped with torchless for ``name`` (made by ``torchless train``; see the README)."""
    import pathlib

    path = pathlib.Path(__file__).resolve().parent / "weights" / f"{name}.ckpt"
    if not path.exists():
        raise ValueError(f"no pretrained weights ship for {name!r}")
    return str(path)


def pretrained(name):
    """The shipped model ``name`` with its trained weights, in eval mode."""
    from ..serialization import load

    model = create(name)
    model.load_state_dict(load(pretrained_path(name))["state_dict"])
    return model.eval()
