"""Create the benchmark inputs: 100 copies of one real 15 s clip.

Writes benches/data/clips/clip_000.wav ... clip_099.wav (benches/data/ is git-ignored),
copies of /work/shared/audio/music_mono22k_s16.wav (mono, 22050 Hz, 16-bit). Files that
already exist with the right size are left alone, so running it again is cheap.
"""

import shutil
from pathlib import Path

SOURCE = Path("/work/shared/audio/music_mono22k_s16.wav")
CLIPS = Path(__file__).resolve().parent / "data" / "clips"
N_CLIPS = 100


def clip_paths() -> list:
    """The paths of the benchmark clips, in order."""
    return [CLIPS / f"clip_{i:03d}.wav" for i in range(N_CLIPS)]


def main() -> list:
    CLIPS.mkdir(parents=True, exist_ok=True)
    size = SOURCE.stat().st_size
    made = 0
    for path in clip_paths():
        if not (path.is_file() and path.stat().st_size == size):
            shutil.copyfile(SOURCE, path)
            made += 1
    print(f"make_data: {N_CLIPS} clips in {CLIPS} ({made} written)")
    return clip_paths()


if __name__ == "__main__":
    main()
