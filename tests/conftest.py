"""Suite-wide settings and shared fixtures."""
import os

import pytest
from hypothesis import settings

import torchless

# The shared checks in helpers.py (same_program's printed lines, say) report their differences as a test's own asserts
pytest.register_assert_rewrite("helpers")

# In CI, property tests draw the same examples on every run (a failure there can be replayed, and a rare
# unlucky draw cannot fail one run of an unchanged tree); elsewhere they explore new examples each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# PyTorch (and torchless since wild36) seeds its default generator from the OS at start-up. The suite starts from
# the fixed seed a new Generator() gets instead, so that a test drawing unseeded numbers draws the same on every run.
torchless.manual_seed(torchless.Generator().initial_seed())


# The tests of `torchless predict` on pictures (helpers in digit_pictures.py) share these.
@pytest.fixture(scope="module")
def bundled():
    """The course CNN that ships with torchless, in eval mode."""
    from torchless.models import pretrained

    return pretrained("course").eval()


@pytest.fixture(scope="module")
def generator():
    """tests/fixtures/digits/photos/generate.py as a module."""
    import digit_pictures

    return digit_pictures.photo_generator()


# The tests of the vision models' pretrained weights without a network share this.
@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network, and an empty hub cache."""
    import urllib.error
    import urllib.request

    from torchless import hub

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
    monkeypatch.setattr(urllib.request, "urlopen", no_network)


# The convolution dispatcher's rules differ by host (measured on each): an Intel Xeon with AVX512-FP16 has its own
# (blas.XEON_AVX512_FP16). A test of one host's choices pins them, on any host.
@pytest.fixture
def conv_rules(monkeypatch):
    """``conv_rules(xeon)``: the dispatcher's rules of a Xeon with AVX512-FP16 (True; its BLAS runs AVX-512 kernels,
    blas.WIDE_VECTORS) or of other x86 hosts (False; the host's BLAS kernels) for the rest of the test. The memoised
    choices are forgotten at each change and at the end (before monkeypatch restores the host's settings), so that
    none made under one rule set answers under the other."""
    from torchless._kernels import blas, conv

    def pin(xeon):
        monkeypatch.setattr(blas, "XEON_AVX512_FP16", xeon)
        if xeon:
            monkeypatch.setattr(blas, "WIDE_VECTORS", True)
        conv.forget_choices()
    yield pin
    conv.forget_choices()
