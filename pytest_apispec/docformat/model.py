"""The parsed form of an endpoint doc: frozen, typed objects that remember their source lines.

Nothing here imports pytest; the pytest layer turns these objects into items and fixtures.
Values that come from YAML (params, headers, body, expectations) are deep-frozen: mappings
become read-only ``MappingProxyType`` objects and lists become tuples, so a parsed spec can be
shared between items and workers without anyone mutating it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pytest_apispec.docformat.bodies import StepBody
from pytest_apispec.docformat.extraction import BodyCheck, Extraction
from pytest_apispec.docformat.polling import Until

EMPTY: Mapping[str, Any] = MappingProxyType({})


class OnFail(enum.Enum):
    """What a failing prerequisite does to its doc."""

    ABORT = "abort"
    SKIP = "skip"


class Scope(enum.Enum):
    """How widely the extracted values of a prerequisite are shared."""

    FUNCTION = "function"
    MODULE = "module"
    SESSION = "session"


class ContractMode(enum.Enum):
    """What a response that breaks its doc's OpenAPI contract does to the doc."""

    STRICT = "strict"
    WARN = "warn"
    OFF = "off"


class Section(enum.Enum):
    """The runnable sections of a doc, in the order they run."""

    PREREQUISITES = "Prerequisites"
    TEST_REQUEST = "Test Request"
    CLEANUP = "Cleanup"


@dataclass(frozen=True, slots=True)
class Expectation:
    """What a step's response must satisfy.

    An empty ``status`` accepts any 2xx status.
    """

    status: tuple[int, ...] = ()
    json: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    headers: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    body: tuple[BodyCheck, ...] = ()  # expect.body: checks over the text body
    max_seconds: float | None = None  # expect.maxSeconds: from sending to the last byte
    schema: Any = None  # a JSON Schema the whole JSON body must satisfy
    match: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # JSONPath -> schema

    def accepts_status(self, status: int) -> bool:
        if self.status:
            return status in self.status
        return 200 <= status < 300

    def describe_status(self) -> str:
        if not self.status:
            return "any 2xx"
        return " or ".join(str(code) for code in self.status)


