"""``--api-coverage``: which operations of each contract have a doc, and how they did.

Where docs are collected (the only process of a serial run, or each pytest-xdist worker), the
docs that name a contract are noted, with the statuses their matched steps received. A worker
hands its notes to the controller in ``workeroutput``; the controller (or the serial process)
takes outcomes from the reports it receives, so a ``-n 2`` run counts as a serial one does.
At the end, that process loads each contract (the docs' own, and those the ini key
``api_contracts`` lists) and prints one table, and writes ``--api-coverage-report``.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.pathlib import bestrelpath

from pytest_apispec.contracts.coverage import ContractCoverage, DocEntry, Outcome
from pytest_apispec.docformat.model import Spec
from pytest_apispec.plugin.collect import SETTINGS

if TYPE_CHECKING:
    from pytest_apispec.execution.contractcheck import ContractFindings

OPTION = "api_coverage"
REPORT_OPTION = "api_coverage_report"
INI = "api_contracts"
PLUGIN_NAME = "apispec-coverage"
_WORKER_KEY = "apispec_coverage"
_COVERAGE = pytest.StashKey["ContractCoverageRun"]()


def configure(config: pytest.Config) -> None:
    if config.getoption(OPTION, False) or config.getoption(REPORT_OPTION, None):
        run = ContractCoverageRun(config)
        config.stash[_COVERAGE] = run
        config.pluginmanager.register(run, PLUGIN_NAME)


def record(config: pytest.Config, findings: Iterable[ContractFindings]) -> None:
    """The statuses a doc's matched steps received (a no-op without ``--api-coverage``)."""
    run = config.stash.get(_COVERAGE, None)
    if run is not None:
        for finding in findings:
            if finding.operation is not None and finding.status is not None:
                key = (finding.contract, finding.operation)
                run.seen.setdefault(key, set()).add(finding.status)


