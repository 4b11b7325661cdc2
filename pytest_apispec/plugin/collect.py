"""Collecting endpoint docs: one collector per file, one item per doc.

The collector subclasses ``pytest.Module`` (with no Python module behind it, like pytest's own
``DoctestTextfile``) so that module-scoped fixtures work for docs. The item subclasses
``pytest.Function`` around a tiny function whose ``usefixtures`` mark names the doc's fixtures:
public API only, and ``--setup-show``, the user's fixtures and setup errors all behave as for
any test function.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest._code.code import ExceptionInfo, ReprFileLocation, TerminalRepr
from _pytest._io import TerminalWriter
from _pytest.pathlib import bestrelpath

from pytest_apispec.docformat.model import Spec, SpecError
from pytest_apispec.docformat.speccache import MISSING, SpecCache
from pytest_apispec.execution.report import format_result
from pytest_apispec.execution.results import ApiSpecFailure, ExpectedOutcomeReached, StepFailed
from pytest_apispec.execution.settings import ApiSettings, ExpectedOutcomeMode
from pytest_apispec.plugin import contracts, fixtures, markers
from pytest_apispec.plugin.gcpolicy import CollectionGc

if TYPE_CHECKING:
    from pytest_apispec.execution.runner import DocRun

SETTINGS = pytest.StashKey[ApiSettings]()
SPEC_CACHE = pytest.StashKey[SpecCache]()
COLLECTION_GC = pytest.StashKey[CollectionGc]()
SPEC_SUFFIXES = frozenset({".md", ".txt"})
_RUN_DOC_FUNCTIONS = pytest.StashKey[dict[tuple[str, ...], Callable[[], None]]]()
_REQUESTED_FOLDERS = pytest.StashKey[dict[Path, bool]]()
_INVOCATION_PREFIX = pytest.StashKey[str]()
# set by a mode that makes other items of docs (--api-lint): (collector, spec) -> item
DOC_ITEM_FACTORY = pytest.StashKey[Callable[[pytest.Collector, Spec], pytest.Item]]()


class SpecFile(pytest.Module):
    """An endpoint doc on disk (Markdown or text)."""

    obj = None
    spec: Spec | None = None
    error: SpecError | None = None

    def collect(self) -> list[pytest.Item]:
        if self.error is not None or self.spec is None:
            return [BrokenSpecItem.from_parent(self, name=self.path.stem)]
        make_item = self.config.stash.get(DOC_ITEM_FACTORY, None)
        if make_item is not None:
            return [make_item(self, self.spec)]
        entry = fixtures.register_doc_fixtures(self, self.spec)
        return [SpecItem.for_spec(self, self.spec, entry)]


class SpecItem(pytest.Function):
    """One endpoint doc: prerequisites in setup, the test request as the test."""

    spec: Spec
    entry_fixture: str

    @classmethod
    def for_spec(cls, parent: SpecFile, spec: Spec, entry: str) -> SpecItem:
        run_doc = _run_doc_function(parent.config, (*spec.fixtures, entry))
        item = cls.from_parent(parent, name=spec.name, callobj=run_doc)
        item.spec = spec
        item.entry_fixture = entry
        item.extra_keyword_matches.update(
            filter(None, [spec.endpoint, spec.test_request[0].path, spec.domain])
        )
        markers.apply(item, spec)
        settings = item.config.stash[SETTINGS]
        expected_step = spec.expected_outcome_step
        if expected_step and settings.expected_outcome is ExpectedOutcomeMode.XFAIL:
            reason = spec.expected_reason_of(expected_step)
            item.add_marker(pytest.mark.xfail(reason=reason, raises=ExpectedOutcomeReached))
        item.user_properties.extend(_properties(spec, settings))
        group = _xdist_group(parent, spec, settings)
        if group:
            item.add_marker(getattr(pytest.mark, markers.XDIST_GROUP)(group))
        return item

    def runtest(self) -> None:
        run: DocRun = self.funcargs[self.entry_fixture]  # type: ignore[assignment]
        mode = self.config.stash[SETTINGS].expected_outcome
        for step in self.spec.test_request:
            result = run.run_step(step)
            if result.reached_expected_outcome:
                if mode is ExpectedOutcomeMode.PASS:
                    return
                raise ExpectedOutcomeReached(result, self.spec.expected_reason_of(step))
            if not result.ok:
                raise StepFailed(result)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.spec.test_request_line - 1, self.name

    def repr_failure(
        self, excinfo: ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, ApiSpecFailure):
            return describe_failure(self.config, excinfo.value, self.spec.description, "call")
        return super().repr_failure(excinfo)


class SpecFailureRepr(TerminalRepr):
    """Our report text, plus the one-line ``reprcrash`` that ``--tb=line``, ``-r`` summaries
    and JUnit's ``message`` attribute use.

    Under ``--tb=line`` pytest itself prints the crash line of a failure, but nothing of a
    setup or teardown error: ``line_in_body`` says whether the body must carry it.
    """

    def __init__(
        self, text: str, location: tuple[str, int, str], style: str, line_in_body: bool
    ) -> None:
        self.text = text
        self.style = style
        self.line_in_body = line_in_body
        self.reprcrash = ReprFileLocation(*location)

    def as_data(self) -> dict[str, object]:
        """What a pytest-xdist worker sends, so that the controller rebuilds the same report
        (pytest would send our text as a plain string, and the summary would show all of it)."""
        return {
            "text": self.text,
            "location": [self.reprcrash.path, self.reprcrash.lineno, self.reprcrash.message],
            "style": self.style,
            "line_in_body": self.line_in_body,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SpecFailureRepr:
        path, line, message = data["location"]
        return cls(data["text"], (path, line, message), data["style"], data["line_in_body"])

    def toterminal(self, tw: TerminalWriter) -> None:
        if self.style == "line":
            if self.line_in_body:
                self.reprcrash.toterminal(tw)
            return
        for line in self.text.splitlines():
            tw.line(line)


def _style(config: pytest.Config) -> str:
    style = str(config.getoption("tbstyle", "auto"))
    return "long" if style in ("auto", "native", "long") else style


def describe_failure(
    config: pytest.Config, failure: ApiSpecFailure, description: str, when: str
) -> SpecFailureRepr:
    style = _style(config)
    result = failure.result
    text = format_result(result, style, description)
    message = f"step '{result.step.id}': " + "; ".join(result.problems or (str(failure),))
    if isinstance(failure, ExpectedOutcomeReached):
        message = f"{failure} (the doc's expectedOutcome, a failure under --runxfail)"
        text = f"{message}\n{text}"
    location = (str(result.path), result.step.line, message)
    return SpecFailureRepr(text, location, style, line_in_body=when != "call")


def _run_doc_function(config: pytest.Config, fixture_names: tuple[str, ...]) -> Callable[[], None]:
    """The function behind a doc's item, shared by every doc that needs the same fixtures.

    Items only read it (its ``usefixtures`` mark); one per doc would cost memory for nothing.
    """
    functions = config.stash.setdefault(_RUN_DOC_FUNCTIONS, {})
    function = functions.get(fixture_names)
    if function is None:

        def run_doc() -> None:  # pragma: no cover - never called, see runtest
            """Runs the doc's Test Request."""

        run_doc.pytestmark = [pytest.mark.usefixtures(*fixture_names).mark]  # type: ignore[attr-defined]
        run_doc.__signature__ = inspect.Signature()  # type: ignore[attr-defined]  # cheap for pytest
        function = functions[fixture_names] = run_doc
    return function


