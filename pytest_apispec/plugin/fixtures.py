"""The pytest fixtures of a doc: its run, its cleanup, and one per prerequisite step.

Prerequisites are fixtures so that ``--setup-show`` lists them, a failing one is an ERROR in
setup, and ``onFail: skip`` is a SKIP in setup. Each prerequisite fixture asks for the one
before it, so they run in the doc's order and share one
:class:`~pytest_apispec.execution.runner.DocRun`. The cleanup fixture comes first, before the
prerequisites: its teardown runs whatever they did, and a prerequisite that fails runs the
cleanup steps it can at once (see :mod:`~pytest_apispec.execution.cleanup`), so that the
failure report says which ran.
The fixtures are registered on the doc's own collector, so no other doc can see them.

A prerequisite with ``scope: session`` (or ``module``: the docs of one folder) is also a
shared fixture, registered once on the session (or folder) node under a name derived from the
step's content: every doc that declares the identical step gets its extracted values from
one request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from collections.abc import Callable, Iterator, Mapping
from http.cookiejar import Cookie
from typing import TYPE_CHECKING, Any, Literal

import pytest

from pytest_apispec.docformat.extraction import Extraction
from pytest_apispec.docformat.model import OnFail, Scope, Spec, Step
from pytest_apispec.execution.cleanup import CleanupOutcome, run_cleanup
from pytest_apispec.execution.results import StepFailed, StepResult

if TYPE_CHECKING:
    from pytest_apispec.execution.runner import DocRun, StepRunner

RUN_FIXTURE = "apispec_run"
CLEANUP_FIXTURE = "apispec_cleanup"
PREREQUISITE_PREFIX = "prerequisite:"
SHARED_PREFIX = "shared:"
RUNNER_FIXTURE = "apispec_runner"
VARS_FIXTURE = "apispec_vars"
FixtureScope = Literal["function", "package", "session"]
_SHARED = pytest.StashKey[set[tuple[str, str]]]()


# pytest reads every fixture function's signature; computing it is most of the cost of
# registering thousands of fixtures, and ours all take just ``request``.
_REQUEST_ONLY = inspect.Signature(
    [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
)


def register(
    node: pytest.Collector,
    name: str,
    func: Callable[[pytest.FixtureRequest], Any],
    scope: FixtureScope = "function",
) -> None:
    """Register a fixture taking only ``request``, visible to ``node``'s items only.

    Uses the public ``pytest.register_fixture`` (pytest 9.1+) and falls back to the
    private ``FixtureManager._register_fixture`` that pytest 8.3-9.0 have.
    """
    func.__signature__ = _REQUEST_ONLY  # type: ignore[attr-defined]
    public = getattr(pytest, "register_fixture", None)
    if public is not None:
        public(name=name, func=func, node=node, scope=scope)
        return
    manager = node.session._fixturemanager
    manager._register_fixture(name=name, func=func, nodeid=node.nodeid, scope=scope)


def register_doc_fixtures(node: pytest.Collector, spec: Spec) -> str:
    """Register the doc's prerequisite and cleanup fixtures; return the one the item needs."""
    entry = RUN_FIXTURE
    if spec.cleanup:
        register(node, CLEANUP_FIXTURE, _cleanup(spec, entry))
        entry = CLEANUP_FIXTURE
    for step in spec.prerequisites:
        name = PREREQUISITE_PREFIX + step.id
        shared = _register_shared(node, spec, step) if step.scope is not Scope.FUNCTION else None
        register(node, name, _prerequisite(step, entry, shared))
        entry = name
    return entry


def _prerequisite(
    step: Step, previous: str, shared: str | None
) -> Callable[[pytest.FixtureRequest], DocRun]:
    def prerequisite(request: pytest.FixtureRequest) -> DocRun:
        run: DocRun = request.getfixturevalue(previous)
        if shared is not None:
            try:
                values = request.getfixturevalue(shared)
            except StepFailed as failed:
                note = _clean_up_early(run)
                raise StepFailed(_noted(failed.result, note)) from None
            except pytest.skip.Exception as skipped:
                note = _clean_up_early(run)
                message = skipped.msg or ""
                pytest.skip(f"{message}; {note}" if note else message)
            run.variables.update(values.values)
            run.cookies.add(values.cookies)  # those it extracted by name: {cookie: NAME}
            return run
        _check(step, run.run_step(step), run)
        return run

    prerequisite.__doc__ = step.description or f"Prerequisite step '{step.id}'."
    return prerequisite


