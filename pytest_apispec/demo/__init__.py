"""A small in-memory fake of a bookings/payments business API, for trying pytest-apispec.

:class:`DemoApi` runs two HTTP servers on one shared in-memory state:

* the *main gateway* (:attr:`DemoApi.base_url`), which refuses every request under
  ``/business/payments/v1/`` with a 401, like the real gateway does;
* the *fallback API* (:attr:`DemoApi.fallback_url`), which serves every route.

Only the standard library is used, so the demo starts anywhere the plugin is installed::

    with DemoApi() as api:
        requests.get(f"{api.base_url}/health")
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import Any, Final, Literal, Self
from urllib.parse import parse_qs, unquote, urlsplit

from pytest_apispec.demo.web import WebRoutes

__all__ = ["DEMO_BUSINESS_ID", "DEMO_LOGIN", "DEMO_TOKENS", "DemoApi"]

DEMO_TOKENS: Final[Mapping[str, str]] = MappingProxyType(
    {"staff": "demo-staff-token-4f1c", "client": "demo-client-token-9a7e"}
)
"""Bearer tokens the demo accepts, by token type. There is deliberately no "directory" token."""

DEMO_BUSINESS_ID: Final[str] = "biz_demo_1"
"""The only business that has data in the demo."""

DEMO_LOGIN: Final[Mapping[str, str]] = MappingProxyType(
    {"username": "demo-staff", "password": "demo-password"}
)
"""Credentials ``POST /auth/login`` accepts; it answers with the staff token."""

_DIRECTORY_TOKEN: Final = "demo-directory-token"
_GATEWAY_BLOCKED_PREFIX: Final = "/business/payments/v1/"
_FIRST_BOOKING_ID: Final = 5001
_MAX_LINE: Final = 65537

Json = dict[str, Any]
AuthKind = Literal["staff", "client-or-none", "directory", "open"]
LogEntry = tuple[str, str, str]

_AUTH_ERRORS: Final[Mapping[AuthKind, str]] = {
    "staff": "missing or invalid staff token",
    "client-or-none": "invalid client token",
    "directory": "missing or invalid directory token",
    "open": "",
}


# --------------------------------------------------------------------------- state


@dataclass
class _State:
    """Everything a :class:`DemoApi` remembers between requests."""

    clients: list[Json]
    packages: list[Json]
    payment_requests: list[Json]
    client_packages: dict[str, Json] = field(default_factory=dict)
    bookings: dict[int, Json] = field(default_factory=dict)
    next_booking_id: int = _FIRST_BOOKING_ID
    flaky_calls: int = 0


def _initial_state() -> _State:
    return _State(
        clients=[
            {"id": 101, "name": "Ada Lovelace", "email": "ada@example.test"},
            {"id": 102, "name": "Grace Hopper", "email": "grace@example.test"},
        ],
        packages=[{"id": 7, "name": "10 sessions", "price": 100}],
        payment_requests=[{"uid": "ps_1001", "state": "paid", "amount": 25}],
    )


# --------------------------------------------------------------------------- requests, responses


@dataclass(frozen=True)
class _Request:
    params: dict[str, str]
    query: dict[str, str]
    body: Json


@dataclass(frozen=True)
class _Response:
    status: int
    body: Json | None = None
    headers: tuple[tuple[str, str], ...] = ()


def _ok(data: Json, status: int = 200) -> _Response:
    return _Response(status, {"data": data})


def _error(status: int, message: str) -> _Response:
    return _Response(status, {"error": message})


_NO_CONTENT: Final = _Response(204)


def _as_int(value: object) -> int | None:
    """``101`` or ``"101"`` -> 101; anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def _find_by_id(items: list[Json], raw_id: object) -> Json | None:
    wanted = _as_int(raw_id)
    if wanted is None:
        return None
    return next((item for item in items if item["id"] == wanted), None)


def _parse_date(value: object) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _new_uid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:8]


