"""torchless.hub (torch.hub's cache and downloads) and torchvision's weights API in torchless.vision.models: the
``*_Weights`` enums, ``get_weight`` / ``get_model_weights``, builders loading pretrained weights, and the
``ImageClassification`` preset.

Nothing here touches the network: checkpoints are served from ``file://`` URLs (urllib reads them as it reads HTTP)
or put in the cache beforehand, and ``urlopen`` is replaced wherever a download must fail or must not happen.
torchvision's side is recorded in fixtures/torchvision/weights_meta.json (by make_weights_meta.py).
"""
import copy
import hashlib
import io
import json
import math
import os
import pickle
import subprocess
import sys
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless import hub
from torchless.vision import models
from torchless.vision.transforms import functional as F
from torchless.vision.transforms._presets import ImageClassification

FIXTURES = Path(__file__).parent / "fixtures" / "torchvision"
RECORDED = json.loads((FIXTURES / "weights_meta.json").read_text())


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    """A fresh hub directory, through TORCH_HOME as a user would set it."""
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    return tmp_path / "torch_home" / "hub"


@pytest.fixture
def offline(monkeypatch):
    """Any download fails as it does without network access."""

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def torch_checkpoint(state_dict, folder, stem):
    """``state_dict`` saved by torch.save as ``folder/<stem>-<sha256 prefix>.pth`` (torchvision's naming), and its
    path."""
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torch.save({key: torch.from_numpy(value.detach().numpy().copy()) for key, value in state_dict.items()}, buffer)
    data = buffer.getvalue()
    path = Path(folder) / f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    path.write_bytes(data)
    return path


def tiny_state_dict():
    torchless.manual_seed(0)
    model = torchless.nn.Sequential(torchless.nn.Conv2d(3, 4, 3), torchless.nn.BatchNorm2d(4))
    model[1].running_mean.uniform_(-1, 1)
    return model.state_dict()


def assert_same_state(loaded, expected):
    assert list(loaded) == list(expected)
    for key in expected:
        np.testing.assert_array_equal(loaded[key].numpy(), expected[key].numpy())


# ---------------------------------------------------------------------------- hub directory
def test_get_dir_follows_torch_home_xdg_and_set_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert hub.get_dir() == os.path.join(str(tmp_path), ".cache", "torch", "hub")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == os.path.join(str(tmp_path / "xdg"), "torch", "hub")
    monkeypatch.setenv("TORCH_HOME", "~/th")
    assert hub.get_dir() == os.path.join(str(tmp_path), "th", "hub")
    hub.set_dir("~/elsewhere")
    assert hub.get_dir() == os.path.join(str(tmp_path), "elsewhere")


def test_hub_is_a_lazy_submodule():
    code = ("import sys, torchless; assert 'torchless.hub' not in sys.modules; "
            "assert torchless.hub.get_dir().endswith('hub')")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- download_url_to_file
def test_download_url_to_file_checks_the_hash_prefix(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(300_000))  # several read chunks
    digest = sha256(source)
    target = tmp_path / "out" / "copy.bin"
    target.parent.mkdir()
    hub.download_url_to_file(source.as_uri(), str(target), hash_prefix=digest[:10], progress=False)
    assert target.read_bytes() == source.read_bytes()

    other = tmp_path / "out" / "other.bin"
    with pytest.raises(RuntimeError) as raised:
        hub.download_url_to_file(source.as_uri(), str(other), hash_prefix="0123abcd", progress=False)
    assert str(raised.value) == f'invalid hash value (expected "0123abcd", got "{digest}")'
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.bin"]  # no partial file left behind


def test_a_failed_download_leaves_no_file(tmp_path, offline):
    with pytest.raises(urllib.error.URLError):
        hub.download_url_to_file("https://download.pytorch.org/models/x.pth", str(tmp_path / "x.pth"))
    assert list(tmp_path.iterdir()) == []


