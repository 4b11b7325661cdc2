"""Sending one request and reading its response, within bounds a hostile server cannot stretch.

* ``--api-timeout`` bounds the whole exchange, not each socket read (see :class:`Transport`).
* Redirects are followed by hand, so the token only ever goes to the base or fallback origin
  or a host of ``api_allowed_hosts`` (:class:`TokenHosts`).
* A 429 or 503 with ``Retry-After`` is waited out and retried for idempotent methods.
* Bodies are read up to :data:`MAX_BODY_BYTES`; redirect bodies are never read.

Anything the network does becomes a :class:`~pytest_apispec.execution.results.StepError` or a
``requests.RequestException``, which :mod:`~pytest_apispec.execution.runner` turns into a
step result.
"""

from __future__ import annotations

import email.utils
import http.client
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from pytest_apispec.execution.bodies import SentBody
from pytest_apispec.execution.cookies import DocCookies
from pytest_apispec.execution.deadline import DeadlinePassed, Progress, run_within
from pytest_apispec.execution.results import RequestRecord, StepError
from pytest_apispec.execution.settings import ApiSettings

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 10
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRY_STATUSES = frozenset({429, 503})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class TokenAuth(requests.auth.AuthBase):
    """Adds the token header at send time; its repr never shows the token."""

    def __init__(self, header: str, scheme: str, token: str) -> None:
        self._header = header
        self._value = f"{scheme} {token}" if scheme else token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self._header] = self._value
        return request

    def __repr__(self) -> str:
        return f"TokenAuth({self._header}: <redacted>)"


class TokenHosts:
    """The origins a token may be sent to: the base and fallback URLs' and the allowlist's."""

    def __init__(self, settings: ApiSettings) -> None:
        self._token_origins = {
            origin
            for origin in map(origin_of, (settings.base_url, settings.fallback_url))
            if origin is not None
        }
        self._allowed_hosts = [
            allowed for allowed in map(_allowed_host, settings.allowed_hosts) if allowed
        ]

    def allow(self, url: str) -> bool:
        """Whether ``url`` is on the base or fallback URL's origin (scheme, host and port)
        or on a host of ``api_allowed_hosts``: the only places a token is sent."""
        origin = origin_of(url)
        if origin is None:
            return False
        scheme, host, port = origin
        return origin in self._token_origins or any(
            host == allowed_host
            and scheme == (allowed_scheme or scheme)
            and port == (allowed_port or _DEFAULT_PORTS.get(scheme))
            for allowed_scheme, allowed_host, allowed_port in self._allowed_hosts
        )


