"""The hand-written stubs of the extension match the built module (mypy's stubtest)."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_core_stubs_match_the_extension():
    p = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "spectrust._core"], capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stdout + p.stderr
