"""``spectrust.StreamingSpectrogram`` and ``WS /ws/live``: a sine comes back in its bin, the
protocol's errors, the Origin check, the message-size cap, the bounded send queue."""

import json
import time

import numpy as np
import pytest
import spectrust
from _live_server import LiveServer
from fastapi.testclient import TestClient
from spectrust.server import ServerSettings, create_app
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def sine(freq, sr, seconds, amp=0.5):
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(sr * seconds)) / sr)).astype("<f4")


def nearest(freqs, f):
    return int(np.argmin(np.abs(np.asarray(freqs) - f)))


# ---- StreamingSpectrogram --------------------------------------------------------------


def test_streaming_spectrogram_is_exported_and_documented():
    assert spectrust.StreamingSpectrogram is spectrust._core.StreamingSpectrogram
    assert "StreamingSpectrogram" in spectrust.__all__
    doc = spectrust.StreamingSpectrogram.__doc__
    for section in ("Parameters", "Attributes", "Raises", "dB", "n_fft", "hop_length", "scale", "fmax"):
        assert section in doc


def test_blocks_of_any_size_give_the_columns_of_one_push():
    y = np.random.default_rng(1).uniform(-1, 1, 30000).astype(np.float32)
    whole = spectrust.StreamingSpectrogram(16000, n_fft=512, hop_length=160)
    assert whole.push(y) == whole.available == (30000 - 512) // 160 + 1
    want = whole.pull()
    assert want.shape == (whole.produced, 256) and want.dtype == np.float32
    s = spectrust.StreamingSpectrogram(16000, n_fft=512, hop_length=160)
    got, i = [], 0
    for size in [1, 7, 100, 1023, 4096, 333] * 20:
        s.push(y[i : i + size])
        i += size
        got.append(s.pull(max_columns=5))
    s.push(y[i:])
    got.append(s.pull())
    np.testing.assert_array_equal(np.concatenate(got), want)
    assert s.pull().shape == (0, 256)


def test_a_full_scale_sine_reads_about_0_db_in_the_bin_nearest_its_frequency():
    for scale in ("log", "mel", "linear"):
        s = spectrust.StreamingSpectrogram(48000, n_fft=4096, scale=scale, fmin=20 if scale == "log" else 0)
        s.push(sine(1000, 48000, 1.0, amp=1.0).astype(np.float64))  # float64 is accepted
        cols = s.pull()
        assert (cols.argmax(axis=1) == nearest(s.frequencies, 1000)).all(), scale
        assert -2 < cols.max() < 2
        assert np.all(np.diff(s.frequencies) > 0)
    s = spectrust.StreamingSpectrogram(48000)
    s.push(np.zeros(48000, np.float32))
    assert (s.pull() == s.db_floor).all() and s.db_floor == -120


def test_streaming_defaults_and_settings():
    s = spectrust.StreamingSpectrogram(44100)
    assert (s.sr, s.n_fft, s.hop_length, s.scale, s.n_bins) == (44100, 2048, 512, "log", 256)
    assert abs(s.frequencies[0] - 20) < 1e-3 and abs(s.frequencies[-1] - 20000) < 1
    assert abs(spectrust.StreamingSpectrogram(16000).frequencies[-1] - 8000) < 1
    lin = spectrust.StreamingSpectrogram(8000, n_fft=256, scale="linear", fmin=0, fmax=None)
    assert lin.n_bins == 129 and lin.frequencies[-1] == 4000
    s.push(np.ones(5000, np.float32))
    s.reset()
    assert (s.available, s.produced) == (0, 0)
    assert "StreamingSpectrogram(sr=44100" in repr(s)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(sr=0),
        dict(sr=16000, n_fft=1),
        dict(sr=16000, scale="bark"),
        dict(sr=16000, fmax=9000),
        dict(sr=16000, fmin=0),
        dict(sr=16000, window="triangle"),
        dict(sr=16000, hop_length=0),
    ],
)
def test_bad_streaming_parameters_raise_parameter_error(kwargs):
    with pytest.raises(spectrust.ParameterError):
        spectrust.StreamingSpectrogram(**kwargs)


def test_push_releases_the_gil():
    from test_server import _rate_while

    s = spectrust.StreamingSpectrogram(48000, n_fft=4096, hop_length=256)
    y = np.random.default_rng(4).uniform(-1, 1, 48000 * 60).astype(np.float32)
    idle = _rate_while(lambda: time.sleep(0.3))
    busy = _rate_while(lambda: s.push(y))
    assert s.available == (len(y) - 4096) // 256 + 1
    assert busy > 0.1 * idle, (busy, idle)  # a held GIL gives < 0.01


