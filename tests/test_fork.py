"""Fork safety, as tokenizers has it: after spectrust ran on several threads, forked children
(PyTorch DataLoader workers, multiprocessing) run their batches without deadlock, on one
thread each by default. Run in a fresh interpreter so that nothing else has threads."""

import subprocess
import sys
import textwrap

from conftest import EXAMPLES

SCRIPT = textwrap.dedent(
    """
    import multiprocessing, sys
    import numpy as np
    import spectrust

    paths = sys.argv[1:]

    def child(workers):
        return spectrust.default_workers(), spectrust.melspectrogram_batch(paths, sr=16000, workers=workers)

    if __name__ == "__main__":
        expected = spectrust.melspectrogram_batch(paths, sr=16000)   # threads in the parent first
        with multiprocessing.get_context("fork").Pool(2) as pool:
            done = pool.map_async(child, [None, None, 2]).get(timeout=120)
        for defaults, arrays in done:
            assert defaults == 1, defaults
            assert all(np.array_equal(a, b) for a, b in zip(arrays, expected))
        print("ok", len(done))
    """
)


def test_batches_run_in_forked_children_after_the_parent_used_threads(tmp_path):
    script = tmp_path / "fork_children.py"
    script.write_text(SCRIPT)
    paths = [str(EXAMPLES / n) for n in ("music.mp3", "music.flac", "music.ogg", "music_mono22k_s16.wav")]
    out = subprocess.run([sys.executable, str(script), *paths], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok 3", out.stderr[-2000:]
