"""The spectrust command line, run as a subprocess as a web back end would."""

import re
import subprocess
import sys
from pathlib import Path

from PIL import Image

from conftest import MONO8_U8, MONO22


def run(*args):
    return subprocess.run([sys.executable, "-m", "spectrust.cli", *map(str, args)], capture_output=True, text=True, timeout=120)


def test_batch_mirrors_the_tree(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "one.wav").write_bytes(MONO22.read_bytes())
    (src / "sub" / "two.wav").write_bytes(MONO8_U8.read_bytes())
    p = run("batch", src, tmp_path / "out", "--width", 90, "--height", 60, "--format", "png", "--colormap", "magma", "--workers", 2)
    assert p.returncode == 0, p.stderr
    assert re.fullmatch(r"2 written, 0 failed in \d+\.\d\d s\n", p.stdout)
    assert p.stderr == ""  # no progress bar when stderr is not a terminal
    for name in ("one.png", "sub/two.png"):
        with Image.open(tmp_path / "out" / name) as im:
            assert (im.format, im.size) == ("PNG", (90, 60))


def test_batch_reports_failures_and_exits_1(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.wav").write_bytes(MONO22.read_bytes())
    (src / "bad.wav").write_text("not audio")
    p = run("batch", src, tmp_path / "out")
    assert p.returncode == 1
    assert p.stdout.startswith("1 written, 1 failed in ")
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "bad.wav" in lines[0] and "Traceback" not in p.stderr
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == ["good.jpg"]


def test_bad_usage_exits_2_without_traceback(tmp_path):
    for args in (
        ["batch", tmp_path / "nope", tmp_path / "out"],
        ["batch", tmp_path, tmp_path / "out", "--format", "gif"],
        ["batch", tmp_path, tmp_path / "out", "--width", "0"],
        ["batch", tmp_path, tmp_path / "out", "--fmin", "30000"],
        [],
    ):
        p = run(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert "Traceback" not in p.stderr and p.stderr.strip()


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "spectrust"
    p = subprocess.run([str(exe) if exe.exists() else "spectrust", "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "batch" in p.stdout
