"""The upload API of ``spectrust serve``: every format, every error status, path traversal,
the size limit counted while reading, the bounded cache, concurrent uploads."""

import asyncio
import io
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import numpy as np
import pytest
from _live_server import LiveServer
from conftest import EXAMPLES, write_wav
from fastapi.testclient import TestClient
from PIL import Image
from spectrust import Spectrogram
from spectrust.server import ServerSettings, create_app

API = "/api/audio/generate-spectrogram"
FORMATS = {
    "wav": "music_stereo44k_s16.wav",
    "mp3": "music.mp3",
    "ogg": "music.ogg",
    "aac": "music.aac",
    "m4a": "music.m4a",
    "mp4": "music.mp4",
    "flac": "music.flac",
}
PNG_NAME = re.compile(r"^[0-9a-f]{32}\.png$")


@pytest.fixture
def settings(tmp_path):
    return ServerSettings(cache_dir=tmp_path / "cache")


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def post(client, name, data, **fields):
    return client.post(API, files={"audio_file": (name, data)}, data={k: str(v) for k, v in fields.items()})


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"] == code and body["message"], body
    return body


def cache_files(settings):
    return sorted(p.relative_to(settings.cache_path).as_posix() for p in settings.cache_path.rglob("*") if p.is_file())


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_each_format_becomes_the_png_asked_for(client, kind):
    r = post(client, FORMATS[kind], (EXAMPLES / FORMATS[kind]).read_bytes(), width=320, height=200)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and kind in body["message"]
    assert body["audio_filename"] == FORMATS[kind]
    assert PNG_NAME.match(body["spectrogram_url"].rsplit("/", 1)[1])
    png = client.get(body["spectrogram_url"])
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.headers["x-content-type-options"] == "nosniff"
    image = np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB"), dtype=float)
    assert image.shape == (200, 320, 3)
    assert image.std() > 10  # music, not a blank picture


def test_the_format_is_found_from_the_content_not_the_name(client):
    r = post(client, "song.wav", (EXAMPLES / "music.mp3").read_bytes())
    assert r.status_code == 200 and "mp3" in r.json()["message"]
    assert_error(post(client, "song.mp3", b"just some text, no audio at all" * 20), 415, "unsupported_format")


def test_fields_reach_the_renderer(client):
    data = (EXAMPLES / "music.ogg").read_bytes()

    def image(**fields):
        r = post(client, "a.ogg", data, width=200, height=120, **fields)
        assert r.status_code == 200, r.text
        return np.asarray(
            Image.open(io.BytesIO(client.get(r.json()["spectrogram_url"]).content)).convert("RGB"), dtype=int
        )

    mel, log, low = image(scale="mel"), image(scale="log"), image(scale="mel", fmax=2000)
    assert mel.shape == log.shape == (120, 200, 3)
    assert np.abs(mel - log).mean() > 5 and np.abs(mel - low).mean() > 5
    gray = image(colormap="gray")
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
    assert not (mel[..., 0] == mel[..., 2]).all()


def test_no_file_is_400(client):
    assert_error(client.post(API), 400, "no_file")
    assert_error(client.post(API, json={"audio_file": "x"}), 400, "no_file")
    assert_error(client.post(API, data={"width": "300"}, files={"other": ("a.wav", b"RIFF")}), 400, "no_file")
    assert_error(post(client, "empty.wav", b""), 400, "no_file")
    # Two files where one is expected: the form parser refuses it.
    r = client.post(API, files=[("audio_file", ("a.wav", b"RIFF")), ("audio_file", ("b.wav", b"RIFF"))])
    assert_error(r, 400, "bad_request")


@pytest.mark.parametrize(
    "field, value",
    [
        ("width", "abc"),
        ("width", "0"),
        ("width", "100000"),
        ("height", "-5"),
        ("height", "1.5"),
        ("colormap", "rainbow"),
        ("scale", "bark"),
        ("fmax", "-100"),
        ("fmax", "nan"),
        ("fmax", "lots"),
    ],
)
def test_bad_fields_are_422_naming_the_field(client, field, value):
    body = assert_error(
        post(client, "a.wav", (EXAMPLES / "music_mono8k_u8.wav").read_bytes(), **{field: value}), 422, "invalid_field"
    )
    assert field in body["message"]


