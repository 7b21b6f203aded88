"""``WS /ws/live``: float32 PCM in, spectrogram columns out (protocol in the README).

1. The client's first message is JSON text: ``{"sample_rate": Hz}`` and optionally
   ``n_fft``, ``hop_length``, ``scale``, ``n_bins``, ``fmin``, ``fmax``.
2. The server answers one JSON text message ``{"type": "config", ..., "frequencies": [...]}``.
3. Then every binary client message is little-endian float32 mono PCM, and every binary
   server message is one or more columns of ``len(frequencies)`` little-endian float32 dB.
   The server may also send ``{"type": "dropped", "columns": n}`` when it dropped the n
   oldest columns for a client that reads too slowly, and ``{"type": "error", ...}`` before
   closing for a protocol error.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import math
from typing import Any, Deque, Optional
from urllib.parse import urlsplit

import anyio
import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .._core import SCALES, StreamingSpectrogram
from ..errors import ParameterError
from .settings import ServerSettings

# Close codes (RFC 6455).
UNSUPPORTED_DATA = 1003
INVALID_PAYLOAD = 1007
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009

DEFAULT_N_FFT = 4096


class ProtocolError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def transport_max_size(settings: ServerSettings) -> int:
    """The WebSocket layer's own message limit (uvicorn's ``ws_max_size``): four times
    ``settings.ws_max_message_bytes``, so that a message over that limit (up to four times it)
    reaches :func:`live_session`, which answers ``{"type": "error"}`` before closing with 1009;
    a larger one is cut off by the WebSocket layer with a bare 1009."""
    return 4 * settings.ws_max_message_bytes


def origin_allowed(headers, settings: ServerSettings) -> bool:
    """True for the page's own origin, a configured one, or no Origin at all (not a browser)."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if "*" in settings.allowed_origins or origin in settings.allowed_origins:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc != "" and parts.netloc == headers.get("host")


def _number(config: dict, name: str, low: float, high: float, integer: bool = False) -> Any:
    value = config.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProtocolError(POLICY_VIOLATION, f"{name} must be a number, got {json.dumps(value)[:40]}")
    if integer and value != int(value):
        raise ProtocolError(POLICY_VIOLATION, f"{name} must be an integer, got {value}")
    if not low <= value <= high:
        raise ProtocolError(POLICY_VIOLATION, f"{name} must be between {low:g} and {high:g}, got {value}")
    return int(value) if integer else float(value)


