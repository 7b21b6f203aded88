"""Mutants of every container read (bits flipped, runs of bytes overwritten, cuts, holes,
splices, repeats), loaded from bytes and from file objects: whatever the demuxers and codecs
underneath say, a failure is a DecodeError (or a subclass), never a bare OSError (kept for
what the operating system refused), an InternalError or any other exception."""

import io
import random
from pathlib import Path

import pytest
import spectrust
from conftest import EXAMPLES

DATA = Path(__file__).resolve().parent / "data"
# A clip of every container in the repository: WAV, MP3, FLAC, Ogg Vorbis, Opus in Ogg and
# WebM, AAC in ADTS, M4A (AAC and ALAC), MP4, Vorbis in WebM.
EXAMPLE_CLIPS = ("music.aac", "music.m4a", "music.mp4", "music.mp3", "music.ogg", "music.flac", "bell.oga")
EXAMPLE_CLIPS += ("complete.oga", "music_mono8k_u8.wav", "music_mono22k_s16.wav", "music_mono44k_f32.wav")
EXAMPLE_CLIPS += ("music_stereo44k_s16.wav", "music_stereo44k_s24.wav")
DATA_CLIPS = ("music_alac.m4a", "music_opus.webm", "music_vorbis.webm", "speech_jfk.mp3", "speech_opus.ogg")
CLIPS = [EXAMPLES / name for name in EXAMPLE_CLIPS] + [DATA / name for name in DATA_CLIPS]
KINDS = ("flips", "run", "cut", "hole", "splice", "repeat")
MUTANTS = 24
# Bytes at the start (the headers) and at the end (an MP4's index, moov) that a quarter of
# the mutations each fall in; the others fall anywhere.
HEADER = 512
TAIL = 4096
# As load reads by default (mono, resampled to 22050 Hz), at the file's rate in stereo and in
# mono, and resampled to 16 kHz.
READS = ({}, {"sr": None, "mono": False}, {"sr": None}, {"sr": 16000})


def position(rng: random.Random, n: int) -> int:
    """Where in `n` bytes (n > 0) a mutation falls."""
    where = rng.randrange(4)
    if where == 0:
        return rng.randrange(min(HEADER, n))
    if where == 1:
        return n - min(TAIL, n) + rng.randrange(min(TAIL, n))
    return rng.randrange(n)


def mutate(data: bytes, other: bytes, kind: str, rng: random.Random) -> bytes:
    """`data` mutated as `kind` says; `other` is the clip a splice takes its bytes from."""
    out = bytearray(data)
    at = position(rng, len(out))
    if kind == "flips":  # 1 to 8 bits
        for _ in range(rng.randint(1, 8)):
            out[position(rng, len(out))] ^= 1 << rng.randrange(8)
    elif kind == "run":  # 1 to 64 bytes overwritten with zeros, 0xFF or random bytes
        n = rng.randint(1, 64)
        fill = rng.choice([b"\x00" * n, b"\xff" * n, rng.randbytes(n)])
        out[at : at + n] = fill[: len(out) - at]
    elif kind == "cut":  # the file cut short
        del out[max(at, 1) :]
    elif kind == "hole":  # 1 to 1024 bytes taken out
        del out[at : at + rng.randint(1, 1024)]
    elif kind == "splice":  # 16 to 2048 bytes of another clip inserted
        start = rng.randrange(len(other))
        out[at:at] = other[start : start + rng.randint(16, 2048)]
    else:  # 1 to 1024 bytes repeated 1 to 3 times
        end = min(at + rng.randint(1, 1024), len(out))
        out[end:end] = out[at:end] * rng.randint(1, 3)
    return bytes(out)


def mutants(path: Path):
    """The mutants of `path`: (index, kind, bytes), the same on every run."""
    data = path.read_bytes()
    other = CLIPS[(CLIPS.index(path) + 1) % len(CLIPS)].read_bytes()
    rng = random.Random(path.name)
    for i in range(MUTANTS):
        kind = KINDS[i % len(KINDS)]
        yield i, kind, mutate(data, other, kind, rng)


@pytest.mark.parametrize("path", CLIPS, ids=lambda p: p.name)
def test_mutated_files_fail_with_decode_errors_only(path):
    failures = []
    for i, kind, mutant in mutants(path):
        # Half from bytes, half from a file object; each read as load reads, or another way.
        source = mutant if i % 2 == 0 else io.BytesIO(mutant)
        read = READS[i // 2 % len(READS)]
        try:
            spectrust.load(source, **read)
        except spectrust.InternalError as e:
            failures.append(f"mutant {i} ({kind}, {type(source).__name__}, {read}): InternalError: {e}")
        except spectrust.SpectrustError:
            pass
        except Exception as e:  # a bare OSError above all
            failures.append(f"mutant {i} ({kind}, {type(source).__name__}, {read}): {type(e).__name__}: {e}")
    summary = f"{len(failures)} of {MUTANTS} mutants of {path.name} failed otherwise than with a DecodeError"
    assert not failures, summary + ":\n" + "\n".join(failures)