def test_progress_with_tqdm_and_without(tmp_path, monkeypatch, capsys):
    pytest.importorskip("tqdm")
    source = tmp_path / "source.bin"
    source.write_bytes(b"x" * 1024)
    hub.download_url_to_file(source.as_uri(), str(tmp_path / "a.bin"))
    assert "1.00k" in capsys.readouterr().err  # tqdm's bar, in KiB
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    hub.download_url_to_file(source.as_uri(), str(tmp_path / "b.bin"))
    assert capsys.readouterr().err == "\r100.0%\n"  # torch's own display
    hub.download_url_to_file(source.as_uri(), str(tmp_path / "c.bin"), progress=False)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------- load_state_dict_from_url
def test_load_state_dict_from_url_downloads_once_into_the_cache(tmp_path, hub_dir, monkeypatch, capsys):
    expected = tiny_state_dict()
    path = torch_checkpoint(expected, tmp_path, "tiny")
    url = path.as_uri()
    assert_same_state(hub.load_state_dict_from_url(url, check_hash=True, progress=False), expected)
    cached = hub_dir / "checkpoints" / path.name
    assert capsys.readouterr().out == f'Downloading: "{url}" to {cached}\n'
    assert cached.read_bytes() == path.read_bytes()

    def no_network(*args, **kwargs):
        raise AssertionError("downloaded again")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert_same_state(hub.load_state_dict_from_url(url, check_hash=True), expected)
    assert capsys.readouterr().out == ""


def test_load_state_dict_from_url_model_dir_and_file_name(tmp_path, hub_dir):
    expected = tiny_state_dict()
    url = torch_checkpoint(expected, tmp_path, "tiny").as_uri()
    assert_same_state(hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "md"), file_name="w.pth",
                                                   progress=False, map_location="cpu"), expected)
    assert os.listdir(tmp_path / "md") == ["w.pth"]
    assert not hub_dir.exists()


def test_load_state_dict_from_url_refuses_a_wrong_hash(tmp_path, hub_dir):
    path = torch_checkpoint(tiny_state_dict(), tmp_path, "tiny")
    renamed = path.with_name("tiny-00000000.pth")
    path.rename(renamed)
    with pytest.raises(RuntimeError, match=r'invalid hash value \(expected "00000000", got "'):
        hub.load_state_dict_from_url(renamed.as_uri(), check_hash=True, progress=False)
    assert os.listdir(hub_dir / "checkpoints") == []
    hub.load_state_dict_from_url(renamed.as_uri(), progress=False)  # unchecked, as in torch
    assert os.listdir(hub_dir / "checkpoints") == ["tiny-00000000.pth"]


