"""Shared test fixtures: a clean environment and the demo API on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pytest_apispec.demo import DEMO_BUSINESS_ID, DEMO_TOKENS, DemoApi

# Spec files used as test data live under tests/data and are run through pytester only.
collect_ignore = ["data"]


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
