"""``--api-lint`` against a doc's OpenAPI contract: what a run would find only with an API.

For a doc that names a contract (``swagger:`` or ``openapi:``), found as a normal run finds it:

- the contract loads (else one problem: its own error, naming the resolved path);
- the doc's ``endpoint`` is an operation of it;
- every status the test step the endpoint describes expects (``expect.status``,
  ``successStatus``, ``expectedOutcome``) is documented for that operation: the exact code, its
  range (``2XX``) or ``default``;
- that step's JSON body validates against the operation's request schema. A value holding a
  ``{{placeholder}}`` is known only when the doc runs: a whole placeholder may become any type,
  so nothing is said about it; inside a longer string it is a string, so only its type is
  checked. A body that is one placeholder is not checked at all;
- every ``$ref`` of an ``expect.schema`` or ``expect.match`` schema resolves in the contract.

Without a configured contract root, a doc whose contract file is not there is not checked, as in
a normal run. Each contract is loaded once per process (``loader``); nothing is sent.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag

from pytest_apispec.contracts import loader, refs
from pytest_apispec.contracts.document import Contract, Operation
from pytest_apispec.contracts.root import ContractRoot
from pytest_apispec.docformat import lint as doclint
from pytest_apispec.docformat.lint import LintContext, LintProblem
from pytest_apispec.docformat.model import Spec, Step

if TYPE_CHECKING:
    from pytest_apispec.contracts.paths import OperationIndex

PROBLEM_CHARS = 500


class ContractLint:
    """The contract check of one lint run (a :data:`~pytest_apispec.docformat.lint.Check`):
    remembers each contract, or why it cannot be used, by the doc's ``swagger:`` value."""

    def __init__(self, root: ContractRoot | None = None) -> None:
        self.root = root or ContractRoot()
        self._found: dict[str, Contract | loader.ContractError | None] = {}

    def __call__(self, spec: Spec, context: LintContext) -> Iterator[LintProblem]:
        name = spec.provenance.swagger
        if not name:
            return
        found = self._contract(name)
        if found is None:
            return
        if isinstance(found, loader.ContractError):
            line = frontmatter_line(spec.path, ("swagger", "openapi"))
            yield LintProblem(line, f"contract {found}")
            return
        try:
            yield from _problems(spec, found, name)
        except Exception as exc:  # a validator's surprise is this doc's problem, not a crash
            text = f"contract {name}: could not be checked ({type(exc).__name__}: {exc})"
            yield LintProblem(spec.test_request_line, text[:PROBLEM_CHARS])

    def not_found(self, name: str) -> bool:
        """Whether the docs naming ``name`` went unchecked: not there, and no root configured."""
        return name in self._found and self._found[name] is None

    def _contract(self, name: str) -> Contract | loader.ContractError | None:
        """The doc's contract, its error, or ``None`` when it is not there and no root was
        configured (as in a normal run)."""
        if name in self._found:
            return self._found[name]
        path = self.root.path_of(name)
        found: Contract | loader.ContractError | None = None
        if not self.root.unchecked(path):
            try:
                found = loader.load(path)
            except loader.ContractError as error:
                found = error
        self._found[name] = found
        return found


def _problems(spec: Spec, contract: Contract, name: str) -> Iterator[LintProblem]:
    yield from _operation_problems(spec, contract, name)
    yield from _schema_refs(spec, contract, name)


def _operation_problems(spec: Spec, contract: Contract, name: str) -> Iterator[LintProblem]:
    """The endpoint, then the statuses and the body of the test step it describes."""
    from pytest_apispec.contracts import paths

    if not spec.test_request:
        return
    index = paths.index_of(contract)
    endpoint = spec.operation
    if endpoint is not None:
        operation = index.find(*endpoint)
        if operation is None:
            nearest = ", ".join(index.nearest(*endpoint)) or "none"
            yield LintProblem(
                frontmatter_line(spec.path, ("endpoint",)),
                f"contract {name} has no operation {endpoint[0]} {endpoint[1]} "
                f"(nearest: {nearest}); fix the doc's endpoint or its swagger: file",
            )
            return
        step = _step_of(spec, index, operation)
    else:  # no 'METHOD /path' endpoint: the operation the first step's own path goes to
        step = spec.test_request[0]
        found = index.match(step.method, step.path) if "://" not in step.path else None
        if found is None:
            return
        operation = found
    yield from _statuses(spec, step, contract, operation, name)
    yield from _request_body(step, contract, operation, name)


def _step_of(spec: Spec, index: OperationIndex, operation: Operation) -> Step:
    """The test step the endpoint describes: the first whose path goes to its operation in
    the contract (``/clients/me`` is not ``/clients/{id}`` when the contract has both), else
    the first that agrees with the endpoint as the doc-only lint sees it."""
    for step in spec.test_request:
        if "://" not in step.path and index.match(step.method, step.path) is operation:
            return step
    return doclint.described_step(spec) or spec.test_request[0]


# ---------------------------------------------------------------- statuses


def _expected_statuses(spec: Spec, step: Step) -> Iterator[tuple[int, str, int]]:
    """``(status, where it is written, line)`` for each status the step expects."""
    for status in step.expect.status:
        yield status, "expect.status", step.line
    if step.success_status is not None:
        yield step.success_status, "successStatus", step.line
    elif spec.expected_outcome is not None:
        line = frontmatter_line(spec.path, ("expectedOutcome",))
        yield spec.expected_outcome, "expectedOutcome", line


