"""``--api-lint``: every doc is one item that checks the doc and sends nothing.

The items have the node ids of a normal run (an IDE shows lint results on the same entries) and
no fixtures: no URL, token or network is needed, and a conftest's fixtures are not run. A clean
doc PASSES; a doc with problems FAILS, listing each as ``path:line: message``. A doc that cannot
be parsed fails as in a normal run.

In a normal run, a near-miss key (``expcet:``) is a warning at the doc's setup.

The contract checks (``contracts/lint.py``) join the doc-only checks in :func:`lint_checks`,
with the same signature; they find each doc's contract as a normal run does, from the settings'
``ContractRoot``. A doc whose contract is not there (no root configured) counts in the same
summary line as in a normal run.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest._code.code import ExceptionInfo, TerminalRepr

from pytest_apispec.docformat import lint
from pytest_apispec.docformat.model import Spec
from pytest_apispec.plugin import contracts, markers
from pytest_apispec.plugin.collect import DOC_ITEM_FACTORY, SETTINGS, SpecFailureRepr, SpecItem

if TYPE_CHECKING:
    from pytest_apispec.contracts.lint import ContractLint

OPTION = "api_lint"
LINT_VARS_INI = "api_lint_vars"
_CONTEXT = pytest.StashKey[lint.LintContext]()
_CHECKS = pytest.StashKey[tuple[lint.Check, ...]]()
_CONTRACT_LINT: pytest.StashKey[ContractLint] = pytest.StashKey()


class NearMissKeyWarning(pytest.PytestWarning):
    """A doc key close to a known one: most likely a typo the run silently ignores."""


def configure(config: pytest.Config) -> None:
    if config.getoption(OPTION, False):
        config.stash[DOC_ITEM_FACTORY] = LintItem.for_spec
        config.pluginmanager.register(LintProtocol(), "apispec-lint-protocol")
    else:
        config.pluginmanager.register(NearMissWarnings(), "apispec-near-miss-warnings")


def lint_checks(config: pytest.Config) -> tuple[lint.Check, ...]:
    """The checks a lint run makes: the doc's own, then those against its contract."""
    from pytest_apispec.contracts.lint import ContractLint

    contract_lint = config.stash[_CONTRACT_LINT] = ContractLint(
        config.stash[SETTINGS].contract_root
    )
    return (*lint.CHECKS, contract_lint)


def _context(config: pytest.Config) -> lint.LintContext:
    context = config.stash.get(_CONTEXT, None)
    if context is None:
        settings = config.stash[SETTINGS]
        declared = (line.strip() for line in config.getini(LINT_VARS_INI))
        context = config.stash[_CONTEXT] = lint.LintContext(
            configured=frozenset(settings.variables),
            declared=frozenset(name for name in declared if name),
            start_dir=settings.start_dir,
        )
        config.stash[_CHECKS] = lint_checks(config)
    return context


class LintFailed(Exception):
    """The problems lint found in a doc."""

    def __init__(self, path: Path, problems: list[lint.LintProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}:{p.line}: {p.message}" for p in problems))


class LintItem(pytest.Item):
    """A doc, linted: passes when clean, fails listing every problem."""

    spec: Spec

    @classmethod
    def for_spec(cls, parent: pytest.Collector, spec: Spec) -> LintItem:
        item = cls.from_parent(parent, name=spec.name)
        item.spec = spec
        item.extra_keyword_matches.update(
            filter(None, [spec.endpoint, spec.test_request[0].path, spec.domain])
        )
        markers.apply(item, spec)
        return item

    def runtest(self) -> None:
        context = _context(self.config)
        problems = lint.lint(self.spec, context, self.config.stash[_CHECKS])
        name = self.spec.provenance.swagger
        if name and self.config.stash[_CONTRACT_LINT].not_found(name):
            self.user_properties.append((contracts.NOT_FOUND_PROPERTY, name))
        if problems:
            raise LintFailed(self.spec.path, problems)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.spec.test_request_line - 1, self.name

    @functools.cached_property
    def location(self) -> tuple[str, int | None, str]:
        """pytest's own value, without its path arithmetic for a doc under the rootdir
        (a fifth of a lint run's time for 5,000 docs went to ``bestrelpath``)."""
        prefix = os.path.join(self.config.rootpath, "")
        text = str(self.path)
        if not text.startswith(prefix):
            return super().location
        return text[len(prefix) :], self.spec.test_request_line - 1, self.name

    def repr_failure(
        self, excinfo: ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        error = excinfo.value
        if isinstance(error, LintFailed):
            first = error.problems[0]
            # the first line, as pytest-xdist's serialized report shows it in the summary too
            location = (str(error.path), first.line, str(error).split("\n", 1)[0])
            style = str(self.config.getoption("tbstyle", "auto"))
            shown = "long" if style in ("auto", "native", "long") else style
            return SpecFailureRepr(str(error), location, shown, line_in_body=False)
        return super().repr_failure(excinfo)


class LintProtocol:
    """Runs a lint item without pytest's setup and teardown machinery.

    A lint item has no fixtures, captures nothing and needs no setup: the default protocol's
    per-phase hooks (capture, logging, skip marks, setup state) cost more than the checks
    themselves, twice the time of ``--collect-only`` for 5,000 docs. This protocol reports
    the same three phases (setup, call, teardown) through ``pytest_runtest_logreport``, so the
    terminal, JUnit XML, ``-x`` and pytest-xdist see what they always see; the call's report
    is made by ``pytest_runtest_makereport`` as usual (setup's and teardown's, where nothing
    runs, by pytest's own ``TestReport.from_item_and_call``). Only lint items take it.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> bool | None:
        if not isinstance(item, LintItem):
            return None
        hook = item.ihook
        hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for when in ("setup", "call", "teardown"):
            if when == "call":
                call = pytest.CallInfo.from_call(item.runtest, when="call", reraise=_RERAISE)
                report = hook.pytest_runtest_makereport(item=item, call=call)
            else:  # nothing runs, nothing to redact or mark: the report pytest itself makes
                nothing = pytest.CallInfo.from_call(_nothing, when=when)
                report = pytest.TestReport.from_item_and_call(item, nothing)
            hook.pytest_runtest_logreport(report=report)
        hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True


_RERAISE = (pytest.exit.Exception, KeyboardInterrupt)


def _nothing() -> None:
    return None


class NearMissWarnings:
    """A normal run warns, at each doc's setup, about its near-miss keys."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if isinstance(item, SpecItem):
            for miss in item.spec.near_misses:
                warnings.warn_explicit(
                    NearMissKeyWarning(f"{item.spec.path}:{miss.line}: {miss.message}"),
                    category=NearMissKeyWarning,
                    filename=str(item.path),
                    lineno=miss.line,
                )