def test_over_the_size_limit_is_413_and_leaves_nothing(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path / "cache", max_upload_bytes=100_000)
    with TestClient(create_app(settings)) as client:
        assert_error(post(client, "big.flac", (EXAMPLES / "music.flac").read_bytes()), 413, "too_large")
        # Just under the limit is fine (the form's boundaries are not counted against it).
        small = write_wav(tmp_path / "small.wav", np.zeros(49_000), 8000).read_bytes()
        assert len(small) < 100_000
        assert post(client, "small.wav", small).status_code == 200
        # The file part alone is over the limit even though the whole body would fit the
        # allowance for boundaries and fields: still 413.
        assert_error(post(client, "b.wav", small + bytes(100_000 - len(small) + 10)), 413, "too_large")
    assert [f for f in cache_files(settings) if not PNG_NAME.match(f)] == []


def _multipart(name: str, payload: bytes, boundary: str = "spectrust-test-boundary") -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio_file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )


def _post_chunks(app, body: bytes, chunk: int, headers: dict):
    """POSTs ``body`` to ``app`` (ASGI) in chunks; returns (status, response body, bytes read by the app)."""
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    taken = 0
    sent = []

    async def receive():
        nonlocal taken
        if taken < len(pieces):
            taken += 1
            return {"type": "http.request", "body": pieces[taken - 1], "more_body": taken < len(pieces)}
        await asyncio.sleep(3600)  # the client has nothing more to say

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": API,
        "raw_path": API.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(content), taken * chunk


@pytest.mark.parametrize("declared", [None, "2000"])
def test_the_size_is_counted_while_reading_not_taken_from_headers(tmp_path, declared):
    settings = ServerSettings(cache_dir=tmp_path / "cache", max_upload_bytes=200_000)
    app = create_app(settings)
    body = _multipart("huge.wav", (EXAMPLES / "music_stereo44k_s16.wav").read_bytes())  # 2.6 MB
    headers = {"content-type": "multipart/form-data; boundary=spectrust-test-boundary", "host": "testserver"}
    if declared:
        headers["content-length"] = declared  # a lie: the body is far longer
    status, answer, read = _post_chunks(app, body, 16384, headers)
    assert status == 413 and answer["error"] == "too_large"
    # Refused as soon as the limit was passed, long before the end of the body.
    assert read <= 200_000 + 64 * 1024 + 16384 < len(body)


def test_an_honest_content_length_over_the_limit_is_refused_before_reading(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path / "cache", max_upload_bytes=200_000)
    body = _multipart("huge.wav", (EXAMPLES / "music_stereo44k_s16.wav").read_bytes())
    headers = {
        "content-type": "multipart/form-data; boundary=spectrust-test-boundary",
        "content-length": str(len(body)),
    }
    status, answer, read = _post_chunks(create_app(settings), body, 16384, headers)
    assert (status, answer["error"], read) == (413, "too_large", 0)


@pytest.mark.parametrize(
    "name, data",
    [
        ("notes.txt", b"this is a text file, not audio\n" * 10),
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(500)),
        ("random.mp3", bytes(range(256)) * 8),
    ],
)
def test_not_audio_is_415(client, name, data):
    assert_error(post(client, name, data), 415, "unsupported_format")


@pytest.mark.parametrize(
    "name, kind", [("music_opus.webm", "webm"), ("speech_opus.ogg", "ogg"), ("music_alac.m4a", "m4a")]
)
def test_what_browsers_and_apple_devices_record_becomes_a_spectrogram(client, name, kind):
    data = (Path(__file__).parent / "data" / name).read_bytes()
    r = post(client, "recording", data, width=120, height=80)
    assert r.status_code == 200, r.text
    assert r.json()["message"] == f"Spectrogram generated from {kind} audio"
    png = client.get(r.json()["spectrogram_url"])
    assert Image.open(io.BytesIO(png.content)).size == (120, 80)


