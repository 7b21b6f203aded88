"""The live view's costs: processing time per 1024-sample block, and end-to-end column latency.

1. ``StreamingSpectrogram.push`` + ``pull`` of one 1024-sample block (48 kHz, n_fft 4096, hop
   512, the page's defaults) for each axis, and the server's whole per-message path (bytes ->
   numpy, push/pull in a worker thread, columns queued as bytes) in an asyncio loop.
2. A real ``spectrust serve`` (uvicorn, separate process) on loopback: a client sends 1024-
   sample blocks paced in real time over ``WS /ws/live``; a column's latency is the time from
   sending the block that completes its frame to receiving the column.

Run: python3 benches/bench_server.py (needs the server extra: pip install ".[server]"). Prints the figures and saves
them to benches/out/server.json.
"""

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import spectrust  # noqa: E402
from benchutil import wait_idle  # noqa: E402

SR, N_FFT, HOP, BLOCK = 48000, 4096, 512, 1024


def signal(seconds: float) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    noise = np.random.default_rng(0).normal(0, 0.05, t.size)
    return (0.5 * np.sin(2 * np.pi * 1000 * t) + noise).astype("<f4")


def per_block_us(scale: str, seconds: float = 20.0, repeat: int = 5) -> float:
    """Median over repeats of the mean time per block of push + pull, in microseconds."""
    y = signal(seconds)
    blocks = [y[i : i + BLOCK] for i in range(0, len(y) - BLOCK + 1, BLOCK)]
    runs = []
    for _ in range(repeat):
        s = spectrust.StreamingSpectrogram(
            SR, n_fft=N_FFT, hop_length=HOP, scale=scale, fmin=20.0 if scale == "log" else 0.0
        )
        t0 = time.perf_counter()
        for b in blocks:
            s.push(b)
            s.pull()
        runs.append((time.perf_counter() - t0) / len(blocks) * 1e6)
    return float(np.median(runs))


def server_path_us(seconds: float = 20.0) -> float:
    """Mean time per block of the server's per-message path, in microseconds."""
    import anyio
    from spectrust.server.live import _Outbox, _push_pull

    y = signal(seconds)
    messages = [y[i : i + BLOCK].tobytes() for i in range(0, len(y) - BLOCK + 1, BLOCK)]

    async def run() -> float:
        s = spectrust.StreamingSpectrogram(SR, n_fft=N_FFT, hop_length=HOP)
        outbox = _Outbox(1 << 30)
        t0 = time.perf_counter()
        for m in messages:
            outbox.put(await anyio.to_thread.run_sync(_push_pull, s, np.frombuffer(m, dtype="<f4")))
            outbox.columns.clear()
        return (time.perf_counter() - t0) / len(messages) * 1e6

    return float(np.median([asyncio.run(run()) for _ in range(3)]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _latency_run(url: str, seconds: float) -> list:
    from websockets.asyncio.client import connect

    y = signal(seconds)
    blocks = [y[i : i + BLOCK] for i in range(0, len(y) - BLOCK + 1, BLOCK)]
    sent_at = []
    latencies = []
    async with connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"sample_rate": SR, "n_fft": N_FFT}))
        config = json.loads(await ws.recv())
        n_bins, hop, n_fft = config["n_bins"], config["hop_length"], config["n_fft"]
        expected = (len(blocks) * BLOCK - n_fft) // hop + 1

        async def sender():
            start = time.perf_counter()
            for i, b in enumerate(blocks):
                # Real-time pacing: block i is due when its last sample has been "captured".
                await asyncio.sleep(max(0.0, start + (i + 1) * BLOCK / SR - time.perf_counter()))
                sent_at.append(time.perf_counter())
                await ws.send(b.tobytes())

        task = asyncio.create_task(sender())
        column = 0
        while column < expected:
            message = await ws.recv()
            now = time.perf_counter()
            if isinstance(message, str):
                continue
            for _ in range(len(message) // (4 * n_bins)):
                last_sample = column * hop + n_fft - 1
                latencies.append(now - sent_at[last_sample // BLOCK])
                column += 1
        await task
    return latencies


def latency_ms(seconds: float = 15.0) -> dict:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "spectrust.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("spectrust serve did not start") from None
                time.sleep(0.1)
        lat = np.array(asyncio.run(_latency_run(f"ws://127.0.0.1:{port}/ws/live", seconds))) * 1e3
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {
        "columns": int(lat.size),
        "median": float(np.median(lat)),
        "p95": float(np.percentile(lat, 95)),
        "max": float(lat.max()),
        # The frame's own delay: its centre is n_fft / 2 samples before its last sample.
        "window_centre_delay": 1e3 * N_FFT / 2 / SR,
    }


def main() -> dict:
    busy = wait_idle(timeout=180)
    block_ms = 1e3 * BLOCK / SR
    results = {"busy_before": busy, "block_ms": block_ms, "per_block_us": {}}
    print(f"Per 1024-sample block at {SR} Hz ({block_ms:.2f} ms of audio), n_fft {N_FFT}, hop {HOP}:")
    for scale in ("log", "mel", "linear"):
        us = per_block_us(scale)
        results["per_block_us"][scale] = us
        print(f"  push + pull, {scale:6s} axis: {us:7.1f} us  ({block_ms * 1e3 / us:,.0f}x real time)")
    us = server_path_us()
    results["server_path_us"] = us
    print(f"  server path (bytes -> thread -> push/pull -> queued bytes): {us:7.1f} us")
    lat = latency_ms()
    results["latency_ms"] = lat
    print(
        f"End-to-end column latency over WS /ws/live ({lat['columns']} columns, real-time pacing): "
        f"median {lat['median']:.2f} ms, p95 {lat['p95']:.2f} ms, max {lat['max']:.2f} ms "
        f"(+ {lat['window_centre_delay']:.1f} ms from the window centre to its last sample)"
    )
    out = HERE / "out" / "server.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
