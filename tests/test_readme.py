"""Every Python snippet of the README runs as written, from a folder holding examples/ as the
repository's root does, and does what its comments say where a test can see it."""

import re
from pathlib import Path

import numpy as np
import pytest
from _live_server import LiveServer
from conftest import EXAMPLES
from spectrust.server import ServerSettings

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def first_statement(code: str) -> str:
    return next(line for line in code.splitlines() if line and not line.startswith(("import", "from")))[:40]


def test_the_readme_has_snippets():
    assert len(SNIPPETS) >= 6


@pytest.mark.parametrize("code", SNIPPETS, ids=[first_statement(c) for c in SNIPPETS])
def test_readme_snippet_runs(code, tmp_path, monkeypatch, capsys):
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    if "ws://127.0.0.1:8000/ws/live" in code:
        # The live view's client, against a real server on a free port.
        with LiveServer(ServerSettings(cache_dir=tmp_path / "cache")) as server:
            exec(compile(code.replace("ws://127.0.0.1:8000/ws/live", server.ws_url), "README.md", "exec"), names)
        assert abs(float(capsys.readouterr().out.split()[-1]) - 1000) < 20  # "~1000 Hz"
        return
    try:
        exec(compile(code, "README.md", "exec"), names)
    finally:
        if "ray.data" in code:  # the local cluster Ray Data started
            import ray

            ray.shutdown()
    if "ray.data" in code:
        assert "(80, 3000)" in capsys.readouterr().out
    if "spect.generate(" in code:
        assert names["result"].ok and (tmp_path / "music.jpg").stat().st_size > 0
    if "Batchop(" in code:
        assert not names["failed"] and len(list((tmp_path / "images").iterdir())) >= 10
    if "def spectrogram(" in code:
        reply = names["spectrogram"]("examples/music.mp3", "music.png")
        assert reply["ok"] and (tmp_path / "music.png").is_file()
    if "whisper_features(paths)" in code:
        assert names["X"].shape == (3, 80, 501) and names["mel"].shape == (80, len(names["y16"]) // 160)
        assert names["M"].shape[0] == 13 and all(m.shape[0] == 13 for m in names["Ms"])
        assert names["X_mem"].shape == (3, 128, 157) and np.array_equal(names["y_mem"], names["y"])
    if "tf_dataset(" in code:
        assert "shape=(None, 64, 94)" in capsys.readouterr().out
        assert len(names["history"].history["loss"]) == 2
    if "extract_features(" in code:
        assert names["x"].ndim == 2 and names["x"].shape[0] == 128 and names["failed"] == []
        assert len(names["table"]) == len(list((tmp_path / "examples").glob("*.*"))) - 2  # all audio there
    if "StreamingSpectrogram(" in code:
        assert names["columns"].ndim == 2 and np.isfinite(names["columns"]).all()


SH_BLOCKS = re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
#: Lines that install or build (what CI itself does before it runs this suite: .ci/run
#: installs the packages and runs `make test`, which is `pip install -e ".[test]"` and the
#: tests) and synopses, whose capitals and brackets stand for the user's values.
NOT_RUN = re.compile(r"^(apt-get|pip|make) |\b[A-Z][A-Z_]+\b|\[-|\[options")


def sh_commands(block: str) -> list:
    """The commands of a shell block: continuation lines joined, comments and the install
    step in front of `&&` left out."""
    commands = []
    for command in re.sub(r"\\\n\s*", " ", block).replace("|\n", "| ").splitlines():
        command = re.sub(r"\s+#.*$", "", command).strip()
        if command.startswith("pip install . && "):
            command = command.split(" && ", 1)[1]
        if command and not command.startswith("#") and not NOT_RUN.search(command):
            commands.append(command)
    return commands


def test_every_shell_command_of_the_readme_runs(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "examples").symlink_to(EXAMPLES)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    ran = []
    with LiveServer(ServerSettings(cache_dir=tmp_path / "cache")) as server:
        for block in SH_BLOCKS:
            commands = sh_commands(block)
            if not commands:
                continue
            script = "set -euo pipefail\n" + "\n".join(commands).replace("http://127.0.0.1:8000", server.url)
            p = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
            assert p.returncode == 0, (script, p.stderr)
            assert "Traceback" not in p.stderr
            ran += commands
            if "generate-spectrogram" in script:
                reply = p.stdout.splitlines()[0]
                assert '"success":true' in reply and '"audio_filename":"music.mp3"' in reply
                assert (tmp_path / "spectrogram.png").read_bytes().startswith(b"\x89PNG")
    assert any(c.startswith("spectrust batch examples out") for c in ran)
    assert len(list((tmp_path / "out").iterdir())) >= 10 and (tmp_path / "music.png").is_file()
    assert (tmp_path / "frames" / "frame_0000.png").is_file() and (tmp_path / "feats").is_dir()
    assert len(ran) >= 9, ran
