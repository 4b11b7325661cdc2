"""``--api-update-docs``: a run writes each doc's outcome into its own frontmatter.

PASSED or XFAILED: ``status: verified`` and ``verifiedAt`` (when its test ran). FAILED or
ERROR: ``status: failing`` (``verifiedAt`` stays: when it last held). XPASS: ``status:
outdated``. Skipped, deselected and unrun docs are never touched.

Only the process that sees every report writes: the only process of a serial run, or
pytest-xdist's controller, from the reports its workers send (workers never write, so every doc
is written once). A doc counts as run only when the reports of all its phases, teardown
included, arrived: a doc whose run a Ctrl-C, ``-x`` or a crashed worker cut short is left
alone. The doc's stamp (size, modification time, SHA-256) is taken when it is collected and
travels with its setup report; a doc that differs from it at the end is not written.
"""

from __future__ import annotations

import datetime
import enum
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest.pathlib import bestrelpath

from pytest_apispec.docformat.docfiles import NO_FRONTMATTER, FileStamp, NotWritten, update_doc
from pytest_apispec.plugin.collect import SpecItem

OPTION = "api_update_docs"
PLUGIN_NAME = "apispec-update-docs"
_STAMP = pytest.StashKey[FileStamp | None]()
_REPORT_ATTRIBUTE = "apispec_doc"  # on setup reports: [path, size, mtime_ns, digest]


class Verdict(enum.Enum):
    """What a run says about a doc, as its ``status`` value."""

    VERIFIED = "verified"
    FAILING = "failing"
    OUTDATED = "outdated"


@dataclass(frozen=True, slots=True)
class DocResult:
    """A doc whose run completed, and what to write into it."""

    path: Path
    stamp: FileStamp
    verdict: Verdict
    ran_at: float


def configure(config: pytest.Config) -> None:
    if config.getoption(OPTION, False):
        config.pluginmanager.register(DocUpdates(config), PLUGIN_NAME)


def verified_at(timestamp: float) -> str:
    """The seeds' format: UTC, milliseconds, ``Z`` (``2026-02-08T10:24:43.000Z``)."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def verdict_of(reports: dict[str, pytest.TestReport]) -> Verdict | None:
    """The doc's verdict from its setup, call and teardown reports; ``None``: leave it."""
    call = reports.get("call")
    if call is not None and call.failed and str(call.longrepr).startswith("[XPASS(strict)]"):
        return Verdict.FAILING if reports["teardown"].failed else Verdict.OUTDATED
    if any(report.failed for report in reports.values()):
        return Verdict.FAILING
    if call is None:
        return None  # skipped in setup
    if hasattr(call, "wasxfail"):
        return Verdict.OUTDATED if call.passed else Verdict.VERIFIED
    return Verdict.VERIFIED if call.passed else None


class DocUpdates:
    """Collects the reports of a run and writes the docs at its end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.writes = not (
            self.is_worker
            or config.getoption("collectonly", False)
            or config.getoption("api_lint", False)
        )
        self.running: dict[str, dict[str, pytest.TestReport]] = {}
        self.started: dict[str, DocResult | None] = {}
        self.completed: dict[str, DocResult] = {}
        self.written: Counter[Verdict] = Counter()
        self.not_written: list[tuple[Path, NotWritten]] = []
        self.ran = False

    # ------------------------------------------------ where the run happens

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        if isinstance(item, SpecItem):
            item.stash[_STAMP] = FileStamp.of(item.path)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        stamp = item.stash.get(_STAMP, None)
        if call.when == "setup" and stamp is not None:
            fields = [str(item.path), stamp.size, stamp.mtime_ns, stamp.digest]
            setattr(report, _REPORT_ATTRIBUTE, fields)  # plain values: survives xdist
        return report

    # ------------------------------------------------ where the docs are written

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.writes:
            return
        nodeid = report.nodeid
        if report.when == "setup":
            self.running[nodeid] = {}
            self.started[nodeid] = self._result_of(report)
        reports = self.running.get(nodeid)
        if reports is None or report.when not in ("setup", "call", "teardown"):
            self.running.pop(nodeid, None)  # a crashed worker's report: not complete
            self.completed.pop(nodeid, None)
            return
        reports[report.when] = report
        if report.when == "teardown":
            self._complete(nodeid, self.running.pop(nodeid))

    def _result_of(self, report: pytest.TestReport) -> DocResult | None:
        fields = getattr(report, _REPORT_ATTRIBUTE, None)
        if not fields:
            return None
        path, size, mtime_ns, digest = fields
        stamp = FileStamp(int(size), int(mtime_ns), str(digest))
        return DocResult(Path(path), stamp, Verdict.VERIFIED, report.start)

    def _complete(self, nodeid: str, reports: dict[str, pytest.TestReport]) -> None:
        started = self.started.pop(nodeid, None)
        verdict = verdict_of(reports)
        if started is None or verdict is None:
            return
        call = reports.get("call")
        ran_at = call.start if call is not None else started.ran_at
        self.completed[nodeid] = DocResult(started.path, started.stamp, verdict, ran_at)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.writes:
            return
        self.ran = True
        for nodeid in sorted(self.completed):
            self._write(self.completed[nodeid])

    def _write(self, result: DocResult) -> None:
        values = {"status": result.verdict.value}
        if result.verdict is Verdict.VERIFIED:
            values["verifiedAt"] = verified_at(result.ran_at)
        try:
            update_doc(result.path, result.stamp, values)
        except NotWritten as reason:
            self.not_written.append((result.path, reason))
        except OSError as exc:  # anything the file system says that update_doc did not expect
            self.not_written.append((result.path, NotWritten("write failed", str(exc))))
        else:
            self.written[result.verdict] += 1

    # ------------------------------------------------ the summary

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: after the short test summary
    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter
    ) -> Generator[None, None, None]:
        yield
        if not self.is_worker:
            self._summarize(terminalreporter)

    def _summarize(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.ran:
            mode = "--api-lint" if self.config.getoption("api_lint", False) else "--collect-only"
            terminalreporter.write_line(f"apispec: no docs updated ({mode})")
            return
        start = self.config.invocation_params.dir
        if self.not_written and self.config.get_verbosity() > 0:
            for path, reason in self.not_written:
                shown = bestrelpath(start, path)
                what = "not changed" if reason.reason == NO_FRONTMATTER else "not written"
                terminalreporter.write_line(f"apispec: {what}: {shown}: {reason}")
        terminalreporter.write_line(self.summary())

    def summary(self) -> str:
        total = sum(self.written.values())
        counts = ", ".join(
            f"{self.written[verdict]} {verdict.value}"
            for verdict in Verdict
            if self.written[verdict]
        )
        line = f"apispec: updated {total} doc{'' if total == 1 else 's'}"
        if counts:
            line += f" ({counts})"
        problems = [reason for _, reason in self.not_written if reason.reason != NO_FRONTMATTER]
        if problems:
            reasons = Counter(reason.reason for reason in problems)
            if len(reasons) == 1:
                listed = next(iter(reasons))
            else:
                listed = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
            line += f"; {len(problems)} not written: {listed}"
        bare = len(self.not_written) - len(problems)
        if bare:
            line += f"; {bare} without frontmatter, not changed"
        return line
