"""The ``spectrust`` command line.

``spectrust batch IN_DIR OUT_DIR`` renders every audio file under IN_DIR to an image in
OUT_DIR, mirroring the folder tree (``IN_DIR/a/b.wav`` -> ``OUT_DIR/a/b.jpg``). Exit status:
0 when every file was written, 1 when any failed, 2 for bad usage. Errors are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Optional, Sequence

from . import _core
from .batch import Batchop
from .errors import ParameterError


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spectrust", description="Audio files to mel spectrogram images, fast.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_serve(sub)
    b = sub.add_parser("batch", help="render every audio file under a folder", description=__doc__.split("\n\n")[1])
    b.add_argument("in_dir", metavar="IN_DIR", help="folder searched recursively for audio files")
    b.add_argument("out_dir", metavar="OUT_DIR", help="folder for the images (created if missing)")
    b.add_argument("--width", type=_positive_int, default=600, help="image width in pixels (default 600)")
    b.add_argument("--height", type=_positive_int, default=420, help="image height in pixels (default 420)")
    b.add_argument("--format", choices=["jpg", "png"], default="jpg", help="image format (default jpg)")
    b.add_argument("--colormap", choices=list(_core.COLORMAPS), default="spectrust", help="colour map (default spectrust)")
    b.add_argument("--workers", type=_positive_int, default=None, help="threads (default: one per core)")
    b.add_argument("--sr", type=_positive_int, default=None, help="resample to this rate in Hz first")
    b.add_argument("--n-fft", type=_positive_int, default=2048, help="FFT length in samples (default 2048)")
    b.add_argument("--hop-length", type=_positive_int, default=512, help="hop in samples (default 512)")
    b.add_argument("--n-mels", type=_positive_int, default=128, help="mel bands (default 128)")
    b.add_argument("--fmin", type=float, default=0.0, help="lowest frequency in Hz (default 0)")
    b.add_argument("--fmax", type=float, default=None, help="highest frequency in Hz (default sr/2)")
    b.add_argument("--top-db", type=float, default=80.0, help="dynamic range in dB (default 80)")
    return parser


class _Progress:
    """A progress bar on stderr when it is a terminal (tqdm if installed), else nothing."""

    def __init__(self):
        self.bar = None
        self.done = 0
        self.total = 0
        self.interactive = sys.stderr.isatty()

    def start(self, total: int) -> None:
        self.total = total
        if self.interactive:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="file", file=sys.stderr)
            except ImportError:
                pass

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.interactive:
            sys.stderr.write(f"\r{self.done}/{self.total} files")
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.interactive and self.total:
            sys.stderr.write("\n")


def _batch(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.in_dir):
        print(f"spectrust: error: {args.in_dir}: not a folder", file=sys.stderr)
        return 2
    start = time.perf_counter()
    progress = _Progress()
    op = Batchop(
        args.in_dir,
        args.out_dir,
        args.width,
        args.height,
        keep_names=True,
        format=args.format,
        workers=args.workers,
        colormap=args.colormap,
        sr=args.sr,
        n_fft=args.n_fft,
        hop_length=args.hop_length,
        n_mels=args.n_mels,
        fmin=args.fmin,
        fmax=args.fmax,
        top_db=args.top_db,
        progress=progress,
    )
    progress.start(len(op.files))
    try:
        with op as results:
            pass
    finally:
        progress.close()
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"spectrust: failed: {r.error}", file=sys.stderr)
    print(f"{len(results) - len(failed)} written, {len(failed)} failed in {time.perf_counter() - start:.2f} s")
    return 1 if failed else 0


def _add_serve(sub) -> None:
    s = sub.add_parser(
        "serve",
        help="run the upload API and the live spectrogram page",
        description="Runs the upload API (POST /api/audio/generate-spectrogram) and the live spectrogram page "
        "(GET /, WS /ws/live) with uvicorn. Needs pip install 'spectrust[server]'.",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--cache-dir", default=None, help="folder of the stored spectrograms (default: a temporary folder)")
    s.add_argument("--max-upload-mb", type=float, default=15.0, help="largest upload in MiB (default 15)")
    s.add_argument("--allow-origin", action="append", default=[], help="another origin allowed to open /ws/live (repeatable)")


def _serve(args: argparse.Namespace) -> int:
    try:
        from .server import ServerSettings, run
    except ImportError as e:
        print(f"spectrust: error: spectrust serve needs the server extra: pip install 'spectrust[server]' ({e})", file=sys.stderr)
        return 2
    settings = ServerSettings(
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
        cache_dir=args.cache_dir,
        allowed_origins=tuple(args.allow_origin),
    )
    run(args.host, args.port, settings)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``spectrust`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _serve(args) if args.command == "serve" else _batch(args)
    except (ParameterError, ValueError, TypeError) as e:
        print(f"spectrust: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"spectrust: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
