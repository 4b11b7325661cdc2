"""Shared test fixtures: a clean environment and the demo API on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator

import jsonschema  # noqa: F401  (see below)
import openapi_schema_validator  # noqa: F401
import pytest
import referencing  # noqa: F401
import responses
from apispec_helpers import MOCK_BASE_URL, MOCK_FALLBACK_URL, MOCK_TOKENS, DocWriter

from pytest_apispec.demo import DEMO_BUSINESS_ID, DEMO_TOKENS, DemoApi

# Spec files used as test data live under tests/data and are run through pytester only.
collect_ignore = ["data"]

# The validators are imported once for the whole session, above: an in-process pytester run
# drops the modules it imported when it ends, so a validator class the plugin compiled (and
# cached) during one run would meet freshly imported copies of the same modules in the next,
# whose exceptions are other classes. A user's process imports them once.


@pytest.fixture(autouse=True)
def _clean_api_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own API_* variables must not change test outcomes."""
    for name in list(os.environ):
        if name.startswith("API_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoApi]:
    with DemoApi() as api:
        yield api


@pytest.fixture
def demo_api(demo_server: DemoApi) -> DemoApi:
    """The demo API (a real HTTP server on 127.0.0.1), reset to its initial data."""
    demo_server.reset()
    return demo_server


@pytest.fixture
def demo_env(demo_api: DemoApi, monkeypatch: pytest.MonkeyPatch) -> DemoApi:
    """Point the plugin at the demo API through the environment, with both demo tokens."""
    monkeypatch.setenv("API_BASE_URL", demo_api.base_url)
    monkeypatch.setenv("API_FALLBACK_URL", demo_api.fallback_url)
    monkeypatch.setenv("API_TOKEN_STAFF", DEMO_TOKENS["staff"])
    monkeypatch.setenv("API_TOKEN_CLIENT", DEMO_TOKENS["client"])
    return demo_api


BUSINESS_VAR = f"business_id={DEMO_BUSINESS_ID}"


# ---------------------------------------------------------------- helpers for the suite


@pytest.fixture(scope="session", autouse=True)
def _keep_hypothesis_imported() -> None:
    """Import hypothesis once, up front.

    pytester's in-process runs drop every module imported during a run, and the hypothesis
    plugin imports hypothesis at the end of each run: without this, every ``runpytest`` pays
    about a second to import it again.
    """
    __import__("hypothesis.internal.observability")


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """A ``responses`` mock of every HTTP request made in this process (in-process pytester
    runs included); a request that matches nothing fails with a connection error."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def mock_env(
    mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> responses.RequestsMock:
    """Point the plugin at the mocked hosts through the environment, with two tokens."""
    monkeypatch.setenv("API_BASE_URL", MOCK_BASE_URL)
    monkeypatch.setenv("API_FALLBACK_URL", MOCK_FALLBACK_URL)
    monkeypatch.setenv("API_TOKEN_STAFF", MOCK_TOKENS["staff"])
    monkeypatch.setenv("API_TOKEN_CLIENT", MOCK_TOKENS["client"])
    return mocked


@pytest.fixture
def write_doc(pytester: pytest.Pytester) -> DocWriter:
    """``write_doc("sales/get.md", front, test, prerequisites=..., cleanup=...)``."""
    return DocWriter(pytester.path)
