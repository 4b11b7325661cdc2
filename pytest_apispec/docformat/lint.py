"""``--api-lint``: mistakes a doc holds that a run would find late, found from the doc alone.

Each check is a function ``(spec, context) -> problems``; :data:`CHECKS` lists them in the order
their problems are reported. Nothing here sends a request or needs a URL or token. Checks that
need more than the doc (an OpenAPI contract: does the endpoint exist, are its statuses
documented, does the body validate) are added by the pytest layer after these, with the same
signature: see ``pytest_apispec/plugin/lint.py``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from pytest_apispec.docformat import templates
from pytest_apispec.docformat.model import Spec, Step


@dataclass(frozen=True, slots=True)
class LintProblem:
    """One mistake, as ``path:line: message``."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class LintContext:
    """What lint knows besides the doc.

    ``configured``: variable names from ``api_vars`` and ``--api-var``; ``declared``: from
    ``api_lint_vars``, the names a conftest's ``apispec_vars`` fixture provides, which cannot be
    known offline; ``start_dir``: where the run started, which docs' paths are relative to.
    """

    configured: frozenset[str] = frozenset()
    declared: frozenset[str] = frozenset()
    start_dir: str | None = None


Check = Callable[[Spec, LintContext], Iterable[LintProblem]]


def lint(
    spec: Spec, context: LintContext, checks: Iterable[Check] | None = None
) -> list[LintProblem]:
    """Every problem the checks find in a doc, in the doc's line order (stable)."""
    problems = [p for check in (CHECKS if checks is None else checks) for p in check(spec, context)]
    if len(problems) > 1:
        problems.sort(key=lambda problem: problem.line)
    return problems


# ---------------------------------------------------------------- near-miss keys


def near_miss_keys(spec: Spec, context: LintContext) -> Iterator[LintProblem]:
    for miss in spec.near_misses:
        yield LintProblem(miss.line, miss.message)


# ---------------------------------------------------------------- undefined variables


def _is_builtin(name: str) -> bool:
    try:
        templates.builtin_value(name)
    except templates.UndefinedVariable:
        return False
    return True


def _used(step: Step) -> set[str]:
    found: set[str] = set()
    for value in (step.path, step.params, step.headers, step.body):
        _collect_names(value, found)
    _collect_names(step.expect.json, found)
    _collect_names(step.expect.headers, found)
    return found


def _collect_names(value: object, found: set[str]) -> None:
    """``templates.placeholders``, but only strings holding ``{{`` meet the regex, and the
    frozen types are told apart by ``type()`` (lint walks every value of thousands of docs)."""
    kind = type(value)
    if kind is str:
        if "{{" in value:  # type: ignore[operator]
            found |= templates.placeholders(value)
    elif kind is MappingProxyType or kind is dict:
        for item in value.values():  # type: ignore[attr-defined]
            _collect_names(item, found)
    elif kind is tuple or kind is list:
        for item in value:  # type: ignore[attr-defined]
            _collect_names(item, found)
    elif isinstance(value, Mapping | tuple | list | str):  # subclasses: the slow way
        found |= templates.placeholders(value)


def undefined_variables(spec: Spec, context: LintContext) -> Iterator[LintProblem]:
    """``{{name}}`` that no earlier step extracts, no built-in is, and no configuration gives."""
    configured = context.configured | context.declared
    extracted: dict[str, Step] = {}
    lines: list[str] | None = None
    for step in spec.steps:
        for name in sorted(_used(step)):
            if name in configured or name in extracted or _is_builtin(name):
                continue
            if lines is None:
                lines = _text_lines(Path(context.start_dir or ".") / spec.path)
            line = _line_using(spec, step, name, lines)
            yield LintProblem(line, _undefined_message(step, name, configured, extracted))
        for name in step.extract:
            extracted.setdefault(name, step)


def _text_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return []


def _line_using(spec: Spec, step: Step, name: str, lines: list[str]) -> int:
    """The first line of ``step`` that writes ``{{name}}`` (where an editor should jump),
    else the step's own line."""
    end = min((s.line for s in spec.steps if s.line > step.line), default=len(lines) + 1)
    for number in range(step.line, min(end, len(lines) + 1)):
        text = lines[number - 1]
        if "{{" in text and name in templates.placeholders(text):
            return number
    return step.line


