"""The local HTTP server every benchmarked tool talks to.

Debian's nginx answers every path with the same fixed JSON, ``{"data": {"items": [{"id": 1}]}}``,
which holds everything the generated docs, tests and Tavern files extract; a ``varied`` server
puts the request URI in it too (``"label"``), so that no two different requests get the same
bytes. nginx writes one
access-log line per request, so the benchmark counts requests by counting lines.

With ``latency`` > 0 nginx needs the ``echo`` module (``libnginx-mod-http-echo``, pulled in by
``nginx-light``) for ``echo_sleep``. Without nginx (or without the module for a latency server),
a small threaded stdlib server stands in; it keeps the same log, so counting works the same.

Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BODY = b'{"data": {"items": [{"id": 1}]}}'
# With ``varied``: a body of its own for each request URI (the contract benchmark's, so that an
# answer is only the same as another where a real API's would be: the same request again).
VARIED_BODY = '{"data": {"items": [{"id": 1, "label": "%s"}]}}'
HOST = "127.0.0.1"
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def find_nginx() -> str | None:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def install_nginx(log: Path) -> str | None:
    """Try ``apt-get install nginx-light`` (then ``nginx``) when running as root; quietly.

    ``apt-get update`` runs once, only when the first install fails (a machine whose package
    lists were never fetched). The output goes to ``log``.
    """
    if find_nginx():
        return find_nginx()
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log.parent.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no bench/.work yet
    with log.open("ab") as out:

        def apt(*args: str) -> bool:
            return (
                subprocess.run(["apt-get", *args], stdout=out, stderr=out, env=env).returncode == 0
            )

        for package in ("nginx-light", "nginx"):
            if apt("install", "-y", "-q", package):
                return find_nginx()
        apt("update", "-q")
        for package in ("nginx-light", "nginx"):
            if apt("install", "-y", "-q", package):
                return find_nginx()
    return find_nginx()


class Server:
    """A running server: ``url``, ``requests()`` (count so far), ``count_path()``, ``stop()``."""

    kind = "?"
    url = ""
    log_path: Path

    def requests(self) -> int:
        try:
            with self.log_path.open("rb") as log:
                return sum(1 for _ in log)
        except FileNotFoundError:
            return 0

    def count_path(self, fragment: str) -> int:
        try:
            with self.log_path.open("r", encoding="utf-8", errors="replace") as log:
                return sum(1 for line in log if fragment in line)
        except FileNotFoundError:
            return 0

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class NginxServer(Server):
    kind = "nginx"

    def __init__(
        self, binary: str, workdir: Path, latency: float = 0.0, varied: bool = False
    ) -> None:
        workdir = workdir.resolve()
        self.workdir = workdir
        self.varied = varied
        workdir.mkdir(parents=True, exist_ok=True)
        for sub in ("tmp", "logs"):
            (workdir / sub).mkdir(exist_ok=True)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = workdir / "logs" / "access.log"
        self.log_path.unlink(missing_ok=True)
        conf = workdir / "nginx.conf"
        conf.write_text(self._config(latency))
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "logs/error.log")],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "logs" / "stderr.log").open("wb"),
        )
        _wait_ready(self.url, self.proc)
        time.sleep(0.1)  # nginx logs after answering: let the probe's line land first
        self.log_path.write_bytes(b"")  # the readiness probe is not a benchmarked request

    def _config(self, latency: float) -> str:
        tmp = self.workdir / "tmp"
        body = VARIED_BODY % "$request_uri" if self.varied else BODY.decode()
        if latency > 0:
            content = f"echo_sleep {latency:g}; echo -n '{body}';"
        else:
            content = f"return 200 '{body}';"
        load = f"load_module {ECHO_MODULE};\n" if latency > 0 else ""
        user = "user root;\n" if os.geteuid() == 0 else ""
        return f"""{load}{user}daemon off;
master_process on;
worker_processes 1;
pid {self.workdir / "nginx.pid"};
error_log {self.workdir / "logs/error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log {self.log_path};
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {{
        listen {HOST}:{self.port};
        server_name localhost;
        location / {{
            default_type application/json;
            {content}
        }}
    }}
}}
"""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _PyHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.server.latency:
            time.sleep(self.server.latency)
        body = (VARIED_BODY % self.path).encode() if self.server.varied else BODY
        # One write per answer: separate small writes meet Nagle and delayed ACKs (40 ms).
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        if self.path == "/ready":
            return
        with self.server.lock:
            self.server.log.write(f'"{self.command} {self.path}" 200\n')
            self.server.log.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer


class _PyHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], latency: float, log: Path, varied: bool) -> None:
        super().__init__(address, _Handler)
        self.latency = latency
        self.varied = varied
        self.lock = threading.Lock()
        self.log = log.open("a", encoding="utf-8")


class PythonServer(Server):
    """The stand-in when nginx is missing: stdlib, threaded, HTTP/1.1 keep-alive."""

    kind = "python"

    def __init__(self, workdir: Path, latency: float = 0.0, varied: bool = False) -> None:
        workdir = workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "access.log"
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        # A separate process, so the server never competes with the harness for the GIL.
        self.proc = subprocess.Popen(
            [sys.executable, __file__, str(self.port), str(latency), str(self.log_path)]
            + (["varied"] if varied else [])
        )
        _wait_ready(self.url, self.proc)
        self.log_path.write_text("")

    def requests(self) -> int:
        time.sleep(0.05)  # let the server flush the last lines
        return super().requests()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"the server at {url} did not answer within 15 s")


def start(
    workdir: Path,
    latency: float = 0.0,
    prefer: str = "auto",
    install: bool = True,
    varied: bool = False,
) -> Server:
    """nginx if available (installing it when allowed), else the stdlib stand-in."""
    if prefer in ("auto", "nginx"):
        binary = install_nginx(workdir / "apt.log") if install else find_nginx()
        if binary and (latency == 0 or ECHO_MODULE.exists()):
            try:
                return NginxServer(binary, workdir / "nginx", latency, varied)
            except RuntimeError as exc:
                if prefer == "nginx":
                    raise
                print(f"# nginx did not start ({exc}); using the Python server", file=sys.stderr)
        elif prefer == "nginx":
            raise RuntimeError("nginx (with the echo module, for latency) is not available")
    return PythonServer(workdir / "python", latency, varied)


if __name__ == "__main__":  # the stand-in server's own process
    port, latency_s, log_file = int(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
    httpd = _PyHTTPServer((HOST, port), latency_s, log_file, sys.argv[4:] == ["varied"])
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=httpd.shutdown).start())
    httpd.serve_forever(poll_interval=0.2)