def _check(step: Step, result: StepResult, run: DocRun | None = None) -> None:
    """Turn a failed prerequisite into pytest's outcome: a skip or a setup error.

    With the doc's ``run``, its cleanup runs first, as far as it can (see
    :func:`_clean_up_early`), and the outcome says what it did.
    """
    if result.ok:
        return
    note = _clean_up_early(run) if run is not None else ""
    if step.on_fail is OnFail.SKIP:
        reason = step.skip_reason or f"prerequisite '{step.id}' failed"
        skip = f"{reason} (step '{step.id}': {'; '.join(result.problems)})"
        pytest.skip(f"{skip}; {note}" if note else skip)
    raise StepFailed(_noted(result, note))


def _clean_up_early(run: DocRun) -> str:
    """After a failed prerequisite: run the cleanup steps whose variables all have values.

    Their failures are raised at teardown, by the cleanup fixture.
    """
    if not run.cleanup_steps or run.cleanup_outcome is not None:
        return ""
    run.cleanup_outcome = run_cleanup(run, run.cleanup_steps, only_complete=True)
    return run.cleanup_outcome.describe()


def _noted(result: StepResult, note: str) -> StepResult:
    return dataclasses.replace(result, notes=(*result.notes, note)) if note else result


def _shared_key(spec: Spec, step: Step) -> str:
    """Identical steps (as sent: same token type and base URL) share one fixture."""
    token = spec.token_type_of(step)
    content = [
        step.method,
        step.path,
        step.params,
        step.headers,
        step.body,
        step.extract,
        step.expect.status,
        token,
        spec.step_uses_fallback(step),
    ]
    if step.payload is not None:  # only then: the names of other shared steps stay as they were
        content.append(step.payload)
    text = json.dumps(content, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else repr(value)


def _register_shared(node: pytest.Collector, spec: Spec, step: Step) -> str:
    owner: pytest.Collector = node.session
    scope: FixtureScope = "session"
    if step.scope is Scope.MODULE and node.parent is not None:
        owner, scope = node.parent, "package"
    name = f"{SHARED_PREFIX}{step.id}:{_shared_key(spec, step)}"
    registered = node.config.stash.setdefault(_SHARED, set())
    if (owner.nodeid, name) not in registered:
        registered.add((owner.nodeid, name))
        register(owner, name, _shared_step(spec, step), scope=scope)
    return name


@dataclasses.dataclass(frozen=True)
class SharedValues:
    """What a shared prerequisite gives every doc that uses it: its extracted values, and the
    cookies it extracted by name (``{cookie: NAME}``); no other cookie of its jar."""

    values: Mapping[str, Any]
    cookies: tuple[Cookie, ...] = ()


def _shared_step(spec: Spec, step: Step) -> Callable[[pytest.FixtureRequest], SharedValues]:
    def shared(request: pytest.FixtureRequest) -> SharedValues:
        runner: StepRunner = request.getfixturevalue(RUNNER_FIXTURE)
        variables: Mapping[str, Any] = request.getfixturevalue(VARS_FIXTURE)
        # its own cookie jar: a shared step shares its extracted values, not its cookies
        cookies = runner.new_cookies()
        result = runner.run(spec, step, {**runner.settings.variables, **variables}, cookies)
        _check(step, result)
        names = [
            source.expression
            for source in step.extract.values()
            if isinstance(source, Extraction) and source.source == "cookie"
        ]
        shared_cookies = tuple(cookie for name in names for cookie in cookies.named(name))
        return SharedValues(result.extracted, shared_cookies)

    shared.__doc__ = f"Shared ({step.scope.value}) prerequisite '{step.id}'."
    return shared


def _cleanup(spec: Spec, previous: str) -> Callable[[pytest.FixtureRequest], Iterator[DocRun]]:
    def cleanup(request: pytest.FixtureRequest) -> Iterator[DocRun]:
        run: DocRun = request.getfixturevalue(previous)
        run.cleanup_steps = spec.cleanup
        yield run
        outcome: CleanupOutcome | None = run.cleanup_outcome  # run early by a failed prerequisite
        if outcome is None:
            outcome = run_cleanup(run, spec.cleanup, only_complete=False)
        if outcome.failures:
            raise StepFailed(outcome.failures[0])

    cleanup.__doc__ = "The doc's ## Cleanup steps, run at teardown (or when a prerequisite fails)."
    return cleanup