def _undefined_message(
    step: Step, name: str, configured: frozenset[str], extracted: dict[str, Step]
) -> str:
    message = (
        f"step '{step.id}': {{{{{name}}}}} is not defined: no earlier step extracts it, it is "
        "not a built-in value, and api_vars, --api-var and api_lint_vars do not name it"
    )
    candidates = [*extracted, *sorted(configured), *templates.BUILTIN_NAMES]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        known = close[0]
        if known in extracted:
            source = f"extracted by step '{extracted[known].id}'"
        elif known in configured:
            source = "configured"
        else:
            source = "a built-in value"
        message += f"; did you mean '{known}', {source}?"
    return message


# ---------------------------------------------------------------- the endpoint and the test request

_TEMPLATE_SEGMENT = re.compile(r"^\{([^{}]+)\}$")


def _endpoint(spec: Spec) -> tuple[str | None, list[str]] | None:
    """The endpoint's method (if given) and path segments, or ``None`` without a path."""
    text = (spec.endpoint or "").strip()
    method, _, path = text.rpartition(" ") if " " in text else ("", "", text)
    if not path.startswith("/"):
        return None
    return (method.strip().upper() or None), _segments(path)


def _segments(path: str) -> list[str]:
    if "://" in path:
        path = urlsplit(path).path
    return [segment for segment in path.split("?", 1)[0].split("/") if segment]


def _segment_agrees(documented: str, sent: str) -> bool:
    if _TEMPLATE_SEGMENT.match(documented):
        return True  # a parameter: any value, or a {{variable}}
    return documented == sent or "{{" in sent


def _path_agrees(documented: list[str], sent: list[str]) -> bool:
    """The sent path ends with the documented one (a base URL may carry a prefix)."""
    if len(sent) < len(documented):
        return False
    tail = sent[len(sent) - len(documented) :] if documented else []
    return all(_segment_agrees(d, s) for d, s in zip(documented, tail, strict=True))


def _agreeing_step(spec: Spec, method: str | None, documented: list[str]) -> Step | None:
    for step in spec.test_request:
        if (method is None or step.method == method) and _path_agrees(
            documented, _segments(step.path)
        ):
            return step
    return None


def described_step(spec: Spec) -> Step | None:
    """The test step the doc's ``endpoint`` describes: the first that sends its method and
    path, else the Test Request's first step (``None`` without one)."""
    endpoint = _endpoint(spec)
    found = _agreeing_step(spec, *endpoint) if endpoint is not None else None
    return found or (spec.test_request[0] if spec.test_request else None)


def endpoint_agreement(spec: Spec, context: LintContext) -> Iterator[LintProblem]:
    """Some step of the Test Request sends the documented method and path."""
    endpoint = _endpoint(spec)
    if endpoint is None or not spec.test_request:
        return
    method, documented = endpoint
    if _agreeing_step(spec, method, documented) is not None:
        return
    step = spec.test_request[0]
    yield LintProblem(
        step.line,
        f"no step of the Test Request sends the doc's endpoint '{spec.endpoint}': step "
        f"'{step.id}' sends {step.method} {step.path}; fix the step or the endpoint",
    )


def path_parameters(spec: Spec, context: LintContext) -> Iterator[LintProblem]:
    """Each ``{param}`` of the endpoint is filled by the step that sends it."""
    endpoint = _endpoint(spec)
    if endpoint is None:
        return
    method, documented = endpoint
    step = _agreeing_step(spec, method, documented)
    if step is None:
        return
    sent = _segments(step.path)
    for segment, value in zip(documented, sent[len(sent) - len(documented) :], strict=True):
        parameter = _TEMPLATE_SEGMENT.match(segment)
        if parameter and (("{" in value and "{{" not in value) or not value.strip()):
            yield LintProblem(
                step.line,
                f"step '{step.id}': the endpoint's path parameter {{{parameter[1]}}} is not "
                f"filled: the path has '{value}' there; put a value or a {{{{variable}}}} in it",
            )


# ---------------------------------------------------------------- tokens


def token_types(spec: Spec, context: LintContext) -> Iterator[LintProblem]:
    """A step's ``token`` is one of the doc's ``tokens``, when the doc lists them."""
    if not spec.tokens:
        return
    for step in spec.steps:
        if step.token and step.token not in spec.tokens:
            listed = ", ".join(spec.tokens)
            yield LintProblem(
                step.line,
                f"step '{step.id}': token '{step.token}' is not one of the doc's tokens "
                f"[{listed}]; add it to tokens or fix the step's token",
            )


CHECKS: tuple[Check, ...] = (
    near_miss_keys,
    undefined_variables,
    endpoint_agreement,
    path_parameters,
    token_types,
)
"""The doc-only checks. The contract checks (``contracts/lint.py``) join after them in the
pytest layer."""