class Transport:
    """Exchanges requests over one session, each within ``--api-timeout`` in total."""

    def __init__(self, session: requests.Session, settings: ApiSettings, hosts: TokenHosts) -> None:
        self.session = session
        self.settings = settings
        self.hosts = hosts

    def send(
        self,
        request: RequestRecord,
        auth: TokenAuth | None,
        retries: int | None = None,
        cookies: DocCookies | None = None,
    ) -> tuple[requests.Response, bytes, tuple[str, ...], float]:
        """Send, retrying a 429 or 503 that has a Retry-After; notes say what happened.

        ``retries`` is the step's own bound; by default only idempotent methods are retried,
        up to ``api_max_retries`` times. The last value is the seconds the last attempt took,
        from sending to the last byte of the response (redirects included).
        """
        idempotent = request.method in IDEMPOTENT
        attempts = (
            retries if retries is not None else (self.settings.max_retries if idempotent else 0)
        )
        for attempt in range(attempts + 1):
            started = time.perf_counter()
            response, body, redirects = self._send_following_redirects(request, auth, cookies)
            seconds = time.perf_counter() - started
            wait = _retry_after(response)
            if (
                response.status_code not in _RETRY_STATUSES
                or attempt == attempts
                or wait is None
                or wait > self.settings.max_retry_wait
            ):
                break
            time.sleep(wait)
        notes = [self._redirect_note(request.url, redirects)]
        if response.status_code in _RETRY_STATUSES and wait is not None:
            if wait > self.settings.max_retry_wait and attempt < attempts:
                notes.append(
                    f"Retry-After {wait:g}s is longer than api_max_retry_wait "
                    f"({self.settings.max_retry_wait:g}s), so it was not retried"
                )
            elif attempt:
                notes.append(f"still {response.status_code} after {attempt} retries")
            elif retries is None and not idempotent:
                notes.append(
                    f"{request.method} is not retried unless the step says so (retries: N)"
                )
        return response, body, tuple(note for note in notes if note), seconds

    def _send_following_redirects(
        self, request: RequestRecord, auth: TokenAuth | None, cookies: DocCookies | None = None
    ) -> tuple[requests.Response, bytes, tuple[str, ...]]:
        """Follow redirects by hand, so the token never goes to a host it was not meant for."""
        headers = {k: v for k, v in request.headers if k != self.settings.auth_header}
        method, url, body, sent = request.method, request.url, request.body, request.sent_body
        redirects: list[str] = []
        for _ in range(MAX_REDIRECTS + 1):
            token = auth if self.hosts.allow(url) else None
            response, content = self._exchange(method, url, headers, (body, sent), token, cookies)
            location = response.headers.get("Location")
            if not response.is_redirect or not location:
                return response, content, tuple(redirects)
            url = urljoin(url, location)
            if origin_of(url) is None or urlsplit(url).scheme not in _DEFAULT_PORTS:
                raise StepError(f"the server redirected to {url}, which is not an http(s) URL")
            redirects.append(url)
            if method != "HEAD" and (
                response.status_code == 303
                or (response.status_code in (301, 302) and method == "POST")
            ):
                method, body, sent = "GET", None, None
        raise StepError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?), last to {url}")

    def _exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        bodies: tuple[Any, SentBody | None],
        auth: TokenAuth | None,
        cookies: DocCookies | None = None,
    ) -> tuple[requests.Response, bytes]:
        """One request and its whole response, within ``--api-timeout`` seconds in total.

        ``bodies``: the JSON body, or (when not None) a form, multipart or data body.
        """
        timeout = self.settings.timeout
        body, sent = bodies
        payload = sent.requests_arguments() if sent is not None else {"json": body}
        hooks = [*self.session.hooks.get("response", [])]
        if cookies is not None:
            hooks.append(cookies.hook)  # before the session could see them: see cookies.py
        hooks.append(_leave_unread)

        locations: list[str] = []

        def note_location(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            if response.is_redirect:
                locations.append(response.headers.get("Location", ""))

        def exchange(progress: Progress) -> tuple[requests.Response, bytes]:
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=headers,
                    auth=auth,
                    cookies=cookies.jar if cookies is not None and cookies.jar else None,
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                    verify=self.settings.verify_tls,
                    hooks={"response": [*hooks, note_location]},
                    **payload,
                )
            except Exception:
                if not locations:
                    raise
                # requests prepares a redirect's next request even with allow_redirects=False,
                # and fails there (a ValueError) on a Location it cannot parse
                raise StepError(
                    f"the server redirected to {_joined(url, locations[-1])}, "
                    "which is not a valid URL"
                ) from None
            if response.is_redirect:
                return response, b""
            progress.phase = "body"
            return response, _read_body(response, url, progress)

        try:
            return run_within(timeout, exchange)
        except DeadlinePassed as passed:
            if passed.progress.phase == "body":
                raise StepError(
                    f"timed out: the response body from {url} was still arriving after "
                    f"{timeout:g}s ({passed.progress.received} bytes so far)"
                ) from None
            # worded as requests' own read timeout: which of the two fires first is a race
            raise StepError(f"timed out waiting for the response from {url}") from None

    def _redirect_note(self, url: str, redirects: tuple[str, ...]) -> str:
        if not redirects:
            return ""
        final = redirects[-1]
        note = f"after a redirect to {final}"
        if self.hosts.allow(url) and not self.hosts.allow(final):
            note += ", not a configured host: the token was not sent there"
        return note


def _read_body(response: requests.Response, url: str, progress: Progress) -> bytes:
    chunks: list[bytes] = []
    try:
        for chunk in _chunks(response):
            chunks.append(chunk)
            progress.received += len(chunk)
            if progress.received > MAX_BODY_BYTES:
                break
            progress.check()
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise StepError(_describe_body_error(exc, url, progress.received)) from None
    finally:
        response.close()
    return b"".join(chunks)


def _chunks(response: requests.Response) -> Iterator[bytes]:
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # pragma: no cover - urllib3 < 2
        yield from response.iter_content(65536)
        return
    while True:
        chunk = read1(65536, decode_content=True)  # gunzip as requests' iter_content does
        if not chunk:
            return
        yield chunk


