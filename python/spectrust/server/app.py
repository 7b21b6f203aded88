"""The FastAPI application of ``spectrust serve``: the upload API, the live WebSocket and the
page. Build one with :func:`create_app`; ``spectrust serve`` runs it with uvicorn."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Optional

import anyio
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from .._inputs import read_all
from ..errors import TooLongError
from .live import live_session, transport_max_size
from .settings import ServerSettings
from .upload import ApiError, SpectrogramCache, display_name, render, render_options

STATIC = Path(__file__).resolve().parent / "static"
#: Room for the multipart boundaries and the small fields around the file.
FORM_OVERHEAD = 64 * 1024
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 422: "invalid_field"}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "message": message, "error": code}, status_code=status, headers=NOSNIFF)


def create_app(settings: Optional[ServerSettings] = None) -> FastAPI:
    """The FastAPI application of ``spectrust serve``: the upload API, ``/ws/live`` and the page.

    Parameters
    ----------
    settings : ServerSettings or None
        Bounds on uploads, the image cache and live connections (default
        ``ServerSettings()``).

    Returns
    -------
    fastapi.FastAPI
        The application, to serve with any ASGI server (its lifespan creates and prunes the
        cache folder).

    Raises
    ------
    ImportError
        FastAPI is not installed (``pip install ".[server]"``).
    """
    settings = settings or ServerSettings()
    cache = SpectrogramCache(settings)
    limiter = anyio.CapacityLimiter(max(1, settings.render_workers))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        cache.create()
        await anyio.to_thread.run_sync(cache.prune)
        yield

    app = FastAPI(title="spectrust", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.cache = cache

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(exc.status_code, _CODES.get(exc.status_code, "error"), str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_field", "; ".join(str(e.get("msg")) for e in exc.errors()) or "invalid request")

    @app.post("/api/audio/generate-spectrogram")
    async def generate_spectrogram(request: Request) -> JSONResponse:
        """Multipart upload (``audio_file`` and optional ``width``, ``height``, ``colormap``,
        ``scale``, ``fmax``) to a stored PNG spectrogram."""
        body_limit = settings.max_upload_bytes + FORM_OVERHEAD
        too_large = ApiError(413, "too_large", f"the upload is larger than {settings.max_upload_bytes} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > body_limit:
            raise too_large  # refused early; the body is counted below in any case
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            raise ApiError(400, "no_file", "send multipart/form-data with the audio in the field audio_file")

        received = 0

        async def counting_receive():
            nonlocal received
            message = await request.receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > body_limit:
                    raise too_large
            return message

        counted = Request(request.scope, counting_receive)
        async with counted.form(max_files=1, max_fields=16, max_part_size=FORM_OVERHEAD) as form:
            upload = form.get("audio_file")
            if not isinstance(upload, UploadFile):
                raise ApiError(400, "no_file", "no file in the field audio_file")
            options = render_options(form, settings)
            data = await anyio.to_thread.run_sync(_read, upload, settings.max_upload_bytes)
            if data is None:
                raise too_large
            if not data:
                raise ApiError(400, "no_file", "the file in audio_file is empty")
            image = cache.new_image()
            kind = await anyio.to_thread.run_sync(
                _render_and_prune, data, image, options, settings, cache, limiter=limiter
            )
        return JSONResponse(
            {
                "success": True,
                "message": f"Spectrogram generated from {kind} audio",
                "spectrogram_url": str(request.url_for("spectrogram", name=image.name)),
                "audio_filename": display_name(upload.filename),
            },
            headers=NOSNIFF,
        )

    @app.get("/api/audio/spectrograms/{name}", name="spectrogram")
    async def spectrogram(name: str) -> Response:
        path = cache.find(name)
        try:
            data = None if path is None else await anyio.to_thread.run_sync(path.read_bytes)
        except FileNotFoundError:  # removed from the cache meanwhile
            data = None
        if data is None:
            raise ApiError(404, "not_found", "no such spectrogram (it may have expired)")
        return Response(data, media_type="image/png", headers={**NOSNIFF, "Cache-Control": "private, max-age=3600"})

    @app.websocket("/ws/live")
    async def ws_live(websocket: WebSocket) -> None:
        await live_session(websocket, settings)

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=NOSNIFF)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _read(upload: UploadFile, limit: int) -> Optional[bytes]:
    """The upload's bytes (decoded from memory), or None past ``limit`` bytes."""
    upload.file.seek(0)
    try:
        return read_all(upload.file, "<bytes>", limit)
    except TooLongError:
        return None


def _render_and_prune(
    audio: bytes, image: Path, options: dict, settings: ServerSettings, cache: SpectrogramCache
) -> str:
    try:
        return render(audio, image, options, settings)
    finally:
        cache.prune()


def run(
    host: str = "127.0.0.1", port: int = 8000, settings: Optional[ServerSettings] = None, log_level: str = "info"
) -> None:
    """Serves :func:`create_app` with uvicorn until interrupted.

    Parameters
    ----------
    host : str
        Address to listen on (default ``"127.0.0.1"``, this machine only).
    port : int
        TCP port (default 8000).
    settings : ServerSettings or None
        As for :func:`create_app`.
    log_level : str
        uvicorn's log level (default ``"info"``).

    Returns
    -------
    None
        When the server has stopped (Ctrl-C or SIGTERM).

    Raises
    ------
    SystemExit
        uvicorn cannot listen on ``host:port`` (it exits; ``spectrust serve`` reports it in
        one line).
    """
    import uvicorn

    settings = settings or ServerSettings()
    uvicorn.run(
        create_app(settings), host=host, port=port, ws_max_size=transport_max_size(settings), log_level=log_level
    )


__all__ = ["ServerSettings", "create_app", "run"]
