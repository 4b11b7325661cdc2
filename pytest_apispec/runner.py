"""Executing one step over a ``requests.Session``: render, send, check, extract.

:class:`StepRunner` never raises for what the server or the network does: every outcome
(connection refused, timeout, wrong status, a JSONPath that matches nothing) comes back as a
:class:`~pytest_apispec.results.StepResult`. :class:`DocRun` strings the steps of one doc
together through their variables.
"""

from __future__ import annotations

import email.utils
import functools
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext.parser import parse as jsonpath_parse

from pytest_apispec import templates
from pytest_apispec.model import Spec, Step
from pytest_apispec.results import RequestRecord, ResponseRecord, StepResult
from pytest_apispec.settings import ApiSettings, token_env_var

MAX_BODY_BYTES = 10 * 1024 * 1024
EXCERPT_CHARS = 2000
MAX_REDIRECTS = 10
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRY_STATUSES = frozenset({429, 503})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NO_JSON = object()
_T = TypeVar("_T")


class StepError(Exception):
    """A step that cannot be sent as written (undefined variable, no base URL, ...)."""


class _Overdue(Exception):
    """An exchange on the helper thread outlived its deadline."""


class _HelperThread:
    """A daemon thread that runs HTTP exchanges for the thread that waits for them.

    The waiting side gives up at a deadline (see :meth:`StepRunner._exchange`), so an
    exchange that never ends cannot hang the run: the thread is left to finish it alone and
    the next exchange gets a new thread. A thread left idle for a while ends by itself.
    """

    IDLE_SECONDS = 10.0

    def __init__(self) -> None:
        self.results: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        self._calls: queue.SimpleQueue[Callable[[], Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._alive = True
        threading.Thread(target=self._serve, name="pytest-apispec-http", daemon=True).start()

    def submit(self, call: Callable[[], Any]) -> bool:
        """Hand over a call; False when the thread has already ended."""
        with self._lock:
            if self._alive:
                self._calls.put(call)
            return self._alive

    def _serve(self) -> None:
        while True:
            try:
                call = self._calls.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._calls.empty():
                        self._alive = False
                        return
                continue
            try:
                outcome: tuple[bool, Any] = (True, call())
            except BaseException as exc:
                outcome = (False, exc)
            self.results.put(outcome)


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


@functools.lru_cache(maxsize=4096)
def compile_jsonpath(expression: str) -> Any:
    """Compile a JSONPath once per process; docs repeat the same few expressions."""
    return jsonpath_parse(expression)


def jsonpath_values(expression: str, document: Any) -> list[Any]:
    return [match.value for match in compile_jsonpath(expression).find(document)]


class StepRunner:
    """Sends steps with one session, one set of settings and one set of tokens."""

    def __init__(
        self, session: requests.Session, settings: ApiSettings, tokens: Mapping[str, str]
    ) -> None:
        self.session = session
        self.settings = settings
        self.tokens = tokens
        self._token_origins = {
            origin
            for origin in map(_origin, (settings.base_url, settings.fallback_url))
            if origin is not None
        }
        self._allowed_hosts = [
            allowed for allowed in map(_allowed_host, settings.allowed_hosts) if allowed
        ]
        self._helper: _HelperThread | None = None

    def may_receive_token(self, url: str) -> bool:
        """Whether ``url`` is on the base or fallback URL's origin (scheme, host and port)
        or on a host of ``api_allowed_hosts``: the only places a token is sent."""
        origin = _origin(url)
        if origin is None:
            return False
        scheme, host, port = origin
        return origin in self._token_origins or any(
            host == allowed_host
            and scheme == (allowed_scheme or scheme)
            and port == (allowed_port or _DEFAULT_PORTS.get(scheme))
            for allowed_scheme, allowed_host, allowed_port in self._allowed_hosts
        )

    def token_type(self, spec: Spec, step: Step) -> str | None:
        return (
            step.token or (spec.tokens[0] if spec.tokens else None) or self.settings.default_token
        )

    def base_url(self, spec: Spec, step: Step) -> str | None:
        if spec.step_uses_fallback(step):
            return self.settings.fallback_url
        return self.settings.base_url

    def run(self, spec: Spec, step: Step, variables: Mapping[str, Any]) -> StepResult:
        try:
            request, auth = self._prepare(spec, step, variables)
        except StepError as exc:
            return StepResult(spec.path, step, error=str(exc))
        try:
            response, body, notes = self._send(step, request, auth)
        except requests.RequestException as exc:
            return StepResult(spec.path, step, request=request, error=_describe_network(exc))
        except StepError as exc:
            return StepResult(spec.path, step, request=request, error=str(exc))
        except Exception as exc:  # whatever else the HTTP stack raises is this step's failure
            error = f"the request to {request.url} failed: {type(exc).__name__}: {exc}"
            return StepResult(spec.path, step, request=request, error=error[:500])
        return self._check(spec, step, variables, request, response, body, notes)

    # ------------------------------------------------------------ preparing

    def _prepare(
        self, spec: Spec, step: Step, variables: Mapping[str, Any]
    ) -> tuple[RequestRecord, TokenAuth | None]:
        where = f"step '{step.id}' (line {step.line})"
        try:
            path = templates.render_path(step.path, variables)
            params = templates.render(step.params, variables)
            headers = {
                k: templates.as_text(v)
                for k, v in templates.render(step.headers, variables).items()
            }
            body = templates.render(step.body, variables)
            # expectations are rendered after the response: check their variables before sending
            for name in sorted(templates.placeholders([step.expect.json, step.expect.headers])):
                templates.lookup(name, variables)
        except templates.UndefinedVariable as exc:
            raise StepError(
                f"{where} uses {{{{{exc.name}}}}}, which has no value; define it with "
                f"--api-var {exc.name}=VALUE, an 'api_vars' ini line, the apispec_vars fixture, "
                "or extract it in an earlier step"
            ) from None
        if _dot_segments(path) > _dot_segments(step.path):
            raise StepError(
                f"{where}: a value placed into the path {step.path!r} is '.' or '..', which "
                f"would move the request to another path ({path}); check the variables it uses"
            )
        url = self._url(spec, step, path, where)
        if params:
            try:
                url = requests.Request("GET", url, params=params).prepare().url or url
            except (requests.RequestException, ValueError) as exc:
                raise StepError(f"{where}: {url} is not a valid URL ({exc})") from None
        auth = None
        token_type = self.token_type(spec, step)
        if token_type is not None:
            token = self.tokens.get(token_type)
            if token is None:
                raise StepError(
                    f"{where} needs a '{token_type}' token; set {token_env_var(token_type)}"
                )
            if self.may_receive_token(url):
                auth = TokenAuth(self.settings.auth_header, self.settings.auth_scheme, token)
                headers[self.settings.auth_header] = _token_reference(
                    self.settings.auth_scheme, token_type
                )
        return RequestRecord(step.method, url, tuple(headers.items()), body), auth

    def _url(self, spec: Spec, step: Step, path: str, where: str) -> str:
        if urlsplit(path).scheme in ("http", "https"):
            if _origin(path) is None:
                raise StepError(f"{where}: {path} is not a valid URL")
            if not self.may_receive_token(path):
                raise StepError(
                    f"{where} sends to {_host(path)}, which is neither the base nor the fallback "
                    "host; tokens only go to configured hosts. Add the host to the "
                    "'api_allowed_hosts' ini setting if it is meant"
                )
            return path
        base = self.base_url(spec, step)
        if not base:
            kind = "fallback" if spec.step_uses_fallback(step) else "base"
            raise StepError(f"{where} needs the {kind} URL, which is not configured")
        return base.rstrip("/") + "/" + path.lstrip("/")

    # ------------------------------------------------------------ sending

    def _send(
        self, step: Step, request: RequestRecord, auth: TokenAuth | None
    ) -> tuple[requests.Response, bytes, tuple[str, ...]]:
        """Send, retrying a 429 or 503 that has a Retry-After; notes say what happened."""
        idempotent = step.method in _IDEMPOTENT
        attempts = (
            step.retries
            if step.retries is not None
            else (self.settings.max_retries if idempotent else 0)
        )
        for attempt in range(attempts + 1):
            response, body, redirects = self._send_following_redirects(request, auth)
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
            elif step.retries is None and not idempotent:
                notes.append(f"{step.method} is not retried unless the step says so (retries: N)")
        return response, body, tuple(note for note in notes if note)

    def _send_following_redirects(
        self, request: RequestRecord, auth: TokenAuth | None
    ) -> tuple[requests.Response, bytes, tuple[str, ...]]:
        """Follow redirects by hand, so the token never goes to a host it was not meant for."""
        headers = {k: v for k, v in request.headers if k != self.settings.auth_header}
        method, url, body = request.method, request.url, request.body
        redirects: list[str] = []
        for _ in range(MAX_REDIRECTS + 1):
            token = auth if self.may_receive_token(url) else None
            response, content = self._exchange(method, url, headers, body, token)
            location = response.headers.get("Location")
            if not response.is_redirect or not location:
                return response, content, tuple(redirects)
            url = urljoin(url, location)
            if _origin(url) is None or urlsplit(url).scheme not in _DEFAULT_PORTS:
                raise StepError(f"the server redirected to {url}, which is not an http(s) URL")
            redirects.append(url)
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, body = (
                    ("GET", None)
                    if response.status_code == 303 or method == "POST"
                    else (method, body)
                )
        raise StepError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?), last to {url}")

    def _exchange(
        self, method: str, url: str, headers: Mapping[str, str], body: Any, auth: TokenAuth | None
    ) -> tuple[requests.Response, bytes]:
        """One request and its whole response, within ``--api-timeout`` seconds in total.

        ``requests`` bounds each socket read, not the exchange: a server that sends its status
        line, headers or body a byte at a time never trips it. So the exchange runs on a helper
        thread, and the step stops waiting for it at the deadline.
        """
        timeout = self.settings.timeout
        deadline = time.monotonic() + timeout

        def exchange() -> tuple[requests.Response, bytes]:
            response = self.session.request(
                method,
                url,
                headers=headers,
                json=body,
                auth=auth,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                verify=self.settings.verify_tls,
                hooks={"response": [*self.session.hooks.get("response", []), _leave_unread]},
            )
            if response.is_redirect:
                return response, b""
            return response, self._read_body(response, url, deadline)

        helper = self._helper
        if helper is None or not helper.submit(exchange):
            helper = self._helper = _HelperThread()
            helper.submit(exchange)
        try:
            succeeded, outcome = helper.results.get(timeout=timeout)
        except queue.Empty:
            self._helper = None  # it is stuck in this exchange; the next one gets a new thread
            # worded as requests' own read timeout: which of the two fires first is a race
            raise StepError(f"timed out waiting for the response from {url}") from None
        if not succeeded:
            raise outcome
        result: tuple[requests.Response, bytes] = outcome
        return result

    def _read_body(self, response: requests.Response, url: str, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _chunks(response):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    break
                if time.monotonic() > deadline:
                    raise StepError(
                        f"timed out: the response body from {url} was still arriving after "
                        f"{self.settings.timeout:g}s ({size} bytes so far)"
                    )
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise StepError(_describe_body_error(exc, url, size)) from None
        finally:
            response.close()
        return b"".join(chunks)

    # ------------------------------------------------------------ checking

    def _check(
        self,
        spec: Spec,
        step: Step,
        variables: Mapping[str, Any],
        request: RequestRecord,
        response: requests.Response,
        body: bytes,
        notes: tuple[str, ...] = (),
    ) -> StepResult:
        record = _response_record(response, body)
        status = response.status_code
        document = _parse_json(body)
        expected_status = spec.expected_status_of(step)
        if expected_status is not None and status == expected_status:
            return StepResult(spec.path, step, request, record, reached_expected_outcome=True)
        mismatches: list[str] = []
        accepted = step.expect.accepts_status(status) or status == step.success_status
        if not accepted:
            mismatches.append(
                f"expected status {step.expect.describe_status()}, got {status}"
                + (f" ({'; '.join(notes)})" if notes else "")
            )
        not_json = _not_json_reason(body)
        mismatches += _json_mismatches(step, variables, document, not_json)
        mismatches += _header_mismatches(step, variables, response)
        extracted: dict[str, Any] = {}
        if accepted:
            mismatches += _extract(step, document, extracted, not_json)
        return StepResult(
            spec.path, step, request, record, mismatches=tuple(mismatches), extracted=extracted
        )

    def _redirect_note(self, url: str, redirects: tuple[str, ...]) -> str:
        if not redirects:
            return ""
        final = redirects[-1]
        note = f"after a redirect to {final}"
        if self.may_receive_token(url) and not self.may_receive_token(final):
            note += ", not a configured host: the token was not sent there"
        return note


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


def _host(url: str) -> str:
    origin = _origin(url)
    if origin is None:
        return urlsplit(url).netloc
    scheme, host, port = origin
    return host if port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


def _origin(url: str | None) -> tuple[str, str, int] | None:
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


def _dot_segments(path: str) -> int:
    return sum(segment in (".", "..") for segment in path.split("?", 1)[0].split("/"))


def _token_reference(scheme: str, token_type: str) -> str:
    reference = "$" + token_env_var(token_type)
    return f"{scheme} {reference}" if scheme else reference


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
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


def _describe_network(exc: requests.RequestException) -> str:
    url = exc.request.url if exc.request is not None else "the server"
    if isinstance(exc, requests.ConnectTimeout):
        return f"timed out connecting to {url}"
    if isinstance(exc, requests.ReadTimeout):
        return f"timed out waiting for the response from {url}"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS verification failed for {url}: {_first_reason(exc)}"
    if isinstance(exc, requests.ConnectionError) and "Connection aborted" in str(exc):
        return f"the connection broke before a response arrived from {url}: {_first_reason(exc)}"
    if isinstance(exc, requests.ConnectionError):
        return f"could not connect to {url}: {_first_reason(exc)}"
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return f"the connection broke while reading the response from {url}"
    return f"the request to {url} failed: {_first_reason(exc)}"


def _first_reason(exc: BaseException) -> str:
    text = str(exc)
    markers = (
        "Connection refused",
        "Connection reset",
        "Name or service not known",
        "Remote end closed connection without response",
    )
    for marker in markers:
        if marker in text:
            return marker.lower()
    return text[:300]


def _describe_body_error(exc: BaseException, url: str, size: int) -> str:
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError | requests.Timeout | TimeoutError):
        return f"timed out reading the response body from {url} ({size} bytes received)"
    if isinstance(exc, urllib3.exceptions.DecodeError | requests.exceptions.ContentDecodingError):
        return f"the response body from {url} could not be decompressed: {str(exc)[:200]}"
    return (
        f"the connection broke while reading the response body from {url} after {size} bytes: "
        f"{_first_reason(exc)}"
    )


def _response_record(response: requests.Response, body: bytes) -> ResponseRecord:
    excerpt = body[: EXCERPT_CHARS * 4]
    try:
        text = excerpt.decode(response.encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know, or not a text encoding ("hex")
        text = excerpt.decode("utf-8", "replace")
    return ResponseRecord(
        status=response.status_code,
        reason=response.reason or "",
        headers=tuple(response.headers.items()),
        body_excerpt=text[:EXCERPT_CHARS],
        body_size=len(body),
        truncated=len(text) > EXCERPT_CHARS or len(body) > MAX_BODY_BYTES,
        elapsed=response.elapsed.total_seconds(),
    )


def _parse_json(body: bytes) -> Any:
    if not body or len(body) > MAX_BODY_BYTES:
        return _NO_JSON
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _NO_JSON


def _not_json_reason(body: bytes) -> str:
    """Why a body that did not parse is not JSON, for the messages that need it."""
    if not body:
        return "empty"
    if len(body) > MAX_BODY_BYTES:
        return f"larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB, too large to read as JSON"
    return "not JSON"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + f"... ({len(text)} characters)"


def _json_mismatches(
    step: Step, variables: Mapping[str, Any], document: Any, not_json: str = "not JSON"
) -> list[str]:
    if not step.expect.json:
        return []
    if document is _NO_JSON:
        return [f"expect.json: the response body is {not_json}"]
    mismatches = []
    for expression, template in step.expect.json.items():
        expected = templates.render(template, variables)
        try:
            values = jsonpath_values(expression, document)
        except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
            mismatches.append(f"expect.json {expression}: not a valid JSONPath ({exc})")
            continue
        if not values:
            mismatches.append(f"expect.json {expression}: matched nothing, expected {expected!r}")
        elif values[0] != expected:
            mismatches.append(
                f"expect.json {expression}: expected {expected!r}, got {_short(values[0])}"
            )
    return mismatches


def _header_mismatches(
    step: Step, variables: Mapping[str, Any], response: requests.Response
) -> list[str]:
    mismatches = []
    for name, template in step.expect.headers.items():
        expected = templates.as_text(templates.render(template, variables))
        actual = response.headers.get(name)
        if actual is None:
            mismatches.append(f"expect.headers {name}: missing, expected {expected!r}")
        elif actual != expected:
            mismatches.append(f"expect.headers {name}: expected {expected!r}, got {actual!r}")
    return mismatches


def _extract(
    step: Step, document: Any, extracted: dict[str, Any], not_json: str = "not JSON"
) -> list[str]:
    if not step.extract:
        return []
    if document is _NO_JSON:
        names = ", ".join(step.extract)
        return [f"extract {names}: the response body is {not_json}"]
    mismatches = []
    for name, expression in step.extract.items():
        try:
            values = jsonpath_values(expression, document)
        except Exception as exc:
            mismatches.append(f"extract {name}: {expression!r} is not a valid JSONPath ({exc})")
            continue
        if not values:
            mismatches.append(f"extract {name}: {expression} matched nothing in the response")
        else:
            extracted[name] = values[0]
    return mismatches


class DocRun:
    """The steps of one doc, sharing variables: what each step extracts, later steps use."""

    def __init__(self, spec: Spec, runner: StepRunner, variables: Mapping[str, Any]) -> None:
        self.spec = spec
        self.runner = runner
        self.variables: dict[str, Any] = dict(variables)

    def run_step(self, step: Step) -> StepResult:
        result = self.runner.run(self.spec, step, self.variables)
        self.variables.update(result.extracted)
        return result
