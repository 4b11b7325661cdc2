"""Small misbehaving HTTP servers on 127.0.0.1, for the reliability suite.

:class:`ScriptedServer` is a raw-socket server: it reads each request itself (so it records
exactly what arrived: the request target before any decoding, and every header) and hands the
connection to a *script*, a function that writes whatever bytes it likes: a correct response,
half of one, nothing, one byte a second. Every socket and thread it opens is closed when it stops,
so a script that drips forever ends with the test.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

# --------------------------------------------------------------------------- requests received


@dataclass(frozen=True)
class Received:
    """One request as it arrived on the socket."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


class Connection:
    """The server side of one accepted connection, as a script sees it."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping
        self._buffer = b""

    def read_request(self) -> Received | None:
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        headers = {k.strip(): v.strip() for k, v in headers.items()}
        length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self._buffer = rest[length:]
        return Received(method, target, headers, rest[:length])

    def send(self, data: bytes) -> bool:
        """Send bytes; False once the client has gone."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def respond(
        self,
        status: int,
        body: bytes | str | object = b"",
        headers: Mapping[str, str] | None = None,
        reason: str = "Status",
    ) -> bool:
        if not isinstance(body, bytes | str):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        payload = body.encode() if isinstance(body, str) else body
        return self.send(
            response_head(status, {"Content-Length": str(len(payload)), **(headers or {})}, reason)
            + payload
        )

    def sleep(self, seconds: float) -> bool:
        """Wait, unless the server is stopping; False when it is."""
        return not self.stopping.wait(seconds)

    def reset(self) -> None:
        """Close with a TCP RST instead of a clean FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def response_head(
    status: int, headers: Mapping[str, str] | None = None, reason: str = "Status"
) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


Script = Callable[[Received, Connection], None]


# --------------------------------------------------------------------------- the server


@dataclass
class ScriptedServer:
    """A server on 127.0.0.1 whose every request is answered by ``script``."""

    script: Script
    received: list[Received] = field(default_factory=list)
    tls: ssl.SSLContext | None = None  # serve HTTPS with this context

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._start(self._accept_loop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            with self._lock:
                self._sockets.append(sock)
            self._start(self._serve, sock)

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._sockets.append(sock)
        except (OSError, ssl.SSLError):  # the client refused the certificate
            sock.close()
            return
        connection = Connection(sock, self._stopping)
        try:
            while not self._stopping.is_set():
                request = connection.read_request()
                if request is None:
                    return
                self.received.append(request)
                self.script(request, connection)
                if request.header("Connection") == "close":
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()


# --------------------------------------------------------------------------- scripts


def json_ok(data: object = None) -> Script:
    body = {"data": data if data is not None else {"id": 1}}

    def script(request: Received, conn: Connection) -> None:
        conn.respond(200, body)

    return script


def echo_authorization(request: Received, conn: Connection) -> None:
    """Answers with the Authorization header it received, in the body and in a header."""
    auth = request.header("Authorization") or ""
    conn.respond(200, {"authorization": auth, "path": request.target}, {"X-Echo": auth})


def drip(head: bytes, body: bytes, interval: float) -> Script:
    """Sends ``head`` and then ``body`` one byte every ``interval`` seconds."""

    def script(request: Received, conn: Connection) -> None:
        for byte in head + body:
            if not conn.send(bytes([byte])) or not conn.sleep(interval):
                return

    return script


def huge_body(size: int, chunk: bytes = b"x" * 65536) -> Script:
    """A ``size``-byte body, generated as it is sent (never held in memory)."""

    def script(request: Received, conn: Connection) -> None:
        if not conn.send(response_head(200, {"Content-Length": str(size)})):
            return
        sent = 0
        while sent < size:
            part = chunk[: size - sent]
            if not conn.send(part):
                return
            sent += len(part)

    return script


def free_port() -> int:
    """A port nothing listens on (so connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def serving(script: Script) -> Iterator[ScriptedServer]:
    with ScriptedServer(script) as server:
        yield server


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