@dataclass(frozen=True, slots=True)
class Step:
    """One HTTP request of a doc, with its source line (1-based)."""

    id: str
    line: int
    section: Section
    method: str
    path: str
    description: str = ""
    token: str | None = None
    use_fallback: bool | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    headers: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    body: Any = None
    extract: Mapping[str, str | Extraction] = field(default_factory=lambda: EMPTY)
    expect: Expectation = field(default_factory=Expectation)
    on_fail: OnFail = OnFail.ABORT
    skip_reason: str | None = None
    success_status: int | None = None
    success_reason: str | None = None
    scope: Scope = Scope.FUNCTION
    retries: int | None = None
    payload: StepBody | None = None  # a form, multipart or data body (JSON stays in ``body``)
    until: Until | None = None  # re-send until ``expect`` holds
    idempotent: bool = False  # the author says re-sending is harmless (until: on POST, ...)
    near_misses: tuple[NearMiss, ...] = ()

    def templated_values(self) -> list[Any]:
        """Every part of the step that is sent and may hold ``{{name}}`` placeholders."""
        payload = self.payload.value if self.payload is not None else None
        if isinstance(payload, Mapping):  # multipart file parts: their paths
            payload = {k: getattr(v, "file", v) for k, v in payload.items()}
        return [self.path, self.params, self.headers, self.body, payload]


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a doc came from; reported, never required."""

    saved_at: str | None = None
    verified_at: str | None = None
    times_reused: int | None = None
    swagger: str | None = None

    def items(self) -> list[tuple[str, str]]:
        pairs = [
            ("savedAt", self.saved_at),
            ("verifiedAt", self.verified_at),
            ("timesReused", self.times_reused),
            ("swagger", self.swagger),
        ]
        return [(key, str(value)) for key, value in pairs if value is not None]


@dataclass(frozen=True, slots=True)
class Spec:
    """A whole endpoint doc."""

    path: Path
    name: str
    endpoint: str | None
    title: str
    description: str
    test_request_line: int
    prerequisites: tuple[Step, ...]
    test_request: tuple[Step, ...]
    cleanup: tuple[Step, ...] = ()
    domain: str | None = None
    tags: tuple[str, ...] = ()
    status: str | None = None
    tokens: tuple[str, ...] = ()
    use_fallback: bool = False
    expected_outcome: int | None = None
    expected_outcome_reason: str | None = None
    requires_test_data: bool = False
    test_data_description: str | None = None
    fixtures: tuple[str, ...] = ()
    provenance: Provenance = field(default_factory=Provenance)
    frontmatter_near_misses: tuple[NearMiss, ...] = ()

    @property
    def near_misses(self) -> tuple[NearMiss, ...]:
        """Near-miss keys of the frontmatter, then of each step, in the doc's order."""
        found = self.frontmatter_near_misses
        for step in self.steps:
            found += step.near_misses
        return found

    contract_mode: ContractMode | None = None  # frontmatter 'contract:', over --api-contract

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.prerequisites + self.test_request + self.cleanup

    @property
    def method(self) -> str | None:
        """The documented HTTP method: from ``endpoint``, else the test request's first step."""
        if self.endpoint and " " in self.endpoint.strip():
            return self.endpoint.split(None, 1)[0].upper()
        return self.test_request[0].method if self.test_request else None

    @property
    def operation(self) -> tuple[str, str] | None:
        """``endpoint`` as an operation, ``("PUT", "/a/{uid}")``; ``None`` unless it is
        ``METHOD /path``."""
        return operation_of(self.endpoint)

    def token_type_of(self, step: Step, default: str | None = None) -> str | None:
        """The token type a step sends: its own, else the doc's first, else ``default``."""
        return step.token or (self.tokens[0] if self.tokens else None) or default

    def step_uses_fallback(self, step: Step) -> bool:
        return self.use_fallback if step.use_fallback is None else step.use_fallback

    def expected_status_of(self, step: Step) -> int | None:
        """The non-happy status this environment is known to answer for a test step."""
        if step.section is not Section.TEST_REQUEST:
            return None
        if step.success_status is not None:
            return step.success_status
        return self.expected_outcome

    def expected_reason_of(self, step: Step) -> str:
        reason = self.expected_outcome_reason or step.success_reason
        status = self.expected_status_of(step)
        return reason or f"this environment is known to answer {status}"

    @property
    def expected_outcome_step(self) -> Step | None:
        """The first test step with a known non-happy status, if any."""
        for step in self.test_request:
            if self.expected_status_of(step) is not None:
                return step
        return None


def operation_of(endpoint: str | None) -> tuple[str, str] | None:
    """``"PUT /a/{uid}"`` as ``("PUT", "/a/{uid}")``; ``None`` for anything else."""
    parts = (endpoint or "").split()
    if len(parts) != 2 or not parts[1].startswith("/"):
        return None
    return parts[0].upper(), parts[1]


class SpecError(Exception):
    """A doc that cannot be run, with the place to fix it.

    ``str()`` gives ``path:line: message``, the form editors and CI annotations understand.
    """

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self.location + ": " + message)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A key the format does not know that is close to one it does (``expcet``: ``expect``).

    The format ignores unknown keys (people add notes); a near miss is most likely a typo that
    leaves something silently unchecked, so a run warns and ``--api-lint`` fails on it.
    """

    line: int
    where: str  # "frontmatter", "step 'get_client'", "step 'get_client': expect"
    key: str
    suggestion: str

    @property
    def message(self) -> str:
        return (
            f"{self.where}: unknown key '{self.key}', did you mean '{self.suggestion}'? "
            "(an unknown key is ignored)"
        )