def spectrogram_from_config(text: str) -> StreamingSpectrogram:
    """The analyser a client's configuration message asks for (ProtocolError if invalid)."""
    try:
        config = json.loads(text)
    except ValueError:
        raise ProtocolError(POLICY_VIOLATION, 'the first message must be JSON, e.g. {"sample_rate": 48000}') from None
    if not isinstance(config, dict) or "sample_rate" not in config:
        raise ProtocolError(POLICY_VIOLATION, "the first message must be a JSON object with sample_rate")
    sr = _number(config, "sample_rate", 8000, 384000)
    kwargs: dict = {"n_fft": DEFAULT_N_FFT}
    if "n_fft" in config:
        kwargs["n_fft"] = _number(config, "n_fft", 256, 32768, integer=True)
        if kwargs["n_fft"] & (kwargs["n_fft"] - 1):
            raise ProtocolError(POLICY_VIOLATION, f"n_fft must be a power of two, got {kwargs['n_fft']}")
    # About 94 columns a second at 48 kHz whatever n_fft, unless asked otherwise.
    kwargs["hop_length"] = min(512, kwargs["n_fft"] // 4)
    if "hop_length" in config:
        kwargs["hop_length"] = _number(config, "hop_length", 32, kwargs["n_fft"], integer=True)
    if "scale" in config:
        if config["scale"] not in SCALES:
            raise ProtocolError(
                POLICY_VIOLATION, f"scale must be one of {', '.join(SCALES)}, got {json.dumps(config['scale'])[:40]}"
            )
        kwargs["scale"] = config["scale"]
        if config["scale"] != "log":
            kwargs["fmin"] = 0.0
    if "n_bins" in config:
        kwargs["n_bins"] = _number(config, "n_bins", 16, 1024, integer=True)
    if "fmin" in config:
        kwargs["fmin"] = _number(config, "fmin", 0, sr / 2)
    if "fmax" in config:
        kwargs["fmax"] = _number(config, "fmax", 1, sr / 2)
    try:
        return StreamingSpectrogram(sr, **kwargs)
    except ParameterError as e:
        raise ProtocolError(POLICY_VIOLATION, str(e)) from None


def config_message(spec: StreamingSpectrogram) -> str:
    freqs = spec.frequencies
    return json.dumps(
        {
            "type": "config",
            "sample_rate": spec.sr,
            "n_fft": spec.n_fft,
            "hop_length": spec.hop_length,
            "scale": spec.scale,
            "n_bins": spec.n_bins,
            "fmin": float(freqs[0]),
            "fmax": float(freqs[-1]),
            "db_min": spec.db_floor,
            "db_max": 0.0,
            "columns_per_second": spec.sr / spec.hop_length,
            "frequencies": [round(float(f), 3) for f in freqs],
        }
    )


class _Outbox:
    """Columns waiting to be sent: bounded, the oldest dropped first."""

    def __init__(self, max_columns: int):
        self.columns: Deque[bytes] = collections.deque()
        self.max_columns = max_columns
        self.dropped = 0
        self.ready = asyncio.Event()

    def put(self, block: np.ndarray) -> None:
        for column in block:
            if len(self.columns) >= self.max_columns:
                self.columns.popleft()
                self.dropped += 1
            self.columns.append(column.astype("<f4", copy=False).tobytes())
        if len(block):
            self.ready.set()


async def _send_loop(ws: WebSocket, outbox: _Outbox) -> None:
    while True:
        await outbox.ready.wait()
        outbox.ready.clear()
        if outbox.dropped:
            dropped, outbox.dropped = outbox.dropped, 0
            await ws.send_text(json.dumps({"type": "dropped", "columns": dropped}))
        if outbox.columns:
            payload = b"".join(outbox.columns)
            outbox.columns.clear()
            await ws.send_bytes(payload)


async def _receive(ws: WebSocket, settings: ServerSettings, timeout: Optional[float] = None) -> Optional[dict]:
    """The next client message, or None when the client has gone."""
    with anyio.fail_after(timeout):
        message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        return None
    size = len(message.get("bytes") or b"") + len((message.get("text") or "").encode())
    if size > settings.ws_max_message_bytes:
        raise ProtocolError(
            MESSAGE_TOO_BIG, f"messages are limited to {settings.ws_max_message_bytes} bytes, got {size}"
        )
    return message


async def live_session(ws: WebSocket, settings: ServerSettings) -> None:
    """Runs one live connection to its end."""
    await ws.accept()
    sender: Optional[asyncio.Task] = None
    try:
        if not origin_allowed(ws.headers, settings):
            # Accepted only to say why: a browser sees this code and message, where a refused
            # handshake (HTTP 403) reaches its page as a bare 1006. Nothing is read from it.
            raise ProtocolError(POLICY_VIOLATION, f"the origin {ws.headers.get('origin')[:80]} may not connect")
        try:
            first = await _receive(ws, settings, timeout=settings.ws_config_timeout)
        except TimeoutError:
            raise ProtocolError(
                POLICY_VIOLATION, f"no configuration message within {settings.ws_config_timeout:g} s"
            ) from None
        if first is None:
            return
        if first.get("text") is None:
            raise ProtocolError(UNSUPPORTED_DATA, "the first message must be JSON text with sample_rate")
        spec = spectrogram_from_config(first["text"])
        await ws.send_text(config_message(spec))
        outbox = _Outbox(settings.ws_queue_columns)
        sender = asyncio.create_task(_send_loop(ws, outbox))
        while True:
            message = await _receive(ws, settings)
            if message is None or sender.done():
                return
            data = message.get("bytes")
            if data is None:
                raise ProtocolError(UNSUPPORTED_DATA, "after the configuration, messages must be binary float32 PCM")
            if len(data) % 4:
                raise ProtocolError(
                    INVALID_PAYLOAD, f"PCM messages must hold whole float32 samples, got {len(data)} bytes"
                )
            samples = np.frombuffer(data, dtype="<f4")
            outbox.put(await anyio.to_thread.run_sync(_push_pull, spec, samples))
    except WebSocketDisconnect:
        pass  # the client went away in the middle of a send
    except ProtocolError as e:
        await _stop(sender)
        if ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # unless the client has gone
                await ws.send_text(json.dumps({"type": "error", "message": e.message}))
                await ws.close(code=e.code, reason=e.message[:120])
    finally:
        await _stop(sender)
        if ws.client_state == WebSocketState.CONNECTED and ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await ws.close()


async def _stop(task: Optional[asyncio.Task]) -> None:
    if task is None:
        return
    if not task.done():
        task.cancel()
        await asyncio.wait([task])  # does not raise the task's cancellation or error
    if not task.cancelled():
        task.exception()  # a send to a client that has gone is no error of ours


def _push_pull(spec: StreamingSpectrogram, samples: np.ndarray) -> np.ndarray:
    spec.push(samples)
    return spec.pull()
