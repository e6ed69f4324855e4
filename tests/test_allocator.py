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


def faults_per_round(import_torchless, **env):
    import os
    environment = {key: value for key, value in os.environ.items()
                   if key not in _allocator._USER_SETTINGS and key != "TORCHLESS_MALLOC_TUNING"}
    environment.update(env)
    result = subprocess.run([sys.executable, "-c", CHURN, "import" if import_torchless else "plain"],
                            capture_output=True, text=True, check=True, env=environment)
    return float(result.stdout)


@pytest.mark.skipif(not LINUX_GLIBC, reason="the tuning applies to glibc only")
def test_importing_torchless_stops_heap_churn_page_faults():
    untuned = faults_per_round(False)
    assert untuned > 500  # 4 MiB of fresh pages per round: the problem exists here
    assert faults_per_round(True) < 10


@pytest.mark.skipif(not LINUX_GLIBC, reason="the tuning applies to glibc only")
def test_opt_out_leaves_malloc_alone():
    assert faults_per_round(True, TORCHLESS_MALLOC_TUNING="0") > 500


@pytest.mark.parametrize("setting", _allocator._USER_SETTINGS)
def test_user_malloc_settings_win(setting):
    assert _allocator.tune_malloc(environ={setting: "1"}, platform="linux") is False


def test_not_applied_off_linux():
    assert _allocator.tune_malloc(environ={}, platform="darwin") is False
    assert _allocator.tune_malloc(environ={}, platform="win32") is False


@pytest.mark.skipif(not LINUX_GLIBC, reason="the tuning applies to glibc only")
def test_applied_on_glibc():
    assert _allocator.tune_malloc(environ={}, platform="linux") is True
