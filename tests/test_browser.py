"""The live page end to end in a real browser: Debian's chromium driven by Playwright, with a
fake microphone playing a tone file. Start, columns arrive, the tone's row lights up, the
canvas scrolls at 30 frames per second or more, the tooltip names the note, Export gives a
PNG, Stop, Clear, and a file opened from disk; no page errors at 44.1 or 48 kHz."""

import base64
import io
import math
import shutil
import time

import numpy as np
import pytest
import spectrust
from _live_server import LiveServer
from conftest import write_wav
from PIL import Image
from playwright.sync_api import sync_playwright
from spectrust.server import ServerSettings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TONE_HZ = 2000.0


@pytest.fixture(scope="module")
def tone(tmp_path_factory):
    t = np.arange(48000 * 4) / 48000
    return write_wav(tmp_path_factory.mktemp("audio") / "tone.wav", 0.5 * np.sin(2 * np.pi * TONE_HZ * t), 48000)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LiveServer(ServerSettings(cache_dir=tmp_path_factory.mktemp("cache"))) as s:
        yield s


@pytest.fixture(scope="module")
def browser(tone):
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",  # CI runs as root
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-audio-capture={tone}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 700}, accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    yield page
    context.close()


def export_png(page) -> np.ndarray:
    with page.expect_download() as download:
        page.get_by_role("button", name="Export PNG").click()
    data = open(download.value.path(), "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert download.value.suggested_filename.endswith(".png")
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


def brightest_frequency(page, image: np.ndarray, last_columns: int = 60) -> tuple:
    """The frequency of the brightest row of the newest columns, and its contrast."""
    layout = page.evaluate("window.spectrust.layout")
    config = page.evaluate("window.spectrust.config")
    plot, n = layout["plot"], config["n_bins"]
    assert image.shape[:2] == (layout["height"], layout["width"])
    x1 = plot["x"] + plot["w"]
    region = image[plot["y"] : plot["y"] + plot["h"], x1 - last_columns : x1].sum(axis=2).mean(axis=1)
    row = int(region.argmax())
    bin_ = min(n - 1, math.floor((plot["h"] - row - 0.5) / plot["h"] * n))
    return config["frequencies"][bin_], region.max() / (np.median(region) + 1)


@pytest.mark.parametrize("rate", [48000, 44100])
def test_microphone_capture_shows_the_tone(server, page, rate):
    page.goto(f"{server.url}/?sample_rate={rate}")
    start, stop = page.get_by_role("button", name="Start"), page.get_by_role("button", name="Stop")
    assert start.is_enabled() and stop.is_disabled()
    start.click()
    page.wait_for_function("window.spectrust.stats.columns > 150", timeout=30000)
    config = page.evaluate("window.spectrust.config")
    assert config["sample_rate"] == rate and config["scale"] == "log"
    assert f"{rate} Hz" in page.inner_text("#status")
    assert stop.is_enabled() and start.is_disabled()

    # The canvas scrolls at 30 frames per second or more.
    frames0, t0 = page.evaluate("window.spectrust.stats.frames"), time.monotonic()
    page.wait_for_timeout(2000)
    fps = (page.evaluate("window.spectrust.stats.frames") - frames0) / (time.monotonic() - t0)
    assert fps >= 30, fps

    image = export_png(page)
    freq, contrast = brightest_frequency(page, image)
    assert abs(math.log2(freq / TONE_HZ)) < 1 / 12, freq  # within a semitone
    assert contrast > 2

    # Hovering the tone's row at the newest column names the time, frequency, note and level.
    layout = page.evaluate("window.spectrust.layout")
    plot, dpr = layout["plot"], layout["dpr"]
    box = page.locator("#spectrogram").bounding_box()
    config = page.evaluate("window.spectrust.config")
    k = int(np.argmin(np.abs(np.array(config["frequencies"]) - TONE_HZ)))
    y = plot["y"] + plot["h"] - (k + 0.5) / config["n_bins"] * plot["h"]
    page.mouse.move(box["x"] + (plot["x"] + plot["w"] - 20) / dpr, box["y"] + y / dpr)
    tip = page.locator("#tooltip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert " s\n" in text and "kHz" in text and "B6" in text and "dB" in text  # 2 kHz is B6 + 21 cents
    level = float(text.split("\n")[2].split()[0])
    assert -12 < level < 0  # amplitude 0.5: about -6 dB

    stop.click()
    page.wait_for_function("!window.spectrust.running")
    assert start.is_enabled() and stop.is_disabled()
    assert page.problems == []


def test_clear_and_the_other_axes(server, page):
    page.goto(server.url)
    page.get_by_role("button", name="Start").click()
    page.wait_for_function("window.spectrust.stats.columns > 100", timeout=30000)
    page.get_by_role("button", name="Clear").click()
    cleared = export_png(page)
    layout = page.evaluate("window.spectrust.layout")
    plot = layout["plot"]
    newest = cleared[plot["y"] : plot["y"] + plot["h"], plot["x"] + plot["w"] - 200 : plot["x"] + plot["w"] - 20]
    # Right after Clear, at most a few new columns: the tone's row is not there yet.
    assert newest.sum(axis=2).mean(axis=1).max() < 60

    for scale in ("mel", "linear"):
        columns = page.evaluate("window.spectrust.stats.columns")
        page.select_option("#scale", scale)
        page.wait_for_function(f"window.spectrust.config.scale === '{scale}'", timeout=10000)
        page.wait_for_function(f"window.spectrust.stats.columns > {columns + 150}", timeout=30000)
        freq, _ = brightest_frequency(page, export_png(page))
        assert abs(math.log2(freq / TONE_HZ)) < 1 / 12, (scale, freq)
    page.get_by_role("button", name="Stop").click()
    assert page.problems == []


def test_an_opened_or_dropped_file_is_played_and_shown(server, page, tmp_path):
    t = np.arange(44100 * 3) / 44100
    song = write_wav(tmp_path / "song.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 44100)
    page.goto(server.url)
    page.set_input_files("#file", str(song))
    page.wait_for_function("window.spectrust.stats.columns > 100", timeout=30000)
    assert "Playing song.wav" in page.inner_text("#status")
    freq, contrast = brightest_frequency(page, export_png(page), last_columns=30)
    assert abs(math.log2(freq / 440)) < 1 / 12 and contrast > 2, freq
    # At the end of the file the session stops by itself.
    page.wait_for_function("!window.spectrust.running", timeout=20000)
    assert "Finished playing song.wav" in page.inner_text("#status")

    # A file dropped on the page is played and shown the same way.
    dropped = write_wav(tmp_path / "dropped.wav", 0.5 * np.sin(2 * np.pi * 3000 * t[: 44100 * 2]), 44100)
    payload = base64.b64encode(dropped.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], "dropped.wav", { type: "audio/wav" }));
            return dt;
        }""",
        payload,
    )
    columns = page.evaluate("window.spectrust.stats.columns")
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    page.wait_for_function(f"window.spectrust.stats.columns > {columns + 60}", timeout=30000)
    assert "Playing dropped.wav" in page.inner_text("#status")
    freq, _ = brightest_frequency(page, export_png(page), last_columns=30)
    assert abs(math.log2(freq / 3000)) < 1 / 12, freq
    assert page.problems == []


def test_a_voice_note_recorded_by_the_browser_becomes_a_spectrogram(server, page, tmp_path):
    # The page's own origin records 3 s of the fake microphone (the 2 kHz tone) with
    # MediaRecorder, as a web page would, and uploads the WebM (Opus, no duration, unknown-size
    # clusters) to the upload API.
    page.goto(server.url)
    recorded = page.evaluate(
        """async () => {
            const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
            const recorder = new MediaRecorder(stream, { mimeType: "audio/webm;codecs=opus" });
            const chunks = [];
            recorder.ondataavailable = (e) => chunks.push(e.data);
            const done = new Promise((resolve) => (recorder.onstop = resolve));
            recorder.start(500);
            await new Promise((resolve) => setTimeout(resolve, 3000));
            recorder.stop();
            await done;
            stream.getTracks().forEach((t) => t.stop());
            const blob = new Blob(chunks, { type: recorder.mimeType });
            const form = new FormData();
            form.append("audio_file", blob, "voice-note.webm");
            const response = await fetch("/api/audio/generate-spectrogram", { method: "POST", body: form });
            const bytes = new Uint8Array(await blob.arrayBuffer());
            let binary = "";
            bytes.forEach((b) => (binary += String.fromCharCode(b)));
            return { status: response.status, body: await response.json(), webm: btoa(binary) };
        }"""
    )
    assert recorded["status"] == 200, recorded["body"]
    assert recorded["body"]["message"] == "Spectrogram generated from webm audio"
    # The recording decodes to the tone, at Opus's 48 kHz.
    webm = tmp_path / "voice-note.webm"
    webm.write_bytes(base64.b64decode(recorded["webm"]))
    y, sr = spectrust.load(webm, sr=None)
    assert sr == 48000 and 2.0 * sr < len(y) < 4.0 * sr
    spectrum = np.abs(np.fft.rfft(y[sr // 2 :]))
    assert abs(np.fft.rfftfreq(len(y) - sr // 2, 1 / sr)[spectrum.argmax()] - TONE_HZ) < 20
    assert page.problems == []