# --------------------------------------------------------------------------- handlers


def _health(state: _State, req: _Request) -> _Response:
    return _Response(200, {"status": "ok"})


def _business_items(req: _Request, items: list[Json]) -> list[Json] | _Response:
    business_id = req.query.get("business_id")
    if not business_id:
        return _error(422, "business_id is required")
    return items if business_id == DEMO_BUSINESS_ID else []


def _list_clients(state: _State, req: _Request) -> _Response:
    clients = _business_items(req, state.clients)
    if isinstance(clients, _Response):
        return clients
    page = clients
    if "per_page" in req.query:
        per_page = _as_int(req.query["per_page"])
        if per_page is None or per_page < 1:
            return _error(422, "per_page must be a positive integer")
        page = clients[:per_page]
    return _Response(200, {"data": {"clients": page}, "meta": {"total": len(clients)}})


def _get_client(state: _State, req: _Request) -> _Response:
    client = _find_by_id(state.clients, req.params["id"])
    if client is None:
        return _error(404, "client not found")
    return _ok({"client": client})


def _list_packages(state: _State, req: _Request) -> _Response:
    packages = _business_items(req, state.packages)
    if isinstance(packages, _Response):
        return packages
    return _ok({"packages": packages})


def _create_client_package(state: _State, req: _Request) -> _Response:
    body = req.body
    if _find_by_id(state.clients, body.get("client_id")) is None:
        return _error(422, "unknown client_id")
    if _find_by_id(state.packages, body.get("package_id")) is None:
        return _error(422, "unknown package_id")
    uid = _new_uid("cp_")
    while uid in state.client_packages:
        uid = _new_uid("cp_")
    package: Json = {"id": uid}
    for key in ("client_id", "package_id", "price", "valid_from", "valid_until"):
        package[key] = body.get(key)
    package["booking_credits"] = [{"id": _new_uid("bc_"), "total_bookings": 1, "used": 0}]
    state.client_packages[uid] = package
    return _ok({"client_package": package}, status=201)


def _get_client_package(state: _State, req: _Request) -> _Response:
    package = state.client_packages.get(req.params["uid"])
    if package is None:
        return _error(404, "client package not found")
    return _ok({"client_package": package})


def _delete_client_package(state: _State, req: _Request) -> _Response:
    if state.client_packages.pop(req.params["uid"], None) is None:
        return _error(404, "client package not found")
    return _NO_CONTENT


def _credit_updates(package: Json, items: object) -> list[tuple[Json, int]] | _Response:
    """Validate the ``booking_credits`` of an update before anything is changed."""
    if not isinstance(items, list):
        return _error(422, "booking_credits must be a list")
    credits = {credit["id"]: credit for credit in package["booking_credits"]}
    updates: list[tuple[Json, int]] = []
    for item in items:
        credit_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(credit_id, str) or credit_id not in credits:
            return _error(422, "unknown booking credit")
        if "total_bookings" not in item:
            continue
        total = _as_int(item["total_bookings"])
        if total is None:
            return _error(422, "total_bookings must be an integer")
        if total < credits[credit_id]["used"]:
            return _error(422, "total_bookings must be >= current usage")
        updates.append((credits[credit_id], total))
    return updates


def _update_client_package(state: _State, req: _Request) -> _Response:
    package = state.client_packages.get(req.params["uid"])
    if package is None:
        return _error(404, "client package not found")
    changes = req.body.get("client_package")
    if not isinstance(changes, dict):
        return _error(422, "client_package is required")
    updates = _credit_updates(package, changes.get("booking_credits", []))
    if isinstance(updates, _Response):
        return updates
    for credit, total in updates:
        credit["total_bookings"] = total
    if "valid_until" in changes:
        package["valid_until"] = changes["valid_until"]
    return _ok({"client_package": package})


def _list_payment_requests(state: _State, req: _Request) -> _Response:
    return _ok({"payment_requests": state.payment_requests})


