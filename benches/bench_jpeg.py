"""libjpeg-turbo's SIMD code at work: the same JPEG batch with it and without it.

100 clips of make_data.py to 800x600 JPEG (quality 90) by ``Batchop`` on one worker thread, in
one process, best of 3: first as built, then with ``JSIMD_FORCENONE=1`` in the environment,
which libjpeg-turbo reads in every new thread (each batch starts new ones), so that its SIMD
code is switched off; PNG, which libjpeg-turbo does not touch, as a control. Prints
``spectrust.build_info()`` too: a build without libjpeg-turbo (no NASM) shows no difference.

Run: python3 benches/bench_jpeg.py
"""

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_data  # noqa: E402
import spectrust  # noqa: E402
from benchutil import best_of, wait_idle  # noqa: E402


def batch(paths_dir: Path, out: str, fmt: str) -> None:
    with spectrust.Batchop(paths_dir, out, 800, 600, format=fmt, workers=1) as results:
        assert all(r.ok for r in results)


def main() -> dict:
    make_data.main()
    info = spectrust.build_info()
    print(f"bench_jpeg: {make_data.N_CLIPS} clips -> 800x600, one thread, best of 3; build: {info}")
    res = {"build": info}
    with tempfile.TemporaryDirectory() as d:
        for label, fmt, forcenone in [
            ("jpeg", "jpg", False),
            ("jpeg_simd_off", "jpg", True),
            ("png", "png", False),
            ("png_simd_off", "png", True),
        ]:
            if forcenone:
                os.environ["JSIMD_FORCENONE"] = "1"
            else:
                os.environ.pop("JSIMD_FORCENONE", None)
            wait_idle()
            res[label] = best_of(lambda fmt=fmt, label=label: batch(make_data.CLIPS, f"{d}/{label}", fmt))
            print(f"  {label:<14} {res[label]:6.3f} s ({res[label] / make_data.N_CLIPS * 1e3:.2f} ms a file)")
        os.environ.pop("JSIMD_FORCENONE", None)
    res["jpeg_slowdown_without_simd"] = res["jpeg_simd_off"] / res["jpeg"]
    res["png_slowdown_without_simd"] = res["png_simd_off"] / res["png"]
    print(
        f"  without libjpeg-turbo's SIMD: JPEG batch {res['jpeg_slowdown_without_simd']:.2f}x slower, "
        f"PNG batch {res['png_slowdown_without_simd']:.2f}x (control)"
    )
    return res


if __name__ == "__main__":
    main()
