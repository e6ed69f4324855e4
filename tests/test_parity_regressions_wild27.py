"""Differences from PyTorch found by running PyTorch's own tutorials unchanged under ``python -m torchless.as_torch``
("Learn the Basics", "What is torch.nn really?", "Training a Classifier", "Learning PyTorch with Examples",
"Neural Networks" and the checkpoint, state_dict, zeroing-gradients and warm-starting recipes), each fixed here
and compared against PyTorch:

- A module imported under its alias (``torch`` for ``torchless``) was left with the alias's ``__spec__``, whose
  parent is not the module's ``__package__``: every relative import run later inside it (torchless imports lazily
  in functions) raised ``ImportWarning: __package__ != __spec__.parent`` -- shown under
  ``warnings.simplefilter("always")``, an exception under ``-W error``.
- An ``out=`` tensor with elements resized to the result's shape warned without the "(Triggered internally at
  .../Resize.cpp:30.)" of PyTorch's C++ warning (``arange``'s without RangeFactories.cpp's), and pointed at a
  torchless line instead of the user's. So did the deprecation warnings of the old linear-algebra functions
  (``torch.lu``, ``lu_solve``, ``cholesky``, ``qr``, ``triangular_solve``, ``chain_matmul``, ``ger``), each with
  its own source line (``out=`` variants too); ``torch.lu``'s and ``chain_matmul``'s point at the library's line
  as PyTorch's Python wrappers do. Under ``set_warn_always(True)`` these once-per-process warnings spent their
  once (PyTorch's still warn once after it is unset). The reduce argument of ``scatter`` warned naming a torchless
  line for some call forms, and ``index_reduce`` did not warn that it is in beta.
"""
import pathlib
import shutil
import warnings

import pytest

import torchless
from helpers import run_python, same_script_output

torch = pytest.importorskip("torch")


def test_relative_imports_inside_aliased_modules_raise_no_import_warning(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import warnings\n"
        "warnings.simplefilter('error')\n"
        "import torch, torch.nn\n"
        "print(torch.binomial(torch.full((3,), 4.0), torch.full((3,), 0.0)))  # looked up lazily\n"
        "print(torch.nn.__package__ == torch.nn.__spec__.parent, torch.__package__ == torch.__spec__.parent)\n")
    expected, _ = run_python([str(script)], cwd=tmp_path)
    actual, _ = run_python(["-W", "error", "-m", "torchless.as_torch", str(script)], cwd=tmp_path)
    assert actual == expected


def _resize_out(lib):
    return lib.matmul(lib.ones(4, 4), lib.ones(4, 4), out=lib.rand(4, 5))


RESIZING_CALLS = {
    "matmul": _resize_out,
    "mul": lambda lib: lib.mul(lib.ones(4, 4), lib.ones(4, 4), out=lib.rand(4, 5)),
    "add": lambda lib: lib.add(lib.ones(3), 1, out=lib.rand(2)),
    "cat": lambda lib: lib.cat([lib.ones(2)], out=lib.rand(3)),
    "sum": lambda lib: lib.sum(lib.ones(2, 3), 0, out=lib.rand(2)),
    "mm": lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3, 2), out=lib.rand(3)),
    "sort": lambda lib: lib.sort(lib.ones(3), out=(lib.rand(2), lib.zeros(2, dtype=lib.long))),
    "max": lambda lib: lib.max(lib.ones(2, 3), 1, out=(lib.rand(3), lib.zeros(3, dtype=lib.long))),
    "index_select": lambda lib: lib.index_select(lib.ones(3), 0, lib.tensor([0]), out=lib.rand(2)),
    "binomial": lambda lib: lib.binomial(lib.ones(1) * 5, lib.ones(3) * 0.5),
    "arange": lambda lib: lib.arange(5, out=lib.rand(3)),
    "linspace": lambda lib: lib.linspace(0, 1, 5, out=lib.rand(3)),
    "empty out": lambda lib: lib.add(lib.ones(3), 1, out=lib.rand(0)),
}


