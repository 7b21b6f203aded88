"""The ``spectrust`` command line.

``spectrust render AUDIO OUT`` (or just ``spectrust AUDIO OUT``) renders one audio file:
OUT ending in ``.png``/``.jpg``/``.jpeg`` is one image of the whole file; OUT ending in ``/``
(or an existing folder) gets a frame sequence ``frame_0000.png``, ``frame_0001.png``, ...
of ``--frame-duration`` seconds each, for turning into video.

``spectrust batch IN_DIR OUT_DIR`` renders every audio file under IN_DIR to an image in
OUT_DIR, mirroring the folder tree (``IN_DIR/a/b.wav`` -> ``OUT_DIR/a/b.jpg``).

``spectrust features SRC OUT`` computes training features of every input of SRC (audio files,
Parquet files with an audio column, WebDataset tars, a segments manifest; local or at an
fsspec URL) into shards in OUT (:func:`spectrust.extract_features`); rerun, it resumes.

Exit status: 0 when every output was written, 1 when an input failed, 2 for bad usage.
Errors are one line on stderr, never a traceback. With ``--json`` each output is also
reported as one JSON object per line on stdout (failures too, with ``"ok": false``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Optional

from . import _core
from ._params import HEIGHT, IMAGE_OPTIONS, WIDTH
from .batchop import Batchop
from .errors import ParameterError, SpectrustError
from .features.by_name import FEATURES
from .features.mel import MEL_DEFAULTS
from .spectrogram import Spectrogram

COMMANDS = ("render", "batch", "features", "serve")
#: The defaults the options below show in their help (Spectrogram applies them).
_DEFAULTS = {**IMAGE_OPTIONS, **MEL_DEFAULTS, "width": WIDTH, "height": HEIGHT}


def seconds(text: str) -> float:  # argparse names the type in its errors: "invalid seconds value"
    """A duration in seconds, or ``none`` (any case) for no limit (infinity to the core)."""
    return math.inf if text.strip().lower() == "none" else float(text)


#: The options of render and batch that are keywords of Spectrogram: (name, type, help).
_IMAGE_OPTIONS = (
    ("width", int, "image width in pixels"),
    ("height", int, "image height in pixels"),
    ("r", float, "scale of the red channel, 0-255"),
    ("g", float, "scale of the green channel, 0-255"),
    ("b", float, "scale of the blue channel, 0-255"),
    ("colormap", _core.COLORMAPS, "colour map"),
    ("scale", _core.SCALES, "frequency axis"),
    ("fmin", float, "lowest frequency in Hz (20 Hz when 0 with --scale log)"),
    ("fmax", float, "highest frequency in Hz (default: half the sample rate)"),
    ("noise_percentile", float, "draw levels under this percentile in the lowest colour (default off; seed: 75)"),
    ("top_db", float, "dynamic range in dB"),
    ("sr", int, "resample to this rate in Hz first (default: each file's own)"),
    ("n_fft", int, "FFT length in samples"),
    ("hop_length", int, "hop in samples"),
    ("n_mels", int, "mel (or log) bands"),
    ("quality", int, "JPEG quality 1-100"),
    ("max_duration", seconds, "fail inputs longer than this many seconds ('none': no limit)"),
)


def _common_options() -> argparse.ArgumentParser:
    """Options shared by render and batch: the image and the analysis."""
    p = argparse.ArgumentParser(add_help=False)
    for name, kind, text in _IMAGE_OPTIONS:
        default = _DEFAULTS[name]
        if default is not None:
            text = f"{text} (default {default:g})" if isinstance(default, float) else f"{text} (default {default})"
        flag = "--" + name.replace("_", "-")
        if isinstance(kind, tuple):
            p.add_argument(flag, choices=kind, default=None, help=text)
        else:
            p.add_argument(flag, type=kind, default=None, help=text)
    p.add_argument("--workers", type=int, default=None, help="threads (default: one per core)")
    p.add_argument("--json", action="store_true", help="print one JSON object per output on stdout")
    return p


def _version() -> str:
    """The version and what the build does (spectrust.build_info())."""
    info = _core.build_info()
    lines = [f"spectrust {info.pop('version')}"]
    lines += [f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in info.items()]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="spectrust",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keeps --version's lines
        description="Audio files to spectrogram images, fast. "
        "`spectrust AUDIO OUT` is short for `spectrust render AUDIO OUT`.",
    )
    parser.add_argument(
        "--version", action="version", version=_version(), help="print the version and build details, then exit"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    common = _common_options()
    r = sub.add_parser("render", parents=[common], help="render one audio file (an image, or frames for video)")
    r.add_argument(
        "audio",
        metavar="AUDIO",
        help="audio file (WAV, MP3, Ogg, Opus, FLAC, AAC, M4A/MP4, WebM), or - to read it from standard input",
    )
    r.add_argument("out", metavar="OUT", help="image (.png, .jpg, .jpeg), or folder ending in / for a frame sequence")
    r.add_argument(
        "--frame-duration", type=float, default=0.1, metavar="SECONDS", help="seconds of audio per frame (default 0.1)"
    )
    b = sub.add_parser("batch", parents=[common], help="render every audio file under a folder")
    b.add_argument("in_dir", metavar="IN_DIR", help="folder searched recursively for audio files")
    b.add_argument("out_dir", metavar="OUT_DIR", help="folder for the images (created if missing)")
    b.add_argument("--format", choices=_core.IMAGE_FORMATS, default="jpg", help="image format (default jpg)")
    b.add_argument(
        "--skip-existing", action="store_true", help="leave images that already exist alone (resume a killed batch)"
    )
    b.add_argument(
        "--extensions",
        default=",".join(_core.AUDIO_EXTENSIONS),
        help="comma-separated file suffixes to pick up (default: every format read; .wav for WAV only)",
    )
    _add_features(sub)
    _add_serve(sub)
    return parser


def _options(args: argparse.Namespace) -> dict:
    """The Spectrogram keyword options given on the command line."""
    return {name: getattr(args, name) for name, _, _ in _IMAGE_OPTIONS if getattr(args, name) is not None}


def _emit(args: argparse.Namespace, record: dict) -> None:
    if args.json:
        print(json.dumps(record), flush=True)


def _fail(args: argparse.Namespace, audio: str, error: str) -> int:
    print(f"spectrust: error: {error}", file=sys.stderr)
    _emit(args, {"ok": False, "input": audio, "error": error})
    return 1


def _render(args: argparse.Namespace) -> int:
    options = _options(args)
    spc = Spectrogram(**options)
    size = {k: options.get(k, _DEFAULTS[k]) for k in ("width", "height")}
    out = args.out
    # "-": the audio's bytes come on standard input (decoded from memory, named <stdin>).
    audio = sys.stdin.buffer if args.audio == "-" else args.audio
    if out.endswith(("/", os.sep)) or os.path.isdir(out):
        try:
            frames = spc.generate_frames(audio, out, frame_duration=args.frame_duration, workers=args.workers)
        except ParameterError:
            raise
        except (SpectrustError, OSError) as e:
            return _fail(args, args.audio, str(e))
        for i, (path, start, end) in enumerate(frames):
            span = {"start": round(start, 6), "end": round(end, 6)}
            _emit(args, {"ok": True, "input": args.audio, "output": path, "frame": i, **span, **size})
        if not args.json:
            print(f"{len(frames)} frames written to {out}")
        return 0
    result = spc.generate(audio, out)
    if isinstance(result.exception, ParameterError):
        raise result.exception  # OUT is not an image name: bad usage
    if not result.ok:
        return _fail(args, args.audio, result.error or "")
    _emit(args, {"ok": True, "input": args.audio, "output": out, **size})
    if not args.json:
        print(out)
    return 0


class _Progress:
    """A progress bar on stderr when it is a terminal (tqdm if installed), else nothing."""

    def __init__(self):
        self.bar = None
        self.done = 0
        self.total: Optional[int] = 0
        self.unit = "file"
        self.interactive = sys.stderr.isatty()

    def start(self, total: Optional[int], unit: str = "file") -> None:
        self.total, self.unit = total, unit
        if self.interactive:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit=unit, file=sys.stderr)
            except ImportError:
                pass

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.interactive:
            sys.stderr.write(
                f"\r{self.done}/{self.total} {self.unit}s" if self.total else f"\r{self.done} {self.unit}s"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.interactive and self.done:
            sys.stderr.write("\n")


def _batch(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.in_dir):
        raise ParameterError(f"{args.in_dir}: not a folder")
    start = time.perf_counter()
    progress = _Progress()
    op = Batchop(
        args.in_dir,
        args.out_dir,
        keep_names=True,
        format=args.format,
        skip_existing=args.skip_existing,
        extensions=[e.strip() for e in args.extensions.split(",") if e.strip()],
        workers=args.workers,
        progress=progress,
        **_options(args),
    )
    progress.start(len(op.files))
    try:
        with op as results:
            pass
    finally:
        progress.close()
    failed = [r for r in results if not r.ok]
    skipped = sum(r.skipped for r in results)
    for r in results:
        if r.skipped:
            _emit(args, {"ok": True, "input": r.input_file, "output": r.output_file, "skipped": True})
        elif r.ok:
            _emit(args, {"ok": True, "input": r.input_file, "output": r.output_file})
        else:
            print(f"spectrust: failed: {r.error}", file=sys.stderr)
            _emit(args, {"ok": False, "input": r.input_file, "error": r.error})
    written = len(results) - len(failed) - skipped
    summary = f"{written} written, {len(failed)} failed, {skipped} skipped in {time.perf_counter() - start:.2f} s"
    print(summary, file=sys.stderr if args.json else sys.stdout)
    return 1 if failed else 0


#: The feature parameters ``spectrust features`` takes: (name, type, help); given ones only
#: are passed on, so the numpy API's defaults apply.
_FEATURE_OPTIONS = (
    ("sr", int, "resample to this rate in Hz (default: each file's own)"),
    ("offset", float, "start this many seconds into each file (default 0)"),
    ("duration", float, "seconds per input, padded or cut (default: each file whole)"),
    ("n_mels", int, "mel bands (default 128; whisper: 80)"),
    ("n_fft", int, "FFT length in samples (default 2048)"),
    ("hop_length", int, "hop in samples (default n_fft // 4)"),
    ("win_length", int, "window length in samples (default n_fft)"),
    ("fmin", float, "lowest frequency in Hz (default 0)"),
    ("fmax", float, "highest frequency in Hz (default sr / 2)"),
    ("n_mfcc", int, "coefficients of --feature mfcc (default 20)"),
    ("top_db", float, "dynamic range of --feature log_mel in dB (default 80)"),
    ("num_mel_bins", int, "bands of --feature fbank, ast, seamless (default 23, 128, 80)"),
)


def _add_features(sub) -> None:
    from .dataset import DTYPES, ENGINES, FORMATS, SOURCE_FORMATS

    f = sub.add_parser(
        "features",
        help="compute training features of many inputs into shards (resumable; local, Dask or Ray)",
        description="Computes --feature (" + ", ".join(FEATURES) + ") of every input of SRC into shards in OUT, "
        "with OUT/__spectrust__/manifest.jsonl. SRC (its format detected from the files' extensions, or "
        "--source-format): a folder of audio files (searched recursively), a text file listing one path a line, "
        "Parquet files with an audio column (the Hugging Face Hub's {bytes, path}), WebDataset tars (a file, a "
        "folder, a glob or a brace range shard-{000000..000099}.tar), or a segments manifest (.jsonl or .csv: "
        "path, offset, duration, other fields); a path or an fsspec URL (s3://, gs://, hf://, https://). Rows "
        "keep the input's identity and other fields. Run again, it redoes only unfinished shards and those with "
        "failed inputs. Exit status 1 if an input failed.",
    )
    f.add_argument("inputs", metavar="SRC", help="audio files, Parquet, tars or a manifest: a path or an fsspec URL")
    f.add_argument("out", metavar="OUT", help="output folder, or an fsspec URL (s3://bucket/prefix)")
    f.add_argument("--feature", choices=FEATURES, default="mel")
    f.add_argument("--format", choices=tuple(FORMATS), default="parquet", help="shard format (default parquet)")
    f.add_argument("--shard-size", type=int, default=1000, help="inputs per shard (default 1000; a tar: one shard)")
    f.add_argument("--dtype", choices=DTYPES, default="float32", help="stored type (default float32)")
    for name, kind, text in _FEATURE_OPTIONS:
        f.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None, help=text)
    f.add_argument("--source-format", choices=SOURCE_FORMATS, default=None, help="SRC's format (default: detected)")
    f.add_argument(
        "--audio-column", default=None, help="the audio: a Parquet column, a tar member's extension, a manifest field"
    )
    f.add_argument("--workers", type=int, default=None, help="threads per shard (default: one per core)")
    f.add_argument("--engine", choices=ENGINES, default=None, help="where shards run (default local; --dask: dask)")
    f.add_argument("--dask", metavar="SCHEDULER_ADDRESS", help="run the shards on this Dask cluster (tcp://host:8786)")
    f.add_argument("--json", action="store_true", help="one JSON line per input on stdout")


def _features(args: argparse.Namespace) -> int:
    try:
        import fsspec  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as e:
        print(
            f"spectrust: error: spectrust features needs: pip install pyarrow fsspec (the dataset extra) ({e})",
            file=sys.stderr,
        )
        return 2
    from .dataset import extract_features
    from .dataset.listing import open_source

    options = {name: getattr(args, name) for name, _, _ in _FEATURE_OPTIONS if getattr(args, name) is not None}
    engine = args.engine or ("dask" if args.dask else None)
    if engine == "dask" and not args.dask:
        raise ParameterError("--engine dask needs --dask SCHEDULER_ADDRESS")
    if args.dask and engine != "dask":
        raise ParameterError(f"--dask runs the shards on Dask, not --engine {engine}")
    source = open_source(args.inputs, args.source_format, args.audio_column)
    client = None
    if args.dask:
        from distributed import Client

        client = Client(args.dask)
    progress = _Progress()
    if not args.json:
        progress.start(source.size(), unit="input")

    def on_shard(records: list) -> None:
        for record in records:
            _emit(args, record)
            if not record["ok"]:
                print(f"spectrust: failed: {record['error']}", file=sys.stderr)
        progress(len(records))

    try:
        summary = extract_features(
            source,
            args.out,
            feature=args.feature,
            format=args.format,
            shard_size=args.shard_size,
            dtype=args.dtype,
            workers=args.workers,
            engine=engine,
            client=client,
            on_shard=on_shard,
            **options,
        )
    finally:
        progress.close()
        if client is not None:
            client.close()
    if summary["retried"]:
        print(f"spectrust: tried again {summary['retried']} input(s) that failed before", file=sys.stderr)
    line = f"{summary['written']} written, {summary['failed']} failed, {summary['skipped']} skipped"
    print(f"{line} in {summary['seconds']:.2f} s", file=sys.stderr if args.json else sys.stdout)
    return 1 if summary["failed"] else 0


def _add_serve(sub) -> None:
    s = sub.add_parser(
        "serve",
        help="run the upload API and the live spectrogram page",
        description="Runs the upload API (POST /api/audio/generate-spectrogram) and the live spectrogram page "
        "(GET /, WS /ws/live) with uvicorn. Needs FastAPI, uvicorn, python-multipart and websockets "
        "(the server extra).",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--cache-dir", default=None, help="folder of the stored spectrograms (default: a temporary folder)")
    s.add_argument("--max-upload-mb", type=float, default=15.0, help="largest upload in MiB (default 15)")
    s.add_argument(
        "--allow-origin", action="append", default=[], help="another origin allowed to open /ws/live (repeatable)"
    )


def _serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ParameterError(f"--port must be 0 to 65535, got {args.port}")
    import socket

    try:  # one line, not uvicorn's traceback, when the address cannot be had
        socket.create_server((args.host, args.port)).close()
    except OSError as e:
        return _failure(False, f"cannot listen on {args.host}:{args.port}: {e.strerror or e}", 1)
    try:
        from .server import ServerSettings, run
    except ImportError as e:
        print(
            "spectrust: error: spectrust serve needs the server extra: "
            f"pip install fastapi uvicorn python-multipart websockets ({e})",
            file=sys.stderr,
        )
        return 2
    settings = ServerSettings(
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
        cache_dir=args.cache_dir,
        allowed_origins=tuple(args.allow_origin),
    )
    run(args.host, args.port, settings)
    return 0


def _with_shorthand(argv: Sequence[str]) -> list:
    """``spectrust AUDIO OUT ...`` is ``spectrust render AUDIO OUT ...``."""
    argv = list(argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        return ["render", *argv]
    return argv


class _UsageError(Exception):
    """A command line argparse refuses (its message; the usage is already on stderr)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: {message}")


def _failure(json_output: bool, error: str, status: int) -> int:
    """Reports a failure of the whole command: one line on stderr, and with ``--json`` one
    JSON line on stdout too (so that a caller reading the last line always finds one)."""
    print(f"spectrust: error: {error}", file=sys.stderr)
    if json_output:
        print(json.dumps({"ok": False, "error": error, "status": status}), flush=True)
    return status


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``spectrust`` command; returns the exit status."""
    argv = _with_shorthand(sys.argv[1:] if argv is None else argv)
    json_output = "--json" in argv
    try:
        args = _parser().parse_args(argv)
    except _UsageError as e:
        return _failure(json_output, str(e), 2)
    try:
        commands = {"serve": _serve, "render": _render, "batch": _batch, "features": _features}
        return commands[args.command](args)
    except (ParameterError, TypeError, ValueError) as e:
        if isinstance(e, SpectrustError) and not isinstance(e, ParameterError):
            return _failure(json_output, str(e), 1)  # a DecodeError is also a ValueError
        return _failure(json_output, str(e), 2)
    except (SpectrustError, OSError) as e:
        return _failure(json_output, str(e), 1)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`spectrust ... --json | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