def _statuses(
    spec: Spec, step: Step, contract: Contract, operation: Operation, name: str
) -> Iterator[LintProblem]:
    from pytest_apispec.contracts.messages import status_key

    _, _, responses = contract.child(operation.uri, operation.pointer, operation.node, "responses")
    if not isinstance(responses, Mapping):
        return
    for status, source, line in _expected_statuses(spec, step):
        if status_key(responses, status) is None:
            documented = ", ".join(str(k) for k in responses) or "none"
            yield LintProblem(
                line,
                f"step '{step.id}': {source} {status} is not documented for "
                f"{operation.label} in contract {name} (documented: {documented}); "
                f"document it in the contract or fix the doc's {source}",
            )


# ---------------------------------------------------------------- the request body


def _request_body(
    step: Step, contract: Contract, operation: Operation, name: str
) -> Iterator[LintProblem]:
    from pytest_apispec.contracts import messages
    from pytest_apispec.contracts.schemas import thaw

    if step.payload is not None or _is_placeholder(step.body):
        return  # a form, multipart or data body; or one known only at run time
    body = thaw(step.body) if step.body is not None else None
    exchange = messages.Exchange(
        method=step.method,
        status=0,
        content_type=None,
        body_size=0,
        is_json=False,
        document=None,
        request_body=body,
    )
    unknown = _placeholder_paths(body)
    for violation in messages.check_request(contract, operation, exchange):
        if _only_known_at_run_time(violation.where, violation.wants, unknown):
            continue
        text = f"step '{step.id}': {violation.line(f'contract {name}:')}"
        yield LintProblem(step.line, text[:PROBLEM_CHARS])


_WHOLE = re.compile(r"\s*\{\{[^{}]*\}\}\s*")


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and _WHOLE.fullmatch(value) is not None


def _placeholder_paths(body: Any) -> dict[str, bool]:
    """The report path (``.a.b[0]``, as after ``request body``) of every string holding a
    placeholder, and whether the placeholder is the whole value."""
    from pytest_apispec.contracts.violations import json_path

    found: dict[str, bool] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(body, ())]
    while stack:
        value, parts = stack.pop()
        if isinstance(value, str):
            if "{{" in value:
                found[json_path(parts)[1:]] = _is_placeholder(value)
        elif isinstance(value, Mapping):
            stack.extend((v, (*parts, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*parts, i)) for i, v in enumerate(value))
    return found


def _only_known_at_run_time(where: str, wants: str, unknown: dict[str, bool]) -> bool:
    """A violation at (or under) a value holding a placeholder: only a string's type is known."""
    if not unknown or not where.startswith("request body"):
        return False
    path = where[len("request body") :]
    for placed, whole in unknown.items():
        if path == placed or path.startswith((placed + ".", placed + "[")):
            return whole or not wants.startswith("type:")
    return False


# ---------------------------------------------------------------- expect.schema $refs


def _schema_refs(spec: Spec, contract: Contract, name: str) -> Iterator[LintProblem]:
    for step in spec.steps:
        expect = step.expect
        labelled = [("expect.schema", expect.schema)] if expect.schema is not None else []
        labelled += [(f"expect.match {path}", schema) for path, schema in expect.match.items()]
        for label, schema in labelled:
            for ref in sorted(_refs_in(schema)):
                problem = _unresolved(contract, ref)
                if problem:
                    yield LintProblem(
                        step.line,
                        f"step '{step.id}': {label} $ref {ref!r} does not resolve in "
                        f"contract {name}: {problem}",
                    )


def _refs_in(schema: Any) -> set[str]:
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            stack.extend(v for v in node.values() if isinstance(v, Mapping | tuple | list))
        elif isinstance(node, tuple | list):
            stack.extend(v for v in node if isinstance(v, Mapping | tuple | list))
    return found


def _unresolved(contract: Contract, ref: str) -> str | None:
    """Why ``ref`` (as an author's schema writes it) does not resolve, or ``None``.

    A normal run anchors ``#/...`` references at the contract, and finds the ``$id`` of a
    3.1 contract's schema; any other form reaches nothing.
    """
    if not ref.startswith("#") and urldefrag(ref)[0] not in contract.resources.ids:
        return (
            "only '#/...' references into the doc's contract resolve in an expect.schema; "
            "refer to a schema of the contract, e.g. '#/components/schemas/Name'"
        )
    try:
        uri, pointer = contract.resources.resolve_from(contract.uri, ref)
        refs.lookup(contract.files[uri], pointer)
    except refs.RefError as exc:
        return f"{exc}; {_did_you_mean(contract, ref) or 'point it at a schema the contract has'}"
    return None


def _did_you_mean(contract: Contract, ref: str) -> str:
    """``did you mean '#/components/schemas/Client'?`` from the keys where the ref parts, or
    ``""``."""
    parent, _, last = ref.rpartition("/")
    try:
        node = refs.lookup(contract.root, parent[1:])
    except refs.RefError:
        return ""
    if not isinstance(node, Mapping):
        return ""
    close = difflib.get_close_matches(last, [str(k) for k in node], n=1, cutoff=0.6)
    return f"did you mean '{parent}/{close[0]}'?" if close else ""


# ---------------------------------------------------------------- where a frontmatter key is


def frontmatter_line(path: Path, keys: tuple[str, ...]) -> int:
    """The line of the first of ``keys`` in the doc's frontmatter, else 1. Read only when a
    problem is reported: lint keeps no doc's text."""
    try:
        lines = path.read_text(encoding="utf-8-sig").split("\n")
    except (OSError, UnicodeDecodeError):
        return 1
    pattern = re.compile(r"^['\"]?(" + "|".join(map(re.escape, keys)) + r")['\"]?\s*:")
    for number, line in enumerate(lines[1:], start=2):
        if line.rstrip() == "---":
            break
        if pattern.match(line):
            return number
    return 1
