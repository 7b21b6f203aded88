"""Decoding every supported format, compared with independent decoders (libsndfile through
soundfile, FFmpeg through PyAV), and reading parts of files."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import librosa
import numpy as np
import pytest
import soundfile as sf
import spectrust
from conftest import COMPRESSED, EXAMPLES, MONO22, STEREO44


def pyav_decode(path) -> tuple:
    """(channels, n) float32 samples and the rate, decoded by FFmpeg."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        to_float = av.AudioResampler(format="fltp")
        chunks = [f.to_ndarray() for frame in container.decode(stream) for f in to_float.resample(frame)]
        return np.concatenate(chunks, axis=1), stream.rate


def mel_db(y, sr):
    S = librosa.feature.melspectrogram(y=y, sr=sr)
    return librosa.power_to_db(S, ref=np.max(S), top_db=None)


@pytest.mark.parametrize("name", sorted(COMPRESSED))
def test_compressed_formats_match_ffmpeg(name):
    path = EXAMPLES / name
    y, sr = spectrust.load(path, mono=False, sr=None)
    y = np.atleast_2d(y)  # (channels, n), mono files too
    ref, ref_sr = pyav_decode(path)
    delay = COMPRESSED[name]
    assert sr == ref_sr == 44100 and y.dtype == np.float32 and y.shape[0] == ref.shape[0] == 2
    # Same duration within 5 ms once the encoder delay FFmpeg removes is accounted for.
    assert abs((y.shape[1] - delay) - ref.shape[1]) <= 0.005 * sr, (y.shape, ref.shape)
    n = min(y.shape[1] - delay, ref.shape[1])
    mine, theirs = y[:, delay : delay + n], ref[:, :n]
    # Both decoders follow the codec specs, so the samples agree to float precision...
    np.testing.assert_allclose(mine, theirs, atol=1e-4)
    # ... and so do the mel spectrograms (the parity bar of the feature API).
    a, b = mel_db(mine.mean(axis=0), sr), mel_db(theirs.mean(axis=0), sr)
    shown = b > -80
    assert np.abs(a - b)[shown].max() < 0.05


@pytest.mark.parametrize("name", ["loud.mp3", "loud.ogg"])
def test_loud_lossy_audio_is_not_clipped(tmp_path, name):
    # A full-scale square wave: lossy coding rings past full scale, and FFmpeg (as librosa's
    # decoders) keeps those samples beyond 1.0 rather than clipping them.
    path = tmp_path / name
    square = np.sign(np.sin(2 * np.pi * 220 * np.arange(44100) / 44100))
    if name.endswith(".mp3"):
        encode(path, "mp3", "libmp3lame", 44100, square)
    else:  # (FFmpeg's own Vorbis encoder is experimental; libsndfile's is libvorbis.)
        sf.write(path, square, 44100, format="OGG", subtype="VORBIS")
    y, _ = spectrust.load(path, mono=False, sr=None)
    y = np.atleast_2d(y)  # (channels, n), mono files too
    ref, _ = pyav_decode(path)
    assert np.abs(ref).max() > 1.05 and y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=1e-4)


@pytest.mark.parametrize("name", ["music.mp3", "music.ogg", "music.flac", "bell.oga", "complete.oga"])
def test_formats_libsndfile_reads_match_soundfile(name):
    y, sr = spectrust.load(EXAMPLES / name, mono=False, sr=None)
    y = np.atleast_2d(y)  # (channels, n), mono files too
    ref, ref_sr = sf.read(EXAMPLES / name, dtype="float32", always_2d=True)
    assert sr == ref_sr and y.shape == ref.T.shape
    np.testing.assert_allclose(y, ref.T, atol=1e-4)


def test_the_format_comes_from_the_content_not_the_name(tmp_path):
    expected, _ = spectrust.load(EXAMPLES / "music.mp3", sr=None)
    for wrong in ["song.wav", "song.ogg", "song", "song.flac"]:
        shutil.copy(EXAMPLES / "music.mp3", tmp_path / wrong)
        y, _ = spectrust.load(tmp_path / wrong, sr=None)
        np.testing.assert_array_equal(y, expected)
    shutil.copy(MONO22, tmp_path / "pcm.mp3")
    np.testing.assert_array_equal(spectrust.load(tmp_path / "pcm.mp3", sr=None)[0], spectrust.load(MONO22, sr=None)[0])


