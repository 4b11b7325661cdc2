"""A small real HTTP server on 127.0.0.1 that answers what a test tells it, per route."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON, or bytes as they are
    content_type: str | None = "application/json"


@dataclass
class RouteServer:
    """``server.route("GET", "/clients/5", Answer(200, {...}))``; unknown routes answer 404."""

    routes: dict[tuple[str, str], Answer] = field(default_factory=dict)
    received: list[tuple[str, str, bytes]] = field(default_factory=list)

    def route(self, method: str, path: str, answer: Answer) -> None:
        self.routes[(method, path)] = answer

    def start(self) -> RouteServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                owner.received.append((self.command, path, body))
                answer = owner.routes.get((self.command, path), Answer(404, {"detail": "none"}))
                data = answer.body
                raw = (
                    data
                    if isinstance(data, bytes)
                    else b""
                    if data is None
                    else json.dumps(data).encode()
                )
                self.send_response(answer.status)
                if answer.content_type and raw:
                    self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def running() -> Iterator[RouteServer]:
    server = RouteServer().start()
    try:
        yield server
    finally:
        server.stop()