def test_push_takes_float_arrays_only():
    s = spectrust.StreamingSpectrogram(16000)
    with pytest.raises(TypeError):
        s.push([0.0, 1.0])
    with pytest.raises(TypeError):
        s.push(np.zeros((2, 100), np.float32))


# ---- WS /ws/live -----------------------------------------------------------------------


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(ServerSettings(cache_dir=tmp_path))) as c:
        yield c


def receive_columns(ws, n_bins, count):
    cols = []
    while sum(len(c) for c in cols) < count:
        message = ws.receive()
        assert message["type"] == "websocket.send" and message.get("bytes") is not None, message
        data = message["bytes"]
        assert len(data) % (4 * n_bins) == 0
        cols.append(np.frombuffer(data, "<f4").reshape(-1, n_bins))
    return np.concatenate(cols)


@pytest.mark.parametrize("sr", [48000, 44100])
@pytest.mark.parametrize("scale", [None, "mel", "linear"])
def test_a_1_khz_sine_comes_back_with_its_peak_in_the_1_khz_bin(client, sr, scale):
    with client.websocket_connect("/ws/live") as ws:
        ws.send_text(json.dumps({"sample_rate": sr} if scale is None else {"sample_rate": sr, "scale": scale}))
        config = ws.receive_json()
        freqs = np.array(config["frequencies"])
        assert config["type"] == "config" and config["scale"] == (scale or "log")
        assert len(freqs) == config["n_bins"] and np.all(np.diff(freqs) > 0)
        if scale is None:  # log, 20 Hz to 20 kHz by default
            assert abs(freqs[0] - 20) < 0.01 and abs(freqs[-1] - 20000) < 1
        y = sine(1000, sr, 1.0)
        for i in range(0, len(y), 1024):
            ws.send_bytes(y[i : i + 1024].tobytes())
        expected = (len(y) - config["n_fft"]) // config["hop_length"] + 1
        cols = receive_columns(ws, len(freqs), expected)
        assert len(cols) == expected
        assert (cols.argmax(axis=1) == nearest(freqs, 1000)).all()
        assert -9 < cols.max() < -4  # amplitude 0.5 is -6 dB re full scale
        assert np.median(cols[:, freqs < 500]) < -60 and np.median(cols[:, freqs > 2000]) < -60


def test_the_client_chooses_the_analysis(client):
    with client.websocket_connect("/ws/live") as ws:
        ws.send_text(
            json.dumps(
                {
                    "sample_rate": 16000,
                    "n_fft": 1024,
                    "hop_length": 100,
                    "scale": "log",
                    "n_bins": 64,
                    "fmin": 50,
                    "fmax": 5000,
                }
            )
        )
        config = ws.receive_json()
        assert (config["n_fft"], config["hop_length"], config["n_bins"], config["sample_rate"]) == (
            1024,
            100,
            64,
            16000,
        )
        assert abs(config["fmin"] - 50) < 0.01 and abs(config["fmax"] - 5000) < 0.5
        assert config["columns_per_second"] == 160 and config["db_min"] == -120 and config["db_max"] == 0