def test_audio_in_a_codec_not_decoded_is_415(client):
    # A WAV whose format tag says WMA (0x0161): a recognised container, an unsupported codec.
    wav = bytearray((EXAMPLES / "music_mono22k_s16.wav").read_bytes()[:20000])
    wav[20:22] = (0x0161).to_bytes(2, "little")
    body = assert_error(post(client, "wma.wav", bytes(wav)), 415, "unsupported_format")
    assert "cache" not in body["message"] and "upload" not in body["message"]  # no server paths


@pytest.mark.parametrize(
    "name, cut",
    [("music_mono22k_s16.wav", 30), ("music.flac", 5000), ("music.mp3", 10), ("music.m4a", 2000)],
)
def test_undecodable_audio_is_422(client, name, cut):
    assert_error(post(client, name, (EXAMPLES / name).read_bytes()[:cut]), 422, "undecodable")


def test_corrupt_ogg_is_422(client):
    data = bytearray((EXAMPLES / "music.ogg").read_bytes())
    data[200:4000] = bytes(3800)
    assert_error(post(client, "bad.ogg", bytes(data)), 422, "undecodable")


def test_the_decoded_duration_is_capped(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path / "cache", max_duration=5.0)
    with TestClient(create_app(settings)) as client:
        body = assert_error(post(client, "long.mp3", (EXAMPLES / "music.mp3").read_bytes()), 422, "too_long")
        assert "5 s" in body["message"]
        assert post(client, "short.wav", (EXAMPLES / "music_mono8k_u8.wav").read_bytes()).status_code == 200


@pytest.mark.parametrize(
    "name, shown",
    [
        ("../../../../tmp/evil.wav", "evil.wav"),
        ("..\\..\\windows\\evil.wav", "evil.wav"),
        ("/etc/passwd", "passwd"),
        ("..", "audio"),
        ("a/b/../../../.hidden.wav", "hidden.wav"),
        ("\u202eev\u200bil.wav", "evil.wav"),  # bidi override, zero-width space
    ],
)
def test_the_client_file_name_is_never_a_path(tmp_path, settings, client, name, shown):
    r = post(client, name, (EXAMPLES / "music_mono8k_u8.wav").read_bytes())
    assert r.status_code == 200, r.text
    assert r.json()["audio_filename"] == shown
    files = cache_files(settings)
    assert len(files) == 1 and PNG_NAME.match(files[0]), files  # the upload itself is gone
    assert [p for p in tmp_path.parent.rglob("*") if "evil" in p.name or p.name == "passwd"] == []


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2fcache.png", "ABC.png", "x" * 32 + ".png"]
)
def test_stored_images_are_found_by_server_names_only(client, name):
    assert_error(client.get(f"/api/audio/spectrograms/{name}"), 404, "not_found")


def test_the_cache_keeps_the_newest_within_its_bounds(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path / "cache", cache_max_files=2, cache_max_age=60)
    data = (EXAMPLES / "music_mono8k_u8.wav").read_bytes()
    with TestClient(create_app(settings)) as client:
        urls = []
        for _ in range(4):
            urls.append(post(client, "a.wav", data).json()["spectrogram_url"])
            time.sleep(0.02)  # distinct modification times
        assert len(cache_files(settings)) == 2
        assert [client.get(u).status_code for u in urls] == [404, 404, 200, 200]
    settings = ServerSettings(cache_dir=tmp_path / "cache2", cache_max_bytes=1)  # nothing fits
    with TestClient(create_app(settings)) as client:
        assert client.get(post(client, "a.wav", data).json()["spectrogram_url"]).status_code == 404
    settings = ServerSettings(cache_dir=tmp_path / "cache3", cache_max_age=0.3)
    with TestClient(create_app(settings)) as client:
        url = post(client, "a.wav", data).json()["spectrogram_url"]
        assert client.get(url).status_code == 200
        time.sleep(0.5)
        assert_error(client.get(url), 404, "not_found")


def test_concurrent_uploads_all_succeed(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path / "cache", render_workers=2)
    names = ["music.mp3", "music.ogg", "music.flac", "music.m4a", "music_stereo44k_s16.wav", "music.aac"] * 2

    async def run(base):
        async with httpx2.AsyncClient(base_url=base, timeout=120) as http:

            async def upload(name):
                return await http.post(
                    API,
                    files={"audio_file": (name, (EXAMPLES / name).read_bytes())},
                    data={"width": "300", "height": "200"},
                )

            results = await asyncio.gather(*(upload(n) for n in names))
            return results, [await http.get(r.json()["spectrogram_url"]) for r in results]

    with LiveServer(settings) as server:
        results, pngs = asyncio.run(run(server.url))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    assert [r.json()["audio_filename"] for r in results] == names
    assert len({r.json()["spectrogram_url"] for r in results}) == len(names)
    for png in pngs:
        assert png.status_code == 200 and Image.open(io.BytesIO(png.content)).size == (300, 200)


