"""The benchmarks run as benches/README.md says: every command of its code block, in the quick
mode (``SPECTRUST_BENCH_QUICK=1``: 4 clips, each timing once; benches/benchutil.py), on music
made here from examples/ (any folder of audio is a source: ``SPECTRUST_BENCH_SOURCE``)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```sh\n(.*?)```", (ROOT / "benches" / "README.md").read_text(), re.S)


@pytest.mark.slow
def test_every_benchmark_command_runs_as_documented(tmp_path):
    # Three 45 s "tracks" (the stereo clip three times, shifted): make_data cuts 15 s excerpts.
    music = tmp_path / "music"
    music.mkdir()
    y, sr = soundfile.read(EXAMPLES / "music_stereo44k_s16.wav", dtype="float32")
    for i in range(3):
        soundfile.write(music / f"track{i}.flac", np.roll(np.concatenate([y] * 3), 5000 * i, axis=0), sr)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SPECTRUST_BENCH_QUICK": "1",
        "SPECTRUST_BENCH_SOURCE": str(music),
        "SPECTRUST_BENCH_DATA": str(tmp_path / "data"),
    }
    commands = [re.sub(r"\s+#.*$", "", line).strip() for block in BLOCKS for line in block.splitlines()]
    commands = [c for c in commands if c]
    assert commands[0] == "python3 benches/run_all.py" and any("--example stages" in c for c in commands)
    for command in commands:
        p = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        assert p.returncode == 0, (command, p.stdout[-3000:], p.stderr[-3000:])
        assert "Traceback" not in p.stderr
    assert (ROOT / "benches" / "out" / "results.json").is_file()
    assert len(list((tmp_path / "data" / "music22k").glob("clip_*.wav"))) == 4