def encode(path, fmt: str, codec: str, rate: int, x=None) -> None:
    """One second of ``x`` (default: a 440 Hz tone at half scale) encoded with FFmpeg."""
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        x = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate) if x is None else x)[None, :]
        sample_format = stream.codec_context.format.name
        if sample_format.startswith("s16"):
            x = (x * 32767).astype(np.int16)
        elif sample_format.startswith("s32"):
            x = (x * (2**31 - 1)).astype(np.int32)
        else:
            x = x.astype(np.float32)
        frame = av.AudioFrame.from_ndarray(x, format=sample_format, layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)


@pytest.mark.parametrize(
    "fmt,codec,name,codec_name,rate",
    [
        ("mp2", "mp2", "broadcast.mp2", "MPEG-1 Layer II", 44100),
        ("matroska", "ac3", "film.mka", "AC-3", 48000),
        ("mp4", "ac3", "film.mp4", "AC-3", 48000),
    ],
)
def test_codecs_we_do_not_decode_are_named(tmp_path, fmt, codec, name, codec_name, rate):
    path = tmp_path / name
    encode(path, fmt, codec, rate)
    with pytest.raises(spectrust.UnsupportedFormatError, match=codec_name) as e:
        spectrust.load(path, sr=None)
    assert str(path) in str(e.value) and "\n" not in str(e.value)
    r = spectrust.Spectrogram().generate(path, tmp_path / "out.png")
    assert not r.ok and codec_name in r.error and not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("path", [MONO22, EXAMPLES / "music.mp3", EXAMPLES / "music.flac"])
def test_offset_and_duration_select_a_part(path):
    full, sr = spectrust.load(path, sr=None)
    part, sr2 = spectrust.load(path, offset=1.5, duration=2.25, sr=None)
    start = int(1.5 * sr)
    assert sr2 == sr and len(part) == int(2.25 * sr)
    np.testing.assert_array_equal(part, full[start : start + len(part)])
    tail, _ = spectrust.load(path, offset=len(full) / sr - 0.5, sr=None)
    np.testing.assert_array_equal(tail, full[-len(tail) :])
    assert abs(len(tail) - 0.5 * sr) <= 1
    assert len(spectrust.load(path, offset=1000.0, sr=None)[0]) == 0


def test_offset_and_duration_follow_librosa():
    y, sr = spectrust.load(STEREO44, offset=2.0, duration=1.0, sr=22050)
    ref, _ = librosa.load(STEREO44, offset=2.0, duration=1.0, sr=22050, res_type="soxr_hq")
    assert y.shape == ref.shape
    a, b = mel_db(y, sr), mel_db(ref, sr)
    # The resamplers differ slightly near the new Nyquist frequency only.
    assert np.median(np.abs(a - b)[b > -80]) < 0.05


def test_bad_offsets_are_parameter_errors():
    for kwargs in [dict(offset=-1.0), dict(duration=-0.5), dict(max_duration=0), dict(offset=float("nan"))]:
        with pytest.raises(spectrust.ParameterError):
            spectrust.load(MONO22, **kwargs)


def test_max_duration_stops_long_files(tmp_path):
    for path in [MONO22, EXAMPLES / "music.mp3"]:
        with pytest.raises(spectrust.DecodeError, match="max_duration"):
            spectrust.load(path, max_duration=10.0, sr=None)
        assert len(spectrust.load(path, max_duration=15.5, sr=None)[0]) > 0
        assert len(spectrust.load(path, max_duration=None, sr=None)[0]) > 0
    r = spectrust.Spectrogram(max_duration=5).generate(MONO22, tmp_path / "x.png")
    assert not r.ok and "max_duration" in r.error and not (tmp_path / "x.png").exists()
    out = spectrust.melspectrogram_batch([MONO22, EXAMPLES / "music.ogg"], max_duration=15.01, on_error="none")
    assert out[0] is not None and out[1] is None  # the Ogg clip is 15.016 s long


