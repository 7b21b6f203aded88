"""Audio from memory: bytes, bytearray, memoryview and binary file objects (open files,
io.BytesIO, fsspec files, non-seekable streams) give what the path gives, in every function
that reads audio, and bad bytes fail naming ``<bytes>`` or the file object's name."""

import io
import os
import threading
from pathlib import Path

import fsspec
import numpy as np
import pytest
import spectrust
from conftest import CLIPS, COMPRESSED, EXAMPLES

DATA = Path(__file__).resolve().parent / "data"
# Every format read: the WAV flavours, the compressed examples and the browsers' containers.
FILES = (
    CLIPS
    + [EXAMPLES / name for name in COMPRESSED]
    + [DATA / n for n in ("music_alac.m4a", "music_opus.webm", "music_vorbis.webm", "speech_opus.ogg")]
)


class Unseekable(io.RawIOBase):
    """A stream that can only be read forward, in small pieces (a pipe, a socket)."""

    def __init__(self, data: bytes):
        self._data, self._at = data, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), 1000, len(self._data) - self._at)
        buffer[:n] = self._data[self._at : self._at + n]
        self._at += n
        return n


def memory_forms(path: Path):
    """The forms the bytes of ``path`` can take, each with a fresh file object."""
    data = path.read_bytes()
    return {
        "bytes": lambda: data,
        "bytearray": lambda: bytearray(data),
        "memoryview": lambda: memoryview(data),
        "BytesIO": lambda: io.BytesIO(data),
        "open file": lambda: open(path, "rb"),
        "unseekable": lambda: Unseekable(data),
        "fsspec": lambda: fsspec.open(f"file://{path}", "rb").open(),
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_load_from_memory_equals_load_from_the_path(path):
    expected, sr = spectrust.load(path, mono=False, sr=None)
    for form, make in memory_forms(path).items():
        audio = make()
        y, sr_mem = spectrust.load(audio, mono=False, sr=None)
        assert sr_mem == sr and np.array_equal(y, expected), (path.name, form)
        if hasattr(audio, "close"):
            audio.close()


def test_a_file_object_is_read_from_where_it_stands():
    data = (EXAMPLES / "music.flac").read_bytes()
    stream = io.BytesIO(b"JUNK" + data)
    stream.seek(4)
    expected, _ = spectrust.load(EXAMPLES / "music.flac", offset=0.5, duration=1.0, sr=16000)
    y, sr = spectrust.load(stream, offset=0.5, duration=1.0, sr=16000)
    assert sr == 16000 and np.array_equal(y, expected)


def test_a_pipe_is_read_into_memory(tmp_path):
    path = EXAMPLES / "music.mp3"
    read, write = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write, path.read_bytes()), os.close(write)))
    writer.start()
    with os.fdopen(read, "rb") as pipe:
        y, sr = spectrust.load(pipe, sr=None)
    writer.join()
    expected, sr_path = spectrust.load(path, sr=None)
    assert sr == sr_path and np.array_equal(y, expected)


def test_feature_batches_from_memory_equal_those_from_paths():
    paths = [EXAMPLES / "music.mp3", DATA / "speech_opus.ogg", EXAMPLES / "music_mono22k_s16.wav"]
    mixed = [paths[0].read_bytes(), open(paths[1], "rb"), io.BytesIO(paths[2].read_bytes())]
    kw = dict(sr=16000, duration=2.0, stack=True)
    assert np.array_equal(spectrust.melspectrogram_batch(mixed, **kw), spectrust.melspectrogram_batch(paths, **kw))
    mixed = [paths[0].read_bytes(), open(paths[1], "rb"), io.BytesIO(paths[2].read_bytes())]
    assert np.array_equal(spectrust.mfcc_batch(mixed, **kw), spectrust.mfcc_batch(paths, **kw))
    mixed = [paths[0].read_bytes(), open(paths[1], "rb"), Unseekable(paths[2].read_bytes())]
    assert np.array_equal(
        spectrust.whisper_features(mixed)["input_features"], spectrust.whisper_features(paths)["input_features"]
    )
    assert np.array_equal(
        spectrust.log_mel_spectrogram(io.BytesIO(paths[1].read_bytes())), spectrust.log_mel_spectrogram(paths[1])
    )


