"""Fixtures of the contract tests: a route server on 127.0.0.1 the plugin is pointed at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import RouteServer, running


@pytest.fixture(scope="session")
def route_server() -> Iterator[RouteServer]:
    yield from running()


@pytest.fixture
def api(route_server: RouteServer, monkeypatch: pytest.MonkeyPatch) -> RouteServer:
    route_server.routes.clear()
    route_server.received.clear()
    monkeypatch.setenv("API_BASE_URL", route_server.url)
    monkeypatch.setenv("API_TOKEN_STAFF", "contract-secret-4c1e9a")
    return route_server
