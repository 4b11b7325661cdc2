"""The pytest plugin: hooks and the overridable fixtures.

Registered through the ``pytest11`` entry point as ``apispec``; disable it with
``-p no:apispec``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_apispec._version import __version__
from pytest_apispec.docformat.speccache import SpecCache
from pytest_apispec.execution.requirements import unmet_requirement
from pytest_apispec.execution.results import ApiSpecFailure
from pytest_apispec.execution.settings import ApiSettings
from pytest_apispec.plugin import contracts, coverage, lint, markers, update_docs
from pytest_apispec.plugin.collect import (
    COLLECTION_GC,
    SETTINGS,
    SPEC_CACHE,
    SpecFailureRepr,
    SpecItem,
    collect_doc,
    describe_failure,
)
from pytest_apispec.plugin.fixtures import RUN_FIXTURE
from pytest_apispec.plugin.gcpolicy import CollectionGc
from pytest_apispec.plugin.options import ConfiguredTokens, add_options, resolve_settings
from pytest_apispec.plugin.redact import Redactor

if TYPE_CHECKING:
    import requests

    from pytest_apispec.execution.runner import DocRun, StepRunner

REDACTOR = pytest.StashKey[Redactor]()
TOKENS = pytest.StashKey[Mapping[str, str]]()
_FAILURE_KEY = "apispec_failure"  # a doc's failure, in a report pytest-xdist sends


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    settings = resolve_settings(config)
    config.stash[SETTINGS] = settings
    tokens = ConfiguredTokens.from_config(config)
    config.stash[TOKENS] = tokens
    redactor = Redactor()
    redactor.add(tokens.values())
    redactor.install_logging()
    config.pluginmanager.register(redactor, "apispec-redactor")  # for its warning hook
    config.stash[REDACTOR] = redactor
    config.stash[COLLECTION_GC] = CollectionGc(enabled=bool(config.getini("api_tune_gc")))
    markers.register_static(config)
    update_docs.configure(config)
    lint.configure(config)
    coverage.configure(config)
    if not settings.contract_root.configured:
        summary = contracts.NotFoundSummary(settings.contract_root.folder, config.rootpath)
        config.pluginmanager.register(summary, "apispec-contracts-not-found")
    if not settings.verify_tls:
        # our own warning says it once; urllib3 would add one for every request
        config.addinivalue_line(
            "filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning"
        )
    if not settings.verify_tls and not hasattr(config, "workerinput"):  # once, not per worker
        warnings.warn(
            pytest.PytestConfigWarning(
                "pytest-apispec: TLS certificate verification is OFF "
                "(--api-no-verify-tls / api_verify_tls = false); tokens may reach an impostor"
            ),
            stacklevel=1,
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    redactor = config.stash.get(REDACTOR, None)
    if redactor is not None:
        redactor.uninstall_logging()


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    succeeded = False
    try:
        result = yield
        succeeded = True
        return result
    finally:
        session.config.stash[COLLECTION_GC].collection_done(succeeded)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    return collect_doc(file_path, parent)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Open the parse cache (``__pycache__`` beside the docs) unless ``api_parse_cache`` is off."""
    config = session.config
    if config.getini("api_parse_cache"):
        config.stash[SPEC_CACHE] = SpecCache(
            write=not sys.dont_write_bytecode, fresh=bool(config.getoption("cacheclear", False))
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    cache = session.config.stash.get(SPEC_CACHE, None)
    if cache is not None:
        cache.save()


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: redacts what every other hook made
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if (
        call.when != "call"
        and isinstance(item, SpecItem)
        and call.excinfo is not None
        and isinstance(call.excinfo.value, ApiSpecFailure)
    ):
        report.longrepr = describe_failure(
            item.config, call.excinfo.value, item.spec.description, call.when
        )
    item.config.stash[REDACTOR].redact_report(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_report_to_serializable(
    report: pytest.CollectReport | pytest.TestReport,
) -> Generator[None, dict[str, Any] | None, dict[str, Any] | None]:
    data = yield
    if data is not None and isinstance(report.longrepr, SpecFailureRepr):
        data[_FAILURE_KEY] = report.longrepr.as_data()
    return data


@pytest.hookimpl(wrapper=True)
def pytest_report_from_serializable(
    data: dict[str, Any],
) -> Generator[None, object, object]:
    """A doc's failure reaches pytest-xdist's controller as the worker made it: the same
    summary line, ``--tb=line`` and JUnit message as in a serial run."""
    failure = data.pop(_FAILURE_KEY, None)
    report = yield
    if failure is not None and isinstance(report, pytest.TestReport):
        report.longrepr = SpecFailureRepr.from_data(failure)
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    collector.config.stash[REDACTOR].redact_report(report)
    return report


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def apispec_settings(pytestconfig: pytest.Config) -> ApiSettings:
    """The resolved settings (command line, then environment, then ini): base URLs, timeout...

    Read-only; a conftest uses it to reach the same API, e.g. to log in.
    """
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def apispec_tokens(pytestconfig: pytest.Config) -> Mapping[str, str]:
    """Token values by type (``staff``, ``client``, ...), from options and ``API_TOKEN_<TYPE>``.

    Override it in a conftest.py to log in and return fresh tokens.
    """
    return pytestconfig.stash[TOKENS]


@pytest.fixture(scope="session")
def apispec_vars(pytestconfig: pytest.Config) -> Mapping[str, Any]:
    """Template variables from ``api_vars`` and ``--api-var``.

    Override it to add values; what it returns wins over ini and command line.
    """
    return dict(pytestconfig.stash[SETTINGS].variables)


@pytest.fixture(scope="session")
def apispec_session() -> Iterator[requests.Session]:
    """The ``requests.Session`` every step is sent with: one keep-alive pool per worker.

    Override it to add a client certificate, a proxy or default headers.
    """
    from pytest_apispec.execution.session import ApiSession  # requests only where steps are sent

    with ApiSession() as session:
        session.headers["User-Agent"] = f"pytest-apispec/{__version__}"
        yield session


@pytest.fixture(scope="session")
def apispec_runner(
    pytestconfig: pytest.Config,
    apispec_tokens: Mapping[str, str],
    apispec_session: requests.Session,
) -> StepRunner:
    """Sends steps: the session, the settings and the tokens, put together once."""
    from pytest_apispec.execution.runner import StepRunner

    redactor = pytestconfig.stash[REDACTOR]
    redactor.add(apispec_tokens.values())
    # a cookie a response sets is a credential (a session): redacted like a token
    return StepRunner(
        apispec_session,
        pytestconfig.stash[SETTINGS],
        apispec_tokens,
        redactor.add,
        on_long_lived=pytestconfig.stash[COLLECTION_GC].long_lived_made,
    )


@pytest.fixture(name=RUN_FIXTURE)
def apispec_run(
    request: pytest.FixtureRequest,
    apispec_runner: StepRunner,
    apispec_vars: Mapping[str, Any],
) -> Iterator[DocRun]:
    """The run of the doc being tested: its settings, tokens and variables so far."""
    from pytest_apispec.execution.runner import DocRun

    item = request.node
    if not isinstance(item, SpecItem):
        raise pytest.UsageError("apispec_run is only available to endpoint-doc items")
    settings = apispec_runner.settings
    missing = unmet_requirement(item.spec, settings, apispec_runner.tokens)
    if missing:
        pytest.skip(missing)
    run = DocRun(item.spec, apispec_runner, {**settings.variables, **apispec_vars})
    yield run
    contracts.finish_doc(item, item.spec, run)
    coverage.record(item.config, run.contract_findings)