def test_sr_is_accepted_everywhere_a_path_is(tmp_path):
    (S,) = spectrust.melspectrogram_batch([EXAMPLES / "music.mp3"], sr=16000)
    y, _ = spectrust.load(EXAMPLES / "music.mp3", sr=16000)
    assert S.shape == (128, 1 + len(y) // 512) and len(y) == 15 * 16000
    r = spectrust.Spectrogram(64, 32, sr=8000).generate(EXAMPLES / "music.flac", tmp_path / "a.png")
    assert r.ok
    with spectrust.Batchop(EXAMPLES, tmp_path / "b", 64, 32, sr=16000, extensions=(".ogg", ".oga")) as results:
        assert len(results) == 3 and all(x.ok for x in results)


def test_many_channels_and_extensible_wav(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.5, 0.5, size=(8000, 6)).astype(np.float32)
    path = tmp_path / "six.wav"
    sf.write(path, y, 16000, subtype="PCM_24")  # 6 channels: WAVE_FORMAT_EXTENSIBLE
    assert sf.info(path).channels == 6
    multi, sr = spectrust.load(path, mono=False, sr=None)
    multi = np.atleast_2d(multi)  # (channels, n), mono files too
    assert multi.shape == (6, 8000) and sr == 16000
    np.testing.assert_allclose(multi, sf.read(path, dtype="float32")[0].T, atol=1e-7)
    np.testing.assert_allclose(spectrust.load(path, sr=None)[0], multi.mean(axis=0), atol=1e-6)


def test_wav_codecs_hound_lacks_go_to_symphonia(tmp_path):
    y = 0.4 * np.sin(2 * np.pi * 300 * np.arange(8000) / 8000)
    for subtype in ["ULAW", "ALAW", "DOUBLE"]:
        path = tmp_path / f"{subtype}.wav"
        sf.write(path, y, 8000, subtype=subtype)
        got, sr = spectrust.load(path, sr=None)
        ref, _ = sf.read(path, dtype="float32")
        assert sr == 8000
        np.testing.assert_allclose(got, ref, atol=1e-6)


def test_non_finite_samples_are_a_clear_error(tmp_path):
    y = np.zeros(22050, dtype=np.float32)
    y[100] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, y, 22050, subtype="FLOAT")
    r = spectrust.Spectrogram().generate(path, tmp_path / "nan.png")
    assert not r.ok and "NaN" in r.error and not (tmp_path / "nan.png").exists()
    with pytest.raises(spectrust.DecodeError, match="NaN"):
        spectrust.melspectrogram_batch([path])
    y[100] = np.inf
    sf.write(path, y, 22050, subtype="FLOAT")
    assert "infinite" in spectrust.Spectrogram().generate(path, tmp_path / "inf.png").error


def test_cut_files_are_corrupt_and_random_bytes_are_not_audio(tmp_path, bad_inputs):
    for name in ["mp3_cut", "flac_cut", "ogg_cut", "m4a_no_moov"]:
        with pytest.raises(spectrust.DecodeError) as e:
            spectrust.load(bad_inputs[name], sr=None)
        assert not isinstance(e.value, spectrust.UnsupportedFormatError), e.value
    for name in ["random.mp3", "random.ogg", "text", "png"]:
        with pytest.raises(spectrust.UnsupportedFormatError, match="not a recognised audio format"):
            spectrust.load(bad_inputs[name], sr=None)
    # A compressed file cut in the middle of its audio gives the audio before the cut.
    for name, keep in [("music.mp3", 120_000), ("music.flac", 1_000_000), ("music.ogg", 90_000), ("music.aac", 90_000)]:
        cut = tmp_path / name
        cut.write_bytes((EXAMPLES / name).read_bytes()[:keep])
        y, sr = spectrust.load(cut, sr=None)
        full, _ = spectrust.load(EXAMPLES / name, sr=None)
        assert 5 * sr < len(y) < len(full)
        np.testing.assert_allclose(y[: 4 * sr], full[: 4 * sr], atol=1e-6)


