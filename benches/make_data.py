"""Create the benchmark inputs: 100 distinct real 15 s music clips, and one hour of music.

benches/data/ is git-ignored. Files that already exist with the right size are left alone,
so running it again is cheap.

- benches/data/music22k/clip_000.wav ... clip_099.wav: 100 different 15 s excerpts of the 41
  tracks of Battle for Wesnoth's soundtrack (Ogg Vorbis, 44.1 kHz stereo; GPL; Debian package
  wesnoth-1.16-music: `apt-get install wesnoth-1.16-music`), taken every 20 s from 5 s into
  each track and spread evenly over all the excerpts there are, mixed to mono and resampled to
  22050 Hz (soxr HQ), 16-bit PCM WAV (660 KB each): distinct clips, so no cache is flattered
  by copies of one.
- benches/data/music44k_mp3/clip_000.mp3 ... and benches/data/music44k_flac/clip_000.flac ...:
  the same 100 excerpts at the tracks' own 44.1 kHz, stereo, as users hold music: MP3 at
  128 kb/s (LAME) and 16-bit FLAC, transcoded by FFmpeg (`apt-get install ffmpeg`); see
  :func:`compressed_clips`.
- benches/data/music48k_opus/clip_000.opus ... and benches/data/music48k_webm/clip_000.webm ...:
  the same excerpts as browsers record them, Opus (libopus, 96 kb/s, 48 kHz stereo) in Ogg and
  in WebM.
- benches/data/hour_stereo44k_s16.wav: examples/music_stereo44k_s16.wav (15 s, 44.1 kHz
  stereo) repeated 240 times, 635 MB.

The music comes from Wesnoth's soundtrack by default; any folder of audio (searched
recursively; tracks of at least 20 s in a format libsndfile reads: Ogg, FLAC, WAV, MP3) can
replace it: ``python3 benches/make_data.py --source DIR`` (or ``run_all.py --source DIR``, or
the environment variable ``SPECTRUST_BENCH_SOURCE=DIR`` for a single benchmark). Clips made
from another source are made again (benches/data/source.txt records it).

Run: python3 benches/make_data.py [--source DIR]. ``SPECTRUST_BENCH_DATA=DIR`` puts the data
elsewhere; ``SPECTRUST_BENCH_QUICK=1`` makes 4 clips and a minute (see benchutil.QUICK).
"""

import os
import shutil
import wave
from pathlib import Path

from benchutil import QUICK, scaled

#: The repository's examples/: real clips under a free licence (examples/LICENSE.md).
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: A single real clip, for the benchmarks that time one file (frames, stages).
SOURCE = EXAMPLES / "music_mono22k_s16.wav"
#: Where the clips are cut from (``--source`` / ``SPECTRUST_BENCH_SOURCE``).
MUSIC = Path(os.environ.get("SPECTRUST_BENCH_SOURCE", "/usr/share/games/wesnoth/1.16/data/core/music"))
DATA = Path(os.environ.get("SPECTRUST_BENCH_DATA", Path(__file__).resolve().parent / "data"))
CLIPS = DATA / "music22k"
N_CLIPS = scaled(100)
SECONDS, RATE, STEP, START = 15, 22050, 20, 5
HOUR = DATA / "hour_stereo44k_s16.wav"


def make_hour() -> Path:
    """One hour of 44.1 kHz stereo 16-bit WAV (the 15 s stereo clip, 240 times)."""
    with wave.open(str(EXAMPLES / "music_stereo44k_s16.wav")) as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    repeats = 4 if QUICK else 240  # a minute in a quick run
    size = 44 + repeats * len(frames)
    if not (HOUR.is_file() and HOUR.stat().st_size == size):
        DATA.mkdir(parents=True, exist_ok=True)
        with wave.open(str(HOUR), "wb") as out:
            out.setparams(params)
            for _ in range(repeats):
                out.writeframes(frames)
        print(f"make_data: wrote {HOUR} ({HOUR.stat().st_size / 1e6:.0f} MB)")
    return HOUR


def clip_paths() -> list:
    """The paths of the benchmark clips, in order."""
    return [CLIPS / f"clip_{i:03d}.wav" for i in range(N_CLIPS)]


