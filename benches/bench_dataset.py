"""``spectrust features`` at scale: clips per second on 500 varied real MP3s, locally and on a
Dask LocalCluster, and the bytes each format and dtype store per clip.

Inputs: make_data's 500 distinct 15 s excerpts of the Wesnoth soundtrack (overlapping: every
10 s of each track), 44.1 kHz stereo MP3 at 128 kb/s. Feature: log-mel at 16 kHz (128 bands,
n_fft 2048, hop 512: 469 frames a clip), as an ML engineer would extract them.

1. Local: ``extract_features(mp3s, out, feature="log_mel", sr=16000, shard_size=50)``, both
   cores (spectrust's threads), Parquet float32, a fresh OUT each time, best of 2.
2. Dask: the same with ``client=`` a ``distributed.LocalCluster(n_workers=2,
   threads_per_worker=1)`` (two worker processes, each shard on one thread: ``workers=1``).
3. Output size per clip: the first 100 clips in each format (parquet, webdataset, npy) and
   dtype (float32, float16).

Run: python3 benches/bench_dataset.py (needs the bench extras: pyarrow, distributed).
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_data  # noqa: E402
import spectrust  # noqa: E402
from benchutil import scaled, wait_idle  # noqa: E402

N_CLIPS = scaled(500)
FEATURE = dict(feature="log_mel", sr=16000)


def timed_run(paths: list, repeat: int = 2, **kwargs) -> float:
    best = float("inf")
    for _ in range(repeat):
        out = Path(tempfile.mkdtemp(prefix="bench-dataset-"))
        wait_idle()
        start = time.perf_counter()
        summary = spectrust.extract_features(paths, out / "o", shard_size=50, **FEATURE, **kwargs)
        best = min(best, time.perf_counter() - start)
        assert summary["written"] == len(paths), summary
        shutil.rmtree(out)
    return best


def bytes_per_clip(paths: list) -> dict:
    sizes = {}
    for fmt in ("parquet", "webdataset", "npy"):
        for dtype in ("float32", "float16"):
            out = Path(tempfile.mkdtemp(prefix="bench-dataset-"))
            spectrust.extract_features(paths, out / "o", format=fmt, dtype=dtype, shard_size=50, **FEATURE)
            data = [p for p in (out / "o").rglob("*") if p.is_file() and "manifest" not in p.name]
            data = [p for p in data if p.name != "spectrust.json" and p.parent.name != "manifest.d"]
            sizes[fmt, dtype] = sum(p.stat().st_size for p in data) / len(paths)
            shutil.rmtree(out)
    return sizes


def main() -> dict:
    from distributed import Client, LocalCluster

    paths = [str(p) for p in make_data.compressed_clips("mp3", N_CLIPS)]
    spectrust.extract_features(paths[:10], tempfile.mkdtemp() + "/warm", **FEATURE)
    local = timed_run(paths)
    print(f"bench_dataset: {N_CLIPS} MP3s, log-mel at 16 kHz, Parquet float32")
    print(f"  local, 2 threads:            {local:6.2f} s  {N_CLIPS / local:6.1f} clips/s")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            dask = timed_run(paths, client=client, workers=1)
    print(f"  Dask LocalCluster, 2 x 1:    {dask:6.2f} s  {N_CLIPS / dask:6.1f} clips/s")
    sizes = bytes_per_clip(paths[:100])
    for (fmt, dtype), size in sizes.items():
        print(f"  {fmt:10s} {dtype}: {size / 1e3:7.1f} KB a clip")
    bytes_per = {f"{fmt} {dtype}": size for (fmt, dtype), size in sizes.items()}  # JSON keys are strings
    return {"local_clips_per_s": N_CLIPS / local, "dask_clips_per_s": N_CLIPS / dask, "bytes": bytes_per}


if __name__ == "__main__":
    main()