class ContractCoverageRun:
    """Gathers docs, outcomes and statuses seen; reports at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.docs: dict[str, tuple[str, str | None]] = {}  # nodeid -> (contract, endpoint)
        self.seen: dict[tuple[str, str], set[int]] = {}  # (contract, operation) -> statuses
        self.outcomes: dict[str, Outcome] = {}
        self.reports: list[ContractCoverage] = []
        self.write_error: str | None = None

    # ------------------------------------------------ where docs are collected and run

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._note(session.items)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self._note(items)

    def _note(self, items: Iterable[pytest.Item]) -> None:
        for item in items:
            spec = getattr(item, "spec", None)  # a doc's item, or its lint item
            if isinstance(spec, Spec) and spec.provenance.swagger:
                self.docs[item.nodeid] = (spec.provenance.swagger, _endpoint_of(spec))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            self.config.workeroutput[_WORKER_KEY] = json.dumps(  # type: ignore[attr-defined]
                {
                    "docs": self.docs,
                    "seen": [[c, op, sorted(s)] for (c, op), s in self.seen.items()],
                }
            )
            return
        self.reports = self._cover()
        path = self.config.getoption(REPORT_OPTION, None)
        if path:
            self._write(Path(path))

    # ------------------------------------------------ the controller

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        raw = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if not raw:
            return
        data = json.loads(raw)
        for nodeid, (contract, endpoint) in data["docs"].items():
            self.docs[nodeid] = (contract, endpoint)
        for contract, operation, statuses in data["seen"]:
            self.seen.setdefault((contract, operation), set()).update(statuses)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = _outcome_of(report)
        if outcome is None:
            return
        known = self.outcomes.get(report.nodeid)
        if known is None or _WORSE[outcome] > _WORSE[known]:
            self.outcomes[report.nodeid] = outcome

    # ------------------------------------------------ the result

    def _cover(self) -> list[ContractCoverage]:
        from pytest_apispec.contracts import coverage, loader

        settings = self.config.stash[SETTINGS]
        root = settings.contract_root
        lint = bool(self.config.getoption("api_lint", False))
        by_contract: dict[str, list[DocEntry]] = {name: [] for name in self._listed(root.folder)}
        for nodeid, (name, endpoint) in sorted(self.docs.items()):
            outcome = Outcome.NOT_RUN if lint else self.outcomes.get(nodeid, Outcome.NOT_RUN)
            doc = nodeid.split("::", 1)[0]
            by_contract.setdefault(name, []).append(DocEntry(doc, endpoint, outcome))
        reports = []
        for name in sorted(by_contract):
            docs = by_contract[name]
            seen = {op: s for (c, op), s in self.seen.items() if c == name}
            try:
                contract = loader.load(root.path_of(name))
                reports.append(coverage.cover(name, contract, docs, seen))
            except loader.ContractError as error:
                reports.append(coverage.broken(name, str(error), docs))
            except Exception as exc:  # a contract's surprise is its row's, never an INTERNALERROR
                reason = f"could not be read for coverage ({type(exc).__name__}: {exc})"
                reports.append(coverage.broken(name, reason[:300], docs))
        return reports

    def _listed(self, root: Path) -> list[str]:
        """The contracts ``api_contracts`` lists: glob patterns relative to the contract root."""
        names = set()
        for pattern in self.config.getini(INI):
            for found in glob.glob(str(root / pattern), recursive=True):
                if Path(found).is_file():
                    names.add(Path(found).relative_to(root).as_posix())
        return sorted(names)

    def _write(self, path: Path) -> None:
        from pytest_apispec.contracts import coverage

        text = (
            coverage.as_markdown(self.reports)
            if path.suffix.lower() == ".md"
            else coverage.as_json(self.reports)
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.write_error = f"apispec: cannot write {path} ({exc.strerror}); check the path"

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.is_worker:
            return
        from pytest_apispec.contracts import coverage

        terminalreporter.write_sep("-", "apispec coverage")
        if not self.reports:
            terminalreporter.write_line("no collected doc names a contract (swagger: or openapi:)")
        ran = not self.config.getoption("api_lint", False)
        for line in coverage.table(self.reports, ran):
            terminalreporter.write_line(line)
        for report in self.reports:
            if report.error:
                terminalreporter.write_line(f"{report.contract}: not loaded: {report.error}")
            for doc, endpoint in report.unknown:
                terminalreporter.write_line(f"{doc}: {report.contract} has no operation {endpoint}")
        path = self.config.getoption(REPORT_OPTION, None)
        if path:
            error = self.write_error
            shown = bestrelpath(self.config.invocation_params.dir, Path(path).resolve())
            terminalreporter.write_line(error or f"coverage report written to {shown}")


def _endpoint_of(spec: Spec) -> str | None:
    """The doc's ``endpoint``; without one, what its first test step sends (``{{id}}`` read
    as the template parameter ``{id}``)."""
    if spec.endpoint or not spec.test_request:
        return spec.endpoint
    step = spec.test_request[0]
    path = step.path.split("?", 1)[0].replace("{{", "{").replace("}}", "}")
    return f"{step.method} {path}"


_WORSE = {
    Outcome.NOT_RUN: 0,
    Outcome.PASSED: 1,
    Outcome.XFAILED: 2,
    Outcome.SKIPPED: 3,
    Outcome.XPASSED: 4,
    Outcome.FAILED: 5,
    Outcome.ERROR: 6,
}


def _outcome_of(report: pytest.TestReport) -> Outcome | None:
    """The doc's outcome this report says: setup skips and errors, the call's result."""
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return Outcome.XPASSED if report.passed else Outcome.XFAILED
        if report.skipped:
            return Outcome.SKIPPED
        return Outcome.PASSED if report.passed else Outcome.FAILED
    if report.failed:
        return Outcome.ERROR
    if report.skipped:
        return Outcome.XFAILED if hasattr(report, "wasxfail") else Outcome.SKIPPED
    return None
