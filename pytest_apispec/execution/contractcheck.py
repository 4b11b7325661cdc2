"""Holding each step's exchange against the OpenAPI contract its doc names.

The contract is loaded on the first step that needs it (once per process, by
``contracts.loader``); a doc whose contract cannot be loaded, or whose ``endpoint`` the contract
lacks, gets one line saying so on the test step its ``endpoint`` describes. Every line starts
with ``contract``; the mode (strict, warn, off) decides what they do, the pytest layer reports.

An exchange made again (the prerequisite many docs share: the same request, the same answer,
byte for byte) is checked once: what a check finds depends on nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_apispec.contracts.document import Contract
from pytest_apispec.docformat.model import ContractMode, Spec, Step
from pytest_apispec.execution.results import RequestRecord
from pytest_apispec.execution.settings import ApiSettings

if TYPE_CHECKING:  # the index's module is imported once a contract is checked
    from pytest_apispec.contracts.paths import OperationIndex


@dataclass(frozen=True, slots=True)
class ContractFindings:
    """What a step's exchange did against the doc's contract."""

    contract: str  # the file as the doc names it
    mode: ContractMode
    violations: tuple[str, ...] = ()  # the response's, and the doc's own (no such operation)
    warnings: tuple[str, ...] = ()  # the request body's: drift, never a failure
    not_found: bool = False  # no root configured and no such file: not checked
    operation: str | None = None  # the operation the step matched (``GET /a/{id}``), if any
    status: int | None = None  # the status it received, for coverage's statuses seen

    @property
    def failing(self) -> tuple[str, ...]:
        return self.violations if self.mode is ContractMode.STRICT else ()


@dataclass(frozen=True, slots=True)
class SentAndGot:
    """One exchange of a step, as the contract checks need it."""

    request: RequestRecord
    response: Any  # the requests.Response
    body: bytes
    document: Any  # the parsed JSON body, when is_json
    is_json: bool
    base_url: str | None  # the step's base URL, whose path the contract's paths do not hold


class ContractChecks:
    """The contract checks of one run: finds each doc's contract and operation."""

    def __init__(self, settings: ApiSettings, on_loaded: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.on_loaded = on_loaded  # after a contract is loaded: it lives until the process ends
        self._unchecked: dict[Path, bool] = {}
        self._loaded: dict[Path, Any] = {}
        self._paths: dict[str, Path] = {}  # a Contract or the ContractError of a broken one
        self._checked: dict[tuple[Any, ...], ContractFindings] = {}  # by _exchange_key

    def mode_of(self, spec: Spec) -> ContractMode:
        if not spec.provenance.swagger:
            return ContractMode.OFF
        return spec.contract_mode or self.settings.contract_mode

    def wants_json(self, spec: Spec) -> bool:
        """Whether the doc's responses are checked at all (so their bodies are parsed)."""
        return self.mode_of(spec) is not ContractMode.OFF and not self._missing(spec)

    def path_of(self, spec: Spec) -> Path:
        name = spec.provenance.swagger or ""
        path = self._paths.get(name)
        if path is None:
            path = self._paths[name] = self.settings.contract_root.path_of(name)
        return path

    def contract_of(self, spec: Spec) -> Contract | None:
        """The doc's contract when it loads; ``None`` when it names none, or a broken one."""
        if not spec.provenance.swagger or self._missing(spec):
            return None
        loaded = self._load(spec)
        return loaded if isinstance(loaded, Contract) else None

    def _load(self, spec: Spec) -> Any:
        """The doc's contract or its error, without resolving its path again for every step."""
        path = self.path_of(spec)
        loaded = self._loaded.get(path)
        if loaded is None:
            from pytest_apispec.contracts import loader

            try:
                loaded = loader.load(path)
            except loader.ContractError as error:
                loaded = error
            self._loaded[path] = loaded
            if self.on_loaded is not None and isinstance(loaded, Contract):
                self.on_loaded()
        return loaded

    def _missing(self, spec: Spec) -> bool:
        """No root was configured and the file is not there: the doc runs unchecked."""
        path = self.path_of(spec)
        unchecked = self._unchecked.get(path)
        if unchecked is None:
            unchecked = self._unchecked[path] = self.settings.contract_root.unchecked(path)
        return unchecked

    def check(self, spec: Spec, step: Step, exchange: SentAndGot) -> ContractFindings | None:
        mode = self.mode_of(spec)
        if mode is ContractMode.OFF:
            return None
        name = spec.provenance.swagger or ""
        if self._missing(spec):
            return ContractFindings(name, mode, not_found=True)
        describes = bool(spec.test_request) and step is spec.test_request[0]
        contract = self._load(spec)
        if not isinstance(contract, Contract):
            lines = (f"contract {contract}",) if describes else ()
            return ContractFindings(name, mode, violations=lines)
        try:
            from pytest_apispec.contracts import paths

            index = paths.index_of(contract)
            unknown = _unknown_endpoint(name, mode, spec, index, describes)
            if unknown is not None:
                return unknown
            key = _exchange_key(name, mode, step, exchange)
            found = self._checked.get(key) if key is not None else None
            if found is None:
                found = _exchange_check(name, mode, contract, index, step, exchange)
                self._remember(key, found)
            return found
        except Exception as exc:  # a validator's surprise is this check's failure, not a crash
            line = f"contract {name}: could not be checked ({type(exc).__name__}: {exc})"
            return ContractFindings(name, mode, violations=(line[:500],))

    def _remember(self, key: tuple[Any, ...] | None, found: ContractFindings) -> None:
        """Keep what an exchange broke, for the same exchange made again; the oldest goes
        past REMEMBERED_EXCHANGES. A ``None`` key (a form, multipart or raw body) is not kept."""
        if key is None:
            return
        if len(self._checked) >= REMEMBERED_EXCHANGES:
            del self._checked[next(iter(self._checked))]
        self._checked[key] = found


def _unknown_endpoint(
    name: str, mode: ContractMode, spec: Spec, index: OperationIndex, describes: bool
) -> ContractFindings | None:
    """A doc whose ``endpoint`` the contract lacks: one line on the step that endpoint
    describes, and its other steps unchecked; ``None`` for a doc whose endpoint is there."""
    endpoint = spec.operation
    if endpoint is None or index.find(*endpoint) is not None:
        return None
    if not describes:
        return ContractFindings(name, mode)
    nearest = ", ".join(index.nearest(*endpoint)) or "none"
    line = (
        f"contract {name} has no operation {endpoint[0]} {endpoint[1]} "
        f"(nearest: {nearest}); fix the doc's endpoint or its swagger: file"
    )
    return ContractFindings(name, mode, violations=(line,))


def _exchange_check(
    name: str,
    mode: ContractMode,
    contract: Contract,
    index: OperationIndex,
    step: Step,
    sent: SentAndGot,
) -> ContractFindings:
    """What the exchange breaks of the operation its step matched."""
    from pytest_apispec.contracts import messages

    request, response, body = sent.request, sent.response, sent.body
    operation = None
    for path in _request_paths(request.url, sent.base_url):
        operation = index.match(step.method, path)
        if operation is not None:
            break
    if operation is None:
        return ContractFindings(name, mode)
    exchange = messages.Exchange(
        method=step.method,
        status=response.status_code,
        content_type=response.headers.get("Content-Type"),
        body_size=len(body),
        is_json=sent.is_json,
        document=sent.document,
        request_body=request.body,
        request_media=_sent_media(request, response),
    )
    found = messages.check_response(contract, operation, exchange)
    drift = messages.check_request(contract, operation, exchange)
    return ContractFindings(
        name,
        mode,
        violations=tuple(v.line() for v in found),
        warnings=tuple(v.line() for v in drift),
        operation=operation.label,
        status=response.status_code,
    )


# how many exchanges a run remembers having checked: a key of ~100 bytes and the findings
# (a few hundred bytes; at most MAX_VIOLATIONS short lines) each
REMEMBERED_EXCHANGES = 1024


def _exchange_key(
    name: str, mode: ContractMode, step: Step, sent: SentAndGot
) -> tuple[Any, ...] | None:
    """All that the findings of an exchange depend on, the long parts (the URLs, the JSON
    sent, the Content-Type, the answer) as one BLAKE2 digest; ``None`` for a form, multipart
    or data body (its Content-Type is what requests chose), which is checked every time."""
    request, response = sent.request, sent.response
    if request.sent_body is not None:
        return None
    digest = hashlib.blake2b(digest_size=16)
    for part in (
        request.url,
        sent.base_url or "",
        repr(request.body) if request.body is not None else "",
        response.headers.get("Content-Type") or "",
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(sent.body)
    return name, mode, step.method, response.status_code, digest.digest()


def _sent_media(request: RequestRecord, response: Any) -> str | None:
    """The Content-Type of a form, multipart or text body, as it was sent; ``None`` for JSON."""
    if request.sent_body is None:
        return None
    sent = getattr(response, "request", None)
    media = sent.headers.get("Content-Type") if sent is not None else None
    return str(media) if media else "application/octet-stream"


def _request_paths(url: str, base_url: str | None) -> list[str]:
    """The step's path without the base URL, then the URL's whole path."""
    full = urlsplit(url).path
    candidates = []
    if base_url:
        base_path = urlsplit(base_url).path.rstrip("/")
        if base_path and full.startswith(base_path + "/"):
            candidates.append(full[len(base_path) :])
    candidates.append(full)
    return candidates