def _update_usage(state: _State, req: _Request) -> _Response:
    status_id = req.body.get("payment_status_id")
    if status_id is None or status_id == "":
        return _error(422, "payment_status_id is required")
    if not any(str(request["uid"]) == str(status_id) for request in state.payment_requests):
        return _error(404, "payment request not found")
    return _error(422, "There is no package to use")


def _create_booking(state: _State, req: _Request) -> _Response:
    body = req.body
    starts_on = _parse_date(body.get("starts_on"))
    if starts_on is None or starts_on < datetime.now(UTC).date():
        return _error(422, "starts_on must be today or later")
    if _find_by_id(state.clients, body.get("client_id")) is None:
        return _error(422, "unknown client_id")
    service = body.get("service")
    if not isinstance(service, str) or not service:
        return _error(422, "service is required")
    booking: Json = {
        "id": state.next_booking_id,
        "client_id": body["client_id"],
        "starts_on": starts_on.isoformat(),
        "service": service,
        "state": "confirmed",
    }
    state.bookings[booking["id"]] = booking
    state.next_booking_id += 1
    return _ok({"booking": booking}, status=201)


def _booking_id(state: _State, req: _Request) -> int | None:
    booking_id = _as_int(req.params["id"])
    return booking_id if booking_id in state.bookings else None


def _get_booking(state: _State, req: _Request) -> _Response:
    booking_id = _booking_id(state, req)
    if booking_id is None:
        return _error(404, "booking not found")
    return _ok({"booking": state.bookings[booking_id]})


def _delete_booking(state: _State, req: _Request) -> _Response:
    booking_id = _booking_id(state, req)
    if booking_id is None:
        return _error(404, "booking not found")
    del state.bookings[booking_id]
    return _NO_CONTENT


def _list_waitlist(state: _State, req: _Request) -> _Response:
    return _ok({"entries": []})


def _list_directory_businesses(state: _State, req: _Request) -> _Response:
    return _ok({"businesses": [{"id": DEMO_BUSINESS_ID}]})


def _login(state: _State, req: _Request) -> _Response:
    username, password = req.body.get("username"), req.body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return _error(422, "username and password are required")
    if username != DEMO_LOGIN["username"] or password != DEMO_LOGIN["password"]:
        return _error(401, "invalid username or password")
    return _ok({"token": DEMO_TOKENS["staff"], "token_type": "staff", "expires_in": 3600})


def _flaky(state: _State, req: _Request) -> _Response:
    state.flaky_calls += 1
    if state.flaky_calls % 2 == 1:
        return _Response(503, {"error": "temporarily unavailable"}, (("Retry-After", "0"),))
    return _Response(200, {"ok": True})


# --------------------------------------------------------------------------- routing

_Handler = Callable[[_State, _Request], _Response]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    auth: AuthKind
    handler: _Handler


