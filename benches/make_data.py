"""Create the benchmark inputs: 100 copies of one real 15 s clip, and one hour of music.

Writes benches/data/clips/clip_000.wav ... clip_099.wav (benches/data/ is git-ignored),
copies of ../shared/audio/music_mono22k_s16.wav (mono, 22050 Hz, 16-bit), and
benches/data/hour_stereo44k_s16.wav: ../shared/audio/music_stereo44k_s16.wav (15 s, 44.1 kHz
stereo) repeated 240 times, 635 MB. Files that already exist with the right size are left
alone, so running it again is cheap.
"""

import shutil
import wave
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio"
SOURCE = SHARED / "music_mono22k_s16.wav"
DATA = Path(__file__).resolve().parent / "data"
CLIPS = DATA / "clips"
N_CLIPS = 100
HOUR = DATA / "hour_stereo44k_s16.wav"


def make_hour() -> Path:
    """One hour of 44.1 kHz stereo 16-bit WAV (the 15 s stereo clip, 240 times)."""
    with wave.open(str(SHARED / "music_stereo44k_s16.wav")) as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    size = 44 + 240 * len(frames)
    if not (HOUR.is_file() and HOUR.stat().st_size == size):
        DATA.mkdir(parents=True, exist_ok=True)
        with wave.open(str(HOUR), "wb") as out:
            out.setparams(params)
            for _ in range(240):
                out.writeframes(frames)
        print(f"make_data: wrote {HOUR} ({HOUR.stat().st_size / 1e6:.0f} MB)")
    return HOUR


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
