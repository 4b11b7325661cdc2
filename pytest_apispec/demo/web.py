"""The demo's routes beyond JSON in, JSON out: a form login with a session cookie, an upload,
a job that finishes on its third poll, and a plain-text answer.

============================  ======================================================================
``POST /auth/session``        a login form (``username``, ``password``; JSON works too): sets the
                              ``demo_session`` cookie and answers ``{"access_token": ...}``
``GET /auth/me``              who the ``demo_session`` cookie belongs to; 401 without one
``POST /uploads``             ``multipart/form-data``: answers each part's name, file name, type
                              and size (staff token)
``POST /jobs``                starts a job: 202, ``Location: /jobs/<id>`` (staff token)
``GET /jobs/{id}``            ``{"state": "running"}`` twice, then ``"done"`` (staff token)
``GET /hello.txt``            ``text/plain``: a greeting and ``version=3``
``POST /echo``                answers the request body as it came, with its ``Content-Type``
============================  ======================================================================
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

SESSION_COOKIE = "demo_session"
JOB_POLLS_UNTIL_DONE = 3


@dataclass(frozen=True)
class WebReply:
    """A response of these routes: status, headers (Content-Type included) and body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    payload: bytes


def _json(status: int, data: Any, *headers: tuple[str, str]) -> WebReply:
    return WebReply(
        status, (("Content-Type", "application/json"), *headers), json.dumps(data).encode()
    )


def _text(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> WebReply:
    return WebReply(status, (("Content-Type", content_type),), text.encode())


@dataclass
class WebRoutes:
    """The routes and their state (sessions, jobs); ``answer`` returns None for other paths."""

    login: Mapping[str, str]
    staff_token: str
    sessions: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.sessions.clear()
            self.jobs.clear()

    def answer(
        self, method: str, path: str, headers: Mapping[str, str], raw: bytes
    ) -> WebReply | None:
        route = self._routes().get((method, path))
        if route is None and method == "GET" and path.startswith("/jobs/"):
            route = self._poll_job
        if route is None:
            return None
        with self._lock:
            return route(path, _Headers(headers), raw)

    def _routes(self) -> dict[tuple[str, str], Callable[[str, _Headers, bytes], WebReply]]:
        return {
            ("POST", "/auth/session"): self._login,
            ("GET", "/auth/me"): self._me,
            ("POST", "/uploads"): self._upload,
            ("POST", "/jobs"): self._start_job,
            ("GET", "/hello.txt"): self._hello,
            ("POST", "/echo"): self._echo,
        }

    def _staff(self, headers: _Headers) -> bool:
        return headers.get("authorization") == f"Bearer {self.staff_token}"

    def _login(self, path: str, headers: _Headers, raw: bytes) -> WebReply:
        fields = _form_or_json(headers.get("content-type"), raw)
        if (
            fields.get("username") != self.login["username"]
            or fields.get("password") != self.login["password"]
        ):
            return _json(401, {"error": "invalid username or password"})
        session = "sess-" + secrets.token_hex(8)
        self.sessions[session] = fields["username"]
        cookie = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly"
        body = {"access_token": self.staff_token, "token_type": "bearer"}
        return _json(200, body, ("Set-Cookie", cookie))

    def _me(self, path: str, headers: _Headers, raw: bytes) -> WebReply:
        user = self.sessions.get(_cookies(headers.get("cookie")).get(SESSION_COOKIE, ""))
        if user is None:
            return _json(401, {"error": f"no valid {SESSION_COOKIE} cookie"})
        return _json(200, {"user": user})

    def _upload(self, path: str, headers: _Headers, raw: bytes) -> WebReply:
        if not self._staff(headers):
            return _json(401, {"error": "missing or invalid staff token"})
        content_type = headers.get("content-type")
        if not content_type.startswith("multipart/form-data"):
            return _json(415, {"error": "send multipart/form-data"})
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        parts = []
        for part in message.iter_parts():
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
            entry: dict[str, Any] = {"name": part.get_param("name", header="content-disposition")}
            if part.get_filename() is not None:
                entry |= {
                    "filename": part.get_filename(),
                    "contentType": part.get_content_type(),
                    "size": len(payload),
                }
            else:
                entry["value"] = payload.decode("utf-8", "replace")
            parts.append(entry)
        return _json(201, {"data": {"parts": parts}})

    def _start_job(self, path: str, headers: _Headers, raw: bytes) -> WebReply:
        if not self._staff(headers):
            return _json(401, {"error": "missing or invalid staff token"})
        job = f"job_{len(self.jobs) + 1}"
        self.jobs[job] = 0
        body = {"data": {"id": job, "state": "queued"}}
        return _json(202, body, ("Location", f"/jobs/{job}"))

    def _poll_job(self, path: str, headers: _Headers, raw: bytes) -> WebReply:
        if not self._staff(headers):
            return _json(401, {"error": "missing or invalid staff token"})
        job = path.removeprefix("/jobs/")
        if job not in self.jobs:
            return _json(404, {"error": "no such job"})
        self.jobs[job] += 1
        done = self.jobs[job] >= JOB_POLLS_UNTIL_DONE
        data = {"id": job, "state": "done" if done else "running", "polls": self.jobs[job]}
        return _json(200, {"data": data})

    def _hello(self, path: str, headers: _Headers, raw: bytes) -> WebReply:
        return _text(200, "Hello from the demo API\nversion=3\n")

    def _echo(self, path: str, headers: _Headers, raw: bytes) -> WebReply:
        content_type = headers.get("content-type", "application/octet-stream")
        return WebReply(200, (("Content-Type", content_type),), raw)


class _Headers:
    """Request headers by lower-case name."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = {name.lower(): value for name, value in headers.items()}

    def get(self, name: str, default: str = "") -> str:
        return self._headers.get(name, default)


def _form_or_json(content_type: str, raw: bytes) -> dict[str, str]:
    if content_type.startswith("application/json"):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in form.items()}


def _cookies(header: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in header.split(";") if "=" in part)
    return {name: value for name, _, value in pairs}