def test_a_slow_upload_does_not_stall_the_others(tmp_path, monkeypatch):
    from spectrust.server import upload as upload_module

    class SlowForOne(upload_module.Spectrogram):
        def generate(self, path, outpath):
            if self._width == 999:
                time.sleep(2.0)
            return super().generate(path, outpath)

    monkeypatch.setattr(upload_module, "Spectrogram", SlowForOne)
    data = (EXAMPLES / "music.ogg").read_bytes()

    async def run(base):
        async with httpx2.AsyncClient(base_url=base, timeout=60) as http:

            async def timed(request):
                r = await request
                return r, time.monotonic()

            slow = asyncio.create_task(
                timed(http.post(API, files={"audio_file": ("slow.ogg", data)}, data={"width": "999"}))
            )
            await asyncio.sleep(0.3)
            t0 = time.monotonic()
            page, page_done = await timed(http.get("/"))
            fast, fast_done = await timed(http.post(API, files={"audio_file": ("fast.ogg", data)}))
            slow_response, slow_done = await slow
            return t0, (page, page_done), (fast, fast_done), (slow_response, slow_done)

    with LiveServer(ServerSettings(cache_dir=tmp_path / "cache", render_workers=2)) as server:
        t0, (page, page_done), (fast, fast_done), (slow, slow_done) = asyncio.run(run(server.url))
    assert page.status_code == fast.status_code == slow.status_code == 200
    assert page_done < fast_done < slow_done and fast_done - t0 < 1.5


def _rate_while(work) -> float:
    """Iterations per second of a Python loop on this thread while ``work()`` runs on another."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (work(), done.set()))
    count, t0 = 0, time.perf_counter()
    thread.start()
    while not done.is_set():
        count += 1
    elapsed = time.perf_counter() - t0
    thread.join()
    assert elapsed > 0.05, "the work was too short to tell"
    return count / elapsed


def test_decoding_and_rendering_release_the_gil(tmp_path):
    song = write_wav(tmp_path / "long.wav", np.random.default_rng(3).uniform(-0.5, 0.5, 48000 * 200), 48000)
    idle = _rate_while(lambda: time.sleep(0.3))
    spect = Spectrogram(4096, 2048, scale="log")
    busy = _rate_while(lambda: spect.generate(song, tmp_path / "long.png"))
    assert (tmp_path / "long.png").stat().st_size > 0
    assert busy > 0.1 * idle, (busy, idle)  # a held GIL gives < 0.01


def test_other_errors_are_json_too(client):
    assert_error(client.get("/no/such/page"), 404, "not_found")
    assert_error(client.get(API), 405, "method_not_allowed")


def test_the_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for label in ("Start", "Stop", "Clear", "Export PNG"):
        assert f">{label}</button>" in page.text
    for path in ("/static/app.js", "/static/scale.js", "/static/capture-worklet.js", "/static/style.css"):
        r = client.get(path)
        assert r.status_code == 200 and len(r.content) > 500
    assert client.get("/static/app.js").headers["content-type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )


def test_spectrust_serve_runs_the_app(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "spectrust.cli", "serve", "--port", str(port), "--cache-dir", str(tmp_path / "c")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx2.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx2.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    proc.stdout.read().decode() if proc.stdout else ""
                )
                time.sleep(0.2)
        assert r.status_code == 200 and "Start" in r.text
        r = httpx2.post(
            f"http://127.0.0.1:{port}{API}",
            files={"audio_file": ("a.wav", (EXAMPLES / "music_mono8k_u8.wav").read_bytes())},
        )
        assert r.status_code == 200 and r.json()["success"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert len(list((tmp_path / "c").glob("*.png"))) == 1  # the image, and no copy of the upload
