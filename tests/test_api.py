"""The original spectrust API: Spectrogram, Result, Batchop."""

import os
import re
import uuid
from pathlib import Path

import numpy as np
import pytest
import spectrust
from conftest import BAD_INPUTS, EXAMPLES, MONO8_U8, MONO22, STEREO44, STEREO44_S24, chirp, write_wav
from PIL import Image


def pixels(path):
    with Image.open(path) as im:
        return im.format, im.size, np.asarray(im.convert("RGB")).astype(int)


def leftovers(folder):
    return [p for p in Path(folder).rglob("*") if p.name.startswith(".spectrust-")]


def test_repr_like_the_original():
    assert (
        repr(spectrust.Spectrogram(800, 600))
        == "<spectrust.Spectrogram(\n\twidth=800,\n\theight=600\n\tr=255.0\n\tg=255.0\n\tb=255.0\n)>"
    )
    assert "colormap='magma'" in repr(spectrust.Spectrogram(colormap="magma"))
    r = spectrust.Result("in.wav", "out.jpg", None)
    assert repr(r) == "<spectrust.Result(\n\tinputfile=in.wav,\n\toutputfile=out.jpg,\n\terror=None\n)>"
    assert r.ok and r.input_file == "in.wav" and r.output_file == "out.jpg" and r.error is None


@pytest.mark.parametrize("suffix,fmt", [(".jpg", "JPEG"), (".jpeg", "JPEG"), (".png", "PNG"), (".PNG", "PNG")])
def test_generate_exact_size_and_format_by_suffix(tmp_path, suffix, fmt):
    out = tmp_path / f"img{suffix}"
    r = spectrust.Spectrogram(321, 123).generate(str(MONO22), str(out))
    assert r.ok, r.error
    got_fmt, size, _ = pixels(out)
    assert (got_fmt, size) == (fmt, (321, 123))


def test_unknown_suffix_is_a_result_error_and_writes_nothing(tmp_path):
    r = spectrust.Spectrogram().generate(MONO22, tmp_path / "img.gif")
    assert not r.ok and "img.gif" in r.error and ".png" in r.error
    assert list(tmp_path.iterdir()) == []


def test_rising_chirp_goes_up(tmp_path):
    wav = write_wav(tmp_path / "chirp.wav", chirp(), 22050)
    out = tmp_path / "chirp.png"
    assert spectrust.Spectrogram(200, 100, colormap="gray").generate(wav, out).ok
    _, _, px = pixels(out)
    brightest_row = px[..., 0].argmax(axis=0)  # per column; row 0 is the top
    early, late = brightest_row[20:60].mean(), brightest_row[140:180].mean()
    assert early > late + 20, (early, late)


def test_low_frequencies_at_the_bottom(tmp_path):
    t = np.arange(22050 * 2) / 22050
    wav = write_wav(tmp_path / "low.wav", 0.5 * np.sin(2 * np.pi * 100 * t), 22050)
    out = tmp_path / "low.png"
    assert spectrust.Spectrogram(100, 100, colormap="gray").generate(wav, out).ok
    _, _, px = pixels(out)
    rows = px[..., 0].mean(axis=1)
    assert rows.argmax() >= 90 and rows.max() > 200 and rows[:50].max() < 10


def test_rgb_scale_the_colour_map_channels(tmp_path):
    base, scaled = tmp_path / "base.png", tmp_path / "scaled.png"
    assert spectrust.Spectrogram(120, 80).generate(MONO22, base).ok
    assert spectrust.Spectrogram(120, 80, r=128, g=0, b=255).generate(MONO22, scaled).ok
    _, _, full = pixels(base)
    _, _, part = pixels(scaled)
    assert (part[..., 1] == 0).all()
    np.testing.assert_array_equal(part[..., 2], full[..., 2])
    # int(128 * m) versus int(255 * m) for the same map value m in 0..1.
    assert (np.abs(part[..., 0] - full[..., 0] * 128 / 255) <= 1).all()
    assert part[..., 0].max() > 100


@pytest.mark.parametrize("cmap", spectrust.COLORMAPS)
def test_every_colormap_renders(tmp_path, cmap):
    out = tmp_path / f"{cmap}.png"
    assert spectrust.Spectrogram(64, 48, colormap=cmap).generate(MONO8_U8, out).ok
    _, _, px = pixels(out)
    assert px.std() > 10
    if cmap.startswith("gray"):
        assert (px[..., 0] == px[..., 1]).all() and (px[..., 1] == px[..., 2]).all()