# ---------------------------------------------------------------------------- the enums against torchvision's
def nan_free(value):
    if isinstance(value, dict):
        return {k: nan_free(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [nan_free(v) for v in value]
    return "nan" if isinstance(value, float) and math.isnan(value) else value


@pytest.mark.parametrize("builder", sorted(RECORDED["enums"]))
def test_weights_enum_is_torchvisions(builder):
    recorded = RECORDED["enums"][builder]
    weights_enum = models.get_model_weights(builder)
    assert weights_enum is getattr(models, recorded["enum"]) and weights_enum.__name__ == recorded["enum"]
    assert models.get_model_weights(getattr(models, builder)) is weights_enum
    assert list(weights_enum.__members__) == recorded["names"]
    assert weights_enum.DEFAULT.name == recorded["default"]
    assert [member.name for member in weights_enum] == list(recorded["members"])
    for member in weights_enum:
        expected = recorded["members"][member.name]
        assert member.url == expected["url"]
        assert nan_free(member.transforms.keywords) == expected["transforms_keywords"]
        assert repr(member.transforms()) == expected["transforms_repr"]
        meta = dict(member.meta)
        categories = meta.pop("categories")
        meta.pop("_docs")  # prose, in torchless's own words
        assert nan_free(meta) == {key: value for key, value in expected["meta"].items() if key != "_docs"}
        assert (categories is not None) == expected["has_categories"]
        assert repr(member) == f"{recorded['enum']}.{member.name}" == str(member)
        assert models.get_weight(repr(member)) is member
        assert weights_enum.verify(member.name) is weights_enum.verify(repr(member)) is member


def test_categories_are_imagenets():
    categories = models.ResNet18_Weights.DEFAULT.meta["categories"]
    recorded = RECORDED["categories"]
    assert len(categories) == recorded["count"]
    assert hashlib.sha256("\n".join(categories).encode()).hexdigest() == recorded["sha256"]
    assert categories[:3] == recorded["first"] and categories[-3:] == recorded["last"]


@pytest.mark.parametrize("case", sorted(RECORDED["errors"]))
def test_errors_are_torchvisions(case):
    kind, message = RECORDED["errors"][case]
    with pytest.raises(Exception) as raised:
        eval(case, {"M": models})
    assert (type(raised.value).__name__, str(raised.value)) == (kind, message)


def test_members_survive_pickle_and_deepcopy():
    member = models.MobileNet_V2_Weights.IMAGENET1K_V2
    assert pickle.loads(pickle.dumps(member)) is member
    assert copy.deepcopy(member) is member
    assert copy.deepcopy(member.value) == member.value != models.MobileNet_V2_Weights.IMAGENET1K_V1.value
    assert models.VGG16_Weights.verify(None) is None


def test_feature_weights_leave_num_classes_to_the_caller():
    from torchless.vision.models._utils import _verify_weights

    kwargs = {"num_classes": 10}
    assert _verify_weights(models.VGG16_Weights, "IMAGENET1K_FEATURES", kwargs).meta["categories"] is None
    assert kwargs == {"num_classes": 10}
    kwargs = {}
    _verify_weights(models.VGG16_Weights, "DEFAULT", kwargs)
    assert kwargs == {"num_classes": 1000}


def test_importing_models_imports_neither_transforms_nor_urllib():
    code = ("import sys, torchless.vision.models as m; m.ResNet50_Weights.DEFAULT.meta['categories']; "
            "bad = [n for n in ('torchless.vision.transforms', 'urllib.request', 'http.client', 'torchless.hub') "
            "if n in sys.modules]; assert not bad, bad; m.ResNet50_Weights.DEFAULT.transforms(); "
            "assert 'torchless.vision.transforms' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- builders loading weights
@pytest.fixture
def served_squeezenet(tmp_path, monkeypatch):
    """SqueezeNet1_1_Weights.IMAGENET1K_V1 pointing at a local torch checkpoint of a seeded squeezenet1_1 (its URL
    is the only change); returns that model's state dict and the checkpoint's path."""
    torchless.manual_seed(3)
    state_dict = models.squeezenet1_1().state_dict()
    path = torch_checkpoint(state_dict, tmp_path, "squeezenet1_1")
    monkeypatch.setattr(models.SqueezeNet1_1_Weights.IMAGENET1K_V1.value, "url", path.as_uri())
    return state_dict, path


def test_builder_downloads_checks_and_loads_the_weights(served_squeezenet, hub_dir, capsys):
    state_dict, path = served_squeezenet
    model = models.squeezenet1_1(weights=models.SqueezeNet1_1_Weights.DEFAULT, progress=False).eval()
    assert (hub_dir / "checkpoints" / path.name).read_bytes() == path.read_bytes()
    assert capsys.readouterr().err == ""  # progress=False reaches the download

    direct = models.squeezenet1_1().eval()
    direct.load_state_dict(torchless.load(str(path)))
    x = torchless.tensor(np.random.default_rng(0).standard_normal((2, 3, 40, 40)).astype(np.float32))
    with torchless.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), direct(x).numpy())
    assert_same_state(model.state_dict(), state_dict)


def test_builder_accepts_names_and_legacy_pretrained(served_squeezenet, hub_dir):
    state_dict, _ = served_squeezenet
    for request in ({"weights": "DEFAULT"}, {"weights": "SqueezeNet1_1_Weights.IMAGENET1K_V1"}):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the new spellings do not warn
            assert_same_state(models.squeezenet1_1(progress=False, **request).state_dict(), state_dict)
    with pytest.warns(UserWarning) as caught:
        model = models.squeezenet1_1(pretrained=True, progress=False)
    assert_same_state(model.state_dict(), state_dict)
    assert str(caught[1].message).endswith(
        "The current behavior is equivalent to passing `weights=SqueezeNet1_1_Weights.IMAGENET1K_V1`. You can also use "
        "`weights=SqueezeNet1_1_Weights.DEFAULT` to get the most up-to-date weights.")


def test_builder_refuses_a_corrupted_download(served_squeezenet, hub_dir):
    _, path = served_squeezenet
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    with pytest.raises(RuntimeError, match="invalid hash value"):
        models.squeezenet1_1(weights="DEFAULT", progress=False)
    assert os.listdir(hub_dir / "checkpoints") == []


def test_offline_builder_names_the_url_and_the_cache_path(hub_dir, offline):
    with pytest.raises(models.PretrainedWeightsUnavailable) as raised:
        models.resnet18(weights="DEFAULT")
    message = str(raised.value)
    assert isinstance(raised.value.__cause__, urllib.error.URLError)
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in message
    assert str(hub_dir / "checkpoints" / "resnet18-f37072fd.pth") in message
    assert os.listdir(hub_dir / "checkpoints") == []


def test_a_manually_placed_checkpoint_is_used_offline(tmp_path, hub_dir, offline):
    torchless.manual_seed(4)
    state_dict = models.resnet18().state_dict()
    path = torch_checkpoint(state_dict, tmp_path, "resnet18")
    (hub_dir / "checkpoints").mkdir(parents=True)
    path.rename(hub_dir / "checkpoints" / "resnet18-f37072fd.pth")  # what the offline error asks for
    assert_same_state(models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1).state_dict(), state_dict)