def _leave_unread(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A response hook: close a redirect without reading its body.

    Even with ``allow_redirects=False``, ``Session.send`` reads the whole body of a redirect
    (to prepare ``Response.next``), with no bound: a redirect with an endless body would fill
    the memory. Redirects are followed by hand here, so their bodies are never needed.
    """
    if response.is_redirect:
        response.close()
        response._content = b""
    return response


def _joined(url: str, location: str) -> str:
    try:
        return urljoin(url, location)
    except ValueError:
        return location


def host_of(url: str) -> str:
    """How a URL's host is named in messages: with its port unless it is the default."""
    origin = origin_of(url)
    if origin is None:
        return urlsplit(url).netloc
    scheme, host, port = origin
    return host if port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


def origin_of(url: str | None) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` with the scheme's default port filled in; None if invalid."""
    if not url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return scheme, parts.hostname, port


def _allowed_host(entry: str) -> tuple[str | None, str, int | None] | None:
    """An ``api_allowed_hosts`` line: ``host``, ``host:port`` or ``scheme://host[:port]``."""
    parts = urlsplit(entry if "://" in entry else "//" + entry)
    try:
        port = parts.port
    except ValueError:
        return None
    return (parts.scheme.lower() or None, parts.hostname, port) if parts.hostname else None


def _retry_after(response: requests.Response) -> float | None:
    return retry_after_value(response.headers.get("Retry-After"))


def retry_after_value(value: str | None) -> float | None:
    """The seconds a ``Retry-After`` value asks for (a number or an HTTP date), or None."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # the other form: an HTTP date
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time()) if when.tzinfo else None


def describe_network_error(exc: requests.RequestException) -> str:
    """The plugin's own sentence for a failed exchange, chosen by the exception's type (and
    the types of its causes), never by the wording of requests', urllib3's or the OS's message."""
    url = exc.request.url if exc.request is not None else "the server"
    if isinstance(exc, requests.ConnectTimeout):
        return f"timed out connecting to {url}"
    if isinstance(exc, requests.ReadTimeout):
        return f"timed out waiting for the response from {url}"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS verification failed for {url}: {_tls_reason(exc)}"
    if isinstance(exc, requests.ConnectionError) and _cause(exc, urllib3.exceptions.ProtocolError):
        return f"the connection broke before a response arrived from {url}: {_first_reason(exc)}"
    if isinstance(exc, requests.ConnectionError):
        return f"could not connect to {url}: {_first_reason(exc)}"
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return f"the connection broke while reading the response from {url}"
    return f"the request to {url} failed: {_first_reason(exc)}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: requests and urllib3 keep the cause in ``args`` or
    ``reason`` as well as in ``__cause__`` / ``__context__``."""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [*current.args, getattr(current, "reason", None)]
        wrapped += [current.__cause__, current.__context__]
        pending += [item for item in wrapped if isinstance(item, BaseException)]


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    return next((cause for cause in _causes(exc) if isinstance(cause, kind)), None)


# The OS's and http.client's errors, by type (their text differs between systems): the first
# of the chain that matches, in this order (RemoteDisconnected is a ConnectionResetError).
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (http.client.RemoteDisconnected, "the server closed the connection without a response"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (socket.gaierror, "the host name could not be resolved"),
)


def _first_reason(exc: BaseException) -> str:
    causes = list(_causes(exc))
    for kind, reason in _REASONS:
        if any(isinstance(cause, kind) for cause in causes):
            return reason
    return str(exc)[:300]  # the library's own detail, after the plugin's sentence


def _tls_reason(exc: BaseException) -> str:
    """What the TLS library says is wrong with the certificate, without urllib3's wrapping."""
    verification = _cause(exc, ssl.SSLCertVerificationError)
    message = getattr(verification, "verify_message", None)
    return str(message) if message else _first_reason(exc)


def _describe_body_error(exc: BaseException, url: str, size: int) -> str:
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError | requests.Timeout | TimeoutError):
        return f"timed out reading the response body from {url} ({size} bytes received)"
    if isinstance(exc, urllib3.exceptions.DecodeError | requests.exceptions.ContentDecodingError):
        return f"the response body from {url} could not be decompressed: {str(exc)[:200]}"
    return (
        f"the connection broke while reading the response body from {url} after {size} bytes: "
        f"{_first_reason(exc)}"
    )