@pytest.mark.parametrize(
    "first, fragment",
    [
        ("not json", "JSON"),
        ("[48000]", "sample_rate"),
        ('{"rate": 48000}', "sample_rate"),
        ('{"sample_rate": 100}', "sample_rate"),
        ('{"sample_rate": "48000"}', "sample_rate"),
        ('{"sample_rate": 48000, "n_fft": 1000}', "power of two"),
        ('{"sample_rate": 48000, "scale": "bark"}', "scale"),
        ('{"sample_rate": 16000, "fmax": 9000}', "fmax"),
    ],
)
def test_a_bad_configuration_is_answered_then_closed(client, first, fragment):
    with client.websocket_connect("/ws/live") as ws:
        ws.send_text(first)
        error = ws.receive_json()
        assert error["type"] == "error" and fragment in error["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_bytes()
        assert closed.value.code == 1008


@pytest.mark.parametrize(
    "steps, code",
    [
        ([b"\x00\x00\x80\x3f"], 1003),  # binary before the configuration
        ([{"sample_rate": 48000}, b"\x00\x00\x80"], 1007),  # not whole float32 samples
        ([{"sample_rate": 48000}, "more text"], 1003),  # text after the configuration
        ([{"sample_rate": 48000}, bytes(8192)], 1009),  # over the message-size cap
    ],
)
def test_protocol_errors_close_with_their_code(tmp_path, steps, code):
    settings = ServerSettings(cache_dir=tmp_path, ws_max_message_bytes=4096)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws/live") as ws:
        for step in steps:
            if isinstance(step, dict):
                ws.send_text(json.dumps(step))
                assert ws.receive_json()["type"] == "config"
            elif isinstance(step, bytes):
                ws.send_bytes(step)
            else:
                ws.send_text(step)
        assert ws.receive_json()["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_bytes()
        assert closed.value.code == code


def test_a_silent_client_is_closed(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path, ws_config_timeout=0.2)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws/live") as ws:
        assert "configuration" in ws.receive_json()["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_bytes()
        assert closed.value.code == 1008


def test_the_origin_is_checked(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path, allowed_origins=("https://app.example",))
    with TestClient(create_app(settings)) as client:
        for origin in ("http://evil.example", "null", "http://testserver.evil.example"):
            with client.websocket_connect("/ws/live", headers={"origin": origin}) as ws:
                error = ws.receive_json()
                assert error["type"] == "error" and origin in error["message"]
                with pytest.raises(WebSocketDisconnect) as refused:
                    ws.receive_bytes()
                assert refused.value.code == 1008
        for headers in ({"origin": "http://testserver"}, {"origin": "https://app.example"}, {}):
            with client.websocket_connect("/ws/live", headers=headers) as ws:
                ws.send_text('{"sample_rate": 48000}')
                assert ws.receive_json()["type"] == "config"


def test_a_slow_client_loses_the_oldest_columns_not_the_newest(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path, ws_queue_columns=64)
    sr, n_fft, hop = 16000, 256, 32
    y = np.random.default_rng(2).uniform(-1, 1, 16000 * 20).astype("<f4")
    local = spectrust.StreamingSpectrogram(sr, n_fft=n_fft, hop_length=hop, n_bins=1024)
    local.push(y)
    want = local.pull()
    with LiveServer(settings) as server:
        # max_queue=1: the client reads nothing more from the socket until asked, so the
        # server's sends block once the socket buffers are full (about 25 MB come back).
        with connect(server.ws_url, max_queue=1, max_size=None) as ws:
            ws.send(json.dumps({"sample_rate": sr, "n_fft": n_fft, "hop_length": hop, "n_bins": 1024}))
            config = json.loads(ws.recv(timeout=10))
            for i in range(0, len(y), 2048):
                ws.send(y[i : i + 2048].tobytes())
            time.sleep(1.0)  # let the queue overflow
            got, dropped = [], 0
            while sum(len(c) for c in got) + dropped < len(want):
                message = ws.recv(timeout=20)
                if isinstance(message, str):
                    info = json.loads(message)
                    assert info["type"] == "dropped"
                    dropped += info["columns"]
                else:
                    got.append(np.frombuffer(message, "<f4").reshape(-1, config["n_bins"]))
            ws.close()
    got = np.concatenate(got)
    assert dropped > 0 and len(got) + dropped == len(want)
    np.testing.assert_allclose(got[-64:], want[-64:], atol=1e-4)  # the newest arrived intact


def test_either_side_closes_cleanly(tmp_path):
    with LiveServer(ServerSettings(cache_dir=tmp_path)) as server:
        with connect(server.ws_url) as ws:
            ws.send(json.dumps({"sample_rate": 48000}))
            json.loads(ws.recv(timeout=10))
            ws.send(sine(440, 48000, 0.5).tobytes())
            assert isinstance(ws.recv(timeout=10), bytes)
            ws.close()
            assert ws.close_code == 1000
        with connect(server.ws_url) as ws:
            ws.send("{}")
            assert json.loads(ws.recv(timeout=10))["type"] == "error"
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1008


def test_a_real_server_says_why_it_closes_for_size_and_origin(tmp_path):
    settings = ServerSettings(cache_dir=tmp_path, ws_max_message_bytes=4096)
    with LiveServer(settings) as server:
        with connect(server.ws_url, max_size=None) as ws:  # over the cap, under the WebSocket layer's
            ws.send(json.dumps({"sample_rate": 48000}))
            assert json.loads(ws.recv(timeout=10))["type"] == "config"
            ws.send(bytes(3 * 4096))
            error = json.loads(ws.recv(timeout=10))
            assert error["type"] == "error" and "4096 bytes" in error["message"]
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1009
        with connect(server.ws_url, max_size=None) as ws:  # past the WebSocket layer's own limit
            ws.send(json.dumps({"sample_rate": 48000}))
            json.loads(ws.recv(timeout=10))
            ws.send(bytes(5 * 4096))
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1009
        with connect(server.ws_url, origin="http://evil.example") as ws:
            error = json.loads(ws.recv(timeout=10))
            assert error["type"] == "error" and "evil.example" in error["message"]
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1008