def test_images_from_memory_equal_those_from_paths(tmp_path):
    spect = spectrust.Spectrogram(300, 200)
    path = EXAMPLES / "music.ogg"
    assert spect.generate(path, tmp_path / "path.png").ok
    with open(path, "rb") as f:
        result = spect.generate(f, tmp_path / "file.png")
    assert result.ok and result.format == "ogg" and result.input_file == str(path)
    result = spect.generate(path.read_bytes(), tmp_path / "bytes.png")
    assert result.ok and result.input_file == "<bytes>"
    png = (tmp_path / "path.png").read_bytes()
    assert (tmp_path / "file.png").read_bytes() == png and (tmp_path / "bytes.png").read_bytes() == png
    frames = spect.generate_frames(io.BytesIO(path.read_bytes()), tmp_path / "frames", frame_duration=1.0)
    assert frames == spect.generate_frames(path, tmp_path / "frames", frame_duration=1.0)


def test_bad_bytes_name_the_input():
    with pytest.raises(spectrust.UnsupportedFormatError, match=r"^<bytes>: unsupported format"):
        spectrust.load(b"this is not audio" * 10, sr=None)
    cut = (EXAMPLES / "music.flac").read_bytes()[:100]
    with pytest.raises(spectrust.DecodeError, match=r"^<bytes>: "):
        spectrust.load(io.BytesIO(cut), sr=None)
    with open(EXAMPLES / "LICENSE.md", "rb") as f:
        with pytest.raises(spectrust.UnsupportedFormatError, match=rf"^{EXAMPLES / 'LICENSE.md'}: "):
            spectrust.load(f, sr=None)
    with pytest.raises(spectrust.DecodeError, match=r"^<bytes>: cannot decode: empty file$"):
        spectrust.load(b"", sr=None)
    result = spectrust.Spectrogram().generate(b"RIFF\x00\x00", "never.png")
    assert not result.ok and result.error.startswith("<bytes>: ") and not Path("never.png").exists()


def test_max_bytes_bounds_what_is_read_from_a_file_object():
    data = (EXAMPLES / "music.mp3").read_bytes()
    y, _ = spectrust.load(io.BytesIO(data), max_bytes=len(data), sr=None)
    assert y.size > 0
    with pytest.raises(spectrust.TooLongError, match=rf"^<bytes>: holds more than max_bytes = {len(data) - 1} bytes"):
        spectrust.load(Unseekable(data), max_bytes=len(data) - 1, sr=None)
    # In a batch, that input fails alone.
    out = spectrust.melspectrogram_batch([io.BytesIO(data), data], max_bytes=1000, on_error="none")
    assert out[0] is None and out[1] is not None


def test_a_batch_goes_on_past_a_file_object_that_fails_to_read(tmp_path):
    class Broken(io.RawIOBase):
        name = "broken.wav"

        def readable(self):
            return True

        def readinto(self, buffer):
            raise OSError(5, "Input/output error")

    good = EXAMPLES / "music_mono8k_u8.wav"
    out = spectrust.melspectrogram_batch([good, Broken(), good.read_bytes()], on_error="none")
    assert out[0] is not None and out[1] is None and np.array_equal(out[0], out[2])
    with pytest.raises(OSError, match="Input/output error"):
        spectrust.melspectrogram_batch([good, Broken()])
    results = spectrust.Spectrogram()._render([(Broken(), tmp_path / "a.png"), (good, tmp_path / "b.png")])
    assert results[0].input_file == "broken.wav" and isinstance(results[0].exception, OSError)
    assert results[1].ok and not (tmp_path / "a.png").exists()


def test_what_is_not_audio_input_is_a_type_error():
    with pytest.raises(TypeError, match="path, bytes or a binary file object, got int"):
        spectrust.load(42, sr=None)
    with open(EXAMPLES / "LICENSE.md") as text:
        with pytest.raises(TypeError, match="binary mode"):
            spectrust.load(text, sr=None)
