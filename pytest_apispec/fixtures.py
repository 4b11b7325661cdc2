"""The pytest fixtures of a doc: its run, one per prerequisite step, and its cleanup.

Prerequisites are fixtures so that ``--setup-show`` lists them, a failing one is an ERROR in
setup, and ``onFail: skip`` is a SKIP in setup. Each prerequisite fixture asks for the one
before it, so they run in the doc's order and share one :class:`~pytest_apispec.runner.DocRun`.
The fixtures are registered on the doc's own collector, so no other doc can see them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_apispec.model import OnFail, Spec, Step
from pytest_apispec.results import StepFailed
from pytest_apispec.runner import DocRun

RUN_FIXTURE = "apispec_run"
CLEANUP_FIXTURE = "apispec_cleanup"
PREREQUISITE_PREFIX = "prerequisite:"


def register(node: pytest.Collector, name: str, func: Callable[..., Any]) -> None:
    """Register a function-scoped fixture visible to ``node``'s items only.

    Uses the public ``pytest.register_fixture`` (pytest 9.1+) and falls back to the
    private ``FixtureManager._register_fixture`` that pytest 8.3-9.0 have.
    """
    public = getattr(pytest, "register_fixture", None)
    if public is not None:
        public(name=name, func=func, node=node)
        return
    manager = node.session._fixturemanager
    manager._register_fixture(name=name, func=func, nodeid=node.nodeid)


def register_doc_fixtures(node: pytest.Collector, spec: Spec) -> str:
    """Register the doc's prerequisite and cleanup fixtures; return the one the item needs."""
    entry = RUN_FIXTURE
    for step in spec.prerequisites:
        name = PREREQUISITE_PREFIX + step.id
        register(node, name, _prerequisite(step, entry))
        entry = name
    if spec.cleanup:
        register(node, CLEANUP_FIXTURE, _cleanup(spec, entry))
        entry = CLEANUP_FIXTURE
    return entry


def _prerequisite(step: Step, previous: str) -> Callable[[pytest.FixtureRequest], DocRun]:
    def prerequisite(request: pytest.FixtureRequest) -> DocRun:
        run: DocRun = request.getfixturevalue(previous)
        result = run.run_step(step)
        if result.ok:
            return run
        if step.on_fail is OnFail.SKIP:
            reason = step.skip_reason or f"prerequisite '{step.id}' failed"
            pytest.skip(f"{reason} (step '{step.id}': {'; '.join(result.problems)})")
        raise StepFailed(result)

    prerequisite.__doc__ = step.description or f"Prerequisite step '{step.id}'."
    return prerequisite


def _cleanup(spec: Spec, previous: str) -> Callable[[pytest.FixtureRequest], Iterator[DocRun]]:
    def cleanup(request: pytest.FixtureRequest) -> Iterator[DocRun]:
        run: DocRun = request.getfixturevalue(previous)
        yield run
        failures = [result for result in map(run.run_step, spec.cleanup) if not result.ok]
        if failures:
            raise StepFailed(failures[0])

    cleanup.__doc__ = "The doc's ## Cleanup steps, run at teardown."
    return cleanup
