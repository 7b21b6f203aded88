"""Decoding only what the features need (MP3 mono in the subband domain, fewer subbands,
synthesis at a lower rate; Opus at the target rate and in mono) against independent full
decodes: FFmpeg's, librosa's, transformers' Whisper features of librosa's signal."""

import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest
import spectrust
from conftest import EXAMPLES, STEREO44
from transformers import WhisperFeatureExtractor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benches"))
from accuracy_decode import db_differences, reference

SPEECH = Path(__file__).parent / "data" / "speech_jfk.mp3"
#: Real recordings as MP3s of the kinds users hold: FFmpeg's arguments (LAME).
ENCODINGS = {
    "joint_128k_44k.mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
    "joint_128k_48k.mp3": ["-ar", "48000", "-c:a", "libmp3lame", "-b:a", "128k"],
    "stereo_160k_44k.mp3": ["-c:a", "libmp3lame", "-b:a", "160k", "-joint_stereo", "0"],  # left/right frames
    "vbr_44k.mp3": ["-c:a", "libmp3lame", "-q:a", "2"],
    "joint_96k_32k.mp3": ["-ar", "32000", "-c:a", "libmp3lame", "-b:a", "96k"],  # all 32 kHz: no lower rate
}


def ffmpeg(source, path, args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *args, str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def mp3s(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mp3")
    made = [ffmpeg(STEREO44, folder / name, args) for name, args in ENCODINGS.items()]
    return [*made, EXAMPLES / "music.mp3", SPEECH]


@pytest.mark.parametrize("sr", [16000, 8000])
def test_reduced_mp3_decoding_has_a_full_ffmpeg_decodes_mel_spectrogram(mp3s, sr):
    # load(sr=16000) decodes mono, 13 of 32 subbands at 22.05 kHz (7 at 11.025 kHz for 8 kHz);
    # the reference decodes everything (FFmpeg), averages, resamples by soxr VHQ.
    for path in mp3s:
        ours, got_sr = spectrust.load(path, sr=sr)
        assert got_sr == sr and ours.shape == librosa.load(path, sr=sr)[0].shape, path.name
        low, high = db_differences(ours, reference(path, sr), sr)
        assert np.median(low) <= 0.05 and np.percentile(low, 99) <= 0.1, (path.name, np.percentile(low, 99))
        # Above 0.9 of the Nyquist frequency the resamplers' responses differ (soxr VHQ and
        # HQ by 1.9 dB): within 1 dB in the median.
        assert np.median(high) <= 1.0, (path.name, np.median(high))


def test_reduced_decoding_changes_next_to_nothing_a_full_decode_keeps(mp3s):
    # The same resampler on both sides: only the reductions differ.
    for path in mp3s:
        reduced, _ = spectrust.load(path, sr=16000)
        stereo, sr = spectrust.load(path, sr=None, mono=False)
        full = spectrust.resample(np.atleast_2d(stereo).mean(axis=0), orig_sr=sr, target_sr=16000)
        assert reduced.shape == full.shape
        low, high = db_differences(reduced, full, 16000)
        assert np.percentile(low, 99) <= 0.02 and np.percentile(high, 99) <= 0.1, path.name


def test_offsets_and_durations_count_at_the_files_rate(mp3s):
    # An odd number of 44.1 kHz samples in: the decoder keeps the other half of the samples.
    path = mp3s[0]
    for offset, duration in [(1.0 + 3 / 44100, 2.5), (0.37, None), (2 / 44100, 1.0)]:
        ours, _ = spectrust.load(path, sr=16000, offset=offset, duration=duration)
        ref, _ = librosa.load(path, sr=16000, offset=offset, duration=duration)
        assert ours.shape == ref.shape, (offset, duration)
        low, _ = db_differences(ours, ref, 16000)
        assert np.percentile(low, 99) <= 0.1, (offset, duration, np.percentile(low, 99))
    # The batch form reads the same signal as load does.
    kw = dict(sr=16000, n_fft=400, hop_length=160, n_mels=80)
    y, _ = spectrust.load(path, sr=16000, offset=0.5, duration=3.0)
    (S,) = spectrust.melspectrogram_batch([path], offset=0.5, duration=3.0, **kw)
    np.testing.assert_array_equal(S, spectrust.melspectrogram(y=y, **kw))


def test_whisper_features_of_mp3s_are_transformers_on_librosas_signal(mp3s):
    extractor = WhisperFeatureExtractor()
    paths = [mp3s[0], mp3s[1], mp3s[2], SPEECH]
    signals = [librosa.load(p, sr=16000)[0] for p in paths]
    ref = extractor(signals, sampling_rate=16000, return_tensors="np").input_features
    ours = spectrust.whisper_features(paths)["input_features"]
    assert ours.shape == ref.shape == (4, 80, 3000)
    low = librosa.mel_frequencies(82, fmax=8000)[2:] < 0.9 * 8000
    for path, o, r, y in zip(paths, ours, ref, signals):
        # The frames of the signal but the first and last three, whose windows reach its
        # first or last 200 samples, where decoders differ (mpg123's first 100 samples are
        # not FFmpeg's nor ours; a read at half the rate ends half a sample early when its
        # last sample is an odd one).
        inner = slice(3, len(y) // 160 - 3)
        d = np.abs(o - r)[:, inner]
        # Below 0.9 of the Nyquist frequency within 1e-3 (0.04 dB), at 80 dB under the peak too.
        assert d[low].max() < 1e-3, (path.name, d[low].max())
        # Above it the resamplers' responses differ (spectrust's and soxr HQ's, by up to 0.11
        # dB), for a full decode as much: no further.
        stereo, sr = spectrust.load(path, sr=None, mono=False)
        full = spectrust.resample(np.atleast_2d(stereo).mean(axis=0), orig_sr=sr, target_sr=16000)
        (f,) = extractor([full], sampling_rate=16000, return_tensors="np").input_features
        assert d[~low].max() <= np.abs(f - r)[:, inner][~low].max() + 5e-4, path.name
        # Silence (the 30 s padding) is the same.
        np.testing.assert_allclose(o[:, len(y) // 160 + 2 :], r[:, len(y) // 160 + 2 :], atol=1e-6)


def test_mfcc_of_a_reduced_decode_is_librosas(mp3s):
    for path in mp3s:
        (ours,) = spectrust.mfcc_batch([path], sr=16000)
        ref = librosa.feature.mfcc(y=librosa.load(path, sr=16000)[0], sr=16000)
        assert ours.shape == ref.shape
        # test_mfcc's tolerance (1e-3 of the largest coefficient), on the frames whose
        # 2048-sample windows stay inside the signal (see the Whisper test above for why).
        assert np.abs(ours - ref)[:, 2:-2].max() <= 1e-3 * np.abs(ref).max(), path.name


@pytest.fixture(scope="module")
def opus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("opus")
    return ffmpeg(STEREO44, folder / "music.opus", ["-c:a", "libopus", "-b:a", "96k"])


def test_opus_decodes_at_the_target_rate_in_mono(opus):
    full, sr = spectrust.load(opus, sr=None, mono=False)
    assert sr == 48000 and full.shape[0] == 2
    want = spectrust.resample(full.mean(axis=0), orig_sr=48000, target_sr=16000)
    ours, sr = spectrust.load(opus, sr=16000)
    assert sr == 16000 and ours.shape == want.shape == librosa.load(opus, sr=16000)[0].shape
    # libopus's own 16 kHz output (its bands above 8 kHz left out, no resampler): the same
    # spectrum below 0.9 of the Nyquist frequency.
    low, high = db_differences(ours, want, 16000)
    assert np.median(low) <= 0.001 and np.percentile(low, 99) <= 0.01, np.percentile(low, 99)
    assert np.median(high) <= 1.0
    # At 48 kHz, mono: libopus's downmix is the mean of the channels.
    mono, _ = spectrust.load(opus, sr=None)
    np.testing.assert_allclose(mono, full.mean(axis=0), atol=1e-6)


def test_opus_at_other_target_rates_has_the_full_decodes_length(opus):
    for sr in (8000, 12000, 22050, 24000, 44100):
        ours, got = spectrust.load(opus, sr=sr, offset=0.25, duration=4.0)
        ref, _ = librosa.load(opus, sr=sr, offset=0.25, duration=4.0)
        assert got == sr and ours.shape == ref.shape, sr


#: MPEG-1 Layer III bit rates (kb/s) by header index.
KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]


def frames(data: bytes) -> list:
    """(offset, length) of the MPEG-1 Layer III frames of an MP3 at 44.1 kHz, after its tags."""
    at = data.index(b"\xff\xfb")
    found = []
    while at + 4 <= len(data) and data[at] == 0xFF and data[at + 1] & 0xE0 == 0xE0:
        length = 144_000 * KBPS[data[at + 2] >> 4] // 44100 + (data[at + 2] >> 1 & 1)
        if length == 0:
            break
        found.append((at, length))
        at += length
    return found


def set_bits(data: bytearray, at: int, n: int, value: int):
    """Writes ``value`` into ``n`` bits of ``data`` from bit ``at``, most significant first."""
    for i in range(n):
        byte, bit = divmod(at + i, 8)
        data[byte] = data[byte] & ~(0x80 >> bit) | ((value >> (n - 1 - i)) & 1) << (7 - bit)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, mp3s):
    """name -> an MP3 made hostile in one way (from the 44.1 kHz joint stereo one of `mp3s`:
    music that is loud from its first sample)."""
    folder = tmp_path_factory.mktemp("hostile")
    data = mp3s[0].read_bytes()
    found = frames(data)
    assert len(found) > 500
    made = {}

    def write(name, content):
        made[name] = folder / f"{name}.mp3"
        made[name].write_bytes(bytes(content))

    mid, length = found[len(found) // 2]
    write("cut_in_a_frame", data[: mid + length // 2])
    write("frames_missing", data[:mid] + data[mid + length // 3 : mid + 5 * length] + data[mid + 9 * length :])
    bad_tables = bytearray(data)
    for at, _ in found[50::9]:
        # Granule 0, channel 0: table_select of a long block (the 15 bits after the window
        # switching flag at bit 20 + 33 of the side info) to tables 4 and 14, which MP3 lacks.
        if bad_tables[at + 1] & 1:  # the protection bit set: no CRC before the side info
            set_bits(bad_tables, 8 * (at + 4) + 20 + 34, 10, 4 << 5 | 14)
    write("bad_huffman_tables", bad_tables)
    reservoir = bytearray(data)
    for at, _ in found[1:4]:  # (the first frame is the LAME header, with no audio)
        set_bits(reservoir, 8 * (at + 4), 9, 511)  # main_data_begin: 511 bytes before the stream
    write("main_data_before_the_stream", reservoir)
    free = bytearray(data)
    for at, _ in found:
        free[at + 2] &= 0x0F  # bit rate index 0: free format
    write("free_format", free)
    garbage = bytearray(data)
    rng = np.random.default_rng(3)
    for at, length in found[100::7]:
        garbage[at + 4 : at + length] = rng.bytes(length - 4)  # side info and main data
    write("garbage_frames", garbage)
    return made


@pytest.mark.parametrize(
    "name",
    [
        "cut_in_a_frame",
        "frames_missing",
        "bad_huffman_tables",
        "main_data_before_the_stream",
        "free_format",
        "garbage_frames",
    ],
)
def test_hostile_mp3s_give_audio_or_a_clear_error_whatever_is_decoded(hostile, name):
    path = hostile[name]
    for kw in (dict(sr=None, mono=False), dict(sr=16000), dict(sr=8000, offset=1.0, duration=3.0), dict(sr=22050)):
        try:
            y, _ = spectrust.load(path, **kw)
        except (spectrust.DecodeError, spectrust.UnsupportedFormatError) as e:
            message = str(e)
            assert message.startswith(str(path)) and "\n" not in message, message
            continue
        assert np.isfinite(y).all() and y.size > 0, (name, kw)
        # Whatever was decoded has the length librosa's count gives it.
        if kw["sr"]:
            part = dict(offset=kw.get("offset", 0.0), duration=kw.get("duration"))
            stereo, native = spectrust.load(path, sr=None, mono=False, **part)
            assert abs(y.shape[-1] - stereo.shape[-1] * kw["sr"] / native) <= 1, (name, kw)
    (S,) = spectrust.melspectrogram_batch([path], sr=16000, on_error="none")
    assert S is None or np.isfinite(S).all()


def test_what_a_hostile_mp3_decodes_to(hostile, mp3s):
    # A cut in a frame: the frames before it.
    full, _ = spectrust.load(mp3s[0], sr=16000)
    cut, _ = spectrust.load(hostile["cut_in_a_frame"], sr=16000)
    assert 0.45 * len(full) < len(cut) < 0.55 * len(full)
    np.testing.assert_allclose(cut[16000:48000], full[16000:48000], atol=1e-6)
    # A reservoir that is not there: the first two frames are silent (2 x 1152 samples less
    # the 1105 of the encoder delay: 435 at 16 kHz; the third finds 511 bytes, of the frames
    # before it), the rest are the music.
    silent, _ = spectrust.load(hostile["main_data_before_the_stream"], sr=16000)
    assert len(silent) == len(full) and np.abs(silent[:400]).max() < 1e-6 and np.abs(full[:400]).max() > 0.1
    np.testing.assert_allclose(silent[16000:], full[16000:], atol=1e-6)
    # Free format is not read (nor was it by symphonia): a clear error.
    with pytest.raises((spectrust.DecodeError, spectrust.UnsupportedFormatError), match=r"free_format\.mp3"):
        spectrust.load(hostile["free_format"], sr=None)


@pytest.mark.parametrize("repeat", [1, 26])  # 15 s, and 6.5 min (read in a stream, columns pooled)
def test_images_of_an_mp3_with_a_low_fmax_are_those_of_its_full_decode(tmp_path, repeat):
    from PIL import Image

    long = tmp_path / "long.flac"
    loop = ["-stream_loop", str(repeat - 1)]
    subprocess.run(["ffmpeg", "-v", "error", *loop, "-i", str(STEREO44), str(long)], check=True)
    mp3 = ffmpeg(long, tmp_path / "music.mp3", ["-c:a", "libmp3lame", "-b:a", "128k"])
    decoded = ffmpeg(mp3, tmp_path / "decoded.flac", [])  # FFmpeg's full decode: nothing left out
    for kw in (dict(fmax=4000.0), dict(sr=16000), dict(sr=16000, scale="linear")):
        spec = spectrust.Spectrogram(800, 300, **kw)
        pixels = []
        for path in (mp3, decoded):
            out = tmp_path / f"{path.stem}.png"
            assert spec.generate(path, out).ok
            pixels.append(np.asarray(Image.open(out), dtype=np.float64))
        diff = np.abs(pixels[0] - pixels[1])
        # The same image but for the rows above 0.9 of the target's Nyquist frequency (at 16
        # kHz the resampler's transition band, where its response from 22.05 and from 44.1 kHz
        # differs by dB at 80 dB down: the top 10 % of a linear axis, the top mel band) and
        # the first and last columns (their frames reflect the signal at its ends, which folds
        # what lies above fmax, left out here, into the bands below; a read at half the rate
        # ends half a sample early when its last sample is an odd one).
        top = 30 if kw.get("scale") == "linear" else 3
        diff = diff[top:, 4:-4]
        assert diff.mean() < 0.1 and diff.max() <= 8, (kw, diff.mean(), diff.max())
