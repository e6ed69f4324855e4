"""PyTorch CNN programs of the kinds tutorials, course notebooks, Kaggle kernels and StackOverflow answers write, run
unchanged under ``python -m torchless.as_torch``.

Programs using torch alone are compared with PyTorch running the same script (helpers.same_program: every printed
line and, to float32's precision, the tensors each keeps). Several programs share one script so that PyTorch is
imported once per test.

- Training loops: OneCycleLR (three phases, momentum cycling), CosineAnnealingWarmRestarts stepped by fractional
  epochs, ReduceLROnPlateau (max mode, absolute threshold, cooldown, min_lr), SequentialLR, ChainedScheduler,
  CyclicLR, PolynomialLR and the schedulers' refusals and warnings; gradient accumulation with clipping on a
  channels_last model; eval, no_grad and inference_mode; the same training in both memory formats;
  autocast(bfloat16) on the CPU.
- Boilerplate and recipes: seeding everything, device selection, disabled GradScaler, LazyLinear, model.apply
  initialisation, label smoothing; a Kaggle digit CSV read with numpy and a submission written back; the transfer
  learning tutorial's train/val phases with frozen features; a two-headed network with hand-written metrics; the
  errors and warnings of StackOverflow's questions (channel, shape, target dtype and range mismatches, in-place
  modifications, backward twice, implicit softmax dims, broadcasting losses); a ConvNeXt-style network trained
  with drop path, truncated-normal initialisation, AdamW and label smoothing.
- Saving: early stopping with checkpoints, a whole model refused by weights-only loading, single-image inference
  through PIL; resuming model, optimizer, scheduler and RNG states bit for bit; DataParallel's ``module.`` prefix,
  half and double models; checkpoints holding argparse and NumPy objects under safe_globals; DataLoader mistakes
  (PIL images without ToTensor, shuffled or measured iterable datasets) and stacked and chained datasets.
- Data and tools: collate functions (padding, dicts, namedtuples, batch samplers), forward/backward hooks for
  feature maps, torchinfo summaries and matplotlib (Agg) filter plots, NumPy interplay, the CIFAR-10 classifier
  tutorial's idioms (tuples indexed by tensors, formatted tensors), tensorboard's SummaryWriter
  read back with its EventAccumulator, code that runs on when tensorboard is missing, and DataLoader workers seeded
  as the reproducibility page seeds them.

torchvision is not installed beside the oracle: its programs run through torchless alone and are checked against
references built independently: PyTorch drawing the same random numbers and doing the pixel work with NumPy
(RandomCrop/RandomHorizontalFlip/Normalize/RandomErasing, MixUp/CutMix), the bytes of the files written (MNIST,
FashionMNIST, CIFAR-10, older torchvision's processed MNIST tensors, PNG folders), published parameter counts
(resnet18, mobilenet_v2) and make_grid's layout.

Seen and left (see the report of the session): torchless has no bfloat16 tensors (autocast computes in float32 and
warns, so the programs print no autocast dtype) and no uint16 tensors (``torch.from_numpy`` of a 16-bit PNG's array).
"""
import gzip
import importlib.util
import pickle
import struct
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import torchless
from helpers import run_python, same_program


def _script(*programs):
    """The programs one after the other in one script, keeping their tensors in ``results`` for same_program."""
    return "results = {}\n" + "".join(programs) + "import torch\ntorch.save(results, 'results.pt')\n"


