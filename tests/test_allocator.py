"""The malloc tuning applied at import: when it applies, and that it removes the page faults."""
import subprocess
import sys

import pytest

from torchless import _allocator

LINUX_GLIBC = sys.platform.startswith("linux") and _allocator._glibc() is not None

# Allocates and frees four touched 1 MiB arrays per round (the shape of a training step's
# temporaries) and prints the minor page faults per round once warmed up.
CHURN = """
import resource, sys
import numpy as np
if sys.argv[1] == "import":
    import torchless
def churn():
    arrays = [np.ones(2**18, np.float32) for _ in range(4)]
    del arrays
churn(); churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    churn()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def run_python(*args, **env):
    """The output of a fresh interpreter given ``args``, in this environment without malloc settings, plus ``env``."""
    import os
    environment = {key: value for key, value in os.environ.items()
                   if key not in _allocator._USER_SETTINGS and key != "TORCHLESS_MALLOC_TUNING"}
    environment.update(env)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True, env=environment).stdout


def faults_per_round(import_torchless, **env):
    return float(run_python("-c", CHURN, "import" if import_torchless else "plain", **env))


@pytest.mark.skipif(not LINUX_GLIBC, reason="the tuning applies to glibc only")
def test_importing_torchless_stops_heap_churn_page_faults():
    untuned = faults_per_round(False)
    assert untuned > 500  # 4 MiB of fresh pages per round: the problem exists here
    assert faults_per_round(True) < 10


def applied_at_import(**env):
    """Whether a fresh interpreter importing torchless tuned malloc."""
    return run_python("-c", "import torchless; print(torchless._allocator.applied_at_import)", **env).strip() == "True"


# Asked of the import itself: page faults with the tuning off depend on how the import laid out the heap.
@pytest.mark.skipif(not LINUX_GLIBC, reason="the tuning applies to glibc only")
def test_opt_out_leaves_malloc_alone():
    assert applied_at_import()
    assert not applied_at_import(TORCHLESS_MALLOC_TUNING="0")
    assert not applied_at_import(MALLOC_TRIM_THRESHOLD_="1000000")


@pytest.mark.parametrize("setting", _allocator._USER_SETTINGS)
def test_user_malloc_settings_win(setting):
    assert _allocator.tune_malloc(environ={setting: "1"}, platform="linux") is False


def test_not_applied_off_linux():
    assert _allocator.tune_malloc(environ={}, platform="darwin") is False
    assert _allocator.tune_malloc(environ={}, platform="win32") is False


@pytest.mark.skipif(not LINUX_GLIBC, reason="the tuning applies to glibc only")
def test_applied_on_glibc():
    assert _allocator.tune_malloc(environ={}, platform="linux") is True