def _warnings_of(call, lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(lib)
    return [(w.category, str(w.message), w.filename) for w in caught]


@pytest.mark.parametrize("call", RESIZING_CALLS.values(), ids=RESIZING_CALLS.keys())
def test_resized_out_tensors_warn_as_pytorch_at_the_callers_line(call):
    expected = _warnings_of(call, torch)
    assert _warnings_of(call, torchless) == expected
    assert all(filename == __file__ for _, _, filename in expected)


def _with_bundled_mnist(tmp_path):
    from torchless.vision.datasets import mnist

    shutil.copytree(pathlib.Path(mnist.__file__).parent / "data" / "MNIST", tmp_path / "data" / "MNIST")


DEPRECATED_LINALG_CALLS = {
    "torch.lu": lambda lib, A, B: lib.lu(A),
    "Tensor.lu": lambda lib, A, B: A.lu(get_infos=True),
    "torch.lu_solve": lambda lib, A, B: lib.lu_solve(B, *lib.linalg.lu_factor(A)),
    "Tensor.lu_solve": lambda lib, A, B: B.lu_solve(*lib.linalg.lu_factor(A)),
    "chain_matmul": lambda lib, A, B: lib.chain_matmul(A, A),
    "chain_matmul out": lambda lib, A, B: lib.chain_matmul(A, A, out=lib.empty(3, 3)),
    "cholesky": lambda lib, A, B: lib.cholesky(A),
    "Tensor.cholesky": lambda lib, A, B: A.cholesky(upper=True),
    "cholesky out": lambda lib, A, B: lib.cholesky(A, out=lib.empty(3, 3)),
    "qr": lambda lib, A, B: lib.qr(A),
    "qr out": lambda lib, A, B: lib.qr(A, out=(lib.empty(3, 3), lib.empty(3, 3))),
    "triangular_solve": lambda lib, A, B: lib.triangular_solve(B, A),
    "ger out": lambda lib, A, B: lib.ger(B[:, 0], B[:, 0], out=lib.empty(3, 3)),
}


@pytest.mark.parametrize("call", DEPRECATED_LINALG_CALLS.values(), ids=DEPRECATED_LINALG_CALLS.keys())
def test_deprecated_linalg_functions_warn_as_pytorchs_cpp(call):
    """Their TORCH_WARN_ONCE text ends with its C++ source line; torch.lu's, Tensor.lu's and chain_matmul's point at
    the library's Python code that calls the kernel, the others' at the user's line."""
    def warned(lib):
        previous = lib.is_warn_always_enabled()
        lib.set_warn_always(True)
        try:
            A, B = lib.eye(3) * 2, lib.ones(3, 1)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                call(lib, A, B)
        finally:
            lib.set_warn_always(previous)
        return [(str(w.message), w.filename == __file__) for w in caught]

    assert warned(torchless) == warned(torch)


SCATTER_AND_INDEX_REDUCE_CALLS = {
    "scatter_": lambda lib: lib.zeros(3).scatter_(0, lib.tensor([0]), lib.ones(1), reduce="add"),
    "scatter": lambda lib: lib.zeros(3).scatter(0, lib.tensor([0]), lib.ones(1), reduce="multiply"),
    "torch.scatter": lambda lib: lib.scatter(lib.zeros(3), 0, lib.tensor([0]), lib.ones(1), reduce="add"),
    "scatter_ number": lambda lib: lib.zeros(3).scatter_(0, lib.tensor([0]), 2.0, reduce="add"),
    "index_reduce_": lambda lib: lib.zeros(3).index_reduce_(0, lib.tensor([0]), lib.ones(1), "prod"),
    "index_reduce": lambda lib: lib.zeros(3, 2).index_reduce(0, lib.tensor([0]), lib.ones(1, 2), "amax"),
    "torch.index_reduce": lambda lib: lib.index_reduce(lib.zeros(3), 0, lib.tensor([2]), lib.ones(1), "mean"),
}


@pytest.mark.parametrize("call", SCATTER_AND_INDEX_REDUCE_CALLS.values(), ids=SCATTER_AND_INDEX_REDUCE_CALLS.keys())
def test_scatter_reduce_and_index_reduce_warn_at_the_callers_line(call):
    def warned(lib):
        previous = lib.is_warn_always_enabled()
        lib.set_warn_always(True)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                call(lib)
        finally:
            lib.set_warn_always(previous)
        return [(str(w.message), w.filename == __file__) for w in caught]

    assert warned(torchless) == warned(torch)


def test_warnings_once_are_not_spent_while_warn_always_is_set(tmp_path):
    same_script_output(tmp_path, """
        import warnings
        import torch

        A = torch.eye(2)
        for always in (True, False, False):
            torch.set_warn_always(always)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                torch.chain_matmul(A, A)
                torch.qr(A)
                torch.zeros(3).index_reduce_(0, torch.tensor([0]), torch.ones(1), "prod")
                torch.cross(torch.ones(2, 3), torch.ones(2, 3))
                torch.ones(2).add(2, torch.ones(2))
                torch.stft(torch.ones(64), 16, return_complex=True)
            print(always, [str(w.message).replace("torchless.", "torch.")[:40] for w in caught])
    """)


def test_quickstart_on_mnist(tmp_path):
    """The quickstart tutorial on the first MNIST images; PyTorch (without torchvision) reads them by hand."""
    _with_bundled_mnist(tmp_path)
    same_script_output(tmp_path, """
        import torch
        from torch import nn
        from torch.utils.data import DataLoader
        try:
            from torchvision import datasets
            from torchvision.transforms import ToTensor
        except ImportError:  # PyTorch without torchvision: the same MNIST read by hand
            import gzip, types
            import numpy as np

            def ToTensor():
                return lambda image: torch.from_numpy(image).unsqueeze(0).float().div(255)

            class MNIST(torch.utils.data.Dataset):
                def __init__(self, root, train, download, transform):
                    split = "train" if train else "t10k"
                    with gzip.open(f"{root}/MNIST/raw/{split}-images-idx3-ubyte.gz") as f:
                        self.data = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
                    with gzip.open(f"{root}/MNIST/raw/{split}-labels-idx1-ubyte.gz") as f:
                        self.targets = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
                    self.transform = transform

                def __len__(self):
                    return len(self.data)

                def __getitem__(self, index):
                    return self.transform(self.data[index].copy()), int(self.targets[index])

            datasets = types.SimpleNamespace(MNIST=MNIST)
        torch.manual_seed(0)
        training_data = datasets.MNIST(root="data", train=True, download=False, transform=ToTensor())
        test_data = datasets.MNIST(root="data", train=False, download=False, transform=ToTensor())
        training_data = torch.utils.data.Subset(training_data, range(640))
        test_data = torch.utils.data.Subset(test_data, range(256))
        batch_size = 64
        train_dataloader = DataLoader(training_data, batch_size=batch_size)
        test_dataloader = DataLoader(test_data, batch_size=batch_size)
        for X, y in test_dataloader:
            print(f"Shape of X [N, C, H, W]: {X.shape}")
            print(f"Shape of y: {y.shape} {y.dtype}")
            break
        device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
        print(f"Using {device} device")
        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(nn.Linear(28*28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
            def forward(self, x):
                x = self.flatten(x)
                return self.linear_relu_stack(x)
        model = NeuralNetwork().to(device)
        print(model)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
        def train(dataloader, model, loss_fn, optimizer):
            size = len(dataloader.dataset)
            model.train()
            for batch, (X, y) in enumerate(dataloader):
                X, y = X.to(device), y.to(device)
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                if batch % 5 == 0:
                    loss, current = loss.item(), (batch + 1) * len(X)
                    print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
        def test(dataloader, model, loss_fn):
            size = len(dataloader.dataset)
            num_batches = len(dataloader)
            model.eval()
            test_loss, correct = 0, 0
            with torch.no_grad():
                for X, y in dataloader:
                    X, y = X.to(device), y.to(device)
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            test_loss /= num_batches
            correct /= size
            print(f"Test Error: \\n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \\n")
        for t in range(2):
            print(f"Epoch {t+1}\\n-------------------------------")
            train(train_dataloader, model, loss_fn, optimizer)
            test(test_dataloader, model, loss_fn)
        torch.save(model.state_dict(), "model.pth")
        model = NeuralNetwork().to(device)
        print(model.load_state_dict(torch.load("model.pth", weights_only=True)))
        classes = [str(i) for i in range(10)]
        model.eval()
        x, y = test_data[0][0], test_data[0][1]
        with torch.no_grad():
            x = x.to(device)
            pred = model(x)
            predicted, actual = classes[pred[0].argmax(0)], classes[y]
            print(f'Predicted: "{predicted}", Actual: "{actual}"')
    """)


def test_what_is_torch_nn_really(tmp_path):
    """The tutorial (raw tensors, nn.functional, nn.Module, nn.Linear, optim, TensorDataset, DataLoader, the CNN
    with Lambda layers, WrappedDataLoader) on MNIST test images flattened as its pickle has them; the validation
    losses it prints as float64 numbers are printed to 4 decimals (their 7th digit is float32 rounding)."""
    _with_bundled_mnist(tmp_path)
    same_script_output(tmp_path, """
        import torch, math
        import numpy as np
        torch.manual_seed(0)
        import gzip
        def read(name, offset, shape):
            with gzip.open(f"data/MNIST/raw/{name}.gz") as f:
                return np.frombuffer(f.read(), np.uint8, offset=offset).reshape(shape)
        images = (read("t10k-images-idx3-ubyte", 16, (-1, 784)) / np.float32(255)).astype(np.float32)
        labels = read("t10k-labels-idx1-ubyte", 8, (-1,)).astype(np.int64)
        x_train, y_train, x_valid, y_valid = images[:320], labels[:320], images[320:448], labels[320:448]
        x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
        n, c = x_train.shape
        print(x_train, y_train)
        print(x_train.shape)
        print(y_train.min(), y_train.max())
        weights = torch.randn(784, 10) / math.sqrt(784)
        weights.requires_grad_()
        bias = torch.zeros(10, requires_grad=True)
        def log_softmax(x):
            return x - x.exp().sum(-1).log().unsqueeze(-1)
        def model(xb):
            return log_softmax(xb @ weights + bias)
        bs = 64
        xb = x_train[0:bs]
        preds = model(xb)
        print(preds[0], preds.shape)
        def nll(input, target):
            return -input[range(target.shape[0]), target].mean()
        loss_func = nll
        yb = y_train[0:bs]
        print(loss_func(preds, yb))
        def accuracy(out, yb):
            preds = torch.argmax(out, dim=1)
            return (preds == yb).float().mean()
        print(accuracy(preds, yb))
        lr = 0.5
        epochs = 2
        for epoch in range(epochs):
            for i in range((n - 1) // bs + 1):
                start_i = i * bs
                end_i = start_i + bs
                xb = x_train[start_i:end_i]
                yb = y_train[start_i:end_i]
                pred = model(xb)
                loss = loss_func(pred, yb)
                loss.backward()
                with torch.no_grad():
                    weights -= weights.grad * lr
                    bias -= bias.grad * lr
                    weights.grad.zero_()
                    bias.grad.zero_()
        print(loss_func(model(xb), yb), accuracy(model(xb), yb))
        import torch.nn.functional as F
        loss_func = F.cross_entropy
        def model(xb):
            return xb @ weights + bias
        print(loss_func(model(xb), yb), accuracy(model(xb), yb))
        from torch import nn
        class Mnist_Logistic(nn.Module):
            def __init__(self):
                super().__init__()
                self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
                self.bias = nn.Parameter(torch.zeros(10))
            def forward(self, xb):
                return xb @ self.weights + self.bias
        model = Mnist_Logistic()
        print(loss_func(model(xb), yb))
        def fit():
            for epoch in range(epochs):
                for i in range((n - 1) // bs + 1):
                    start_i = i * bs
                    end_i = start_i + bs
                    xb = x_train[start_i:end_i]
                    yb = y_train[start_i:end_i]
                    pred = model(xb)
                    loss = loss_func(pred, yb)
                    loss.backward()
                    with torch.no_grad():
                        for p in model.parameters():
                            p -= p.grad * lr
                        model.zero_grad()
        fit()
        print(loss_func(model(xb), yb))
        class Mnist_Logistic(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(784, 10)
            def forward(self, xb):
                return self.lin(xb)
        model = Mnist_Logistic()
        print(model)
        print(loss_func(model(xb), yb))
        fit()
        print(loss_func(model(xb), yb))
        from torch import optim
        def get_model():
            model = Mnist_Logistic()
            return model, optim.SGD(model.parameters(), lr=lr)
        model, opt = get_model()
        print(loss_func(model(xb), yb))
        from torch.utils.data import TensorDataset
        train_ds = TensorDataset(x_train, y_train)
        print(len(train_ds), train_ds[0][1], train_ds[0:2][0].shape)
        from torch.utils.data import DataLoader
        train_dl = DataLoader(train_ds, batch_size=bs)
        print(len(train_dl))
        for epoch in range(epochs):
            for xb, yb in train_dl:
                pred = model(xb)
                loss = loss_func(pred, yb)
                loss.backward()
                opt.step()
                opt.zero_grad()
        print(loss_func(model(xb), yb))
        train_ds = TensorDataset(x_train, y_train)
        train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)
        valid_ds = TensorDataset(x_valid, y_valid)
        valid_dl = DataLoader(valid_ds, batch_size=bs * 2)
        model, opt = get_model()
        for epoch in range(epochs):
            model.train()
            for xb, yb in train_dl:
                pred = model(xb)
                loss = loss_func(pred, yb)
                loss.backward()
                opt.step()
                opt.zero_grad()
            model.eval()
            with torch.no_grad():
                valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl)
            print(epoch, valid_loss / len(valid_dl))
        def loss_batch(model, loss_func, xb, yb, opt=None):
            loss = loss_func(model(xb), yb)
            if opt is not None:
                loss.backward()
                opt.step()
                opt.zero_grad()
            return loss.item(), len(xb)
        def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
            for epoch in range(epochs):
                model.train()
                for xb, yb in train_dl:
                    loss_batch(model, loss_func, xb, yb, opt)
                model.eval()
                with torch.no_grad():
                    losses, nums = zip(
                        *[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl]
                    )
                val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
                print(epoch, f"{val_loss:.4f}")
        def get_data(train_ds, valid_ds, bs):
            return (
                DataLoader(train_ds, batch_size=bs, shuffle=True),
                DataLoader(valid_ds, batch_size=bs * 2),
            )
        train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
        model, opt = get_model()
        fit(epochs, model, loss_func, opt, train_dl, valid_dl)
        lr = 0.1
        class Lambda(nn.Module):
            def __init__(self, func):
                super().__init__()
                self.func = func
            def forward(self, x):
                return self.func(x)
        def preprocess(x):
            return x.view(-1, 1, 28, 28)
        model = nn.Sequential(
            Lambda(preprocess),
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AvgPool2d(4),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )
        print(model)
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        fit(1, model, loss_func, opt, train_dl, valid_dl)
        def preprocess(x, y):
            return x.view(-1, 1, 28, 28), y
        class WrappedDataLoader:
            def __init__(self, dl, func):
                self.dl = dl
                self.func = func
            def __len__(self):
                return len(self.dl)
            def __iter__(self):
                for b in self.dl:
                    yield (self.func(*b))
        train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
        train_dl = WrappedDataLoader(train_dl, preprocess)
        valid_dl = WrappedDataLoader(valid_dl, preprocess)
        model = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )
        print(model)
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        fit(1, model, loss_func, opt, train_dl, valid_dl)
        print(opt.state_dict()['state'][0]['momentum_buffer'].shape, opt)
        dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
        print(dev, torch.cuda.is_available())
        model.to(dev)
        print(next(iter(train_dl))[0].shape)
    """)


def test_training_a_classifier(tmp_path):
    """The CIFAR-10 tutorial's training, checkpoint and per-class accuracy on random 3x32x32 images in [-1, 1]
    (as its Normalize leaves CIFAR's), loaded by two worker processes."""
    same_script_output(tmp_path, """
        import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as optim
        torch.manual_seed(0)
        classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')
        data = torch.utils.data.TensorDataset(torch.rand(24, 3, 32, 32) * 2 - 1, torch.randint(0, 10, (24,)))
        trainloader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=True, num_workers=2)
        testloader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=False, num_workers=2)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 6, 5)
                self.pool = nn.MaxPool2d(2, 2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)
            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = torch.flatten(x, 1)
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                return self.fc3(x)
        if __name__ == "__main__":
            net = Net()
            criterion = nn.CrossEntropyLoss()
            optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
            for epoch in range(2):
                running_loss = 0.0
                for i, data in enumerate(trainloader, 0):
                    inputs, labels = data
                    optimizer.zero_grad()
                    outputs = net(inputs)
                    loss = criterion(outputs, labels)
                    loss.backward()
                    optimizer.step()
                    running_loss += loss.item()
                    if i % 3 == 2:
                        print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 3:.3f}')
                        running_loss = 0.0
            print('Finished Training')
            PATH = './cifar_net.pth'
            torch.save(net.state_dict(), PATH)
            dataiter = iter(testloader)
            images, labels = next(dataiter)
            print('GroundTruth: ', ' '.join(f'{classes[labels[j]]:5s}' for j in range(4)))
            net = Net()
            print(net.load_state_dict(torch.load(PATH, weights_only=True)))
            outputs = net(images)
            _, predicted = torch.max(outputs, 1)
            print('Predicted: ', ' '.join(f'{classes[predicted[j]]:5s}' for j in range(4)))
            correct = 0
            total = 0
            with torch.no_grad():
                for data in testloader:
                    images, labels = data
                    outputs = net(images)
                    _, predicted = torch.max(outputs, 1)
                    total += labels.size(0)
                    correct += (predicted == labels).sum().item()
            print(f'Accuracy of the network on the 10000 test images: {100 * correct // total} %')
            correct_pred = {classname: 0 for classname in classes}
            total_pred = {classname: 0 for classname in classes}
            with torch.no_grad():
                for data in testloader:
                    images, labels = data
                    outputs = net(images)
                    _, predictions = torch.max(outputs, 1)
                    for label, prediction in zip(labels, predictions):
                        if label == prediction:
                            correct_pred[classes[label]] += 1
                        total_pred[classes[label]] += 1
            for classname, correct_count in correct_pred.items():
                accuracy = 100 * float(correct_count) / max(total_pred[classname], 1)
                print(f'Accuracy for class: {classname:5s} is {accuracy:.1f} %')
            device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')
            print(device)
            net.to(device)
            inputs, labels = data[0].to(device), data[1].to(device)
            del dataiter
    """)


def test_neural_networks_tutorial(tmp_path):
    same_script_output(tmp_path, """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim

        torch.manual_seed(0)

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, input):
                c1 = F.relu(self.conv1(input))
                s2 = F.max_pool2d(c1, (2, 2))
                c3 = F.relu(self.conv2(s2))
                s4 = F.max_pool2d(c3, 2)
                s4 = torch.flatten(s4, 1)
                f5 = F.relu(self.fc1(s4))
                f6 = F.relu(self.fc2(f5))
                return self.fc3(f6)

        def named(node):
            return type(node).__name__, [type(f).__name__ for f, _ in node.next_functions]

        net = Net()
        print(net)
        params = list(net.parameters())
        print(len(params), params[0].size())
        input = torch.randn(1, 1, 32, 32)
        out = net(input)
        print(out)
        net.zero_grad()
        out.backward(torch.randn(1, 10))
        output = net(input)
        target = torch.randn(10).view(1, -1)
        criterion = nn.MSELoss()
        loss = criterion(output, target)
        print(loss)
        print(named(loss.grad_fn))
        print(named(loss.grad_fn.next_functions[0][0]))
        print(named(loss.grad_fn.next_functions[0][0].next_functions[0][0]))
        net.zero_grad()
        print('conv1.bias.grad before backward', net.conv1.bias.grad)
        loss.backward()
        print('conv1.bias.grad after backward', net.conv1.bias.grad)
        for f in net.parameters():
            f.data.sub_(f.grad.data * 0.01)
        optimizer = optim.SGD(net.parameters(), lr=0.01)
        optimizer.zero_grad()
        loss = criterion(net(input), target)
        loss.backward()
        optimizer.step()
        print(optimizer.state_dict())
        for bad in (torch.randn(32, 32), torch.randn(1, 3, 32, 32), torch.randn(1, 1, 28, 28)):
            try:
                net(bad)
            except RuntimeError as error:
                print(error)
    """)


def test_checkpoint_state_dict_and_warm_starting_recipes(tmp_path):
    same_script_output(tmp_path, """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim

        torch.manual_seed(0)

        class Net(nn.Module):
            def __init__(self, extra=False):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(3, 6, 5)
                self.pool = nn.MaxPool2d(2, 2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)
                if extra:
                    self.fc4 = nn.Linear(10, 3)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = x.view(-1, 16 * 5 * 5)
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                return self.fc3(x)

        net = Net()
        optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
        print("Model's state_dict:")
        for param_tensor in net.state_dict():
            print(param_tensor, "\\t", net.state_dict()[param_tensor].size())
        print("Optimizer's state_dict:")
        for var_name in optimizer.state_dict():
            print(var_name, "\\t", optimizer.state_dict()[var_name])
        optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(net(torch.randn(4, 3, 32, 32)), torch.randint(0, 10, (4,)))
        loss.backward()
        optimizer.step()
        torch.save({'epoch': 5, 'model_state_dict': net.state_dict(),
                    'optimizer_state_dict': optimizer.state_dict(), 'loss': loss}, "model.pt")
        model = Net()
        optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
        checkpoint = torch.load("model.pt", weights_only=True)
        print(model.load_state_dict(checkpoint['model_state_dict']))
        optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
        print(checkpoint['epoch'], checkpoint['loss'], optimizer.state_dict()['state'][9])
        print(model.eval())
        optimizer.zero_grad(set_to_none=False)
        print(model.fc3.bias.grad)
        optimizer.zero_grad()
        print(model.fc3.bias.grad)

        torch.save(net, "whole.pth")
        try:
            torch.load("whole.pth", weights_only=True)
        except Exception as error:
            print(type(error).__name__, str(error).splitlines()[0])
        print(torch.load("whole.pth", weights_only=False))

        torch.save(net.state_dict(), "netA.pt")
        netB = Net(extra=True)
        print(netB.load_state_dict(torch.load("netA.pt", weights_only=True), strict=False))
        try:
            netB.load_state_dict(torch.load("netA.pt", weights_only=True))
        except RuntimeError as error:
            print(error)
    """)


def test_learning_pytorch_with_examples(tmp_path):
    # a few steps only: the printed losses of longer runs differ in their last printed digits (float32 sums of
    # 2000 elements by MKL's exp and PyTorch's reduction order)
    same_script_output(tmp_path, """
        import math
        import random
        import torch

        torch.manual_seed(0)
        random.seed(0)
        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)

        class LegendrePolynomial3(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        a, b, c, d = (torch.full((), v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
        y_pred = a + b * LegendrePolynomial3.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        print(y_pred.grad_fn.next_functions[1][0].next_functions[1][0].name(), f"{loss.item():.2f}", b.grad, d.grad)

        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
        print(model, xx.shape)
        loss_fn = torch.nn.MSELoss(reduction='sum')
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
        for t in range(3):
            loss = loss_fn(model(xx), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(optimizer)
        print(optimizer.state_dict()['param_groups'], sorted(optimizer.state_dict()['state'][0]))

        class DynamicNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b, self.c, self.d, self.e = (torch.nn.Parameter(torch.randn(())) for _ in range(5))

            def forward(self, x):
                y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
                for exp in range(4, random.randint(4, 6)):
                    y = y + self.e * x ** exp
                return y

            def string(self):
                return f'y = {self.a.item():.3f} + {self.b.item():.3f} x + {self.c.item():.3f} x^2 + ' \\
                       f'{self.d.item():.3f} x^3 + {self.e.item():.3f} x^4 ? + {self.e.item():.3f} x^5 ?'

        model = DynamicNet()
        print(model, [name for name, _ in model.named_parameters()])
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
        for t in range(3):
            loss = torch.nn.MSELoss(reduction='sum')(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(model.string())
    """)
