"""The pytest plugin: hooks and the overridable fixtures.

Registered through the ``pytest11`` entry point as ``apispec``; disable it with
``-p no:apispec``.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from _pytest.pathlib import bestrelpath

from pytest_apispec import __version__, markers
from pytest_apispec.collect import SETTINGS, SpecItem, describe_failure, make_collector
from pytest_apispec.fixtures import RUN_FIXTURE
from pytest_apispec.model import SpecError
from pytest_apispec.options import ConfiguredTokens, add_options, resolve_settings
from pytest_apispec.parser import read_spec
from pytest_apispec.redact import Redactor
from pytest_apispec.requirements import unmet_requirement
from pytest_apispec.results import ApiSpecFailure
from pytest_apispec.runner import DocRun, StepRunner
from pytest_apispec.settings import ApiSettings
from pytest_apispec.speccache import MISSING, SpecCache

SPEC_SUFFIXES = frozenset({".md", ".txt"})
REDACTOR = pytest.StashKey[Redactor]()
SPEC_CACHE = pytest.StashKey[SpecCache]()
TOKENS = pytest.StashKey[Mapping[str, str]]()


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
    markers.register_static(config)
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


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix.lower() not in SPEC_SUFFIXES:
        return None
    if not _requested(parent.session, file_path):
        return None
    display = Path(bestrelpath(parent.config.invocation_params.dir, file_path))
    cache = parent.config.stash.get(SPEC_CACHE, None)
    spec = cache.get(file_path, display) if cache is not None else MISSING
    if spec is MISSING:
        try:
            spec = read_spec(file_path, display)
        except SpecError as error:
            return make_collector(parent, file_path, None, error)
        if cache is not None:
            cache.put(file_path, display, spec)
    if spec is None:
        return None
    return make_collector(parent, file_path, spec, None)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Open the parse cache, in pytest's cache folder when the cacheprovider plugin is on."""
    cache = getattr(session.config, "cache", None)
    if cache is not None:
        session.config.stash[SPEC_CACHE] = SpecCache(cache.mkdir("apispec") / "specs.pickle")


def pytest_sessionfinish(session: pytest.Session) -> None:
    cache = session.config.stash.get(SPEC_CACHE, None)
    if cache is not None:
        cache.save()


def _requested(session: pytest.Session, file_path: Path) -> bool:
    """Whether the run asked for this file: it, or a folder above it, is a command-line path.

    ``pytest docs/a.md`` collects the whole ``docs`` folder and then keeps ``a.md`` only;
    parsing the siblings it throws away would make running one doc as slow as running them all.
    """
    return session.isinitpath(file_path) or any(
        session.isinitpath(folder) for folder in file_path.parents
    )


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
    with _Session() as session:
        session.headers["User-Agent"] = f"pytest-apispec/{__version__}"
        yield session


class _Session(requests.Session):
    """A ``requests.Session`` that reads the proxy and CA-bundle environment once per origin.

    ``requests`` scans the whole environment (``*_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``)
    for every request, a sizeable part of each request's cost against a fast API; the answer
    only depends on the origin and on settings that are part of the cache key.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[Any, ...], Any] = {}

    def merge_environment_settings(  # type: ignore[override]
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        try:
            key = (
                parts.scheme,
                parts.netloc,
                tuple(sorted(proxies.items())) if proxies else None,
                stream,
                verify,
                cert,
                tuple(sorted(self.proxies.items())),
                self.stream,
                self.verify,
                self.cert,
            )
            settings = self._environment.get(key)
        except TypeError:  # an unhashable setting: no caching
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if settings is None:
            settings = super().merge_environment_settings(
                url, dict(proxies or {}), stream, verify, cert
            )
            self._environment[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}


@pytest.fixture(scope="session")
def apispec_runner(
    pytestconfig: pytest.Config,
    apispec_tokens: Mapping[str, str],
    apispec_session: requests.Session,
) -> StepRunner:
    """Sends steps: the session, the settings and the tokens, put together once."""
    pytestconfig.stash[REDACTOR].add(apispec_tokens.values())
    return StepRunner(apispec_session, pytestconfig.stash[SETTINGS], apispec_tokens)


@pytest.fixture(name=RUN_FIXTURE)
def apispec_run(
    request: pytest.FixtureRequest,
    apispec_runner: StepRunner,
    apispec_vars: Mapping[str, Any],
) -> DocRun:
    """The run of the doc being tested: its settings, tokens and variables so far."""
    item = request.node
    if not isinstance(item, SpecItem):
        raise pytest.UsageError("apispec_run is only available to endpoint-doc items")
    settings = apispec_runner.settings
    missing = unmet_requirement(item.spec, settings, apispec_runner.tokens)
    if missing:
        pytest.skip(missing)
    return DocRun(item.spec, apispec_runner, {**settings.variables, **apispec_vars})
