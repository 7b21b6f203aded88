"""Checks the portable wheel as a user gets it (``make wheel-check``).

1. ``auditwheel show``: a manylinux tag of glibc 2.28 or older, nothing linked outside the
   policy.
2. For each CPython from 3.9 to 3.13 found on PATH (``python3.9``, ...; at least the one
   running this): a fresh virtual environment, the wheel installed with pip, then a smoke
   script run there with a PATH that holds only the environment's ``bin``: no cargo, rustc,
   cmake or NASM, and outside the source tree, so the installed package is the one imported.
   The script checks libjpeg-turbo's SIMD code is in (``build_info()["jpeg_simd"]``), reads
   MP3, FLAC and Opus in WebM, renders a JPEG and computes features.

Run: python3 scripts/wheel_check.py [dist]
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SMOKE = """
import shutil, sys
import numpy as np
import spectrust

for tool in ("cargo", "rustc", "cmake", "nasm"):
    assert shutil.which(tool) is None, f"{tool} is on PATH"
assert "site-packages" in spectrust.__file__, spectrust.__file__
info = spectrust.build_info()
print(info)
assert info["jpeg_simd"] and info["jpeg_encoder"].startswith("libjpeg-turbo"), info
assert info["opus_decoder"] and info["optimized"], info
examples, data = sys.argv[1], sys.argv[2]
y, sr = spectrust.load(f"{examples}/music.mp3", sr=16000)
assert sr == 16000 and y.size > 0
y, sr = spectrust.load(open(f"{data}/music_opus.webm", "rb"), sr=None)
assert sr == 48000 and y.size > 0
result = spectrust.Spectrogram(300, 200).generate(f"{examples}/music.flac", "music.jpg")
assert result.ok and result.format == "flac", result.error
paths = [f"{examples}/music.mp3", f"{examples}/music.flac"]
X = spectrust.melspectrogram_batch(paths, sr=16000, duration=5.0, stack=True)
assert X.shape == (2, 128, 157) and np.isfinite(X).all()
assert spectrust.whisper_features(f"{examples}/music.ogg")["input_features"].shape == (1, 80, 3000)
assert spectrust.ast_features([f"{examples}/music.mp3"])["input_values"].shape == (1, 1024, 128)
assert spectrust.features.seamless_features is spectrust.seamless_features  # the subpackage ships
print("smoke test passed:", spectrust.__version__)
"""


def the_wheel(dist: Path) -> Path:
    wheels = sorted(dist.glob("spectrust-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        sys.exit(f"no spectrust wheel in {dist}: run make wheel")
    return wheels[-1]


def check_tag(wheel: Path) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", str(wheel)], capture_output=True, text=True, check=True
    ).stdout
    print(shown)
    tags = re.findall(r"manylinux_(\d+)_(\d+)_x86_64", shown)
    if not tags or max((int(a), int(b)) for a, b in tags) > (2, 28):
        sys.exit(f"{wheel.name}: auditwheel finds no manylinux tag of glibc 2.28 or older")
    if "abi3" not in wheel.name:
        sys.exit(f"{wheel.name}: not an abi3 wheel")


def interpreters() -> list:
    """This Python and the other CPythons 3.9-3.13 on PATH."""
    found = {f"3.{sys.version_info.minor}": sys.executable}
    for minor in range(9, 14):
        path = shutil.which(f"python3.{minor}")
        if path and f"3.{minor}" not in found:
            # The real interpreter (not a pyenv shim of a version that is not selected).
            run = subprocess.run([path, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True)
            if run.returncode == 0:
                found[f"3.{minor}"] = run.stdout.strip()
    return sorted(found.items(), key=lambda kv: int(kv[0].split(".")[1]))


def smoke_test(wheel: Path, interpreter: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True)
        env = {"PATH": str(venv / "bin"), "HOME": tmp}
        script = Path(tmp) / "smoke.py"
        script.write_text(SMOKE)
        subprocess.run(
            [python, str(script), str(ROOT / "examples"), str(ROOT / "tests" / "data")], cwd=tmp, env=env, check=True
        )


def main() -> None:
    wheel = the_wheel(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist")
    print(f"{wheel.name}: {wheel.stat().st_size / 1e6:.1f} MB")
    check_tag(wheel)
    for version, interpreter in interpreters():
        print(f"CPython {version}: {interpreter}")
        smoke_test(wheel, interpreter)


if __name__ == "__main__":
    main()
