"""The spectrust command line, run as a subprocess as a web back end would."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from conftest import EXAMPLES, MONO8_U8, MONO22, write_wav
from PIL import Image


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "spectrust.cli", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_batch_mirrors_the_tree(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "one.wav").write_bytes(MONO22.read_bytes())
    (src / "sub" / "two.wav").write_bytes(MONO8_U8.read_bytes())
    p = run(
        "batch",
        src,
        tmp_path / "out",
        "--width",
        90,
        "--height",
        60,
        "--format",
        "png",
        "--colormap",
        "magma",
        "--workers",
        2,
    )
    assert p.returncode == 0, p.stderr
    assert re.fullmatch(r"2 written, 0 failed, 0 skipped in \d+\.\d\d s\n", p.stdout)
    assert p.stderr == ""  # no progress bar when stderr is not a terminal
    for name in ("one.png", "sub/two.png"):
        with Image.open(tmp_path / "out" / name) as im:
            assert (im.format, im.size) == ("PNG", (90, 60))


def test_batch_reports_failures_and_exits_1(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.wav").write_bytes(MONO22.read_bytes())
    (src / "bad.wav").write_text("not audio")
    p = run("batch", src, tmp_path / "out")
    assert p.returncode == 1
    assert p.stdout.startswith("1 written, 1 failed, 0 skipped in ")
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "bad.wav" in lines[0] and "Traceback" not in p.stderr
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == ["good.jpg"]


def test_bad_usage_exits_2_without_traceback(tmp_path):
    for args in (
        ["batch", tmp_path / "nope", tmp_path / "out"],
        ["batch", tmp_path, tmp_path / "out", "--format", "gif"],
        ["batch", tmp_path, tmp_path / "out", "--width", "0"],
        ["batch", tmp_path, tmp_path / "out", "--fmin", "300000"],
        [],
    ):
        p = run(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert "Traceback" not in p.stderr and p.stderr.strip()


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "spectrust"
    p = subprocess.run([str(exe) if exe.exists() else "spectrust", "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "batch" in p.stdout


def test_render_shorthand_like_the_seed_script(tmp_path):
    # `python spectrogram.py audio.mp3 out.png`, as back ends called the seed script.
    out = tmp_path / "out.png"
    p = run(EXAMPLES / "music.mp3", out, "--width", 400, "--height", 200, "--colormap", "gray_r", "--fmax", 5000)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"{out}\n" and p.stderr == ""
    with Image.open(out) as im:
        assert (im.format, im.size) == ("PNG", (400, 200))
    p = run("render", EXAMPLES / "music.flac", tmp_path / "b.jpg", "--scale", "log", "--noise-percentile", 75)
    assert p.returncode == 0, p.stderr
    with Image.open(tmp_path / "b.jpg") as im:
        assert (im.format, im.size) == ("JPEG", (600, 420))


def test_render_frames_for_video(tmp_path):
    p = run(MONO22, f"{tmp_path / 'frames'}/", "--width", 64, "--height", 48, "--json")
    assert p.returncode == 0, p.stderr
    records = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(records) == 150  # 15 s at 0.1 s per frame
    assert [r["frame"] for r in records] == list(range(150))
    assert records[1]["start"] == 0.1 and records[-1]["end"] == 15.0
    names = sorted(x.name for x in (tmp_path / "frames").iterdir())
    assert names == [f"frame_{i:04d}.png" for i in range(150)]
    assert all(Path(r["output"]).name == n for r, n in zip(records, names))
    with Image.open(tmp_path / "frames" / "frame_0149.png") as im:
        assert im.size == (64, 48)
    # An existing folder works without the slash, and --frame-duration sets the count.
    p = run("render", EXAMPLES / "music.ogg", tmp_path / "frames", "--frame-duration", 1.0)
    assert p.returncode == 0 and p.stdout == f"16 frames written to {tmp_path / 'frames'}\n"


def test_frames_share_one_colour_scale(tmp_path):
    # Loud first half, quiet second half: the quiet frames must come out darker.
    t = np.arange(22050 * 2) / 22050
    y = np.sin(2 * np.pi * 440 * t) * np.where(t < 1, 0.8, 0.008)
    wav = write_wav(tmp_path / "fade.wav", y, 22050)
    assert run(wav, f"{tmp_path}/f/", "--colormap", "gray", "--frame-duration", 0.5).returncode == 0
    levels = [np.asarray(Image.open(tmp_path / "f" / f"frame_{i:04d}.png").convert("L")).max() for i in range(4)]
    assert levels[0] > 200 and levels[3] < levels[0] - 80, levels


def test_render_failures_are_one_line_exit_1_and_leave_nothing(tmp_path):
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all")
    for audio, out in [
        (text, tmp_path / "a.png"),
        (tmp_path / "missing.wav", tmp_path / "b.png"),
        (text, f"{tmp_path}/frames/"),
    ]:
        p = run(audio, out, "--json")
        assert p.returncode == 1, p.stderr
        assert len(p.stderr.splitlines()) == 1 and "Traceback" not in p.stderr and str(audio) in p.stderr
        record = json.loads(p.stdout)
        assert record["ok"] is False and str(audio) in record["error"]
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()
    assert not (tmp_path / "frames").exists() or not any((tmp_path / "frames").iterdir())


def test_render_bad_usage_exits_2(tmp_path):
    for args in (
        [MONO22, tmp_path / "x.gif"],
        [MONO22, tmp_path / "x.png", "--scale", "bark"],
        [MONO22, tmp_path / "x.png", "--noise-percentile", 120],
        [MONO22, f"{tmp_path}/f/", "--frame-duration", 0.001],
        ["render", MONO22],
    ):
        p = run(*args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) >= 1
    assert not (tmp_path / "x.png").exists()


def test_hostile_file_names_as_a_back_end_passes_them(tmp_path):
    # Arguments as a list, after `--`: a name that looks like an option or a shell command is
    # just a name.
    audio = tmp_path / "-x; rm -rf ~.mp3"
    audio.write_bytes((EXAMPLES / "music.mp3").read_bytes())
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "spectrust.cli",
            "render",
            "--json",
            "--width",
            "80",
            "--height",
            "30",
            "--",
            audio.name,
            "-o.png",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"ok": True, "input": audio.name, "output": "-o.png", "width": 80, "height": 30}
    assert (tmp_path / "-o.png").is_file()


def test_render_reads_the_audio_from_standard_input(tmp_path):
    # A back end piping an upload: `spectrust render - out.png < upload`, decoded from memory.
    with open(EXAMPLES / "music.ogg", "rb") as audio:
        p = subprocess.run(
            [sys.executable, "-m", "spectrust.cli", "render", "-", str(tmp_path / "piped.png"), "--json"],
            stdin=audio,
            capture_output=True,
            text=True,
        )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["input"] == "-"
    assert run("render", str(EXAMPLES / "music.ogg"), str(tmp_path / "file.png")).returncode == 0
    assert (tmp_path / "piped.png").read_bytes() == (tmp_path / "file.png").read_bytes()
    p = subprocess.run(
        [sys.executable, "-m", "spectrust.cli", "render", "-", str(tmp_path / "bad.png")],
        input=b"not audio at all",
        capture_output=True,
    )
    assert p.returncode == 1 and not (tmp_path / "bad.png").exists()
    assert p.stderr.decode().strip() == "spectrust: error: <stdin>: unsupported format: not a recognised audio format"


def test_a_killed_batch_resumes_with_skip_existing_and_leaves_no_temporary_files(tmp_path):
    import os
    import shutil
    import signal
    import time

    src = tmp_path / "in"
    for k in range(60):
        (src / f"d{k % 3}").mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLES / "music_stereo44k_s16.wav", src / f"d{k % 3}" / f"clip{k:02d}.wav")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "spectrust.cli", "batch", str(src), str(out), "--format", "png", "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and len(list(out.rglob("*.png"))) < 5:
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)  # mid-run: some images written, one maybe half-way
    proc.wait()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    assert 5 <= len(before) < 60
    stale = out / "d0" / ".spectrust-999999999-deadbeef.part"  # a dead process's
    stale.write_bytes(b"half an image")
    live = out / "d2" / f".spectrust-{os.getpid()}-cafe.part"  # a running process's
    live.parent.mkdir(exist_ok=True)
    live.write_bytes(b"being written")
    p = subprocess.run([*cmd, "--skip-existing", "--json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    records = [json.loads(line) for line in p.stdout.splitlines()]
    assert sum(bool(r.get("skipped")) for r in records) == len(before) and len(records) == 60
    assert p.stderr.strip().startswith(f"{60 - len(before)} written, 0 failed, {len(before)} skipped in ")
    images = sorted(out.rglob("*.png"))
    assert len(images) == 60 and all(before.get(p, p.stat().st_mtime_ns) == p.stat().st_mtime_ns for p in images)
    for image in images:
        with Image.open(image) as im:
            im.load()
    assert not stale.exists() and live.exists()
    live.unlink()
    assert [p.name for p in out.rglob(".*")] == []


def test_with_json_every_failure_prints_a_json_line_usage_errors_included(tmp_path):
    cases = [
        (["render", "--json", "--bogus", EXAMPLES / "music.mp3", tmp_path / "a.png"], 2, "unrecognized arguments"),
        (["render", "--json", "--width", "-5", EXAMPLES / "music.mp3", tmp_path / "a.png"], 2, "width"),
        (["render", "--json", EXAMPLES / "music.mp3", tmp_path / "a.txt"], 2, "a.txt"),
        (["render", "--json", tmp_path / "missing.mp3", tmp_path / "a.png"], 1, "missing.mp3"),
        (["features", "--json", tmp_path / "nowhere", tmp_path / "out"], 1, "nowhere"),
    ]
    for args, status, named in cases:
        p = run(*args)
        assert p.returncode == status, (args, p.stderr)
        last = json.loads(p.stdout.splitlines()[-1])  # the README's helper reads this line
        assert last["ok"] is False and named in last["error"], (args, last)
        assert "Traceback" not in p.stderr


def test_serve_answers_a_bad_or_busy_port_with_one_line(tmp_path):
    import socket

    p = run("serve", "--port", 99999)
    assert p.returncode == 2 and p.stderr == "spectrust: error: --port must be 0 to 65535, got 99999\n"
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        p = run("serve", "--port", port)
    assert p.returncode == 1 and p.stderr.startswith(f"spectrust: error: cannot listen on 127.0.0.1:{port}: ")
    assert p.stderr.count("\n") == 1


def test_every_option_of_the_table_is_a_cli_option(tmp_path):
    # r, g, b as Spectrogram's: --g 0 --b 0 leaves only red; --max-duration none is no limit.
    out = tmp_path / "red.png"
    p = run("render", EXAMPLES / "music_mono22k_s16.wav", out, "--g", 0, "--b", 0, "--max-duration", "none")
    assert p.returncode == 0, p.stderr
    with Image.open(out) as im:
        pixels = np.asarray(im.convert("RGB"))
    assert pixels[..., 0].max() > 200 and pixels[..., 1:].max() == 0
    p = run("render", EXAMPLES / "music_mono22k_s16.wav", out, "--max-duration", 1)
    assert p.returncode == 1 and "longer than" in p.stderr, p.stderr
    p = run("render", EXAMPLES / "music_mono22k_s16.wav", out, "--r", 300)
    assert p.returncode == 2 and "r, g and b must be between 0 and 255" in p.stderr, p.stderr  # a usage error
    p = run("render", EXAMPLES / "music_mono22k_s16.wav", out, "--max-duration", "soon")
    assert p.returncode == 2 and "--max-duration: invalid seconds value: 'soon'" in p.stderr, p.stderr