def _route(method: str, template: str, auth: AuthKind, handler: _Handler) -> _Route:
    """``/clients/{id}`` -> a pattern with a named group ``id`` for one path segment."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return _Route(method, re.compile(f"^{regex}$"), auth, handler)


_ROUTES: Final[tuple[_Route, ...]] = (
    _route("GET", "/health", "open", _health),
    _route("POST", "/auth/login", "open", _login),
    _route("GET", "/platform/v1/clients", "staff", _list_clients),
    _route("GET", "/platform/v1/clients/{id}", "staff", _get_client),
    _route("GET", "/platform/v1/payment/packages", "staff", _list_packages),
    _route("POST", "/platform/v1/payment/client_packages", "staff", _create_client_package),
    _route("GET", "/platform/v1/payment/client_packages/{uid}", "staff", _get_client_package),
    _route("DELETE", "/platform/v1/payment/client_packages/{uid}", "staff", _delete_client_package),
    _route("PUT", "/business/payments/v1/client_packages/{uid}", "staff", _update_client_package),
    _route("GET", "/client/payments/v1/payment_requests", "client-or-none", _list_payment_requests),
    _route(
        "POST",
        "/platform/v1/clients/payment/client_packages/update_usage",
        "client-or-none",
        _update_usage,
    ),
    _route("POST", "/platform/v1/bookings", "staff", _create_booking),
    _route("GET", "/platform/v1/bookings/{id}", "staff", _get_booking),
    _route("DELETE", "/platform/v1/bookings/{id}", "staff", _delete_booking),
    _route("GET", "/platform/v1/waitlist", "staff", _list_waitlist),
    _route("GET", "/directory/v1/businesses", "directory", _list_directory_businesses),
    _route("GET", "/platform/v1/flaky", "open", _flaky),
)


def _match_route(method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
    for route in _ROUTES:
        match = route.pattern.match(path)
        if match and route.method == method:
            return route, {name: unquote(value) for name, value in match.groupdict().items()}
    return None


def _bearer_token(authorization: str | None) -> str | None:
    """The bearer token, ``""`` for another scheme, None when there is no credential."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _authorized(kind: AuthKind, authorization: str | None) -> bool:
    token = _bearer_token(authorization)
    if kind == "staff":
        return token == DEMO_TOKENS["staff"]
    if kind == "client-or-none":
        return token is None or token == DEMO_TOKENS["client"]
    if kind == "directory":
        return token == _DIRECTORY_TOKEN
    return True


