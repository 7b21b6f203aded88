"""Slices that seek: a 5 s part at 120 s of a 136 s recording against its first 5 s, and
against librosa's slice, in every format users hold.

Inputs: the first 136 s of 10 distinct tracks of the soundtrack make_data.py cuts its clips
from (those at least that long), stereo, as MP3 (LAME 128 kb/s), FLAC, Opus (libopus 96 kb/s,
in Ogg and in WebM), Vorbis (q4, Ogg), AAC in M4A (FFmpeg's encoder, 128 kb/s) and 16-bit WAV, at 44.1 kHz
(Opus 48 kHz), made by FFmpeg into benches/data/slices/. Each call reads one file to mono
16 kHz: ``spectrust.load(p, sr=16000, offset=120, duration=5)`` (the slice),
``spectrust.load(p, sr=16000, duration=5)`` (the head) and ``librosa.load(p, sr=16000,
offset=120, duration=5)`` (libsndfile seeks; FFmpeg through audioread where libsndfile lacks
the format: M4A, and Opus where libsndfile is older than 1.0.29). Milliseconds per file, the
best of 3 rounds over the 10 files, one thread, in one process.

Run: python3 benches/bench_slices.py
"""

import subprocess
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import librosa  # noqa: E402
import make_data  # noqa: E402
import soundfile  # noqa: E402
import spectrust  # noqa: E402
from benchutil import QUICK, best_interleaved, wait_idle  # noqa: E402

#: The recordings' length, the slice's offset and length (a quick run: 40 s tracks, at 30 s).
SECONDS, OFFSET, PART, SR = (40, 30.0, 5.0, 16000) if QUICK else (136, 120.0, 5.0, 16000)
N_TRACKS = 2 if QUICK else 10
FORMATS = {
    "mp3": ("MP3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
    "flac": ("FLAC", ["-c:a", "flac", "-sample_fmt", "s16"]),
    "opus": ("Opus", ["-c:a", "libopus", "-b:a", "96k"]),
    "webm": ("Opus WebM", ["-c:a", "libopus", "-b:a", "96k"]),
    "ogg": ("Vorbis", ["-c:a", "libvorbis", "-q:a", "4"]),
    "m4a": ("M4A", ["-c:a", "aac", "-b:a", "128k"]),
    "wav": ("WAV", ["-c:a", "pcm_s16le"]),
}


def tracks(kind: str) -> list:
    """The first 136 s of ``N_TRACKS`` tracks as ``kind`` files, made if missing."""
    make_data.check_source()
    chosen = []
    for track in sorted(p for p in make_data.MUSIC.rglob("*") if p.is_file()):
        try:
            if soundfile.info(track).duration >= SECONDS + 1:
                chosen.append(track)
        except (RuntimeError, soundfile.LibsndfileError):  # not audio libsndfile reads
            continue
    chosen = chosen[:N_TRACKS]
    if len(chosen) < N_TRACKS:
        raise SystemExit(f"bench_slices: {N_TRACKS} tracks of {SECONDS} s needed in {make_data.MUSIC}")
    folder = make_data.DATA / "slices"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, track in enumerate(chosen):
        path = folder / f"track_{i:02d}.{kind}"
        if not path.is_file():
            part = path.with_suffix(".part." + kind)
            cmd = ["ffmpeg", "-v", "error", "-y", "-t", str(SECONDS), "-i", str(track), *FORMATS[kind][1], str(part)]
            subprocess.run(cmd, check=True)
            part.rename(path)
        paths.append(str(path))
    return paths


def main() -> dict:
    warnings.filterwarnings("ignore")  # librosa's audioread fallback warns on every file
    results = {}
    print(f"slices: ms per file, {N_TRACKS} tracks of {SECONDS} s, to mono 16 kHz, best of 3")
    print(f"  {'format':9s} {'slice':>8s} {'head':>8s} {'slice/head':>10s} {'librosa':>9s} {'vs librosa':>10s}")
    for kind, (name, _) in FORMATS.items():
        paths = tracks(kind)
        wait_idle()
        times = best_interleaved(
            {
                "slice": lambda paths=paths: [spectrust.load(p, sr=SR, offset=OFFSET, duration=PART) for p in paths],
                "head": lambda paths=paths: [spectrust.load(p, sr=SR, duration=PART) for p in paths],
                "librosa": lambda paths=paths: [librosa.load(p, sr=SR, offset=OFFSET, duration=PART) for p in paths],
            }
        )
        ms = {k: v / len(paths) * 1e3 for k, v in times.items()}
        row = {**ms, "slice_over_head": ms["slice"] / ms["head"], "librosa_over_slice": ms["librosa"] / ms["slice"]}
        results[name] = row
        print(
            f"  {name:9s} {ms['slice']:8.2f} {ms['head']:8.2f} {row['slice_over_head']:9.2f}x "
            f"{ms['librosa']:9.2f} {row['librosa_over_slice']:9.1f}x"
        )
    return results


if __name__ == "__main__":
    make_data.parse_source()
    main()
