"""Parts of files found by seeking (``offset``), and ``load_batch``: the samples of a part are
those of the whole file cut at the same place (bit for bit where the codec's state is exact
after its pre-roll, else converged), and every input of a batch is what ``load`` gives."""

import io
import shutil
import subprocess

import numpy as np
import pytest
import spectrust
from conftest import EXAMPLES, STEREO44

DATA = EXAMPLES.parent / "tests" / "data"
#: Formats whose decoder state is exact after the pre-roll: WAV (arithmetic), FLAC
#: (independent frames), MP3 (two frames and the bit reservoir), Vorbis (two long blocks).
EXACT = [STEREO44, EXAMPLES / "music.flac", EXAMPLES / "music.mp3", DATA / "speech_jfk.mp3", EXAMPLES / "music.ogg"]
OFFSETS = [0.4, 2.0, 5.31, 7.777, 9.5]


def cut(path, offset, duration, **kwargs):
    """The part ``[offset, offset + duration)`` of the whole file's samples."""
    y, sr = spectrust.load(path, sr=None, **kwargs)
    start = int(offset * sr)
    return y[..., start : start + int(duration * sr)]


@pytest.mark.parametrize("path", EXACT, ids=lambda p: p.name)
def test_a_part_is_the_whole_file_cut_there_bit_for_bit(path):
    for offset in OFFSETS:
        for mono in (True, False):
            part, _ = spectrust.load(path, sr=None, mono=mono, offset=offset, duration=1.5)
            np.testing.assert_array_equal(part, cut(path, offset, 1.5, mono=mono), err_msg=f"{offset} {mono}")


def mel_db(y, sr):
    return spectrust.power_to_db(spectrust.melspectrogram(y=y, sr=sr), ref=1.0, top_db=None)


def encode_opus(folder, suffix):
    """The stereo clip as Opus (libopus, 96 kb/s, 48 kHz) in Ogg or WebM, as browsers and
    datasets hold it."""
    if not shutil.which("ffmpeg"):
        pytest.fail("ffmpeg is needed (apt-get install ffmpeg)")
    path = folder / f"music{suffix}"
    cmd = ["ffmpeg", "-v", "error", "-i", str(STEREO44), "-c:a", "libopus", "-b:a", "96k", str(path)]
    subprocess.run(cmd, check=True)
    return path


@pytest.fixture(scope="module")
def opus(tmp_path_factory):
    return encode_opus(tmp_path_factory.mktemp("opus"), ".opus")


@pytest.mark.parametrize("suffix", [".opus", ".webm"])
def test_an_opus_part_converges_on_the_whole_file_cut_there(tmp_path, suffix):
    # 80 ms of pre-roll (RFC 7845): the decoder's state converges; on the part's mel
    # spectrogram the mean difference is within 0.05 dB. In WebM (millisecond timestamps) the
    # packets before it are counted, not decoded.
    path = encode_opus(tmp_path, suffix)
    for offset in OFFSETS:
        part, sr = spectrust.load(path, sr=None, offset=offset, duration=2.0)
        whole = cut(path, offset, 2.0)
        assert part.shape == whole.shape and sr == 48000
        assert np.abs(mel_db(part, sr) - mel_db(whole, sr)).mean() < 0.05, offset
        # Sought, not decoded from the start and cut: the samples are not the same ones.
        assert not np.array_equal(part, whole)


@pytest.mark.parametrize("name", ["music.m4a", "music.aac"])
def test_an_aac_part_is_aligned_and_differs_only_in_its_noise(name):
    # AAC's perceptual noise substitution draws its noise from a generator whose state a
    # seek cannot know: the noise bands differ, the rest is the whole file's.
    path = EXAMPLES / name
    for offset in OFFSETS:
        part, _ = spectrust.load(path, sr=None, offset=offset, duration=2.0)
        whole = cut(path, offset, 2.0)
        assert part.shape == whole.shape
        snr = 10 * np.log10(np.sum(whole**2) / np.sum((part - whole) ** 2))
        assert snr > 35, (offset, snr)  # one sample out of place: under 10 dB


def test_parts_at_the_target_rate_are_those_of_a_decode_from_the_start(opus):
    # At 16 kHz MP3 is synthesised at half its rate and Opus decoded at 16 kHz: the part
    # keeps the grid of samples a decode from the start keeps.
    for path in (EXAMPLES / "music.mp3", opus):
        y, sr = spectrust.load(path, sr=16000)
        for offset in OFFSETS:
            part, _ = spectrust.load(path, sr=16000, offset=offset, duration=1.0)
            start = int(offset * sr)
            whole = y[start : start + len(part)]
            assert len(part) == 16000
            # The resampler's edge differs (the part starts there); past it, the same signal.
            assert np.abs(mel_db(part, sr)[:, 4:-4] - mel_db(whole, sr)[:, 4:-4]).mean() < 0.05, (path, offset)


def test_an_offset_past_the_end_is_empty_and_a_part_that_runs_out_is_cut():
    for path in EXACT:
        y, sr = spectrust.load(path, sr=None)
        seconds = len(y) / sr
        assert len(spectrust.load(path, sr=None, offset=seconds + 5)[0]) == 0, path
        tail, _ = spectrust.load(path, sr=None, offset=seconds - 1.0, duration=5.0)
        np.testing.assert_array_equal(tail, y[int((seconds - 1.0) * sr) :], err_msg=str(path))


def test_load_batch_gives_what_load_gives_for_every_input_kind():
    paths = [EXAMPLES / "music.mp3", EXAMPLES / "music.flac", EXAMPLES / "music.ogg", STEREO44]
    for kwargs in ({}, {"sr": 16000, "offset": 3.3, "duration": 4.0}, {"sr": None, "mono": False, "dtype": "float64"}):
        expected = [spectrust.load(p, **kwargs) for p in paths]
        inputs = [
            paths[0],
            str(paths[1]),
            paths[2].read_bytes(),
            io.BytesIO(paths[3].read_bytes()),
        ]
        got = spectrust.load_batch(inputs, workers=2, **kwargs)
        assert len(got) == len(paths)
        for (y, sr), (want, want_sr) in zip(got, expected):
            assert sr == want_sr and y.dtype == want.dtype and y.shape == want.shape
            np.testing.assert_array_equal(y, want)
    # One input alone is a batch of one.
    [(y, sr)] = spectrust.load_batch(paths[0])
    np.testing.assert_array_equal(y, spectrust.load(paths[0])[0])
    assert sr == 22050


def test_load_batch_goes_on_past_a_bad_input(tmp_path):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"not audio at all" * 10)
    inputs = [EXAMPLES / "music.mp3", bad, tmp_path / "missing.wav", EXAMPLES / "music.flac"]
    got = spectrust.load_batch(inputs, on_error="none")
    assert [g is None for g in got] == [False, True, True, False]
    with pytest.raises(spectrust.DecodeError, match=r"broken\.mp3"):
        spectrust.load_batch(inputs)
    with pytest.raises(spectrust.ParameterError, match="on_error"):
        spectrust.load_batch(inputs, on_error="skip")
    with pytest.raises(spectrust.ParameterError, match="offset"):
        spectrust.load_batch(inputs, offset=-1.0, on_error="none")