def _parse_body(raw: bytes) -> Json | _Response:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        return _error(400, "body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    return body


def _dispatch(
    state: _State, server: str, method: str, target: str, authorization: str | None, raw: bytes
) -> _Response:
    parts = urlsplit(target)
    if server == "main" and parts.path.startswith(_GATEWAY_BLOCKED_PREFIX):
        return _error(401, f"gateway does not accept tokens on {_GATEWAY_BLOCKED_PREFIX}*")
    found = _match_route(method, parts.path)
    if found is None:
        return _error(404, "not found")
    route, params = found
    if not _authorized(route.auth, authorization):
        return _error(401, _AUTH_ERRORS[route.auth])
    body = _parse_body(raw)
    if isinstance(body, _Response):
        return body
    query = {
        key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()
    }
    return route.handler(state, _Request(params, query, body))


# --------------------------------------------------------------------------- HTTP plumbing


@dataclass(frozen=True)
class _Reply:
    """A response ready to send: the body is already encoded (None: no body, as for 204)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    payload: bytes | None


class _Server(ThreadingHTTPServer):
    """One of the two servers of a :class:`DemoApi`; it remembers its open connections."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], api: DemoApi, name: str) -> None:
        super().__init__(address, _RequestHandler)
        self.api = api
        self.name = name
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Cut idle keep-alive connections so that their handler threads end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    """Quiet HTTP/1.1 keep-alive handler that hands every request to the :class:`DemoApi`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def _serve(self) -> None:
        raw = self._read_body()
        authorization = self.headers.get("Authorization")
        reply = self.server.api._answer(
            self.server.name, self.command, self.path, authorization, raw, dict(self.headers)
        )
        self.send_response(reply.status)
        self.send_header("X-Request-Id", str(uuid.uuid4()))
        self.send_header("X-Demo-Server", self.server.name)
        for name, value in reply.headers:
            self.send_header(name, value)
        if raw is None:  # the rest of the stream cannot be trusted
            self.send_header("Connection", "close")
        if reply.payload is not None:
            if not any(name.lower() == "content-type" for name, _ in reply.headers):
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.payload)))
        self.end_headers()
        if reply.payload:
            self.wfile.write(reply.payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def _read_body(self) -> bytes | None:
        """The request body, or None when its framing is broken."""
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked()
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        if length < 0:
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while size := int(self.rfile.readline(_MAX_LINE).split(b";")[0].strip(), 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline(_MAX_LINE)
        while self.rfile.readline(_MAX_LINE).strip():
            pass  # trailer fields
        return b"".join(chunks)


def _encode(response: _Response) -> _Reply:
    if response.status == 204:
        return _Reply(204, response.headers, None)
    payload = json.dumps(response.body if response.body is not None else {}).encode()
    return _Reply(response.status, response.headers, payload)


# --------------------------------------------------------------------------- public API


class DemoApi:
    """The demo bookings/payments API: a main gateway and a fallback API on one shared state.

    Every instance has its own data, so several can run at once (each on free ports by
    default). Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    :param host: interface both servers listen on.
    :param port: port of the main gateway (0: a free one).
    :param fallback_port: port of the fallback API (0: a free one).
    :param latency: seconds slept before answering every request, to make benchmarks visible.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fallback_port: int = 0,
        latency: float = 0.0,
    ) -> None:
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self._host = host
        self._ports = {"main": port, "fallback": fallback_port}
        self._latency = latency
        self._lock = threading.Lock()
        self._state = _initial_state()
        self._web = WebRoutes(DEMO_LOGIN, DEMO_TOKENS["staff"])
        self._request_count = 0
        self.requests_log: list[LogEntry] = []
        """``(server, method, path-with-query)`` of every request served, server being
        ``"main"`` or ``"fallback"``."""
        self._servers: dict[str, tuple[_Server, threading.Thread]] = {}

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the main gateway (once started)."""
        return self._url("main")

    @property
    def fallback_url(self) -> str:
        """``http://HOST:PORT`` of the fallback API (once started)."""
        return self._url("fallback")

    @property
    def request_count(self) -> int:
        """How many requests both servers have answered since the start or the last reset."""
        with self._lock:
            return self._request_count

    def _url(self, name: str) -> str:
        if name not in self._servers:
            raise RuntimeError("DemoApi is not started")
        return f"http://{self._host}:{self._servers[name][0].server_port}"

    def start(self) -> Self:
        """Bind both servers and serve them in daemon threads (no-op when already started)."""
        if self._servers:
            return self
        servers: list[_Server] = []
        try:
            for name, port in self._ports.items():
                servers.append(_Server((self._host, port), self, name))
        except BaseException:
            for server in servers:
                server.server_close()
            raise
        for server in servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"pytest-apispec-demo-{server.name}",
                daemon=True,
            )
            thread.start()
            self._servers[server.name] = (server, thread)
        return self

    def stop(self) -> None:
        """Shut both servers down and close their sockets (no-op when not started)."""
        servers, self._servers = self._servers, {}
        for server, _ in servers.values():
            server.shutdown()
        for server, thread in servers.values():
            server.close_connections()
            server.server_close()
            thread.join(timeout=5)

    def reset(self) -> None:
        """Go back to the initial data and set the request counters to zero."""
        with self._lock:
            self._state = _initial_state()
            self._web.reset()
            self._request_count = 0
            self.requests_log.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"{self.base_url}, {self.fallback_url}" if self._servers else "stopped"
        return f"<DemoApi {where}>"

    def _answer(
        self,
        server: str,
        method: str,
        target: str,
        authorization: str | None,
        raw: bytes | None,
        headers: Mapping[str, str] | None = None,
    ) -> _Reply:
        """Answer one request (called by the request handler threads)."""
        if self._latency:
            time.sleep(self._latency)
        with self._lock:
            self._request_count += 1
            self.requests_log.append((server, method, target))
            if raw is None:
                return _encode(_error(400, "invalid request body framing"))
            try:
                web = self._web.answer(method, urlsplit(target).path, headers or {}, raw)
                if web is not None:
                    return _Reply(web.status, web.headers, web.payload)
                response = _dispatch(self._state, server, method, target, authorization, raw)
            except Exception as exc:  # a bug in the demo: answer instead of hanging the client
                response = _error(500, f"internal error: {exc!r}")
            return _encode(response)