def test_training_loops_schedulers_accumulation_formats_and_autocast(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    same_program(tmp_path, monkeypatch, _script(SCHEDULERS_IN_A_LOOP, SCHEDULER_CHECKS, SCHEDULER_MISUSE,
                                                ACCUMULATION_CHANNELS_LAST_INFERENCE, FORMATS_AND_AUTOCAST))


def test_course_boilerplate_kaggle_csv_transfer_learning_metrics_errors_and_convnext(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("tqdm")
    same_program(tmp_path, monkeypatch, _script(COURSE_BOILERPLATE, KAGGLE_CSV, TRANSFER_PHASES,
                                                TWO_HEADS_AND_METRICS, STACKOVERFLOW_ERRORS, CONVNEXT_DROP_PATH))


def test_checkpoints_resuming_single_image_inference_safe_globals_and_loader_mistakes(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("PIL")
    same_program(tmp_path, monkeypatch, _script(EARLY_STOPPING_AND_PIL_INFERENCE, RESUME, DATA_PARALLEL_AND_DTYPES,
                                                CHECKPOINT_SAFE_GLOBALS, DATALOADER_MISTAKES))


def test_collate_functions_hooks_summaries_plots_numpy_and_the_cifar_tutorial(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("torchinfo")
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    same_program(tmp_path, monkeypatch, _script(COLLATE_FUNCTIONS, HOOKS, TORCHINFO_AND_MATPLOTLIB, NUMPY_INTEROP,
                                                CIFAR_TUTORIAL))


def test_tensorboard_missing_then_read_back_and_seeded_dataloader_workers(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    installed = importlib.util.find_spec("tensorboard") is not None
    same_program(tmp_path, monkeypatch, _script(TENSORBOARD_ABSENT, *[TENSORBOARD] * installed, WORKER_SEEDING))


# Fixed on the way: what the programs above found.

def test_getsizeof_a_storage_counts_the_bytes_it_holds():
    # torchinfo's "Input size (MB)" is sys.getsizeof of the input's untyped storage
    tensor = torchless.zeros(4, 3, 8, 8)
    nbytes = 4 * 3 * 8 * 8 * 4
    assert nbytes < sys.getsizeof(tensor.untyped_storage()) < nbytes + 200
    assert nbytes < sys.getsizeof(tensor[1:].untyped_storage()) < nbytes + 200  # the whole storage, as PyTorch's
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nbytes < sys.getsizeof(tensor.storage()) < nbytes + 200
    assert sys.getsizeof(torchless.empty(0).untyped_storage()) < 200


def test_getsizeof_a_storage_is_pytorchs_to_the_object_header():
    torch = pytest.importorskip("torch")
    for shape in [(0,), (5,), (2, 3, 32, 32)]:
        ours, theirs = torchless.ones(shape).untyped_storage(), torch.ones(shape).untyped_storage()
        assert abs(sys.getsizeof(ours) - sys.getsizeof(theirs)) < 100


def _numpy_checkpoint(path):
    """A checkpoint holding NumPy objects and an argparse.Namespace, as training scripts save them (pickled by
    Python's own pickle in PyTorch's zip layout, so that it needs neither library)."""
    import argparse
    import zipfile

    payload = {"args": argparse.Namespace(lr=0.1), "hist": np.array([0.5, 0.25]), "epoch": np.int64(3),
               "acc": np.float64(0.9), "flag": np.bool_(True)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(payload, protocol=2))
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
    return payload


def _numpy_safe_globals():
    import argparse

    return [argparse.Namespace, np._core.multiarray._reconstruct, np.ndarray, np.dtype, np._core.multiarray.scalar,
            np.dtypes.Float64DType, np.dtypes.Int64DType, np.dtypes.BoolDType]


def test_weights_only_load_keeps_what_allowed_functions_return(tmp_path):
    # numpy's scalar() gives an np.int64, an np.bool_: allowing the function is all PyTorch asks
    path = tmp_path / "ck.pth"
    payload = _numpy_checkpoint(path)
    with torchless.serialization.safe_globals(_numpy_safe_globals()):
        loaded = torchless.load(path)
    assert loaded["args"] == payload["args"] and loaded["hist"].tolist() == [0.5, 0.25]
    for key in ("epoch", "acc", "flag"):
        assert type(loaded[key]) is type(payload[key]) and loaded[key] == payload[key]
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL argparse.Namespace"):
        torchless.load(path)


def test_weights_only_load_of_numpy_objects_as_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "ck.pth"
    _numpy_checkpoint(path)
    with torch.serialization.safe_globals(_numpy_safe_globals()):
        expected = torch.load(path)
    with torchless.serialization.safe_globals(_numpy_safe_globals()):
        actual = torchless.load(path)
    assert {k: repr(v) for k, v in actual.items()} == {k: repr(v) for k, v in expected.items()}


# torchvision programs, against references built without torchvision

def _as_torch(tmp_path, source, name="program.py"):
    """What ``source`` prints when run through ``torchless.as_torch`` in ``tmp_path``."""
    (tmp_path / name).write_text(textwrap.dedent(source))
    printed, _ = run_python(["-m", "torchless.as_torch", name], cwd=tmp_path)
    return printed.replace("torchless.", "torch.").splitlines()


def _with_torch(tmp_path, source, name="reference.py"):
    """What ``source`` prints when run by PyTorch in ``tmp_path``."""
    (tmp_path / name).write_text(textwrap.dedent(source))
    done = subprocess.run([sys.executable, name], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _saved(torch, path):
    return torch.load(path, weights_only=True)


def test_cifar_augmentation_pipeline_draws_pytorchs_random_numbers(tmp_path):
    # the CIFAR-10 tutorials' training transform on a PIL image; the reference draws the same numbers from
    # PyTorch's generator in torchvision's order and does the pixel work with NumPy
    torch = pytest.importorskip("torch")
    pytest.importorskip("PIL")
    _as_torch(tmp_path, CIFAR_AUGMENTATION)
    _with_torch(tmp_path, CIFAR_AUGMENTATION_REFERENCE)
    actual, expected = _saved(torch, tmp_path / "augmented.pt"), _saved(torch, tmp_path / "reference.pt")
    assert actual.shape == (8, 3, 24, 24)
    torch.testing.assert_close(actual, expected, rtol=1e-6, atol=1e-6)


def test_mixup_and_cutmix_in_a_collate_function_draw_pytorchs_random_numbers(tmp_path):
    torch = pytest.importorskip("torch")
    _as_torch(tmp_path, MIXUP_CUTMIX)
    _with_torch(tmp_path, MIXUP_CUTMIX_REFERENCE)
    actual, expected = _saved(torch, tmp_path / "mixed.pt"), _saved(torch, tmp_path / "reference.pt")
    assert len(actual) == len(expected) == 6
    for (images, labels), (want_images, want_labels) in zip(actual, expected):
        torch.testing.assert_close(images, want_images, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(labels, want_labels, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(labels.sum(1), torch.ones(len(labels)))


def _write_idx(path, array):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with (gzip.open if str(path).endswith(".gz") else open)(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _local_datasets(root):
    """MNIST (plain idx files), FashionMNIST (gzipped) and CIFAR-10 (pickled batches) laid out as torchvision
    finds them under ``root``, with the arrays written."""
    rng = np.random.default_rng(0)
    written = {}
    for name, suffix in (("MNIST", ""), ("FashionMNIST", ".gz")):
        raw = root / name / "raw"
        raw.mkdir(parents=True)
        for split, n in (("train", 20), ("t10k", 8)):
            images, labels = rng.integers(0, 256, (n, 28, 28)), rng.integers(0, 10, n)
            _write_idx(raw / f"{split}-images-idx3-ubyte{suffix}", images)
            _write_idx(raw / f"{split}-labels-idx1-ubyte{suffix}", labels)
            written[name, split] = images, labels
    cifar = root / "cifar-10-batches-py"
    cifar.mkdir()
    for i, batch in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        data, labels = rng.integers(0, 256, (2, 3072)).astype(np.uint8), [i % 10, (i + 3) % 10]
        with open(cifar / batch, "wb") as f:
            pickle.dump({"data": data, "labels": labels}, f)
        written["CIFAR10", batch] = data, labels
    with open(cifar / "batches.meta", "wb") as f:
        pickle.dump({"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                                     "truck"]}, f)
    return written


def test_mnist_fashion_mnist_and_cifar10_read_from_local_files_and_batched(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("PIL")
    written = _local_datasets(tmp_path / "data")
    printed = _as_torch(tmp_path, LOCAL_DATASETS)
    got = _saved(torch, tmp_path / "datasets.pt")
    train_images, train_labels = written["MNIST", "train"]
    assert got["mnist_data"].tolist() == train_images.tolist()
    assert got["mnist_targets"].tolist() == train_labels.tolist()
    # ToTensor then Normalize((0.1307,), (0.3081,)), in float32 as torchvision computes it
    first = (train_images[3].astype(np.float32) / np.float32(255) - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_allclose(got["mnist_item3"].numpy()[0], first, rtol=1e-6, atol=1e-6)
    assert got["fashion_test_targets"].tolist() == written["FashionMNIST", "t10k"][1].tolist()
    cifar = np.concatenate([written["CIFAR10", f"data_batch_{i}"][0] for i in range(1, 6)])
    assert got["cifar_data"].tolist() == cifar.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).tolist()
    np.testing.assert_allclose(got["cifar_item7"].numpy(), cifar[7].reshape(3, 32, 32) / np.float32(255), rtol=1e-6)
    # the loader's shuffling and random_split are PyTorch's for those generators (without torchvision)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(train_labels)), batch_size=6,
                                         shuffle=True, generator=torch.Generator().manual_seed(0))
    assert got["first_batch_labels"].tolist() == next(iter(loader))[0].tolist()
    split = torch.utils.data.random_split(range(20), [16, 4], generator=torch.Generator().manual_seed(42))
    labels = np.asarray(train_labels)
    weights = 1.0 / np.maximum(np.bincount(labels, minlength=10), 1)
    sampler = torch.utils.data.WeightedRandomSampler(torch.tensor(weights[labels]), 12,
                                                     generator=torch.Generator().manual_seed(5))
    assert printed == [
        "Dataset MNIST", "    Number of datapoints: 20", "    Root location: data", "    Split: Train",
        "    StandardTransform", "Transform: Compose(", "               ToTensor()",
        "               Normalize(mean=(0.1307,), std=(0.3081,))", "           )",
        "20 8 torch.Size([20, 28, 28]) torch.uint8 torch.int64 ['0 - zero', '1 - one', '2 - two']",
        f"torch.Size([1, 28, 28]) <class 'int'> {train_labels[0]} 5",
        "20 ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', "
        "'Ankle boot'] torch.Size([1, 28, 28])",
        "RuntimeError Dataset not found. You can use download=True to download it",
        f"torch.Size([6, 1, 28, 28]) 4 {split[0].indices} {split[1].indices}",
        f"3 {list(sampler)} 28 [20, 28]",
        "10 2 (10, 32, 32, 3) <class 'PIL.Image.Image'> RGB [0, 3, 1, 4, 2, 5, 3, 6, 4, 7] "
        f"{written['CIFAR10', 'test_batch'][1]}",
    ]


def _legacy_processed_files(root, torch):
    """``root``/MNIST/processed/ as torchvision before 0.9 left it: the parsed (data, targets) tensors of each split,
    the training file in the pre-1.6 format, and no raw files; FashionMNIST's, and an MNIST split missing."""
    rng = np.random.default_rng(2)
    arrays = {split: (rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n)) for split, n in
              (("training", 5), ("test", 3))}
    for name in ("MNIST", "FashionMNIST", "KMNIST"):
        (root / name / "processed").mkdir(parents=True)
        for split, (data, targets) in arrays.items():
            if name == "KMNIST" and split == "test":
                continue
            torch.save((torch.from_numpy(data), torch.from_numpy(targets)), root / name / "processed" / f"{split}.pt",
                       _use_new_zipfile_serialization=split != "training")
    return arrays


def test_mnist_reads_the_tensors_older_torchvision_saved_in_processed(tmp_path):
    # torchvision reads processed/training.pt and test.pt (weights-only) when both are there, raw files or not
    torch = pytest.importorskip("torch")
    pytest.importorskip("PIL")
    arrays = _legacy_processed_files(tmp_path / "data", torch)
    printed = _as_torch(tmp_path, LEGACY_PROCESSED)
    (train_data, train_targets), (test_data, test_targets) = arrays["training"], arrays["test"]
    got = _saved(torch, tmp_path / "legacy.pt")
    assert got["train_data"].tolist() == train_data.tolist() and got["test_data"].tolist() == test_data.tolist()
    np.testing.assert_allclose(got["item1"].numpy()[0], train_data[1] / np.float32(255), rtol=1e-6)
    assert printed == [
        f"5 3 torch.uint8 torch.int64 {train_targets.tolist()} {test_targets.tolist()} {train_targets[1]}",
        f"5 {test_targets[2]}",
        "RuntimeError Dataset not found. You can use download=True to download it",
    ]


def test_stochastic_depth_draws_its_noise_as_torchvision_from_pytorchs_generator():
    torch = pytest.importorskip("torch")
    from torchless.vision.ops import StochasticDepth, stochastic_depth

    x = np.random.default_rng(0).standard_normal((6, 3, 4, 4)).astype(np.float32)
    for mode, size in (("row", [6, 1, 1, 1]), ("batch", [1, 1, 1, 1])):
        torchless.manual_seed(5)
        got = stochastic_depth(torchless.tensor(x), 0.3, mode, training=True)
        torch.manual_seed(5)  # torchvision: empty(size).bernoulli_(survival_rate), divided by it
        want = torch.tensor(x) * torch.empty(size).bernoulli_(0.7).div_(0.7)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert torchless.equal(stochastic_depth(torchless.tensor(x), 0.3, "row", training=False), torchless.tensor(x))
    assert repr(StochasticDepth(0.2, "row")) == "StochasticDepth(p=0.2, mode=row)"


def _image_folder(root):
    """A dataset of PNGs in class folders (and a stray text file ImageFolder skips), with their pixels."""
    from PIL import Image

    rng = np.random.default_rng(1)
    pixels = {}
    for label in ("cats", "dogs"):
        (root / label).mkdir(parents=True)
        for i in range(3):
            array = rng.integers(0, 256, (20 + i, 24, 3), dtype=np.uint8)
            Image.fromarray(array).save(root / label / f"{i}.png")
            pixels[label, i] = array
    (root / "cats" / "notes.txt").write_text("not a picture")
    return pixels


def test_image_folder_read_image_and_v2_pipelines_over_pngs(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("PIL")
    pixels = _image_folder(tmp_path / "data" / "train")
    printed = _as_torch(tmp_path, IMAGE_FOLDER_V2)
    got = _saved(torch, tmp_path / "folder.pt")
    assert got["read_image"].tolist() == pixels["dogs", 1].transpose(2, 0, 1).tolist()
    assert got["read_gray_shape"].tolist() == [1, 21, 24]
    np.testing.assert_allclose(got["item4"].numpy(), pixels["dogs", 1].transpose(2, 0, 1) / np.float32(255), rtol=1e-6)
    for key, index in (("flipped", 0), ("plain", 1)):  # RandomHorizontalFlip(p=1.0) and p=0.0 over uint8 images
        want = pixels["cats", index][:, ::-1] if key == "flipped" else pixels["cats", index]
        assert got[key].tolist() == want.transpose(2, 0, 1).tolist()
    assert printed == [
        "6 ['cats', 'dogs'] {'cats': 0, 'dogs': 1} [0, 0, 0, 1, 1, 1]",
        "Image torch.Size([3, 16, 16]) torch.float32 0",
        "torch.Size([4, 3, 16, 16]) torch.Size([4, 2]) torch.float32",
        "torch.Size([2, 3, 16, 16]) torch.Size([2, 2]) torch.float32",
        "Tensor torch.Size([3, 16, 16]) torch.uint8",
        "Image [[5, 1, 9, 5]] (10, 10)",
        "Tensor torch.Size([3, 8, 8]) torch.float32",
        "tensor(1)",
        "2 (tensor([0., 0., 0.], dtype=torch.float64), 1) {'a': 0, 'b': 1}",
    ]


def test_resnet18_and_mobilenet_v2_without_weights_fine_tuned_and_probed(tmp_path):
    pytest.importorskip("torch")
    # parameter counts as torchvision's model table publishes them
    assert _as_torch(tmp_path, TORCHVISION_MODELS) == [
        "11689512 11689512", "5130", "torch.Size([2, 10])", "{'layer1': (2, 64, 16, 16), 'pool': (2, 512, 1, 1)}",
        "0", "torch.Size([2, 512, 1, 1])", "3504872 2230277", "torch.Size([2, 5])", "torch.Size([2, 10])",
        "True True", "[None, None, True]",
    ]


def _make_grid_reference(images, nrow=8, padding=2, pad_value=0.0):
    """torchvision.utils.make_grid's layout for (B, 3, H, W) images: nrow per row, ``padding`` pixels around."""
    count, channels, height, width = images.shape
    columns, rows = min(nrow, count), -(-count // min(nrow, count))
    cell_h, cell_w = height + padding, width + padding
    grid = np.full((channels, rows * cell_h + padding, columns * cell_w + padding), pad_value, np.float32)
    for k in range(count):
        y, x = divmod(k, columns)
        grid[:, y * cell_h + padding:(y + 1) * cell_h, x * cell_w + padding:(x + 1) * cell_w] = images[k]
    return grid


def test_make_grid_and_save_image_of_filters_and_batches(tmp_path):
    torch = pytest.importorskip("torch")
    from PIL import Image

    _as_torch(tmp_path, GRIDS)
    got = _saved(torch, tmp_path / "grids.pt")
    images = got["images"].numpy()
    np.testing.assert_array_equal(got["grid"].numpy(), _make_grid_reference(images, nrow=5, pad_value=1.0))
    # normalize=True scales by the batch's min and max; a one-channel batch is repeated to three channels
    w = got["filters"].numpy()
    scaled = np.repeat((w - w.min()) / (w.max() - w.min()), 3, axis=1)
    np.testing.assert_allclose(got["filter_grid"].numpy(), _make_grid_reference(scaled, nrow=4, padding=1),
                               rtol=1e-6, atol=1e-7)
    # save_image writes the grid rounded as torchvision rounds: mul(255).add_(0.5).clamp_(0, 255) to uint8
    saved = np.asarray(Image.open(tmp_path / "grid.png"))
    want = np.clip(_make_grid_reference(images, nrow=5) * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    assert saved.shape == (22, 52, 3) and np.array_equal(saved, want)


def test_auto_augment_policies_are_reproducible_under_a_seed(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("PIL")
    lines = _as_torch(tmp_path, AUTO_AUGMENT)
    assert lines[:4] == ["TrivialAugmentWide True True (28, 30, 3)", "AutoAugment True True (28, 30, 3)",
                         "RandAugment True True (28, 30, 3)", "AugMix True True (28, 30, 3)"]
    assert lines[4:] == ["v2 torch.Size([3, 28, 30]) torch.uint8 True"]


# The programs, each as a script starts: imports, a seed, its classes and its loop.

SCHEDULERS_IN_A_LOOP = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import (OneCycleLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau, SequentialLR,
                                      LinearLR, ExponentialLR, ChainedScheduler, StepLR, CyclicLR, PolynomialLR)

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.fc = nn.Linear(8 * 5 * 5, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        x = F.adaptive_avg_pool2d(x, 5)
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)


X = torch.randn(64, 1, 14, 14)
Y = torch.randint(0, 10, (64,))
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
sched = OneCycleLR(opt, max_lr=0.05, epochs=3, steps_per_epoch=4, three_phase=True, anneal_strategy='linear')
lrs = []
for epoch in range(3):
    for i in range(4):
        xb, yb = X[i * 16:(i + 1) * 16], Y[i * 16:(i + 1) * 16]
        opt.zero_grad()
        loss = F.nll_loss(model(xb), yb)
        loss.backward()
        opt.step()
        sched.step()
        lrs.append(round(sched.get_last_lr()[0], 8))
    print(epoch, f"{loss.item():.5f}", opt.param_groups[0]['momentum'])
print(lrs)

opt2 = torch.optim.AdamW(model.parameters(), lr=1e-3)
warm = CosineAnnealingWarmRestarts(opt2, T_0=2, T_mult=2, eta_min=1e-5)
iters = 3
out = []
for epoch in range(5):
    for i in range(iters):
        warm.step(epoch + i / iters)
        out.append(f"{opt2.param_groups[0]['lr']:.7f}")
print(out)
print(warm.T_cur, warm.T_i, warm.last_epoch)

opt3 = torch.optim.Adam(model.parameters(), lr=0.01)
plateau = ReduceLROnPlateau(opt3, mode='max', factor=0.5, patience=1, threshold=0.01, threshold_mode='abs',
                            cooldown=1, min_lr=1e-4)
accs = [0.5, 0.6, 0.605, 0.61, 0.6, 0.59, 0.7, 0.69, 0.69, 0.69, 0.69]
for a in accs:
    plateau.step(a)
    print(a, plateau.get_last_lr(), plateau.num_bad_epochs, plateau.cooldown_counter, plateau.best)
print(plateau.state_dict()['_last_lr'])

opt4 = torch.optim.SGD(model.parameters(), lr=0.1)
s1 = LinearLR(opt4, start_factor=0.1, total_iters=3)
s2 = ExponentialLR(opt4, gamma=0.9)
seq = SequentialLR(opt4, schedulers=[s1, s2], milestones=[3])
vals = []
for _ in range(8):
    opt4.step()
    seq.step()
    vals.append(round(seq.get_last_lr()[0], 8))
print(vals)

opt5 = torch.optim.SGD(model.parameters(), lr=1.0)
chain = ChainedScheduler([StepLR(opt5, 2, 0.5), ExponentialLR(opt5, 0.95)])
vals = []
for _ in range(6):
    opt5.step()
    chain.step()
    vals.append(round(chain.get_last_lr()[0], 8))
print(vals)

opt6 = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
cyc = CyclicLR(opt6, base_lr=0.001, max_lr=0.1, step_size_up=3, mode='triangular2')
poly = []
for _ in range(10):
    opt6.step()
    cyc.step()
    poly.append((round(cyc.get_last_lr()[0], 6), round(opt6.param_groups[0]['momentum'], 6)))
print(poly)
opt7 = torch.optim.SGD(model.parameters(), lr=0.1)
p = PolynomialLR(opt7, total_iters=4, power=2.0)
vals = []
for _ in range(6):
    opt7.step()
    p.step()
    vals.append(round(p.get_last_lr()[0], 6))
print(vals)
print(sorted(sched.state_dict().keys()))
results.update({f'schedulers.{k}': v.detach().clone() for k, v in model.state_dict().items()})
'''


SCHEDULER_CHECKS = r'''
import warnings
import torch
import torch.nn as nn
from torch.optim import lr_scheduler as S
warnings.simplefilter('always')
torch.manual_seed(0)
m = nn.Linear(3, 2)
opt = torch.optim.Adam([{'params': m.weight, 'lr': 1e-2}, {'params': m.bias}], lr=1e-3, betas=(0.95, 0.999))
oc = S.OneCycleLR(opt, max_lr=[0.1, 0.01], total_steps=6, pct_start=0.5, div_factor=10, final_div_factor=100)
vals = []
for _ in range(6):
    opt.step()
    oc.step()
    vals.append([(round(g['lr'], 6), tuple(round(b, 4) for b in g['betas'])) for g in opt.param_groups])
print(vals)
try:
    oc.step()
except ValueError as e:
    print('ValueError', e)
opt2 = torch.optim.SGD(m.parameters(), lr=0.1)
cos = S.CosineAnnealingLR(opt2, T_max=4, eta_min=0.001)
cos.step()
opt2.step()
print(round(cos.get_last_lr()[0], 6))
opt3 = torch.optim.SGD(m.parameters(), lr=0.1)
rp = S.ReduceLROnPlateau(opt3, 'min', patience=0, factor=0.1, min_lr=[0.05])
for v in [1.0, 2.0, 3.0]:
    rp.step(v)
    print(opt3.param_groups[0]['lr'], rp.get_last_lr())
try:
    S.ReduceLROnPlateau(opt3, factor=1.5)
except ValueError as e:
    print('ValueError', e)
try:
    S.ReduceLROnPlateau(opt3, mode='avg')
except ValueError as e:
    print('ValueError', e)
opt4 = torch.optim.SGD(m.parameters(), lr=0.1)
lam = S.LambdaLR(opt4, lr_lambda=lambda e: 0.5 ** e)
sd = lam.state_dict()
print(sorted(sd), sd['lr_lambdas'])
mul = S.MultiplicativeLR(opt4, lr_lambda=lambda e: 0.9)
for _ in range(2):
    opt4.step(); lam.step(); mul.step()
print(opt4.param_groups[0]['lr'], opt4.param_groups[0]['initial_lr'])
opt5 = torch.optim.SGD(m.parameters(), lr=0.1)
cw = S.CosineAnnealingWarmRestarts(opt5, T_0=3)
try:
    S.CosineAnnealingWarmRestarts(opt5, T_0=0)
except ValueError as e:
    print('ValueError', e)
try:
    cw.step(-1)
except ValueError as e:
    print('ValueError', e)
seq_opt = torch.optim.SGD(m.parameters(), lr=1.0)
try:
    S.SequentialLR(seq_opt, [S.ConstantLR(seq_opt), S.StepLR(seq_opt, 1)], milestones=[1, 2])
except ValueError as e:
    print('ValueError', e)
const = S.ConstantLR(seq_opt, factor=0.5, total_iters=2)
vals = []
for _ in range(4):
    seq_opt.step()
    const.step()
    vals.append(round(const.get_last_lr()[0], 4))
print(vals)
print(S.LRScheduler.__name__, isinstance(const, S.LRScheduler))
'''


SCHEDULER_MISUSE = r'''
# schedulers built or stepped wrongly: the errors and deprecation warnings
import warnings
import torch
import torch.nn as nn
from torch.optim import lr_scheduler as S

m = nn.Linear(2, 2)


def attempt(label, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            r = fn()
            print(label, 'ok', r)
        except Exception as e:
            print(label, type(e).__name__, e)
    for w in caught:
        print('  ', w.category.__name__, str(w.message)[:150])


attempt('onecycle-adagrad', lambda: S.OneCycleLR(torch.optim.Adagrad(m.parameters()), max_lr=0.1, total_steps=5))
attempt('onecycle-nototal', lambda: S.OneCycleLR(torch.optim.SGD(m.parameters(), lr=0.1), max_lr=0.1))
attempt('plateau-nometric', lambda: S.ReduceLROnPlateau(torch.optim.SGD(m.parameters(), lr=0.1)).step())
opt = torch.optim.SGD(m.parameters(), lr=0.1)
st = S.StepLR(opt, 2)
opt.step()
attempt('step-epoch', lambda: st.step(3))
attempt('get_lr', lambda: st.get_lr())
attempt('verbose', lambda: S.StepLR(torch.optim.SGD(m.parameters(), lr=0.1), 2, verbose=True).get_last_lr())
attempt('not-optimizer', lambda: S.StepLR(m, 2))
attempt('initial_lr', lambda: S.StepLR(torch.optim.SGD(m.parameters(), lr=0.1), 2, last_epoch=3))
attempt('cosine-restart-float',
        lambda: S.CosineAnnealingWarmRestarts(torch.optim.SGD(m.parameters(), lr=0.1), T_0=2, T_mult=1.5))
attempt('cyclic-adam', lambda: S.CyclicLR(torch.optim.Adam(m.parameters()), 0.001, 0.1).get_last_lr())
attempt('cyclic-sgd-nomomentum', lambda: S.CyclicLR(torch.optim.SGD(m.parameters(), lr=0.1), 0.001, 0.1).get_last_lr())
attempt('lambda-list', lambda: S.LambdaLR(torch.optim.SGD(m.parameters(), lr=0.1), [lambda e: 1, lambda e: 2]))
attempt('multistep-unsorted', lambda: S.MultiStepLR(torch.optim.SGD(m.parameters(), lr=0.1), [5, 2]).milestones)
attempt('linear-factor', lambda: S.LinearLR(torch.optim.SGD(m.parameters(), lr=0.1), start_factor=0))
attempt('constant-factor', lambda: S.ConstantLR(torch.optim.SGD(m.parameters(), lr=0.1), factor=2))
o = torch.optim.SGD(m.parameters(), lr=0.1)
attempt('seq-diff-opt',
        lambda: S.SequentialLR(o, [S.StepLR(torch.optim.SGD(m.parameters(), lr=0.1), 2), S.StepLR(o, 2)], [1]))
attempt('exp-state', lambda: sorted(S.ExponentialLR(torch.optim.SGD(m.parameters(), lr=0.1), 0.9).state_dict()))
attempt('plateau-state', lambda: sorted(S.ReduceLROnPlateau(torch.optim.SGD(m.parameters(), lr=0.1)).state_dict()))
attempt('swalr', lambda: torch.optim.swa_utils.SWALR(torch.optim.SGD(m.parameters(), lr=0.1), swa_lr=0.05,
                                                    anneal_epochs=2).get_last_lr())
'''

ACCUMULATION_CHANNELS_LAST_INFERENCE = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 4))
model = model.to(memory_format=torch.channels_last)
print(model[0].weight.is_contiguous(), model[0].weight.is_contiguous(memory_format=torch.channels_last))
print(model[0].weight.stride(), model[4].weight.stride(), model[8].weight.stride())
x = torch.randn(8, 3, 16, 16).to(memory_format=torch.channels_last)
print(x.stride(), x.is_contiguous())
y = model(x)
print(y.shape, y.is_contiguous())
h = model[0](x)
print(h.stride(), h.is_contiguous(memory_format=torch.channels_last))
h2 = model[3](model[2](model[1](h)))
print(h2.stride())

opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
accum = 4
X = torch.randn(32, 3, 16, 16)
Y = torch.randint(0, 4, (32,))
opt.zero_grad(set_to_none=True)
for i in range(8):
    xb = X[i * 4:(i + 1) * 4].contiguous(memory_format=torch.channels_last)
    loss = F.cross_entropy(model(xb), Y[i * 4:(i + 1) * 4]) / accum
    loss.backward()
    if (i + 1) % accum == 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        print(i, f"{loss.item() * accum:.5f}", model[0].weight.grad)
print(model[1].running_mean.shape, model[1].num_batches_tracked)

model.eval()
with torch.inference_mode():
    out = model(X[:4])
    print(out.requires_grad, out.is_inference(), torch.is_inference_mode_enabled())
print(torch.is_inference_mode_enabled(), out.is_inference())
try:
    (out * torch.ones(1, requires_grad=True)).sum().backward()
except RuntimeError as e:
    print('RuntimeError', e)
try:
    out.add_(1)
except RuntimeError as e:
    print('RuntimeError', e)
with torch.no_grad():
    out2 = model(X[:4])
print(out2.requires_grad, out2.is_inference(), torch.allclose(out, out2))
c = out.clone()
print(c.is_inference())
with torch.inference_mode(mode=False):
    print(torch.is_inference_mode_enabled())


@torch.inference_mode()
def predict(m, batch):
    return m(batch).argmax(1)


@torch.no_grad()
def predict2(m, batch):
    return m(batch).softmax(1)


print(predict(model, X[:6]).tolist(), torch.allclose(predict2(model, X[:2]).sum(1), torch.ones(2)))
print(torch.is_grad_enabled())
results.update({'accumulation.out': out.clone(), 'accumulation.w': model[4].weight.detach().contiguous()})
'''


FORMATS_AND_AUTOCAST = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F


def build():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 8, 3, groups=2, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 4 * 4, 5))


X = torch.randn(16, 3, 16, 16, generator=torch.Generator().manual_seed(1))
Y = torch.arange(16) % 5
runs = {}
for fmt in (torch.contiguous_format, torch.channels_last):
    model = build().to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(4):
        opt.zero_grad()
        loss = F.cross_entropy(model(X.to(memory_format=fmt)), Y)
        loss.backward()
        opt.step()
    runs[fmt] = (loss.item(), [p.detach().contiguous() for p in model.parameters()])
    print(fmt, f'{loss.item():.5f}', model[0].weight.is_contiguous(memory_format=torch.channels_last))
a, b = runs.values()
print(max((p - q).abs().max().item() for p, q in zip(a[1], b[1])) < 1e-5)
torch.manual_seed(0)
model = build()
opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
losses = []
for step in range(6):
    opt.zero_grad()
    with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
        out = model(X)
        loss = F.cross_entropy(out, Y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(loss.dtype, losses[-1] < losses[0], {p.dtype for p in model.parameters()},
      {p.grad.dtype for p in model.parameters()})
print(all(abs(l) < 3 for l in losses), out.float().dtype, model[0].weight.dtype)
with torch.autocast('cpu', enabled=False):
    print(model(X).dtype)
@torch.autocast(device_type='cpu')
def fwd(x):
    return model(x).float()
print(fwd(X).dtype, fwd(X).shape)
print(torch.amp.autocast_mode.is_autocast_available('cpu'))
results.update({'formats.contiguous': a[1][0], 'formats.channels_last': b[1][0]})
'''


COURSE_BOILERPLATE = r'''
import random, time, warnings
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

def seed_everything(seed=42):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False

seed_everything()
torch.use_deterministic_algorithms(True)
torch.set_float32_matmul_precision('high')
print(torch.get_float32_matmul_precision(), torch.are_deterministic_algorithms_enabled())
device = torch.device('cuda' if torch.cuda.is_available() else 'mps' if torch.backends.mps.is_available() else 'cpu')
print(device, torch.cuda.device_count(), torch.backends.cudnn.enabled)
torch.set_num_threads(1)
print(torch.get_num_threads())
use_amp = device.type == 'cuda'
scaler = torch.cuda.amp.GradScaler(enabled=use_amp) if hasattr(torch.cuda.amp, 'GradScaler') else None
scaler = torch.amp.GradScaler('cuda', enabled=use_amp)
print(scaler.is_enabled())


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 8, 3, padding='same', bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding='valid'), nn.ReLU())
        self.head = nn.Sequential(nn.Flatten(), nn.LazyLinear(10))

    def forward(self, x):
        return self.head(self.conv(x))


def init_weights(m):
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_uniform_(m.weight, nonlinearity='relu')
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight); nn.init.zeros_(m.bias)


model = Net().to(device)
model(torch.zeros(1, 1, 12, 12, device=device))
model.apply(init_weights)
nn.init.xavier_normal_(model.head[1].weight)
print(model.head[1])
X = torch.randn(48, 1, 12, 12); y = torch.randint(0, 10, (48,))
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, pin_memory=torch.cuda.is_available(),
                    num_workers=0)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.1)
for epoch in range(3):
    model.train()
    running_loss, correct, total = 0.0, 0, 0
    pbar = tqdm(loader, desc=f'Epoch {epoch + 1}', leave=False, disable=True)
    for inputs, labels in pbar:
        inputs, labels = inputs.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        optimizer.zero_grad()
        with torch.autocast(device_type=device.type, enabled=use_amp):
            outputs = model(inputs)
            loss = criterion(outputs, labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        running_loss += loss.item() * inputs.size(0)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
        pbar.set_postfix(loss=loss.item())
    scheduler.step()
    print(f'Epoch {epoch + 1}: loss {running_loss / len(loader.dataset):.4f} acc {100. * correct / total:.2f}% '
          f'lr {scheduler.get_last_lr()[0]:.5f}')
model.eval()
all_preds, all_labels = [], []
with torch.no_grad():
    for inputs, labels in loader:
        out = model(inputs.to(device))
        all_preds.extend(out.argmax(dim=1).cpu().numpy())
        all_labels.extend(labels.cpu().numpy().tolist())
all_preds = np.array(all_preds)
print(all_preds.dtype, len(all_preds), type(all_labels[0]).__name__)
cm = np.zeros((10, 10), dtype=int)
for t, p in zip(all_labels, all_preds):
    cm[t, p] += 1
print(cm.trace())
oh = F.one_hot(y[:5], num_classes=10).float()
print(oh.sum().item(), oh.dtype)
print(torch.cuda.is_available(), torch.version.cuda, torch.backends.mps.is_built())
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter('always')
    torch.cuda.amp.GradScaler(enabled=False)
print([str(x.category.__name__) for x in w])
start = time.time()
print(isinstance(torch.__version__, str), torch.__version__ >= '1.0')
results.update({f'boilerplate.{n}': p.detach() for n, p in model.named_parameters()})
'''


KAGGLE_CSV = r'''
import csv
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import Dataset, DataLoader, random_split

rng = np.random.default_rng(0)
with open('train.csv', 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['label'] + [f'pixel{i}' for i in range(64)])
    for _ in range(40):
        w.writerow([int(rng.integers(0, 10))] + rng.integers(0, 256, 64).tolist())
data = np.loadtxt('train.csv', delimiter=',', skiprows=1, dtype=np.float32)
labels, pixels = data[:, 0].astype(np.int64), data[:, 1:] / 255.0
print(data.shape, labels[:5])


class DigitDataset(Dataset):
    def __init__(self, x, y=None, transform=None):
        self.x = torch.tensor(x, dtype=torch.float32).view(-1, 1, 8, 8)
        self.y = None if y is None else torch.tensor(y)
        self.transform = transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        img = self.x[i]
        if self.transform:
            img = self.transform(img)
        return img if self.y is None else (img, self.y[i])


class TransformSubset(Dataset):
    """The StackOverflow answer: different transforms for the train and validation parts of one dataset."""
    def __init__(self, subset, transform=None):
        self.subset, self.transform = subset, transform

    def __getitem__(self, i):
        x, y = self.subset[i]
        return (self.transform(x) if self.transform else x), y

    def __len__(self):
        return len(self.subset)


full = DigitDataset(pixels, labels)
gen = torch.Generator().manual_seed(0)
tr, va = random_split(full, [32, 8], generator=gen)
train_ds = TransformSubset(tr, transform=lambda t: torch.flip(t, dims=[2]) if torch.rand(1) < 0.5 else t)
val_ds = TransformSubset(va)
torch.manual_seed(1)
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10))
opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
tl = DataLoader(train_ds, batch_size=8, shuffle=True)
vl = DataLoader(val_ds, batch_size=8)
for epoch in range(3):
    model.train()
    for xb, yb in tl:
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    sched.step()
    model.eval()
    with torch.no_grad():
        correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in vl)
        val_loss = sum(F.cross_entropy(model(xb), yb, reduction='sum').item() for xb, yb in vl) / len(val_ds)
    print(f'epoch {epoch} val_loss {val_loss:.4f} acc {correct}/{len(val_ds)}')
test = DigitDataset(pixels[:10])
preds = torch.cat([model(xb).argmax(dim=1) for xb in DataLoader(test, batch_size=4)])
with open('submission.csv', 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['ImageId', 'Label'])
    w.writerows(zip(range(1, len(preds) + 1), preds.tolist()))
print(open('submission.csv').read().splitlines()[:3])
np.savetxt('sub2.csv', np.c_[np.arange(1, 11), preds.numpy()], delimiter=',', fmt='%d', header='ImageId,Label',
           comments='')
print(open('sub2.csv').read().splitlines()[1])
results.update({'kaggle.preds': preds, 'kaggle.w': model[0].weight.detach()})
'''


TRANSFER_PHASES = r'''
import copy
import time
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


class VGGish(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(nn.Linear(64, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 5))

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


model = VGGish()
for param in model.features.parameters():
    param.requires_grad = False
model.classifier[3] = nn.Linear(32, 2)
params_to_update = [p for p in model.parameters() if p.requires_grad]
print(len(params_to_update), [n for n, p in model.named_parameters() if p.requires_grad])
data = {'train': TensorDataset(torch.randn(24, 3, 16, 16), torch.randint(0, 2, (24,))),
        'val': TensorDataset(torch.randn(8, 3, 16, 16), torch.randint(0, 2, (8,)))}
loaders = {x: DataLoader(data[x], batch_size=8, shuffle=(x == 'train')) for x in ['train', 'val']}
sizes = {x: len(data[x]) for x in ['train', 'val']}
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(params_to_update, lr=0.01, momentum=0.9)
exp_lr = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)
best_wts = copy.deepcopy(model.state_dict())
best_acc = 0.0
since = time.time()
for epoch in range(3):
    for phase in ['train', 'val']:
        model.train() if phase == 'train' else model.eval()
        running_loss, running_corrects = 0.0, 0
        for inputs, labels in loaders[phase]:
            optimizer.zero_grad()
            with torch.set_grad_enabled(phase == 'train'):
                outputs = model(inputs)
                _, preds = torch.max(outputs, 1)
                loss = criterion(outputs, labels)
                if phase == 'train':
                    loss.backward()
                    optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == labels.data)
        if phase == 'train':
            exp_lr.step()
        epoch_loss = running_loss / sizes[phase]
        epoch_acc = running_corrects.double() / sizes[phase]
        print(f'{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}', running_corrects.dtype, epoch_acc.dtype)
        if phase == 'val' and epoch_acc > best_acc:
            best_acc = epoch_acc
            best_wts = copy.deepcopy(model.state_dict())
print(f'Best val Acc: {best_acc:4f}', time.time() - since < 60)
model.load_state_dict(best_wts)
print(model.features[0].weight.grad, model.classifier[0].weight.grad is not None)
was_training = model.training
model.eval()
with torch.no_grad():
    out = model(data['val'][:4][0])
model.train(mode=was_training)
print(model.training, out.shape)
results.update({'transfer.out': out, **{f'transfer.{k}': v for k, v in model.state_dict().items()}})
'''


TWO_HEADS_AND_METRICS = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class TwoHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.SiLU(),
                                      nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.SiLU(),
                                      nn.AdaptiveMaxPool2d(1), nn.Flatten())
        self.cls = nn.Linear(8, 4)
        self.reg = nn.Linear(8, 2)

    def forward(self, img, extra):
        f = self.backbone(img)
        return self.cls(f), torch.sigmoid(self.reg(f) + extra)


model = TwoHead()
print(f"{'Layer':<25}{'Shape':<20}{'Params':>8}")
print('-' * 53)
total = 0
for name, p in model.named_parameters():
    total += p.numel()
    print(f'{name:<25}{str(list(p.shape)):<20}{p.numel():>8,}')
print('-' * 53)
print(f"Total params: {total:,}  Trainable: {sum(p.numel() for p in model.parameters() if p.requires_grad):,}")
print(f"Model size: {sum(p.numel() * p.element_size() for p in model.parameters()) / 1024:.2f} KB")
for name, p in model.named_parameters():
    if p.dim() > 1:
        print(name, f'mean={p.mean():.4f} std={p.std():.4f} min={p.min():.4f} max={p.max():.4f}')
opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4, amsgrad=True)
img, extra = torch.randn(16, 3, 8, 8), torch.randn(16, 2)
labels, targets = torch.randint(0, 4, (16,)), torch.rand(16, 2)
ce, mse = nn.CrossEntropyLoss(), nn.MSELoss()
for step in range(5):
    opt.zero_grad()
    logits, box = model(img, extra)
    l1, l2 = ce(logits, labels), mse(box, targets)
    loss = l1 + 0.5 * l2
    loss.backward()
    opt.step()
    print(step, f'{l1.item():.4f} {l2.item():.4f}')
with torch.no_grad():
    logits, _ = model(img, extra)
    pred = logits.argmax(1)
per_class = torch.bincount(labels[pred == labels], minlength=4).float() / torch.bincount(labels, minlength=4).float()
print(per_class)
cm = torch.zeros(4, 4, dtype=torch.long)
for t, p in zip(labels.view(-1), pred.view(-1)):
    cm[t.long(), p.long()] += 1
print(cm)
tp = cm.diag().float()
precision = tp / cm.sum(0).clamp(min=1)
recall = tp / cm.sum(1).clamp(min=1)
f1 = 2 * precision * recall / (precision + recall + 1e-8)
print(precision, recall, f1.mean())
print(torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]) > 0)
results.update({f'two_heads.{k}': v for k, v in model.state_dict().items()})
'''


STACKOVERFLOW_ERRORS = r'''
# the errors and warnings StackOverflow questions quote, and the mistakes behind them
import warnings
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)


def attempt(label, fn):
    try:
        fn()
        print(label, 'ok')
    except Exception as e:
        print(label, type(e).__name__, str(e).splitlines()[0])


x = torch.randn(64, 3, 28, 28)
conv = nn.Conv2d(1, 32, 3)
attempt('channels', lambda: conv(x))
fc = nn.Linear(512, 10)
attempt('linear', lambda: fc(torch.randn(64, 1024)))
attempt('flatten-missing', lambda: fc(torch.randn(64, 32, 4, 4)))
ce = nn.CrossEntropyLoss()
attempt('float-target', lambda: ce(torch.randn(4, 10), torch.tensor([1., 2., 3., 4.])))
attempt('target-oob', lambda: ce(torch.randn(4, 10), torch.tensor([1, 2, 3, 10])))
attempt('onehot-int-target', lambda: ce(torch.randn(4, 10), F.one_hot(torch.tensor([1, 2, 3, 4]), 10)))
attempt('nll-2d', lambda: F.nll_loss(torch.randn(4, 10), torch.zeros(4, 1, dtype=torch.long)))
attempt('ce-shape', lambda: ce(torch.randn(4, 10), torch.zeros(5, dtype=torch.long)))
attempt('bce-range', lambda: F.binary_cross_entropy(torch.randn(4), torch.rand(4)))
attempt('bce-int', lambda: F.binary_cross_entropy_with_logits(torch.randn(4), torch.tensor([0, 1, 1, 0])))
attempt('bce-shape', lambda: nn.BCELoss()(torch.rand(4, 1), torch.rand(4)))
attempt('view', lambda: torch.randn(4, 5).t().view(20))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    F.mse_loss(torch.randn(64, 1), torch.randn(64))
    F.softmax(torch.randn(2, 3))
    F.log_softmax(torch.randn(2, 3))
    nn.BCELoss(reduce=False)
print([(w.category.__name__, str(w.message)) for w in caught])
w = torch.randn(3, requires_grad=True)
def inplace():
    y = w.sigmoid()
    y.mul_(2)
    y.sum().backward()
attempt('inplace', inplace)
def twice():
    y = (w * w).sum()
    y.backward()
    y.backward()
attempt('twice', twice)
attempt('nonscalar', lambda: (w * 2).backward())
attempt('leaf-inplace', lambda: w.add_(1))
attempt('numpy-grad', lambda: w.numpy())
attempt('item-multi', lambda: torch.randn(2).item())
attempt('bool-multi', lambda: bool(torch.randn(2)))
attempt('pool-too-small', lambda: F.max_pool2d(torch.randn(1, 1, 1, 1), 2))
attempt('conv-too-small', lambda: nn.Conv2d(1, 1, 5)(torch.randn(1, 1, 3, 3)))
attempt('bn-eval-1', lambda: nn.BatchNorm1d(4)(torch.randn(1, 4)))
attempt('dtype-mismatch', lambda: fc(torch.randn(2, 512, dtype=torch.float64)))
attempt('int-input', lambda: fc(torch.randint(0, 5, (2, 512))))
attempt('cat-dim', lambda: torch.cat([torch.randn(2, 3), torch.randn(2, 4)]))
attempt('stack-shape', lambda: torch.stack([torch.randn(2, 3), torch.randn(3, 3)]))
attempt('reshape', lambda: torch.randn(4, 5).reshape(3, -1))
attempt('index', lambda: torch.randn(4)[4])
attempt('matmul', lambda: torch.randn(2, 3) @ torch.randn(2, 3))
attempt('embedding-oob', lambda: nn.Embedding(5, 2)(torch.tensor([5])))
attempt('grad-none', lambda: print(nn.Linear(2, 2).weight.grad.zero_()))
attempt('conv3d-input', lambda: conv(torch.randn(2, 1, 2, 8, 8)))
attempt('unbatched', lambda: print(conv(torch.randn(1, 8, 8)).shape))
attempt('param-assign', lambda: setattr(fc, 'weight', torch.randn(10, 512)))
attempt('optim-empty', lambda: torch.optim.SGD([], lr=0.1))
attempt('optim-lr', lambda: torch.optim.Adam(fc.parameters(), lr=-1))
attempt('optim-nonleaf', lambda: torch.optim.SGD([w * 2], lr=0.1))
attempt('load-sd', lambda: fc.load_state_dict({'weight': torch.randn(10, 512)}))
attempt('module-call', lambda: nn.Module()(x))
attempt('sequential-idx', lambda: nn.Sequential(nn.ReLU())[3])
attempt('upsample', lambda: F.interpolate(torch.randn(1, 1, 4, 4), scale_factor=2, mode='bilinear'))
attempt('upsample-ac', lambda: F.interpolate(torch.randn(1, 1, 4), scale_factor=2, mode='bilinear'))
attempt('dropout-p', lambda: nn.Dropout(1.5))
attempt('argmax-float', lambda: print(torch.tensor([1, 3, 2]).float().argmax().dtype))
attempt('sum-bool', lambda: print((torch.tensor([1, 2]) == torch.tensor([1, 3])).sum() / 2))
attempt('div-int', lambda: print(torch.tensor([3]) // 2, torch.tensor([3]) / 2))
'''

CONVNEXT_DROP_PATH = r'''
# a ConvNeXt-style network as timm writes it: drop path by bernoulli_, channels-last LayerNorm, layer scale
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def drop_path(x, drop_prob=0., training=False, scale_by_keep=True):
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor


class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Block(nn.Module):
    def __init__(self, dim, drop_path=0., layer_scale_init_value=1e-6):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU(approximate='tanh')
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(layer_scale_init_value * torch.ones((dim)), requires_grad=True)
        self.drop_path = drop_path

    def forward(self, x):
        inp = x
        x = self.dwconv(x)
        x = x.permute(0, 2, 3, 1)
        x = self.norm(x)
        x = self.pwconv2(self.act(self.pwconv1(x)))
        x = self.gamma * x
        x = x.permute(0, 3, 1, 2)
        return inp + drop_path(x, self.drop_path, self.training)


class TinyConvNeXt(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, kernel_size=4, stride=4), LayerNorm2d(16, eps=1e-6))
        dp = [x.item() for x in torch.linspace(0, 0.2, 3)]
        self.blocks = nn.Sequential(*[Block(16, dp[i], 0.1) for i in range(3)])
        self.head = nn.Linear(16, 5)
        self.apply(self._init)

    def _init(self, m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, std=.02)
            nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(F.layer_norm(x.mean([-2, -1]), (16,)))


model = TinyConvNeXt()
opt = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=0.05)
x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 5, (8,))
for step in range(4):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    print(step, f'{loss.item():.4f}')
model.eval()
with torch.no_grad():
    out = model(x)
print(out.shape, model.blocks[2].drop_path)
results.update({'convnext.out': out, 'convnext.gamma': model.blocks[0].gamma.detach()})
'''

EARLY_STOPPING_AND_PIL_INFERENCE = r'''
import os, pickle
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        return self.fc2(F.relu(self.fc1(x)))

    def num_flat_features(self, x):
        size = x.size()[1:]
        n = 1
        for s in size:
            n *= s
        return n


net = Net()
X = torch.rand(40, 1, 28, 28); Y = torch.randint(0, 10, (40,))
Xv = torch.rand(16, 1, 28, 28); Yv = torch.randint(0, 10, (16,))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
best, patience, bad = float('inf'), 2, 0
history = []
for epoch in range(8):
    net.train()
    for i in range(0, 40, 10):
        opt.zero_grad()
        loss = F.cross_entropy(net(X[i:i + 10]), Y[i:i + 10])
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        vl = F.cross_entropy(net(Xv), Yv).item()
    history.append(round(vl, 4))
    if vl < best - 1e-3:
        best, bad = vl, 0
        torch.save({'epoch': epoch, 'model_state_dict': net.state_dict(), 'optimizer_state_dict': opt.state_dict(),
                    'loss': vl}, 'best.pth')
    else:
        bad += 1
        if bad >= patience:
            print('early stop at', epoch)
            break
print(history)
ck = torch.load('best.pth')
print(sorted(ck), ck['epoch'], type(ck['model_state_dict']).__name__, list(ck['optimizer_state_dict']['state'])[:3])
print(ck['optimizer_state_dict']['param_groups'][0])
net2 = Net()
print(net2.load_state_dict(ck['model_state_dict']))
opt2 = torch.optim.Adam(net2.parameters(), lr=1e-3)
opt2.load_state_dict(ck['optimizer_state_dict'])
print(opt2.state[net2.conv1.weight]['step'], opt2.state_dict()['state'][0]['exp_avg'].shape)
torch.save(net, 'whole.pt')
try:
    torch.load('whole.pt')
except pickle.UnpicklingError as e:
    print('UnpicklingError', str(e).splitlines()[0][:60])
m = torch.load('whole.pt', weights_only=False)
print(type(m).__name__, m.training)
print(all(torch.equal(a, b) for a, b in zip(m.parameters(), net.parameters())))
torch.save(net.state_dict(), 'sd.pt')
sd = torch.load('sd.pt', map_location='cpu', weights_only=True)
print(list(sd.keys()), sd['fc2.bias'].dtype)
r = net2.load_state_dict({k: v for k, v in sd.items() if not k.startswith('fc2')}, strict=False)
print(r.missing_keys, r.unexpected_keys)
try:
    net2.load_state_dict({**sd, 'extra': torch.zeros(1)})
except RuntimeError as e:
    print(str(e))
bad_sd = dict(sd); bad_sd['fc2.weight'] = torch.zeros(5, 32)
try:
    net2.load_state_dict(bad_sd)
except RuntimeError as e:
    print(str(e))
img = Image.fromarray((np.random.default_rng(1).random((32, 30)) * 255).astype(np.uint8))
img.save('digit.png')
im = Image.open('digit.png').convert('L').resize((28, 28))
arr = np.array(im, dtype=np.float32) / 255.0
t = torch.from_numpy(arr).unsqueeze(0).unsqueeze(0)
t = (t - 0.1307) / 0.3081
net.eval()
with torch.no_grad():
    logits = net(t)
    probs = F.softmax(logits, dim=1)
    conf, pred = torch.max(probs, 1)
print(pred.item(), round(conf.item(), 4), probs.topk(3).indices.tolist())
t2 = torch.tensor(np.array(Image.open('digit.png').convert('RGB'))).permute(2, 0, 1).float().div(255)
print(t2.shape, t2.dtype)
buf_sd = {k: v.clone() for k, v in net.state_dict().items()}
torch.save(buf_sd, 'sd_legacy.pt', _use_new_zipfile_serialization=False)
print(list(torch.load('sd_legacy.pt', weights_only=True).keys()) == list(buf_sd))
results.update({'early_stopping.logits': logits, **{f'early_stopping.{k}': v for k, v in net.state_dict().items()}})
'''


RESUME = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F


def make():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Dropout(0.2),
                          nn.Linear(4 * 6 * 6, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
    return model, opt, sched


g = torch.Generator().manual_seed(123)
X = torch.randn(6, 8, 1, 8, 8, generator=g)
Y = torch.randint(0, 3, (6, 8), generator=g)


def train(model, opt, sched, epochs):
    for e in epochs:
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(X[e]), Y[e])
        loss.backward()
        opt.step()
        sched.step()
    return loss.item()


model, opt, sched = make()
full = train(model, opt, sched, range(6))
final = {k: v.clone() for k, v in model.state_dict().items()}
model, opt, sched = make()
train(model, opt, sched, range(3))
torch.save({'epoch': 3, 'model': model.state_dict(), 'optimizer': opt.state_dict(), 'scheduler': sched.state_dict(),
            'rng': torch.get_rng_state()}, 'checkpoint.pth.tar')
del model, opt, sched
model, opt, sched = make()
ck = torch.load('checkpoint.pth.tar', weights_only=True)
model.load_state_dict(ck['model'])
opt.load_state_dict(ck['optimizer'])
sched.load_state_dict(ck['scheduler'])
torch.set_rng_state(ck['rng'])
resumed = train(model, opt, sched, range(ck['epoch'], 6))
print(full == resumed, all(torch.equal(final[k], v) for k, v in model.state_dict().items()))
print(sched.last_epoch, sched.get_last_lr(), ck['scheduler']['last_epoch'], opt.state_dict()['param_groups'][0]['lr'])
print(ck['rng'].dtype, ck['rng'].shape)
print(sorted(ck['optimizer']['state'][0]), ck['optimizer']['state'][0]['momentum_buffer'].shape)
torch.save(model.state_dict(), 'final.pt')
model2 = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Dropout(0.2),
                       nn.Linear(4 * 6 * 6, 3))
model2.load_state_dict(torch.load('final.pt', map_location=torch.device('cpu')))
model2.eval()
print(model2[1].num_batches_tracked.item(), model2[1].running_var.mean().item() > 0)
with torch.no_grad():
    p = model2(X[0])
results.update({'resume.p': p, **{f'resume.{k}': v for k, v in final.items()}})
'''


DATA_PARALLEL_AND_DTYPES = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(4, 2))
dp = nn.DataParallel(model)
print(type(dp).__name__, list(dp.state_dict())[:2], dp.module is model, dp.device_ids)
x = torch.randn(4, 3, 8, 8)
print(torch.equal(dp(x), model(x)))
sd = dp.state_dict()
clean = {k.replace('module.', '', 1): v for k, v in sd.items()}
print(model.load_state_dict(clean))
from collections import OrderedDict
new_sd = OrderedDict((k[7:] if k.startswith('module.') else k, v) for k, v in sd.items())
print(list(new_sd)[:3])
torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(sd, 'module.')
print(list(sd)[:2])
h = model.half()
print(h[0].weight.dtype)
try:
    out = h(x.half())
    print(out.dtype, out.shape)
except RuntimeError as e:
    print('RuntimeError', e)
model.float()
d = model.double()
print(d(x.double()).dtype)
model.float()
try:
    model(x.double())
except RuntimeError as e:
    print('RuntimeError', e)
v = nn.utils.parameters_to_vector(model.parameters())
print(v.shape)
nn.utils.vector_to_parameters(torch.zeros_like(v), model.parameters())
print(model[0].weight.abs().sum().item())
m = torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 5, replacement=True)
print(m)
c = torch.distributions.Categorical(logits=torch.tensor([[1.0, 2.0, 0.5]]))
print(c.sample((3,)).tolist(), c.entropy())
print(x.to(torch.float16).dtype, torch.randn(2, 2).half().float().dtype)
e = torch.nn.functional.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)
print(e.shape)
up = nn.Upsample(size=(5, 5), mode='nearest')
print(up(x).shape)
print(torch.cuda.amp.autocast(enabled=False).__class__.__name__)
'''


CHECKPOINT_SAFE_GLOBALS = r'''
import argparse
import pickle
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Linear(2, 2)
args = argparse.Namespace(lr=0.1, epochs=3)
torch.save({'state_dict': model.state_dict(), 'args': args, 'hist': np.array([0.5, 0.25]), 'epoch': np.int64(3),
            'acc': np.float64(0.9)}, 'ck.pth')
try:
    torch.load('ck.pth')
except pickle.UnpicklingError as e:
    msg = str(e)
    print([line for line in msg.splitlines() if 'GLOBAL' in line or 'Unsupported' in line])
with torch.serialization.safe_globals([argparse.Namespace, np._core.multiarray._reconstruct, np.ndarray, np.dtype,
                                       np.dtypes.Float64DType, np.dtypes.Int64DType, np._core.multiarray.scalar]):
    ck = torch.load('ck.pth')
print(ck['args'], ck['hist'], ck['epoch'], type(ck['acc']).__name__)
ck2 = torch.load('ck.pth', weights_only=False, map_location=lambda storage, loc: storage)
print(sorted(ck2))
ck3 = torch.load('ck.pth', weights_only=False, map_location={'cuda:0': 'cpu'})
print(ck3['state_dict']['bias'].device)
torch.serialization.add_safe_globals([argparse.Namespace])
print(argparse.Namespace in torch.serialization.get_safe_globals())
try:
    torch.load('ck.pth', map_location='cuda:0', weights_only=False)
except RuntimeError as e:
    print(str(e)[:120])
torch.save(model.state_dict(), 'm.pt')
print(torch.load('m.pt', mmap=True)['weight'].shape)
import io
buf = io.BytesIO()
torch.save(model, buf)
buf.seek(0)
m2 = torch.load(buf, weights_only=False)
print(type(m2).__name__)
with open('m.pt', 'rb') as f:
    print(list(torch.load(f)))
'''


DATALOADER_MISTAKES = r'''
# PIL images left without ToTensor, iterable datasets shuffled or measured, stacked and chained datasets
import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, StackDataset, ChainDataset, IterableDataset, TensorDataset


class P(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return Image.fromarray(np.zeros((2, 2), np.uint8)), i


try:
    next(iter(DataLoader(P(), batch_size=2)))
except TypeError as e:
    print('TypeError', e)


class It(IterableDataset):
    def __iter__(self):
        return iter(range(3))


print(list(DataLoader(ChainDataset([It(), It()]), batch_size=4)))
sd = StackDataset(TensorDataset(torch.arange(3)), torch.arange(3) * 2)
print(sd[1], len(sd))
sd2 = StackDataset(a=torch.arange(3), b=torch.arange(3) * 2)
print(next(iter(DataLoader(sd2, batch_size=2))))
try:
    len(DataLoader(It(), batch_size=2))
except TypeError as e:
    print('TypeError', e)
try:
    DataLoader(It(), shuffle=True)
except ValueError as e:
    print('ValueError', e)
print(len(DataLoader(range(10), batch_size=3)), len(DataLoader(range(10), batch_size=3, drop_last=True)))
try:
    DataLoader(range(4), batch_size=2, sampler=[0, 1], shuffle=True)
except ValueError as e:
    print('ValueError', e)
'''

COLLATE_FUNCTIONS = r'''
import collections
import numpy as np
import torch
from torch.utils.data import (DataLoader, Dataset, TensorDataset, SubsetRandomSampler, BatchSampler, SequentialSampler,
                              RandomSampler, default_collate)
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(0)
Point = collections.namedtuple('Point', ['x', 'y'])


class Mixed(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {'img': np.full((2, 3), i, dtype=np.float32), 'label': i % 3, 'name': f'item{i}',
                'pt': Point(i, float(i) / 2), 'seq': torch.arange(i % 4 + 1), 'flag': i % 2 == 0}


ds = Mixed(10)


def pad_collate(batch):
    seqs = [b['seq'] for b in batch]
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(seqs, batch_first=True, padding_value=-1)
    rest = default_collate([{k: v for k, v in b.items() if k != 'seq'} for b in batch])
    return padded, lengths, rest


dl = DataLoader(ds, batch_size=4, collate_fn=pad_collate, drop_last=True)
for padded, lengths, rest in dl:
    print(padded.tolist(), lengths.tolist())
    print(rest['img'].shape, rest['img'].dtype, rest['label'], rest['name'], rest['pt'], rest['flag'])
print(len(dl))
dl2 = DataLoader(ds, batch_size=3, collate_fn=lambda b: tuple(zip(*[(x['label'], x['name']) for x in b])))
print(list(dl2))
dl3 = DataLoader(ds, batch_size=None)
first = next(iter(dl3))
print(type(first['img']).__name__, first['img'].dtype, first['label'], type(first['label']).__name__, first['pt'])
X = np.random.default_rng(0).standard_normal((20, 4)).astype(np.float32)
y = np.arange(20) % 2
tds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
idx = list(range(20))
np.random.seed(0)
np.random.shuffle(idx)
train_idx, val_idx = idx[:15], idx[15:]
print(train_idx)
g = torch.Generator()
g.manual_seed(3)
tl = DataLoader(tds, batch_size=4, sampler=SubsetRandomSampler(train_idx, generator=g))
print([b[1].tolist() for b in tl])
bs = BatchSampler(RandomSampler(range(10), generator=torch.Generator().manual_seed(1)), batch_size=3, drop_last=False)
print(list(bs))
dl4 = DataLoader(tds, batch_sampler=BatchSampler(SequentialSampler(tds), 6, True))
print([tuple(b[0].shape) for b in dl4], y.dtype.name, next(iter(dl4))[1].dtype)
dl5 = DataLoader(list(zip(X, y)), batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(9))
xb, yb = next(iter(dl5))
print(xb.dtype, yb.dtype, yb.tolist(), xb.shape)
print(default_collate([(1, 2.0), (3, 4.0)]), default_collate([np.int64(3), np.int64(4)]),
      default_collate([[1, 2], [3, 4]]))
print(default_collate([np.float64(1.5), np.float64(2.5)]).dtype, default_collate([True, False]))
try:
    default_collate([{'a': 1}, {'b': 2}])
except Exception as e:
    print(type(e).__name__, e)
try:
    default_collate([torch.zeros(2), torch.zeros(3)])
except RuntimeError as e:
    print(e)
try:
    default_collate([[1, 2], [3]])
except RuntimeError as e:
    print(e)
try:
    default_collate([object(), object()])
except TypeError as e:
    print(str(e).split("found")[0])
'''


HOOKS = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(),
                      nn.Flatten(), nn.Linear(8 * 4 * 4, 3))
shapes, handles = [], []
for name, module in model.named_modules():
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        handles.append(module.register_forward_pre_hook(
            lambda m, inp, n=name: shapes.append(('in', n, tuple(inp[0].shape)))))
        handles.append(module.register_forward_hook(
            lambda m, inp, out, n=name: shapes.append(('out', n, tuple(out.shape)))))
x = torch.randn(2, 1, 12, 12)
y = model(x)
print(shapes)
for h in handles:
    h.remove()
shapes.clear()
model(x)
print(shapes)


def scale_input(module, args):
    return (args[0] * 2,)


h = model[0].register_forward_pre_hook(scale_input)
y2 = model(x)
h.remove()
print(torch.allclose(y2, model(x * 2)))


def clamp_output(module, inp, out):
    return out.clamp(max=0.1)


h = model[4].register_forward_hook(clamp_output)
print(model(x).shape, round(model[:5](x).max().item(), 4))
h.remove()
grads = {}
acts = {}


def save_grad(name):
    def hook(grad):
        grads[name] = grad
    return hook


a1 = model[1](model[0](x))
a1.register_hook(save_grad('relu1'))
acts['relu1'] = a1
out = model[2:](a1)
out[:, 0].sum().backward()
print(grads['relu1'].shape, (grads['relu1'] * acts['relu1']).sum().item() != 0)
bw = []
h = model[3].register_full_backward_hook(lambda m, gi, go: bw.append((gi[0].shape, go[0].shape)))
model.zero_grad()
model(x.requires_grad_()).sum().backward()
print(bw)
h.remove()
h = model.register_forward_hook(lambda m, args, kwargs, out: out * 0, with_kwargs=True)
print(model(x).abs().sum().item())
h.remove()
ctx = nn.modules.module.register_module_forward_hook(lambda m, i, o: None)
print(type(ctx).__name__)
ctx.remove()
feature_maps = []
for layer in model.children():
    x = layer(x)
    if isinstance(layer, nn.Conv2d):
        feature_maps.append(x)
print([tuple(f.shape) for f in feature_maps], len(list(model.children())), len(list(model.modules())))
results.update({'hooks.grad': grads['relu1'], 'hooks.y': y.detach()})
'''


TORCHINFO_AND_MATPLOTLIB = r'''
import io
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchinfo import summary
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

torch.manual_seed(0)


class CIFARNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Dropout2d(0.1),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Dropout(0.5),
                                        nn.Linear(64, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


model = CIFARNet()
s = summary(model, input_size=(4, 3, 32, 32), col_names=("input_size", "output_size", "num_params", "kernel_size",
                                                          "mult_adds", "trainable"), verbose=0, depth=3)
print(s)
print(s.total_params, s.trainable_params, s.total_mult_adds)
print(summary(model, input_data=torch.randn(1, 3, 32, 32), verbose=0, row_settings=("var_names", "depth")))
fig, axes = plt.subplots(4, 4, figsize=(4, 4))
w = model.features[0].weight.detach().clone()
w = (w - w.min()) / (w.max() - w.min())
for i, ax in enumerate(axes.flat):
    ax.imshow(w[i].permute(1, 2, 0).numpy())
    ax.axis('off')
    ax.set_title(f'f{i}', fontsize=6)
fig.savefig('filters.png', dpi=50)
plt.close(fig)
acts = {}
model.features[2].register_forward_hook(lambda m, i, o: acts.__setitem__('relu1', o.detach()))
model.eval()
with torch.no_grad():
    model(torch.randn(1, 3, 32, 32))
fmap = acts['relu1'].squeeze(0)
fig = plt.figure(figsize=(8, 2))
for i in range(8):
    plt.subplot(1, 8, i + 1)
    plt.imshow(fmap[i], cmap='viridis')
    plt.axis('off')
plt.tight_layout()
buf = io.BytesIO()
plt.savefig(buf, format='png')
print(buf.getvalue()[:4], fmap.shape, float(fmap.min()) >= 0)
plt.figure()
plt.plot(torch.linspace(0, 1, 5), torch.linspace(0, 1, 5) ** 2, label='x^2')
plt.hist(model.features[0].weight.detach().flatten(), bins=10)
plt.bar(range(3), torch.tensor([1., 2., 3.]))
plt.scatter(torch.randn(5), torch.randn(5), c=torch.arange(5))
plt.legend()
plt.savefig('plot.png')
print('done')
'''


NUMPY_INTEROP = r'''
import warnings
import numpy as np
import torch
from PIL import Image
warnings.simplefilter('always')
img = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
a = np.asarray(img)
print(a.flags.writeable)
t = torch.from_numpy(a)
print(t.shape, t.dtype)
t2 = torch.tensor([np.ones(2), np.zeros(2)])
print(t2.dtype)
t3 = torch.as_tensor(a).permute(2, 0, 1).float() / 255
print(t3.shape)
npimg = t3.numpy()
print(np.transpose(npimg, (1, 2, 0)).shape, np.transpose(t3, (1, 2, 0)).shape,
      type(np.transpose(t3, (1, 2, 0))).__name__)
print(np.max(t3.numpy()), np.array(t3).dtype, np.asarray(t3[0, 0]).tolist())
try:
    torch.randn(2, requires_grad=True).numpy()
except RuntimeError as e:
    print(e)
print(torch.Tensor(np.array([[1, 2], [3, 4]])).dtype, torch.FloatTensor([1, 2]).dtype, torch.LongTensor(2).shape)
print(np.float32(2.0) * torch.ones(2), torch.ones(2) * np.float64(2.0),
      (np.int64(3) + torch.ones(2, dtype=torch.int32)).dtype)
print(torch.tensor(np.float64(1.5)).dtype, torch.tensor([np.float32(1.5)]).dtype, torch.tensor(np.array(3)).shape)
print(torch.stack([torch.from_numpy(np.ones((2, 2))) for _ in range(3)]).dtype)
x = torch.arange(6).reshape(2, 3)
print(x[np.array([0, 1])].shape, x[:, np.int64(1)], x[np.array([True, False])])
l = [torch.tensor(1.5), torch.tensor(2.5)]
print(np.array(l), torch.tensor(l), float(np.mean([t.item() for t in l])))
print(sum(torch.ones(3)), max(torch.tensor([1, 5, 2])).item(), sorted(torch.tensor([3, 1, 2]).tolist()))
print(torch.tensor([[1., 2.]]).numpy().tolist(), list(torch.tensor([1, 2])), len(torch.zeros(4, 2)))
'''


CIFAR_TUTORIAL = r'''
# the 'Training a classifier' tutorial's idioms: classes indexed by tensors, imshow, formatted tensors
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

torch.manual_seed(0)
classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')
images = torch.rand(4, 3, 32, 32) * 2 - 1
labels = torch.tensor([3, 8, 8, 0])
print(' '.join(f'{classes[labels[j]]:5s}' for j in range(4)))
print([classes[l] for l in labels], classes[torch.tensor(2)], [1, 2, 3][torch.tensor(1)])
def imshow(img):
    img = img / 2 + 0.5
    npimg = img.numpy()
    plt.imshow(np.transpose(npimg, (1, 2, 0)))
imshow(images[0])
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
net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
running_loss = 0.0
for i in range(4):
    optimizer.zero_grad()
    outputs = net(images)
    loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    running_loss += loss.item()
    if i % 2 == 1:
        print(f'[{1}, {i + 1:5d}] loss: {running_loss / 2:.3f}')
        running_loss = 0.0
PATH = './cifar_net.pth'
torch.save(net.state_dict(), PATH)
net = Net()
net.load_state_dict(torch.load(PATH, weights_only=True))
outputs = net(images)
_, predicted = torch.max(outputs, 1)
print('Predicted: ', ' '.join(f'{classes[predicted[j]]:5s}' for j in range(4)))
correct_pred = {classname: 0 for classname in classes}
total_pred = {classname: 0 for classname in classes}
with torch.no_grad():
    outputs = net(images)
    _, predictions = torch.max(outputs, 1)
    for label, prediction in zip(labels, predictions):
        if label == prediction:
            correct_pred[classes[label]] += 1
        total_pred[classes[label]] += 1
for classname, correct_count in correct_pred.items():
    if total_pred[classname]:
        accuracy = 100 * float(correct_count) / total_pred[classname]
        print(f'Accuracy for class: {classname:5s} is {accuracy:.1f} %')
correct = (predicted == labels).sum().item()
print(f'Accuracy: {100 * correct // 4} %', 100 * (predicted == labels).sum() // 4)
print(f'{outputs[0, 0]:.3f}', f'{outputs[0, 0].item():>10.4f}', '{:.2f}'.format(loss), '%.3f' % loss,
      round(loss.item(), 2))
print(f'{torch.tensor(3)}', f'{torch.tensor(3):3d}', f'{torch.tensor([1.5])}', str(torch.tensor(2.5)),
      hex(torch.tensor(255)))
print(int(torch.tensor(3.7)), float(torch.tensor([2])), range(torch.tensor(3)), np.zeros(torch.tensor(2)).shape)
print(torch.tensor(5) in [1, 5], 5 in torch.tensor([1, 5]), {torch.tensor(1).item(): 'a'})
results.update({'cifar_tutorial.outputs': outputs, 'cifar_tutorial.fc3': net.fc3.weight.detach()})
'''

TENSORBOARD = r'''
import os
import torch
import torch.nn as nn
import torch.nn.functional as F
try:
    from torch.utils.tensorboard import SummaryWriter
    HAVE_TB = True
except ImportError:
    HAVE_TB = False
print(HAVE_TB)
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
writer = SummaryWriter(log_dir='runs/exp1', comment='x') if HAVE_TB else None
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(8, 1, 8, 8); y = torch.randint(0, 3, (8,))
for step in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    if writer:
        writer.add_scalar('Loss/train', loss.item(), step)
        writer.add_scalars('run', {'a': step, 'b': 2 * step}, step)
        writer.add_histogram('conv1.weight', model[0].weight, step)
        writer.add_image('img', torch.rand(3, 8, 8), step)
        writer.add_images('imgs', torch.rand(2, 3, 8, 8), step)
writer.add_text('note', 'hello', 0)
writer.add_hparams({'lr': 0.1, 'bs': 8}, {'hparam/loss': loss.item()})
writer.add_graph(model, x)
writer.add_embedding(torch.randn(5, 4), metadata=list('abcde'), tag='emb')
writer.flush()
writer.close()
print(sorted(os.listdir('runs/exp1'))[:0], os.path.isdir('runs/exp1'))
files = [f for f in os.listdir('runs/exp1') if f.startswith('events.out.tfevents')]
print(len(files) >= 1)
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
ea = EventAccumulator('runs/exp1')
ea.Reload()
print(sorted(ea.Tags()['scalars']))
print([round(e.value, 4) for e in ea.Scalars('Loss/train')], [e.step for e in ea.Scalars('Loss/train')])
print(sorted(ea.Tags()['images']), sorted(ea.Tags()['histograms']))
with SummaryWriter('runs/exp2') as w2:
    for i in range(2):
        w2.add_scalar('x', i * 1.5, i)
print(os.path.isdir('runs/exp2'))
'''


TENSORBOARD_ABSENT = r'''
import sys
sys.modules['tensorboard'] = None  # as if it were not installed
try:
    from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter()
except ImportError as e:
    print('ImportError', e)
    writer = None


class NullWriter:
    def add_scalar(self, *args, **kwargs):
        pass

    def close(self):
        pass


writer = writer or NullWriter()
writer.add_scalar('loss', 1.0, 0)
writer.close()
print(type(writer).__name__)
import torch
print('torch.utils.tensorboard' in sys.modules)
del sys.modules['tensorboard']  # installed again for the next program
'''


# The torchvision programs and the references built without torchvision.

CIFAR_AUGMENTATION = r'''
import numpy as np
import torch
import torchvision.transforms as transforms
from PIL import Image

image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (26, 30, 3), dtype=np.uint8))
transform_train = transforms.Compose([
    transforms.RandomCrop(24, padding=4, padding_mode='reflect'),
    transforms.RandomHorizontalFlip(),
    transforms.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2),
    transforms.ToTensor(),
    transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    transforms.RandomErasing(p=0.7, scale=(0.05, 0.3), value='random'),
])
torch.manual_seed(7)
torch.save(torch.stack([transform_train(image) for _ in range(8)]), 'augmented.pt')
'''

CIFAR_AUGMENTATION_REFERENCE = r'''
import math
import numpy as np
import torch
from PIL import Image, ImageEnhance

array = np.random.default_rng(0).integers(0, 256, (26, 30, 3), dtype=np.uint8)
mean = torch.tensor((0.4914, 0.4822, 0.4465))[:, None, None]
std = torch.tensor((0.2470, 0.2435, 0.2616))[:, None, None]
enhancers = [ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color]
torch.manual_seed(7)
out = []
for _ in range(8):
    padded = np.pad(array, ((4, 4), (4, 4), (0, 0)), mode='reflect')
    i = torch.randint(0, padded.shape[0] - 24 + 1, size=(1,)).item()
    j = torch.randint(0, padded.shape[1] - 24 + 1, size=(1,)).item()
    crop = padded[i:i + 24, j:j + 24]
    if torch.rand(1) < 0.5:
        crop = crop[:, ::-1]
    image = Image.fromarray(np.ascontiguousarray(crop))
    order = torch.randperm(4)
    factors = [float(torch.empty(1).uniform_(0.8, 1.2)) for _ in range(3)]  # hue=0 draws nothing
    for k in order.tolist():
        if k < 3:
            image = enhancers[k](image).enhance(factors[k])
    t = torch.from_numpy(np.asarray(image).transpose(2, 0, 1).astype(np.float32)).div(255)
    t = (t - mean) / std
    if torch.rand(1) < 0.7:
        log_ratio = torch.log(torch.tensor((0.3, 3.3)))
        for _ in range(10):
            area = 24 * 24 * torch.empty(1).uniform_(0.05, 0.3).item()
            aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
            h, w = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if not (h < 24 and w < 24):
                continue
            value = torch.empty([3, h, w], dtype=torch.float32).normal_()
            top = torch.randint(0, 24 - h + 1, size=(1,)).item()
            left = torch.randint(0, 24 - w + 1, size=(1,)).item()
            t[:, top:top + h, left:left + w] = value
            break
    out.append(t)
torch.save(torch.stack(out), 'reference.pt')
'''

MIXUP_CUTMIX = r'''
import torch
from torch.utils.data import DataLoader, TensorDataset, default_collate
from torchvision.transforms import v2

torch.manual_seed(3)
images = torch.rand(12, 3, 10, 12)
labels = torch.arange(12) % 3
cutmix = v2.CutMix(num_classes=3)
mixup = v2.MixUp(num_classes=3, alpha=0.4)
cutmix_or_mixup = v2.RandomChoice([cutmix, mixup])


def collate_fn(batch):
    return cutmix_or_mixup(*default_collate(batch))


loader = DataLoader(TensorDataset(images, labels), batch_size=4, collate_fn=collate_fn)
out = [mixup(images[:4], labels[:4]), cutmix(images[:4], labels[:4])]
out += list(loader) + [cutmix_or_mixup(images[4:8], labels[4:8])]
torch.save([(x.clone(), y.clone()) for x, y in out], 'mixed.pt')
'''

MIXUP_CUTMIX_REFERENCE = r'''
import math
import torch
import torch.nn.functional as F

torch.manual_seed(3)
images = torch.rand(12, 3, 10, 12)
labels = torch.arange(12) % 3


def beta(alpha):
    return float(torch.distributions.Beta(torch.tensor([alpha]), torch.tensor([alpha])).sample(()))


def mixed_labels(y, lam):
    one_hot = F.one_hot(y, 3).float()
    return one_hot.roll(1, 0).mul_(1.0 - lam).add_(one_hot.mul(lam))


def mixup(x, y):
    lam = beta(0.4)
    return x.roll(1, 0).mul_(1.0 - lam).add_(x.mul(lam)), mixed_labels(y, lam)


def cutmix(x, y):
    lam = beta(1.0)
    H, W = x.shape[-2:]
    r_x, r_y = torch.randint(W, size=(1,)), torch.randint(H, size=(1,))
    r = 0.5 * math.sqrt(1.0 - lam)
    r_w_half, r_h_half = int(r * W), int(r * H)
    x1, y1 = int(torch.clamp(r_x - r_w_half, min=0)), int(torch.clamp(r_y - r_h_half, min=0))
    x2, y2 = int(torch.clamp(r_x + r_w_half, max=W)), int(torch.clamp(r_y + r_h_half, max=H))
    out = x.clone()
    out[..., y1:y2, x1:x2] = x.roll(1, 0)[..., y1:y2, x1:x2]
    return out, mixed_labels(y, float(1.0 - (x2 - x1) * (y2 - y1) / (W * H)))


def either(x, y):
    return (cutmix, mixup)[int(torch.multinomial(torch.tensor([0.5, 0.5]), 1))](x, y)


out = [mixup(images[:4], labels[:4]), cutmix(images[:4], labels[:4])]
torch.empty((), dtype=torch.int64).random_()  # the base seed a DataLoader's iterator draws for its workers
out += [either(images[i:i + 4], labels[i:i + 4]) for i in (0, 4, 8)] + [either(images[4:8], labels[4:8])]
torch.save(out, 'reference.pt')
'''

LOCAL_DATASETS = r'''
import torch
from torch.utils.data import ConcatDataset, DataLoader, Subset, WeightedRandomSampler, random_split
from torchvision import datasets, transforms

transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
train_set = datasets.MNIST('data', train=True, download=False, transform=transform)
test_set = datasets.MNIST(root='./data', train=False, transform=transform)
print(train_set)
print(len(train_set), len(test_set), train_set.data.shape, train_set.data.dtype, train_set.targets.dtype,
      train_set.classes[:3])
img, label = train_set[0]
print(img.shape, type(label), label, train_set.class_to_idx['5 - five'])
fashion = datasets.FashionMNIST('data', train=False, download=False, transform=transforms.ToTensor())
fashion_train = datasets.FashionMNIST('data', train=True, transform=transforms.ToTensor())
print(len(fashion_train), fashion.classes, fashion[3][0].shape)
try:
    datasets.KMNIST('data', train=True, download=False)
except RuntimeError as e:
    print('RuntimeError', e)
loader = DataLoader(train_set, batch_size=6, shuffle=True, generator=torch.Generator().manual_seed(0))
xb, yb = next(iter(loader))
train_part, val_part = random_split(train_set, [16, 4], generator=torch.Generator().manual_seed(42))
print(xb.shape, len(loader), train_part.indices, val_part.indices)
counts = torch.bincount(train_set.targets, minlength=10)
weights = 1.0 / counts.double().clamp(min=1)
sampler = WeightedRandomSampler(weights[train_set.targets], num_samples=12,
                                generator=torch.Generator().manual_seed(5))
both = ConcatDataset([train_set, test_set])
print(len(Subset(train_set, [0, 2, 4])), list(sampler), len(both), both.cumulative_sizes)
cifar = datasets.CIFAR10('data', train=True, download=False)
cifar_test = datasets.CIFAR10('data', train=False, transform=transforms.ToTensor())
img, _ = cifar[0]
print(len(cifar), len(cifar_test), cifar.data.shape, type(img), img.mode, cifar.targets, cifar_test.targets)
torch.save({'mnist_data': train_set.data, 'mnist_targets': train_set.targets, 'mnist_item3': train_set[3][0],
            'fashion_test_targets': fashion.targets, 'cifar_data': torch.from_numpy(cifar.data),
            'cifar_item7': transforms.ToTensor()(cifar[7][0]), 'first_batch_labels': yb}, 'datasets.pt')
'''

IMAGE_FOLDER_V2 = r'''
import numpy as np
import torch
from torch.utils.data import DataLoader, default_collate
from torchvision import datasets, tv_tensors
from torchvision.io import ImageReadMode, decode_image, read_file, read_image
from torchvision.transforms import v2

torch.manual_seed(0)
train_tf = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(16, antialias=True), v2.RandomHorizontalFlip(),
                       v2.ToDtype(torch.float32, scale=True),
                       v2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
ds = datasets.ImageFolder('data/train', transform=train_tf)
print(len(ds), ds.classes, ds.class_to_idx, ds.targets)
img, label = ds[0]
print(type(img).__name__, img.shape, img.dtype, label)
cutmix_or_mixup = v2.RandomChoice([v2.CutMix(num_classes=2), v2.MixUp(num_classes=2, alpha=0.4)])
loader = DataLoader(ds, batch_size=4, shuffle=True, collate_fn=lambda batch: cutmix_or_mixup(*default_collate(batch)),
                    generator=torch.Generator().manual_seed(0))
for xb, yb in loader:
    print(xb.shape, yb.shape, yb.dtype)
x = read_image('data/train/dogs/1.png')
gray = read_image('data/train/dogs/1.png', mode=ImageReadMode.GRAY)
assert torch.equal(decode_image(read_file('data/train/dogs/1.png')), x)
out = v2.Compose([v2.RandomCrop(16, padding=2), v2.TrivialAugmentWide(), v2.RandomErasing(p=1.0)])(x)
print(type(out).__name__, out.shape, out.dtype)
box = tv_tensors.BoundingBoxes([[1, 1, 5, 5]], format='XYXY', canvas_size=(10, 10))
flipped_image, flipped_box = v2.RandomHorizontalFlip(p=1.0)(tv_tensors.Image(torch.rand(3, 10, 10)), box)
print(type(flipped_image).__name__, flipped_box.tolist(), flipped_box.canvas_size)
pipe = v2.Compose([v2.PILToTensor(), v2.ToDtype(torch.float32, scale=True), v2.Resize((8, 8), antialias=True)])
small = pipe(datasets.folder.default_loader('data/train/cats/0.png'))
print(type(small).__name__, small.shape, small.dtype)
to_float = v2.Compose([v2.PILToTensor(), v2.ToDtype(torch.float32, scale=True)])
plain = datasets.ImageFolder('data/train', transform=to_float, target_transform=lambda t: torch.tensor(t))
print(plain[4][1])
flip = datasets.ImageFolder('data/train', transform=v2.Compose([v2.ToImage(), v2.RandomHorizontalFlip(p=1.0)]))
keep = datasets.ImageFolder('data/train', transform=v2.Compose([v2.ToImage(), v2.RandomHorizontalFlip(p=0.0)]))
for name in ('a', 'b'):
    __import__('os').makedirs(f'arrays/{name}', exist_ok=True)
np.save('arrays/a/x.npy', np.ones(3))
np.save('arrays/b/y.npy', np.zeros(3))
arrays = datasets.DatasetFolder('arrays', loader=lambda path: torch.from_numpy(np.load(path)), extensions=('.npy',))
print(len(arrays), arrays[1], arrays.class_to_idx)
torch.save({'read_image': x, 'read_gray_shape': torch.tensor(gray.shape), 'item4': plain[4][0],
            'flipped': flip[0][0].as_subclass(torch.Tensor), 'plain': keep[1][0].as_subclass(torch.Tensor)},
           'folder.pt')
'''

TORCHVISION_MODELS = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import models

torch.manual_seed(0)
model = models.resnet18(weights=None)
print(sum(p.numel() for p in model.parameters()), sum(p.numel() for p in model.parameters() if p.requires_grad))
model.fc = nn.Linear(model.fc.in_features, 10)
for name, param in model.named_parameters():
    if not name.startswith('fc'):
        param.requires_grad = False
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
model.eval()
x = torch.randn(2, 3, 64, 64)
with torch.no_grad():
    print(model(x).shape)
features = {}


def get_activation(name):
    def hook(module, input, output):
        features[name] = output.detach()
    return hook


handles = [model.layer1.register_forward_hook(get_activation('layer1')),
           model.avgpool.register_forward_hook(get_activation('pool'))]
model(x)
print({k: tuple(v.shape) for k, v in features.items()})
for handle in handles:
    handle.remove()
print(len(model.layer1._forward_hooks))
print(nn.Sequential(*list(model.children())[:-1])(x).shape)
mobile = models.mobilenet_v2(weights=None, num_classes=5)
print(sum(p.numel() for p in models.mobilenet_v2().parameters()), sum(p.numel() for p in mobile.parameters()))
print(mobile(torch.randn(2, 3, 32, 32)).shape)
mnist_resnet = models.resnet18(num_classes=10)
mnist_resnet.conv1 = nn.Conv2d(1, 64, kernel_size=3, stride=1, padding=1, bias=False)
mnist_resnet.maxpool = nn.Identity()
print(mnist_resnet(torch.randn(2, 1, 28, 28)).shape)
model.train()
optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
images, labels = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
loss = F.cross_entropy(model(images), labels)
loss.backward()
optimizer.step()
model.eval()
with torch.no_grad():
    first, again = model(images), model(images)
print(torch.equal(first, again), F.cross_entropy(first, labels).item() < loss.item())
print([model.conv1.weight.grad, model.layer4[1].bn2.weight.grad, model.fc.weight.grad is not None])
'''

GRIDS = r'''
import torch
import torch.nn as nn
from torchvision.utils import make_grid, save_image

torch.manual_seed(0)
images = torch.rand(10, 3, 8, 8)
filters = nn.Conv2d(1, 16, 3).weight.detach()
torch.save({'images': images, 'grid': make_grid(images, nrow=5, padding=2, pad_value=1.0), 'filters': filters,
            'filter_grid': make_grid(filters, nrow=4, normalize=True, padding=1)}, 'grids.pt')
save_image(images, 'grid.png', nrow=5)
'''

AUTO_AUGMENT = r'''
import numpy as np
import torch
import torchvision.transforms as T
from torchvision.transforms import v2
from PIL import Image

image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (28, 30, 3), dtype=np.uint8))


def augmented(transform, seed):
    torch.manual_seed(seed)
    return [np.asarray(transform(image)) for _ in range(4)]


for transform in (T.TrivialAugmentWide(), T.AutoAugment(T.AutoAugmentPolicy.CIFAR10),
                  T.RandAugment(num_ops=2, magnitude=9), T.AugMix()):
    first, again, other = augmented(transform, 0), augmented(transform, 0), augmented(transform, 1)
    same = all(np.array_equal(a, b) for a, b in zip(first, again))
    differ = any(not np.array_equal(a, c) for a, c in zip(first, other))
    print(type(transform).__name__, same, differ, first[0].shape)
x = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)
torch.manual_seed(0)
y1 = v2.TrivialAugmentWide()(x)
torch.manual_seed(0)
y2 = v2.TrivialAugmentWide()(x)
print('v2', y1.shape, y1.dtype, torch.equal(y1, y2))
'''

LEGACY_PROCESSED = r'''
import torch
from torchvision import datasets, transforms

train_set = datasets.MNIST('data', train=True, download=True, transform=transforms.ToTensor())
test_set = datasets.MNIST('data', train=False)
print(len(train_set), len(test_set), train_set.data.dtype, train_set.targets.dtype, train_set.targets.tolist(),
      test_set.targets.tolist(), train_set[1][1])
fashion = datasets.FashionMNIST('data')
print(len(fashion), datasets.FashionMNIST('data', train=False)[2][1])
try:
    datasets.KMNIST('data')
except RuntimeError as e:
    print('RuntimeError', e)
torch.save({'train_data': train_set.data, 'test_data': test_set.data, 'item1': train_set[1][0]}, 'legacy.pt')
'''

WORKER_SEEDING = r'''
# the reproducibility page's seed_worker: NumPy, random and torch draws in two workers, persistent or not
import numpy as np
import random
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info


class RandomAug(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return (i, np.random.randint(0, 1000), random.randint(0, 1000), torch.randint(0, 1000, (1,)).item(),
                info.id if info else -1)


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


if __name__ == '__main__':
    g = torch.Generator()
    g.manual_seed(0)
    dl = DataLoader(RandomAug(), batch_size=2, num_workers=2, worker_init_fn=seed_worker, generator=g)
    for b in dl:
        print([t.tolist() for t in b])
    dl2 = DataLoader(RandomAug(), batch_size=4, num_workers=2, persistent_workers=True, prefetch_factor=2,
                     worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(1), shuffle=True)
    for epoch in range(2):
        print(epoch, [b[0].tolist() for b in dl2], [b[3].tolist() for b in dl2])
'''
