"""Running a doc's ``## Cleanup``, also when a prerequisite failed half-way.

A prerequisite that aborts (or skips) leaves behind what the steps before it created: a client
package made by step 3 when step 4 fails. So after such a failure the cleanup runs too, step by
step: each step whose variables all have values runs (it removes something that was made),
each step that uses a value nobody extracted is skipped (what it would remove was never made).
:class:`CleanupOutcome` says which ran and which were skipped, for the failure report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_apispec.docformat import templates
from pytest_apispec.docformat.model import Step
from pytest_apispec.execution.results import StepResult

if TYPE_CHECKING:
    from pytest_apispec.execution.runner import DocRun


@dataclass(frozen=True, slots=True)
class CleanupOutcome:
    """Which cleanup steps ran, which failed, and which were skipped for lack of a value."""

    ran: tuple[str, ...] = ()
    skipped: tuple[tuple[str, tuple[str, ...]], ...] = ()
    failures: tuple[StepResult, ...] = ()

    def describe(self) -> str:
        """One line for the report of the failure that made the cleanup run early."""
        parts = []
        if self.ran:
            failed = {result.step.id for result in self.failures}
            parts.append(
                "ran "
                + ", ".join(
                    f"'{i}'" + (" (failed, see teardown)" if i in failed else "") for i in self.ran
                )
            )
        for step_id, missing in self.skipped:
            names = ", ".join("{{" + name + "}}" for name in missing)
            parts.append(f"skipped '{step_id}' (no value for {names})")
        return "cleanup: " + "; ".join(parts) if parts else ""


def missing_values(step: Step, variables: Mapping[str, Any]) -> tuple[str, ...]:
    """The variables ``step`` uses that have no value (built-in values always have one)."""
    missing = []
    for name in sorted(templates.placeholders(templated_values(step))):
        try:
            templates.lookup(name, variables)
        except templates.UndefinedVariable:
            missing.append(name)
    return tuple(missing)


def templated_values(step: Step) -> list[Any]:
    """Every part of a step that may hold ``{{name}}`` placeholders."""
    contains = [check.text for check in step.expect.body if check.kind == "contains"]
    return [*step.templated_values(), step.expect.json, step.expect.headers, contains]


def run_cleanup(run: DocRun, steps: Sequence[Step], *, only_complete: bool) -> CleanupOutcome:
    """Run ``steps``; with ``only_complete``, skip those that use a value nobody set."""
    ran: list[str] = []
    skipped: list[tuple[str, tuple[str, ...]]] = []
    failures: list[StepResult] = []
    for step in steps:
        missing = missing_values(step, run.variables) if only_complete else ()
        if missing:
            skipped.append((step.id, missing))
            continue
        result = run.run_step(step)
        ran.append(step.id)
        if not result.ok:
            failures.append(result)
    return CleanupOutcome(tuple(ran), tuple(skipped), tuple(failures))