def test_densenet_weights_with_torchvisions_legacy_keys(tmp_path, hub_dir, monkeypatch):
    torchless.manual_seed(5)
    state_dict = models.densenet121().state_dict()
    # torchvision's published DenseNet checkpoints name the dense layers' modules "norm.1", "conv.2", ..., and
    # predate batch norm's num_batches_tracked
    legacy = {key.replace(".norm1.", ".norm.1.").replace(".conv2.", ".conv.2.").replace(".norm2.", ".norm.2.")
              .replace(".conv1.", ".conv.1."): value for key, value in state_dict.items()
              if not key.endswith("num_batches_tracked")}
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    path = torch_checkpoint(legacy, tmp_path, "densenet121")
    monkeypatch.setattr(models.DenseNet121_Weights.IMAGENET1K_V1.value, "url", path.as_uri())
    assert_same_state(models.densenet121(weights="DEFAULT", progress=False).state_dict(), state_dict)


# ---------------------------------------------------------------------------- ImageClassification
def preset_inputs():
    from PIL import Image

    pil = Image.open(FIXTURES / "photo.png").convert("RGB")
    uint8 = F.pil_to_tensor(pil)
    return {"pil": pil, "uint8": uint8, "float": uint8.float() / 255, "batch": torchless.stack([uint8, uint8.flip(-1)])}


@pytest.mark.parametrize("case", sorted(set(RECORDED["presets"]) - {"describe"}))
def test_image_classification_on_a_photo_is_torchvisions(case):
    pytest.importorskip("PIL")
    recorded = RECORDED["presets"][case]
    keywords = dict(recorded["keywords"])
    if "interpolation" in keywords:
        keywords["interpolation"] = F.InterpolationMode[keywords["interpolation"]]
    transform = ImageClassification(**keywords)
    assert repr(transform) == recorded["repr"]
    out = transform(preset_inputs()[recorded["input"]])
    assert out.dtype == torchless.float32 and list(out.shape) == recorded["shape"]
    flat = out.numpy().astype(np.float64).ravel()
    if "values" in recorded:  # recorded to 5 decimals
        np.testing.assert_allclose(flat, recorded["values"], rtol=1e-6, atol=1e-5)
    else:
        samples = recorded["samples"]
        np.testing.assert_allclose(flat[samples["index"]], samples["values"], rtol=1e-6, atol=1e-5)
        for statistic, value in recorded["summary"].items():
            assert getattr(flat, statistic)() == pytest.approx(value, rel=1e-6, abs=1e-5), statistic


def test_image_classification_describe_is_torchvisions():
    assert ImageClassification(crop_size=224).describe() == RECORDED["presets"]["describe"]
    assert isinstance(ImageClassification(crop_size=224), torchless.nn.Module)
    with pytest.raises(TypeError):
        ImageClassification(224)  # keyword-only, as in torchvision