def _xdist_group(parent: SpecFile, spec: Spec, settings: ApiSettings) -> str | None:
    """The ``xdist_group`` for ``--dist loadgroup``, when ``api_xdist_group`` asks for one."""
    if settings.xdist_group == "domain":
        return spec.domain or "no-domain"
    if settings.xdist_group == "folder":
        return bestrelpath(parent.config.rootpath, parent.path.parent)
    return None


def _properties(spec: Spec, settings: ApiSettings) -> list[tuple[str, object]]:
    properties: list[tuple[str, object]] = [("endpoint", spec.endpoint or spec.name)]
    if spec.domain:
        properties.append(("domain", spec.domain))
    if spec.status:
        properties.append(("status", spec.status))
    for key, value in spec.provenance.items():
        if key == "swagger" and settings.swagger_root:
            value = str(Path(settings.swagger_root) / value)
        properties.append((key, value))
    return properties


class BrokenSpecItem(pytest.Item):
    """A doc that could not be parsed: one failing item, so every other doc still runs."""

    def runtest(self) -> None:
        parent = self.parent
        assert isinstance(parent, SpecFile) and parent.error is not None
        raise parent.error

    def reportinfo(self) -> tuple[Path, int, str]:
        error = self.parent.error if isinstance(self.parent, SpecFile) else None
        line = (error.line or 1) - 1 if error else 0
        return self.path, line, self.name

    def repr_failure(
        self, excinfo: ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        error = excinfo.value
        if isinstance(error, SpecError):
            style = _style(self.config)
            location = (str(error.path), error.line or 1, error.message)
            return SpecFailureRepr(str(error), location, style, line_in_body=False)
        return super().repr_failure(excinfo)


def collect_doc(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    """The collector of an endpoint doc, or ``None`` for any other file.

    A broken doc is collected too (as one failing item), so the session goes on.
    """
    if file_path.suffix.lower() not in SPEC_SUFFIXES or not _requested(parent.session, file_path):
        return None
    parent.config.stash[COLLECTION_GC].docs_found()
    display = _display_path(parent.config, file_path)
    cache = parent.config.stash.get(SPEC_CACHE, None)
    spec = cache.get(file_path, display) if cache is not None else MISSING
    if spec is MISSING:
        try:
            spec = read_spec(file_path, display)
        except SpecError as error:
            return make_collector(parent, file_path, None, error)
        if cache is not None:
            cache.put(file_path, spec)
    if spec is None:
        return None
    schema_error = contracts.schema_error(spec)
    if schema_error is not None:
        return make_collector(parent, file_path, None, schema_error)
    return make_collector(parent, file_path, spec, None)


def read_spec(path: Path, display: Path) -> Spec | None:
    """Parse a doc. The parser is imported on first use, with PyYAML and python-frontmatter:
    when every doc comes from the parse cache, no process pays for importing them."""
    from pytest_apispec.docformat.parser import read_spec as parse

    return parse(path, display)


def _requested(session: pytest.Session, file_path: Path) -> bool:
    """Whether the run asked for this file: it, or a folder above it, is a command-line path.

    ``pytest docs/a.md`` collects the whole ``docs`` folder and then keeps ``a.md`` only;
    parsing the siblings it throws away would make running one doc as slow as running them all.
    """
    if session.isinitpath(file_path):
        return True
    folders = session.stash.setdefault(_REQUESTED_FOLDERS, {})
    folder = file_path.parent
    requested = folders.get(folder)
    if requested is None:
        requested = folders[folder] = session.isinitpath(folder) or any(
            session.isinitpath(above) for above in folder.parents
        )
    return requested


def _display_path(config: pytest.Config, file_path: Path) -> Path:
    """The doc's path as messages show it: relative to where pytest was started."""
    start = config.invocation_params.dir
    prefix = config.stash.get(_INVOCATION_PREFIX, None)
    if prefix is None:
        prefix = config.stash[_INVOCATION_PREFIX] = os.path.join(start, "")
    text = str(file_path)
    if text.startswith(prefix):  # the usual case, without bestrelpath's Path arithmetic
        return Path(text[len(prefix) :])
    return Path(bestrelpath(start, file_path))


def make_collector(
    parent: pytest.Collector, file_path: Path, spec: Spec | None, error: SpecError | None
) -> SpecFile:
    collector = SpecFile.from_parent(parent, path=file_path)
    collector.spec = spec
    collector.error = error
    return collector
