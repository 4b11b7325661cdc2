"""Executing one step over a ``requests.Session``: render, send, check, extract.

:class:`StepRunner` never raises for what the server or the network does: every outcome
(connection refused, timeout, wrong status, a JSONPath that matches nothing) comes back as a
:class:`~pytest_apispec.execution.results.StepResult`. :class:`DocRun` strings the steps of one doc
together through their variables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from pytest_apispec.docformat import templates
from pytest_apispec.docformat.model import Spec, Step
from pytest_apispec.execution import checks, schemachecks, sources
from pytest_apispec.execution.bodies import SentBody, content_type_of, render_body
from pytest_apispec.execution.cleanup import CleanupOutcome
from pytest_apispec.execution.contractcheck import ContractChecks, ContractFindings, SentAndGot
from pytest_apispec.execution.cookies import DocCookies, isolate
from pytest_apispec.execution.polling import poll
from pytest_apispec.execution.results import RequestRecord, StepError, StepResult
from pytest_apispec.execution.settings import ApiSettings, token_env_var
from pytest_apispec.execution.transport import (
    TokenAuth,
    TokenHosts,
    Transport,
    describe_network_error,
    host_of,
    origin_of,
)

__all__ = ["DocRun", "StepError", "StepRunner"]


class StepRunner:
    """Sends steps with one session, one set of settings and one set of tokens."""

    def __init__(
        self,
        session: requests.Session,
        settings: ApiSettings,
        tokens: Mapping[str, str],
        on_secrets: Callable[[Iterable[str]], None] | None = None,
        on_long_lived: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.hosts = TokenHosts(settings)
        self.transport = Transport(session, settings, self.hosts)
        self.on_secrets = on_secrets  # told every cookie value a response sets
        isolate(session)
        self.contracts = ContractChecks(settings, on_long_lived)  # told a contract loaded

    def new_cookies(self) -> DocCookies:
        """A fresh cookie jar, for one doc (or one shared prerequisite)."""
        return DocCookies(self.on_secrets)

    def may_receive_token(self, url: str) -> bool:
        """Whether a token may be sent to ``url`` (see :class:`TokenHosts`)."""
        return self.hosts.allow(url)

    def token_type(self, spec: Spec, step: Step) -> str | None:
        return spec.token_type_of(step, self.settings.default_token)

    def base_url(self, spec: Spec, step: Step) -> str | None:
        if spec.step_uses_fallback(step):
            return self.settings.fallback_url
        return self.settings.base_url

    def run(
        self,
        spec: Spec,
        step: Step,
        variables: Mapping[str, Any],
        cookies: DocCookies | None = None,
    ) -> StepResult:
        if step.until is None:
            return self._run_once(spec, step, variables, cookies, step.retries)
        # each attempt is sent once: the attempts take the place of the 429/503 retries
        return poll(
            lambda: self._run_once(spec, step, variables, cookies, 0),
            step.until,
            self.settings.max_retry_wait,
        )

    def _run_once(
        self,
        spec: Spec,
        step: Step,
        variables: Mapping[str, Any],
        cookies: DocCookies | None,
        retries: int | None,
    ) -> StepResult:
        try:
            request, auth = self._prepare(spec, step, variables)
        except StepError as exc:
            return StepResult(spec.path, step, error=str(exc))
        try:
            response, body, notes, seconds = self.transport.send(request, auth, retries, cookies)
        except requests.RequestException as exc:
            return StepResult(spec.path, step, request=request, error=describe_network_error(exc))
        except StepError as exc:
            return StepResult(spec.path, step, request=request, error=str(exc))
        except Exception as exc:  # whatever else the HTTP stack raises is this step's failure
            error = f"the request to {request.url} failed: {type(exc).__name__}: {exc}"
            return StepResult(spec.path, step, request=request, error=error[:500])
        request = _with_sent_cookies(request, response)
        return self._check(
            spec, step, variables, request, response, body, notes, Received(seconds, cookies)
        )

    # ------------------------------------------------------------ preparing

    def _prepare(
        self, spec: Spec, step: Step, variables: Mapping[str, Any]
    ) -> tuple[RequestRecord, TokenAuth | None]:
        try:
            path = templates.render_path(step.path, variables)
            params = templates.render(step.params, variables)
            headers = {
                k: templates.as_text(v)
                for k, v in templates.render(step.headers, variables).items()
            }
            body = templates.render(step.body, variables)
            sent_body = self._render_payload(spec, step, variables, headers)
            # expectations are rendered after the response: check their variables before sending
            expected = [
                step.expect.json,
                step.expect.headers,
                [c.text for c in step.expect.body if c.kind == "contains"],
            ]
            for name in sorted(templates.placeholders(expected)):
                templates.lookup(name, variables)
        except templates.UndefinedVariable as exc:
            raise StepError(
                f"uses {{{{{exc.name}}}}}, which has no value; define it with "
                f"--api-var {exc.name}=VALUE, an 'api_vars' ini line, the apispec_vars fixture, "
                "or extract it in an earlier step"
            ) from None
        if _dot_segments(path) > _dot_segments(step.path):
            raise StepError(
                f"a value placed into the path {step.path!r} is '.' or '..', which "
                f"would move the request to another path ({path}); check the variables it uses"
            )
        url = self._url(spec, step, path)
        if params:
            url = _with_query(url, params)
        auth = None
        token_type = self.token_type(spec, step)
        if token_type is not None:
            token = self.tokens.get(token_type)
            if token is None:
                raise StepError(f"needs a '{token_type}' token; set {token_env_var(token_type)}")
            if self.may_receive_token(url):
                auth = TokenAuth(self.settings.auth_header, self.settings.auth_scheme, token)
                headers[self.settings.auth_header] = _token_reference(
                    self.settings.auth_scheme, token_type
                )
        return RequestRecord(step.method, url, tuple(headers.items()), body, sent_body), auth

    def _render_payload(
        self, spec: Spec, step: Step, variables: Mapping[str, Any], headers: dict[str, str]
    ) -> SentBody | None:
        """A form, multipart or data body, rendered and with its files read."""
        if step.payload is None:
            return None
        settings = self.settings
        sent = render_body(
            step.payload,
            variables,
            spec.path,
            Path(settings.root_dir) if settings.root_dir else None,
            Path(settings.start_dir) if settings.start_dir else None,
        )
        content_type = content_type_of(step.payload)
        if content_type and not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = content_type
        return sent

    def _url(self, spec: Spec, step: Step, path: str) -> str:
        if urlsplit(path).scheme in ("http", "https"):
            if origin_of(path) is None:
                raise StepError(f"{path} is not a valid URL")
            if not self.may_receive_token(path):
                raise StepError(
                    f"sends to {host_of(path)}, which is neither the base nor the fallback "
                    "host; tokens only go to configured hosts. Add the host to the "
                    "'api_allowed_hosts' ini setting if it is meant"
                )
            return path
        base = self.base_url(spec, step)
        if not base:
            kind = "fallback" if spec.step_uses_fallback(step) else "base"
            raise StepError(f"needs the {kind} URL, which is not configured")
        return base.rstrip("/") + "/" + path.lstrip("/")

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
        received: Received | None = None,
    ) -> StepResult:
        record = checks.response_record(response, body)
        status = response.status_code
        # only steps that extract or compare JSON pay for parsing the body
        needs_json = bool(
            sources.needs_json(step)
            or step.expect.schema is not None
            or step.expect.match
            or self.contracts.wants_json(spec)
        )
        document = checks.parse_json(body) if needs_json else checks.NO_JSON
        exchange = SentAndGot(
            request,
            response,
            body,
            document,
            document is not checks.NO_JSON,
            self.base_url(spec, step),
        )
        contract = self.contracts.check(spec, step, exchange)
        failing = contract.failing if contract is not None else ()
        expected_status = spec.expected_status_of(step)
        if expected_status is not None and status == expected_status:
            if failing:  # a known answer is still held to its status's schema
                return StepResult(
                    spec.path, step, request, record, mismatches=failing, contract=contract
                )
            return StepResult(
                spec.path, step, request, record, reached_expected_outcome=True, contract=contract
            )
        mismatches: list[str] = []
        accepted = step.expect.accepts_status(status) or status == step.success_status
        if not accepted:
            mismatches.append(
                f"expected status {step.expect.describe_status()}, got {status}"
                + (f" ({'; '.join(notes)})" if notes else "")
            )
        not_json = checks.not_json_reason(body)
        mismatches += checks.json_mismatches(step, variables, document, not_json)
        mismatches += checks.header_mismatches(step, variables, response)
        mismatches += sources.body_mismatches(step, variables, body, response.encoding)
        if received is not None:
            mismatches += sources.time_mismatches(step, received.seconds)
        if step.expect.schema is not None or step.expect.match:
            own = self.contracts.contract_of(spec)
            mismatches += schemachecks.schema_mismatches(step, document, own, not_json)
        mismatches += failing
        extracted: dict[str, Any] = {}
        if accepted:
            mismatches += checks.extract(step, document, extracted, not_json)
            cookies = received.cookies if received is not None else None
            mismatches += sources.extract(
                step, response, body, document, cookies, extracted, not_json
            )
        return StepResult(
            spec.path,
            step,
            request,
            record,
            mismatches=tuple(mismatches),
            extracted=extracted,
            contract=contract,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Received:
    """What the exchange measured and kept besides the response: its time, the doc's jar."""

    seconds: float
    cookies: DocCookies | None = None


