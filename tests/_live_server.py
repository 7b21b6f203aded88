"""A real uvicorn server on a free loopback port, in a thread, for tests that need real
sockets (backpressure, streamed request bodies, a browser)."""

import threading
import time

import uvicorn
from spectrust.server import ServerSettings, create_app
from spectrust.server.live import transport_max_size


class LiveServer:
    def __init__(self, settings: ServerSettings):
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            log_config=None,  # uvicorn would bind its handlers to the stderr pytest captures then closes
            ws_max_size=transport_max_size(settings),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/live"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
