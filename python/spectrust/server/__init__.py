"""``spectrust serve``: an upload API for web back ends and a live in-browser spectrogram.

Needs the ``server`` extra (``pip install ".[server]"`` from a checkout: FastAPI, uvicorn,
python-multipart, websockets)::

    from spectrust.server import create_app, ServerSettings
    app = create_app(ServerSettings(max_upload_bytes=50 * 2**20))   # any ASGI server

or from a shell: ``spectrust serve --host 127.0.0.1 --port 8000``.
"""

from .app import create_app, run
from .settings import ServerSettings

__all__ = ["ServerSettings", "create_app", "run"]