def _with_sent_cookies(request: RequestRecord, response: requests.Response) -> RequestRecord:
    """The record with the ``Cookie`` header requests sent (the doc's and the session's)."""
    sent = response.request.headers.get("Cookie") if response.request is not None else None
    if not sent or any(name.lower() == "cookie" for name, _ in request.headers):
        return request
    return dataclasses.replace(request, headers=(*request.headers, ("Cookie", sent)))


def _with_query(url: str, params: Any) -> str:
    """``url`` with ``params`` encoded into its query string, the way requests encodes them."""
    prepared = requests.PreparedRequest()  # only its URL: a whole prepare() costs far more
    try:
        prepared.prepare_url(url, params)
    except (requests.RequestException, ValueError) as exc:
        raise StepError(
            f"{url} is not a valid URL ({exc}); check the base URL and the step's path"
        ) from None
    return prepared.url or url


def _dot_segments(path: str) -> int:
    return sum(segment in (".", "..") for segment in path.split("?", 1)[0].split("/"))


def _token_reference(scheme: str, token_type: str) -> str:
    reference = "$" + token_env_var(token_type)
    return f"{scheme} {reference}" if scheme else reference


class DocRun:
    """The steps of one doc, sharing variables: what each step extracts, later steps use."""

    def __init__(self, spec: Spec, runner: StepRunner, variables: Mapping[str, Any]) -> None:
        self.spec = spec
        self.runner = runner
        self.variables: dict[str, Any] = dict(variables)
        self.cookies = runner.new_cookies()
        self.cleanup_steps: tuple[Step, ...] = ()  # set by the pytest layer when there is a cleanup
        self.cleanup_outcome: CleanupOutcome | None = None  # set once the cleanup has run
        self.contract_findings: list[ContractFindings] = []  # of every step, for the report

    def run_step(self, step: Step) -> StepResult:
        result = self.runner.run(self.spec, step, self.variables, self.cookies)
        self.variables.update(result.extracted)
        if result.contract is not None:
            self.contract_findings.append(result.contract)
        return result