def test_bad_parameters_raise_at_construction():
    with pytest.raises(spectrust.ParameterError, match="colormap"):
        spectrust.Spectrogram(colormap="rainbow")
    with pytest.raises(spectrust.ParameterError, match="width"):
        spectrust.Spectrogram(0, 10)
    with pytest.raises(spectrust.ParameterError, match="r, g and b"):
        spectrust.Spectrogram(r=300)
    with pytest.raises(TypeError, match="colour"):
        spectrust.Spectrogram(colour="red")


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_generate_never_raises_for_bad_input(tmp_path, bad_inputs, name):
    out = tmp_path / "out" / "img.jpg"
    r = spectrust.Spectrogram().generate(bad_inputs[name], out)
    assert not r.ok
    assert bad_inputs[name].name in r.error and "\n" not in r.error
    assert not out.exists() and leftovers(tmp_path) == []


def test_odd_but_valid_audio_gives_sane_images(tmp_path):
    silence = write_wav(tmp_path / "silence.wav", np.zeros(22050), 22050)
    tiny = write_wav(tmp_path / "tiny.wav", np.random.default_rng(0).uniform(-0.5, 0.5, 100), 22050)
    cut = tmp_path / "cut.wav"
    data = MONO22.read_bytes()
    cut.write_bytes(data[: len(data) // 3 + 1])
    sp = spectrust.Spectrogram(64, 32, colormap="gray")
    for wav in (silence, tiny, cut):
        out = tmp_path / (wav.stem + ".png")
        r = sp.generate(wav, out)
        assert r.ok, r.error
        assert pixels(out)[1] == (64, 32)
    assert (pixels(tmp_path / "silence.png")[2] == 0).all()
    assert pixels(tmp_path / "cut.png")[2].std() > 10


def test_unwritable_output_is_a_result_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = spectrust.Spectrogram().generate(MONO22, blocker / "img.jpg")
    assert not r.ok and "file" in r.error


def make_tree(root: Path) -> list:
    (root / "a").mkdir(parents=True)
    (root / "b" / "c").mkdir(parents=True)
    files = [root / "a" / "x.wav", root / "b" / "x.wav", root / "b" / "c" / "y.wav", root / "z.wav"]
    for f, src in zip(files, [MONO22, MONO8_U8, STEREO44_S24, STEREO44]):
        f.write_bytes(src.read_bytes())
    (root / "notes.txt").write_text("not audio")
    return sorted(str(f.resolve()) for f in files)


def test_batchop_picks_up_every_audio_format_by_default(tmp_path):
    inputs = make_tree(tmp_path / "in")
    (tmp_path / "in" / "b" / "song.mp3").write_bytes(b"ID3")
    bad_mp3 = str((tmp_path / "in" / "b" / "song.mp3").resolve())
    with spectrust.Batchop(tmp_path / "in", tmp_path / "out", 40, 30) as results:
        pass
    assert [r.input_file for r in results] == sorted([*inputs, bad_mp3])
    failed = [r for r in results if not r.ok]
    assert [r.input_file for r in failed] == [bad_mp3] and "song.mp3" in failed[0].error
    assert not os.path.exists(failed[0].output_file)


def test_batchop_recursive_sorted_uuid_names(tmp_path):
    inputs = make_tree(tmp_path / "in")
    out = tmp_path / "new" / "out"
    # The original's behaviour: WAV files only.
    with spectrust.Batchop(tmp_path / "in", out, 100, 50, extensions=(".wav",)) as results:
        pass
    assert [r.input_file for r in results] == inputs
    assert all(r.ok for r in results)
    for r in results:
        name = Path(r.output_file).name
        assert re.fullmatch(r"[0-9a-f-]{36}\.jpg", name) and uuid.UUID(name[:-4]).version == 4
        assert pixels(r.output_file)[:2] == ("JPEG", (100, 50))
    assert len(set(r.output_file for r in results)) == 4


def test_batchop_keep_names_and_png(tmp_path):
    make_tree(tmp_path / "in")
    with spectrust.Batchop(tmp_path / "in", tmp_path / "out", 40, 30, keep_names=True, format="png") as results:
        pass
    got = sorted(str(Path(r.output_file).relative_to(tmp_path / "out")) for r in results)
    assert got == ["a/x.png", "b/c/y.png", "b/x.png", "z.png"]
    assert all(Path(r.output_file).is_file() for r in results)


def test_batchop_honours_an_original_style_override(tmp_path):
    make_tree(tmp_path / "in")
    names = iter(range(100))

    class Numbered(spectrust.Batchop):
        def generate_output_path(self):
            return f"{tmp_path}/out/{next(names):03d}.jpg"

    with Numbered(tmp_path / "in", tmp_path / "out") as results:
        pass
    assert [Path(r.output_file).name for r in results] == ["000.jpg", "001.jpg", "002.jpg", "003.jpg"]
    assert all(Path(r.output_file).is_file() for r in results)


def test_batchop_goes_on_past_bad_files_and_is_deterministic(tmp_path, bad_inputs):
    src = tmp_path / "in"
    make_tree(src)
    for name in ("text", "empty", "header_cut"):
        (src / f"{name}.wav").write_bytes(bad_inputs[name].read_bytes())
    (src / "dir.wav").mkdir()

    def run(out, workers):
        with spectrust.Batchop(src, out, 80, 40, keep_names=True, format="png", workers=workers) as results:
            return results

    parallel, serial = run(tmp_path / "p", None), run(tmp_path / "s", 1)
    failed = sorted(Path(r.input_file).name for r in parallel if not r.ok)
    assert failed == ["empty.wav", "header_cut.wav", "text.wav"]  # the folder named dir.wav is skipped
    assert sum(r.ok for r in parallel) == 4
    for p, s in zip(parallel, serial):
        assert p.error == s.error
        if p.ok:
            assert Path(p.output_file).read_bytes() == Path(s.output_file).read_bytes()
        else:
            assert not Path(p.output_file).exists()
    assert leftovers(tmp_path) == []


def test_batchop_progress_counts_every_file(tmp_path):
    make_tree(tmp_path / "in")
    seen = []
    with spectrust.Batchop(tmp_path / "in", tmp_path / "out", 20, 20, progress=seen.append) as results:
        pass
    assert sum(seen) == len(results) == 4


def test_long_files_are_streamed_with_time_and_frequency_in_place(tmp_path):
    # 6 minutes (long enough to be read in a stream and have its frames pooled): a low tone
    # for the first two thirds, then a high one.
    sr = 8000
    t = np.arange(sr * 360) / sr
    y = np.where(t < 240, np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 3000 * t)) * 0.5
    wav = write_wav(tmp_path / "long.wav", y, sr)
    out = tmp_path / "long.png"
    r = spectrust.Spectrogram(300, 100, colormap="gray").generate(wav, out)
    assert r.ok, r.error
    _, size, px = pixels(out)
    assert size == (300, 100)
    brightest_row = px[..., 0].argmax(axis=0)
    assert (brightest_row[:195] > 80).all() and (brightest_row[205:] < 20).all()


def test_result_carries_the_typed_exception(tmp_path, bad_inputs):
    sp = spectrust.Spectrogram(40, 30)
    cases = {
        "missing": FileNotFoundError,
        "text": spectrust.UnsupportedFormatError,
        "header_cut": spectrust.DecodeError,
    }
    for name, kind in cases.items():
        r = sp.generate(bad_inputs[name], tmp_path / f"{name}.png")
        assert isinstance(r.exception, kind) and r.error == str(r.exception)
    assert sp.generate(MONO22, tmp_path / "ok.png").exception is None


def test_result_names_the_format_found_from_the_content(tmp_path):
    sp = spectrust.Spectrogram(40, 30)
    for name, kind in [("music.mp3", "mp3"), ("music.flac", "flac"), ("music.m4a", "m4a"), ("music.aac", "aac")]:
        renamed = tmp_path / f"{name}.wav"  # the suffix does not matter
        renamed.write_bytes((EXAMPLES / name).read_bytes())
        r = sp.generate(renamed, tmp_path / f"{name}.png")
        assert r.ok and r.format == kind, (name, r.error, r.format)
    assert sp.generate(tmp_path / "missing.wav", tmp_path / "x.png").format is None


def test_typed_errors_for_long_and_empty_audio(tmp_path):
    empty = write_wav(tmp_path / "empty.wav", np.zeros(0), 22050)
    r = spectrust.Spectrogram(40, 30).generate(empty, tmp_path / "e.png")
    assert isinstance(r.exception, spectrust.EmptyAudioError) and isinstance(r.exception, spectrust.DecodeError)
    assert "empty.wav" in r.error and "no audio samples" in r.error
    r = spectrust.Spectrogram(40, 30, max_duration=5).generate(MONO22, tmp_path / "l.png")
    assert isinstance(r.exception, spectrust.TooLongError) and isinstance(r.exception, spectrust.DecodeError)
    assert not (tmp_path / "e.png").exists() and not (tmp_path / "l.png").exists()
    assert issubclass(spectrust.InternalError, RuntimeError) and issubclass(
        spectrust.InternalError, spectrust.SpectrustError
    )


def test_out_of_range_integers_are_parameter_errors():
    for kwargs in [dict(quality=300), dict(n_fft=-2048), dict(hop_length=-1), dict(n_mels=0), dict(sr=-16000)]:
        with pytest.raises(spectrust.ParameterError):
            spectrust.Spectrogram(**kwargs)
    with pytest.raises(spectrust.ParameterError, match="width"):
        spectrust.Spectrogram(-5, 10)
    with pytest.raises(spectrust.ParameterError, match="format"):
        spectrust.Batchop(EXAMPLES, "out", format="gif")


def test_a_spectrogram_pickles_with_its_settings(tmp_path):
    import pickle

    sp = spectrust.Spectrogram(64, 48, colormap="magma", n_mels=64, scale="log")
    copy = pickle.loads(pickle.dumps(sp))
    assert repr(copy) == repr(sp)
    for s, name in [(sp, "a.png"), (copy, "b.png")]:
        assert s.generate(MONO22, tmp_path / name).ok
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
