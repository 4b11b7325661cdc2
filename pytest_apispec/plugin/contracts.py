"""The pytest side of OpenAPI contracts: a doc's JUnit properties and warn-mode warning, the
summary line for contracts not found, and authors' schemas checked at collection."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _pytest.pathlib import bestrelpath

from pytest_apispec.docformat.model import ContractMode, Spec, SpecError

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

    from pytest_apispec.execution.runner import DocRun

NOT_FOUND_PROPERTY = "contract_not_found"


class ContractWarning(pytest.PytestWarning):
    """A doc's exchange breaks its OpenAPI contract, in ``contract: warn`` mode (or its
    request body drifts from the contract, in any mode). Importable by its module's name,
    as pytest-xdist needs to carry it from a worker."""


def finish_doc(item: pytest.Item, spec: Spec, run: DocRun) -> None:
    """After the doc's last step (cleanup included): properties, and warnings in warn mode."""
    findings = run.contract_findings
    if not findings:
        return
    name = findings[0].contract
    if any(f.not_found for f in findings):
        item.user_properties.append((NOT_FOUND_PROPERTY, name))
        return
    violations = [line for f in findings for line in f.violations]
    drift = [line for f in findings for line in f.warnings]
    item.user_properties += [("contract", name), ("contract_violations", len(violations))]
    if violations and findings[0].mode is ContractMode.WARN:
        count = f"{len(violations)} contract violation{'s' if len(violations) > 1 else ''}"
        _warn(spec, f"{spec.path}: {count} (contract: warn); the first: {violations[0]}")
    if drift:
        _warn(spec, f"{spec.path}: the request body drifts from {name}: {drift[0]}")


def _warn(spec: Spec, message: str) -> None:
    """A warning located at the doc's test request, not at this module."""
    warnings.warn_explicit(
        ContractWarning(message), ContractWarning, str(spec.path), spec.test_request_line
    )


class NotFoundSummary:
    """Counts the docs whose contract was not found (no root configured) and says it once."""

    def __init__(self, root: Path, rootdir: Path) -> None:
        self.root = root
        self.rootdir = rootdir
        self.docs: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if any(key == NOT_FOUND_PROPERTY for key, _ in report.user_properties):
            self.docs.add(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        if not self.docs:
            return
        count = len(self.docs)
        verb = "doc names" if count == 1 else "docs name"
        root = bestrelpath(self.rootdir, self.root) if self.root != self.rootdir else str(self.root)
        terminalreporter.write_line(
            f"pytest-apispec: {count} {verb} a contract that was not found under {root}; "
            "set api_swagger_root (those docs ran without a contract check)"
        )


def schema_error(spec: Spec) -> SpecError | None:
    """A malformed ``expect.schema`` or ``expect.match`` schema, found at collection."""
    for step in spec.steps:
        expect = step.expect
        if expect.schema is None and not expect.match:
            continue
        from pytest_apispec.contracts.schemas import schema_problem

        labelled = [("expect.schema", expect.schema)] if expect.schema is not None else []
        labelled += [(f"expect.match {path}", schema) for path, schema in expect.match.items()]
        for label, schema in labelled:
            try:
                problem = schema_problem(schema)
            except Exception as exc:  # whatever the metaschema check meets
                problem = f"cannot be checked ({type(exc).__name__})"
            if problem:
                return SpecError(
                    spec.path,
                    step.line,
                    f"step '{step.id}': {label} is not a valid JSON Schema: it {problem}",
                )
    return None
