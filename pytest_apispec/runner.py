"""Executing one step over a ``requests.Session``: render, send, check, extract.

:class:`StepRunner` never raises for what the server or the network does: every outcome
(connection refused, timeout, wrong status, a JSONPath that matches nothing) comes back as a
:class:`~pytest_apispec.results.StepResult`. :class:`DocRun` strings the steps of one doc
together through their variables.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
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
_NO_JSON = object()


class StepError(Exception):
    """A step that cannot be sent as written (undefined variable, no base URL, ...)."""


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
        self._token_hosts = {
            _host(url) for url in (settings.base_url, settings.fallback_url) if url
        } | set(settings.allowed_hosts)

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
            response, body = self._send(step, request, auth)
        except requests.RequestException as exc:
            return StepResult(spec.path, step, request=request, error=_describe_network(exc))
        except StepError as exc:
            return StepResult(spec.path, step, request=request, error=str(exc))
        return self._check(spec, step, variables, request, response, body)

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
        except templates.UndefinedVariable as exc:
            raise StepError(
                f"{where} uses {{{{{exc.name}}}}}, which has no value; define it with "
                f"--api-var {exc.name}=VALUE, an 'api_vars' ini line, the apispec_vars fixture, "
                "or extract it in an earlier step"
            ) from None
        url = self._url(spec, step, path, where)
        if params:
            url = requests.Request("GET", url, params=params).prepare().url or url
        auth = None
        token_type = self.token_type(spec, step)
        if token_type is not None:
            token = self.tokens.get(token_type)
            if token is None:
                raise StepError(
                    f"{where} needs a '{token_type}' token; set {token_env_var(token_type)}"
                )
            if _host(url) in self._token_hosts:
                auth = TokenAuth(self.settings.auth_header, self.settings.auth_scheme, token)
                headers[self.settings.auth_header] = _token_reference(
                    self.settings.auth_scheme, token_type
                )
        return RequestRecord(step.method, url, tuple(headers.items()), body), auth

    def _url(self, spec: Spec, step: Step, path: str, where: str) -> str:
        if urlsplit(path).scheme in ("http", "https"):
            host = _host(path)
            if host not in self._token_hosts:
                raise StepError(
                    f"{where} sends to {host}, which is neither the base nor the fallback "
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
    ) -> tuple[requests.Response, bytes]:
        attempts = (
            step.retries
            if step.retries is not None
            else (self.settings.max_retries if step.method in _IDEMPOTENT else 0)
        )
        for attempt in range(attempts + 1):
            response = self._send_following_redirects(request, auth)
            wait = _retry_after(response)
            if (
                response.status_code not in _RETRY_STATUSES
                or attempt == attempts
                or wait is None
                or wait > self.settings.max_retry_wait
            ):
                break
            response.close()
            time.sleep(wait)
        body = self._read_body(response)
        return response, body

    def _send_following_redirects(
        self, request: RequestRecord, auth: TokenAuth | None
    ) -> requests.Response:
        """Follow redirects by hand, so the token never goes to a host it was not meant for."""
        headers = {k: v for k, v in request.headers if k != self.settings.auth_header}
        method, url, body = request.method, request.url, request.body
        for _ in range(MAX_REDIRECTS + 1):
            response = self.session.request(
                method,
                url,
                headers=headers,
                json=body,
                auth=auth if _host(url) in self._token_hosts else None,
                timeout=self.settings.timeout,
                allow_redirects=False,
                stream=True,
                verify=self.settings.verify_tls,
            )
            location = response.headers.get("Location")
            if not response.is_redirect or not location:
                return response
            response.close()
            url = urljoin(url, location)
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, body = (
                    ("GET", None)
                    if response.status_code == 303 or method == "POST"
                    else (method, body)
                )
        raise StepError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?), last to {url}")

    def _read_body(self, response: requests.Response) -> bytes:
        deadline = time.monotonic() + self.settings.timeout
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
                        f"the response body was still arriving after {self.settings.timeout:g}s "
                        f"({size} bytes so far); the server is too slow"
                    )
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
            mismatches.append(f"expected status {step.expect.describe_status()}, got {status}")
        mismatches += _json_mismatches(step, variables, document)
        mismatches += _header_mismatches(step, variables, response)
        extracted: dict[str, Any] = {}
        if accepted:
            mismatches += _extract(step, document, extracted)
        return StepResult(
            spec.path, step, request, record, mismatches=tuple(mismatches), extracted=extracted
        )


def _chunks(response: requests.Response) -> Iterator[bytes]:
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # pragma: no cover - urllib3 < 2
        yield from response.iter_content(65536)
        return
    while True:
        chunk = read1(65536)
        if not chunk:
            return
        yield chunk


def _host(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")


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
        return None


def _describe_network(exc: requests.RequestException) -> str:
    url = exc.request.url if exc.request is not None else "the server"
    if isinstance(exc, requests.ConnectTimeout):
        return f"timed out connecting to {url}"
    if isinstance(exc, requests.ReadTimeout):
        return f"timed out waiting for the response from {url}"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS verification failed for {url}: {_first_reason(exc)}"
    if isinstance(exc, requests.ConnectionError):
        return f"could not connect to {url}: {_first_reason(exc)}"
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return f"the connection broke while reading the response from {url}"
    return f"the request to {url} failed: {_first_reason(exc)}"


def _first_reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Name or service not known"):
        if marker in text:
            return marker.lower()
    return text[:300]


def _response_record(response: requests.Response, body: bytes) -> ResponseRecord:
    text = body[: EXCERPT_CHARS * 4].decode(response.encoding or "utf-8", "replace")
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
    except ValueError:
        return _NO_JSON


def _json_mismatches(step: Step, variables: Mapping[str, Any], document: Any) -> list[str]:
    if not step.expect.json:
        return []
    if document is _NO_JSON:
        return ["expect.json: the response body is not JSON"]
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
            mismatches.append(f"expect.json {expression}: expected {expected!r}, got {values[0]!r}")
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


def _extract(step: Step, document: Any, extracted: dict[str, Any]) -> list[str]:
    if not step.extract:
        return []
    if document is _NO_JSON:
        names = ", ".join(step.extract)
        return [f"extract {names}: the response body is not JSON"]
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
