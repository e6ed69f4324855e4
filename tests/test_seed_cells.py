"""The course's code cells (shared/seed/) run unchanged against torchless: the shared checker must report
'6 passed, 0 failed'. The checker lives beside the project in ../shared/checks/seed_cells.py."""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHECKER = ROOT.parent / "shared" / "checks" / "seed_cells.py"


@pytest.mark.skipif(not CHECKER.exists(), reason=f"the shared seed checker is not present at {CHECKER}")
def test_every_course_cell_passes():
    run = subprocess.run([sys.executable, str(CHECKER)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = run.stdout.strip().splitlines()
    assert lines and lines[-1] == "6 passed, 0 failed", run.stdout + run.stderr
    assert run.returncode == 0
