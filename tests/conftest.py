"""Shared fixtures: the real clips in examples/ and generators of bad or odd input."""

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MONO22 = EXAMPLES / "music_mono22k_s16.wav"
STEREO44 = EXAMPLES / "music_stereo44k_s16.wav"
STEREO44_S24 = EXAMPLES / "music_stereo44k_s24.wav"
MONO44_F32 = EXAMPLES / "music_mono44k_f32.wav"
MONO8_U8 = EXAMPLES / "music_mono8k_u8.wav"
CLIPS = [MONO22, STEREO44, STEREO44_S24, MONO44_F32, MONO8_U8]
# Compressed formats (44.1 kHz stereo music, and two short freedesktop sounds) -> the
# encoder delay in samples that a decoder keeps because the file does not record it in a
# form we read (AAC priming in MP4 edit lists; raw ADTS has no such record at all).
COMPRESSED = {
    "music.mp3": 0,
    "music.ogg": 0,
    "music.flac": 0,
    "music.m4a": 1024,
    "music.mp4": 1024,
    "music.aac": 0,
    "bell.oga": 0,
    "complete.oga": 0,
}


def write_wav(path: Path, y: np.ndarray, sr: int) -> Path:
    """Writes float samples in [-1, 1] as 16-bit PCM (y: (n,) or (n, channels))."""
    y = np.asarray(y, dtype=np.float64)
    channels = 1 if y.ndim == 1 else y.shape[1]
    pcm = np.clip(np.round(y * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


def chirp(sr: int = 22050, seconds: float = 3.0, f0: float = 200.0, f1: float = 8000.0) -> np.ndarray:
    """A rising exponential sine sweep."""
    t = np.arange(int(sr * seconds)) / sr
    k = np.log(f1 / f0) / seconds
    return 0.5 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)


BAD_INPUTS = [
    "missing",
    "folder",
    "empty",
    "text",
    "png",
    "header_cut",
    "rate0",
    "channels0",
    "random.mp3",
    "random.ogg",
    "mp3_cut",
    "flac_cut",
    "ogg_cut",
    "m4a_no_moov",
]


@pytest.fixture
def bad_inputs(tmp_path):
    """name -> path of input that no decoder should accept."""
    d = tmp_path / "bad"
    d.mkdir()
    good = MONO22.read_bytes()
    (d / "empty.wav").write_bytes(b"")
    (d / "text.wav").write_text("this is a text file, not audio\n")
    (d / "png.wav").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (d / "folder.wav").mkdir()
    (d / "header_cut.wav").write_bytes(good[:30])
    head = good[:4000]  # the fmt chunk starts at byte 12 in this file
    assert head[12:16] == b"fmt "
    (d / "rate0.wav").write_bytes(head[:24] + struct.pack("<I", 0) + head[28:])
    (d / "channels0.wav").write_bytes(head[:22] + struct.pack("<H", 0) + head[24:])
    rng = np.random.default_rng(7)
    (d / "random.mp3").write_bytes(rng.bytes(50_000))
    (d / "random.ogg").write_bytes(rng.bytes(50_000))
    (d / "mp3_cut.mp3").write_bytes((EXAMPLES / "music.mp3").read_bytes()[:300])
    (d / "flac_cut.flac").write_bytes((EXAMPLES / "music.flac").read_bytes()[:40])
    ogg = (EXAMPLES / "music.ogg").read_bytes()
    (d / "ogg_cut.ogg").write_bytes(ogg[:200])
    m4a = (EXAMPLES / "music.m4a").read_bytes()
    (d / "m4a_no_moov.m4a").write_bytes(m4a[:1000])
    return {
        "missing": d / "missing.wav",
        **{p.stem: p for p in sorted(d.iterdir())},
        "random.mp3": d / "random.mp3",
        "random.ogg": d / "random.ogg",
    }