def test_a_file_that_crashed_the_decoder_is_a_one_line_decode_error(tmp_path):
    # Found by the fuzz target (rust/fuzz): ADTS AAC that made symphonia 0.5.5 index out of
    # bounds (0.6 rejects it). Whether symphonia panics (caught, see the Rust test
    # a_panic_inside_symphonia_is_a_decode_error_naming_the_file) or refuses it, the user gets
    # one line naming the file, and nothing is written.
    crash = Path(__file__).parent / "data" / "fuzz_aac_panic.bin"
    with pytest.raises(spectrust.DecodeError, match=r"fuzz_aac_panic\.bin: cannot decode: "):
        spectrust.load(crash, sr=None)
    p = subprocess.run(
        [sys.executable, "-m", "spectrust.cli", "render", crash, tmp_path / "x.png"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 1 and len(p.stderr.splitlines()) == 1 and "fuzz_aac_panic.bin: cannot decode" in p.stderr
    assert not (tmp_path / "x.png").exists()


def test_a_lying_length_in_a_compressed_header_allocates_nothing_big():
    # Found by the fuzz target: the MP3 header claims ~2^60 frames. Reading it must not try to
    # reserve that (it aborted the process), just decode what is there.
    crash = Path(__file__).parent / "data" / "fuzz_mp3_lying_length.bin"
    y, sr = spectrust.load(crash, sr=None)
    assert sr == 44100 and 0 < len(y) < 10 * sr
    # A FLAC metadata block claiming 4 GB: a clear error.
    with pytest.raises(spectrust.DecodeError, match="truncated"):
        spectrust.load(Path(__file__).parent / "data" / "fuzz_flac_4gb_block.bin", sr=None)


def test_fifos_and_devices_are_clear_errors(tmp_path):
    # Opening a FIFO would block until a writer comes; /dev/zero would never end.
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    for path in [fifo, Path("/dev/zero")]:
        with pytest.raises(spectrust.DecodeError, match="not a regular file"):
            spectrust.load(path, sr=None)
        r = spectrust.Spectrogram().generate(path, tmp_path / "x.png")
        assert not r.ok and "not a regular file" in r.error


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "name, container, rate, channels",
    [
        ("music_opus.webm", "webm", 48000, 2),  # what Chrome's MediaRecorder writes
        ("speech_opus.ogg", "ogg", 48000, 1),  # Firefox's, and .opus files
        ("music_vorbis.webm", "webm", 44100, 2),
        ("music_alac.m4a", "m4a", 44100, 1),  # Apple Lossless
    ],
)
def test_browser_and_apple_formats_match_ffmpeg(tmp_path, name, container, rate, channels):
    path = DATA / name
    y, sr = spectrust.load(path, mono=False, sr=None)
    y = np.atleast_2d(y)  # (channels, n), mono files too
    ref, ref_sr = pyav_decode(path)
    assert sr == ref_sr == rate and y.shape[0] == ref.shape[0] == channels
    # Gapless: the Opus pre-skip is dropped as FFmpeg drops it (same start, same length in
    # Ogg; WebM keeps the encoder's end padding, at most one 20 ms frame, which FFmpeg drops).
    extra = y.shape[1] - ref.shape[1]
    assert extra == 0 or (name.endswith(".webm") and 0 < extra <= 0.02 * sr), extra
    n = ref.shape[1]
    tol = 0.3 if name == "speech_opus.ogg" else 1e-4  # FFmpeg's own Opus decoder differs in SILK mode
    assert np.abs(y[:, :n] - ref).max() < tol
    a, b = mel_db(y[:, :n].mean(axis=0), sr), mel_db(ref.mean(axis=0), sr)
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] >= 0.99
    r = spectrust.Spectrogram(64, 32).generate(path, tmp_path / "a.png")
    assert r.ok and r.format == container, (r.error, r.format)


def test_cut_and_lying_opus_and_webm_files_fail_clearly(tmp_path):
    for name in ("music_opus.webm", "speech_opus.ogg"):
        data = (DATA / name).read_bytes()
        for cut in (30, 200, len(data) // 2):
            path = tmp_path / f"{cut}_{name}"
            path.write_bytes(data[:cut])
            try:
                y, sr = spectrust.load(path, sr=None)
            except spectrust.DecodeError as e:  # a header cut short: a one-line error
                assert path.name in str(e) and "\n" not in str(e)
            else:  # cut in the audio: what is there
                full, _ = spectrust.load(DATA / name, sr=None)
                assert 0 < len(y) < len(full) and sr == 48000
        # A lying element size (the EBML Segment's, or an Ogg page's length byte).
        broken = bytearray(data)
        broken[60:64] = b"\xff\xff\xff\xff"
        path = tmp_path / f"lying_{name}"
        path.write_bytes(bytes(broken))
        try:
            spectrust.load(path, max_duration=60, sr=None)
        except spectrust.DecodeError as e:
            assert "\n" not in str(e)
