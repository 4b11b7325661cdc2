"""What running a step produced: the request sent, the response got, and what did not match.

These records are what reports are made from. They never hold a token: the auth header is
recorded as a reference to the environment variable that holds it (``$API_TOKEN_STAFF``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_apispec.docformat.model import Step

if TYPE_CHECKING:
    from pytest_apispec.execution.bodies import SentBody
    from pytest_apispec.execution.contractcheck import ContractFindings


@dataclass(frozen=True, slots=True)
class RequestRecord:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    sent_body: SentBody | None = None  # a form, multipart or data body (``body`` is JSON)


EXCERPT_CHARS = 2000


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """A response as reports show it. The excerpt is decoded only when a report asks for it:
    passing steps, the vast majority, cost no report work."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body_head: bytes
    body_size: int
    encoding: str | None
    elapsed: float
    over_limit: bool = False

    @property
    def body_excerpt(self) -> str:
        return self._text()[:EXCERPT_CHARS]

    @property
    def truncated(self) -> bool:
        return self.over_limit or len(self._text()) > EXCERPT_CHARS

    def _text(self) -> str:
        try:
            return self.body_head.decode(self.encoding or "utf-8", "replace")
        except LookupError:  # a charset Python does not know, or not a text encoding ("hex")
            return self.body_head.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class StepResult:
    """The outcome of one step. ``ok`` when it met every expectation."""

    path: Path
    step: Step
    request: RequestRecord | None = None
    response: ResponseRecord | None = None
    error: str | None = None
    mismatches: tuple[str, ...] = ()
    extracted: Mapping[str, Any] = field(default_factory=dict)
    reached_expected_outcome: bool = False
    notes: tuple[str, ...] = ()  # what else happened, for the report (e.g. the cleanup that ran)
    contract: ContractFindings | None = None  # what the doc's OpenAPI contract found

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatches

    @property
    def problems(self) -> tuple[str, ...]:
        return ((self.error,) if self.error else ()) + self.mismatches

    @property
    def location(self) -> str:
        return f"{self.path}:{self.step.line}"

    def headline(self) -> str:
        """One line: where, which step, and the first problem."""
        first = self.problems[0] if self.problems else "failed"
        more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"{self.location}: step '{self.step.id}': {first}{more}"


class StepError(Exception):
    """A step that cannot be sent as written, or whose exchange failed (no base URL, an
    undefined variable, a redirect loop, ...): the message says which and what to do."""


class ApiSpecFailure(Exception):
    """Base of the failures a doc run raises; carries the step result for the report."""

    def __init__(self, result: StepResult) -> None:
        self.result = result
        super().__init__(result.headline())


class StepFailed(ApiSpecFailure):
    """A step did not meet its expectations (or could not be sent)."""


class ExpectedOutcomeReached(ApiSpecFailure):
    """The test request answered the doc's ``expectedOutcome``: a known, documented gap.

    The pytest layer marks such docs ``xfail(raises=ExpectedOutcomeReached)``, so this and
    only this becomes XFAILED.
    """

    def __init__(self, result: StepResult, reason: str) -> None:
        self.reason = reason
        super().__init__(result)
        self.args = (f"{result.location}: answered {self._status()}: {reason}",)

    def _status(self) -> str:
        return str(self.result.response.status) if self.result.response else "?"