def excerpts(n: int = N_CLIPS) -> list:
    """(track, start in seconds) of ``n`` clips spread evenly over every excerpt: one every
    20 s of each track (about 370), or for more clips every 10 or 5 s (overlapping, yet
    distinct)."""
    import soundfile as sf

    lengths = {}
    for track in sorted(p for p in MUSIC.rglob("*") if p.is_file()):
        try:
            lengths[track] = int(sf.info(track).duration)
        except (RuntimeError, sf.LibsndfileError):  # not audio libsndfile reads
            continue
    tracks = [t for t, seconds in lengths.items() if seconds >= SECONDS + START]
    if not tracks:
        raise SystemExit(f"make_data: no music in {MUSIC}: apt-get install wesnoth-1.16-music, or give --source DIR")
    for step in (STEP, 10, 5):
        every = [(t, s) for t in tracks for s in range(START, lengths[t] - SECONDS + 1, step)]
        if len(every) >= n:
            break
    if n > len(every):
        raise SystemExit(f"make_data: {n} distinct clips asked, {len(every)} excerpts in {MUSIC}")
    return [every[i * len(every) // n] for i in range(n)]


#: FFmpeg's codec arguments and the folder of each kind of compressed clip.
CODECS = {
    "mp3": (["-c:a", "libmp3lame", "-b:a", "128k"], "music44k_mp3"),
    "flac": (["-c:a", "flac", "-sample_fmt", "s16"], "music44k_flac"),
    "opus": (["-c:a", "libopus", "-b:a", "96k"], "music48k_opus"),
    "webm": (["-c:a", "libopus", "-b:a", "96k"], "music48k_webm"),
    "ogg": (["-c:a", "libvorbis", "-q:a", "4"], "music44k_vorbis"),
    "stereo.wav": (["-c:a", "pcm_s16le"], "music44k_wav"),
    "wav": (["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"], "speech16k_wav"),
}


def compressed_clips(kind: str, n: int = N_CLIPS) -> list:
    """``n`` excerpts (default the 100) as ``kind`` files (a key of :data:`CODECS`: stereo
    at the tracks' rate, but "wav", 16 kHz mono PCM as speech models take), made if missing."""
    import subprocess

    check_source()
    codec, name = CODECS[kind]
    folder = DATA / (name if n == N_CLIPS else f"{name}_{n}")
    paths = [folder / f"clip_{i:03d}.{kind}" for i in range(n)]
    todo = [(i, p) for i, p in enumerate(paths) if not p.is_file()]
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
        chosen = excerpts(n)
        for i, path in todo:
            track, start = chosen[i]
            part = path.with_suffix(".part" + path.suffix)
            cmd = [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-ss",
                str(start),
                "-t",
                str(SECONDS),
                "-i",
                str(track),
                *codec,
                str(part),
            ]
            subprocess.run(cmd, check=True)
            part.rename(path)
    print(f"make_data: {n} distinct {kind} clips in {folder} ({len(todo)} written)")
    return paths


def check_source() -> None:
    """Makes the clips again if they were cut from another source."""
    stamp = DATA / "source.txt"
    if stamp.is_file() and stamp.read_text() != str(MUSIC.resolve()):
        for folder in DATA.iterdir():
            if folder.is_dir():
                shutil.rmtree(folder)
        print(f"make_data: the clips came from {stamp.read_text()}; making them from {MUSIC}")
    DATA.mkdir(parents=True, exist_ok=True)
    stamp.write_text(str(MUSIC.resolve()))


def use_source(folder) -> None:
    """Cut the clips from ``folder`` (for this process and the benchmarks it runs)."""
    global MUSIC
    MUSIC = Path(folder)
    os.environ["SPECTRUST_BENCH_SOURCE"] = str(MUSIC)


def parse_source(argv=None) -> None:
    """``--source DIR`` on the command line of a benchmark script."""
    import argparse

    parser = argparse.ArgumentParser(description="benchmark inputs")
    parser.add_argument("--source", help="folder of music to cut the clips from (default: Wesnoth's soundtrack)")
    args = parser.parse_args(argv)
    if args.source:
        use_source(args.source)


def main() -> list:
    check_source()
    size = 44 + SECONDS * RATE * 2
    todo = [(i, p) for i, p in enumerate(clip_paths()) if not (p.is_file() and p.stat().st_size == size)]
    if todo:
        import numpy as np
        import soundfile as sf
        import soxr

        CLIPS.mkdir(parents=True, exist_ok=True)
        chosen = excerpts()
        for i, path in todo:
            track, start = chosen[i]
            sr = sf.info(track).samplerate
            y, _ = sf.read(track, start=start * sr, frames=SECONDS * sr, dtype="float64", always_2d=True)
            mono = soxr.resample(y.mean(axis=1), sr, RATE, "HQ")[: SECONDS * RATE]
            pcm = np.clip(np.round(mono * 32767), -32768, 32767).astype("<i2")
            with wave.open(str(path), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(RATE)
                out.writeframes(pcm.tobytes())
    print(f"make_data: {N_CLIPS} distinct clips in {CLIPS} ({len(todo)} written)")
    return clip_paths()


if __name__ == "__main__":
    parse_source()
    main()
