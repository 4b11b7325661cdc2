"""Run the example docs against the bundled demo API: ``pytest examples/``.

Nothing needs starting by hand. Before pytest-apispec reads its settings, this conftest starts
the demo API (``pytest_apispec.demo``) on free ports of 127.0.0.1 and points the plugin at it
through the same environment variables you would set for a real API::

    API_BASE_URL       the demo's main gateway
    API_FALLBACK_URL   the demo's fallback API (for docs with useFallbackApi: true)
    API_TOKEN_STAFF    the demo's staff token
    API_TOKEN_CLIENT   the demo's client token
    API_SWAGGER_ROOT   this folder: the docs' ``swagger:`` contracts are in ``swagger/``

There is deliberately no directory token: ``directory/list_businesses.md`` shows how a doc
whose token is not configured is skipped. The ``business_id`` the docs use comes from the
``apispec_vars`` fixture below.

This works because this file is an *initial* conftest: pytest loads it before configuring,
since ``examples/`` (or a path inside it) is on the command line. Its ``pytest_configure``
runs with ``tryfirst=True``, so it runs before the plugin's own (also ``tryfirst``), which
resolves the settings. Everything is undone in ``pytest_unconfigure``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_apispec.demo import DEMO_BUSINESS_ID, DEMO_TOKENS, DemoApi

DEMO_API = pytest.StashKey[DemoApi]()
SAVED_ENVIRONMENT = pytest.StashKey[dict[str, str | None]]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    api = DemoApi().start()
    config.stash[DEMO_API] = api
    environment = {
        "API_BASE_URL": api.base_url,
        "API_FALLBACK_URL": api.fallback_url,
        "API_TOKEN_STAFF": DEMO_TOKENS["staff"],
        "API_TOKEN_CLIENT": DEMO_TOKENS["client"],
        "API_TOKEN_DIRECTORY": None,  # the demo has none: the directory doc is skipped
        "API_SWAGGER_ROOT": str(Path(__file__).parent),
    }
    config.stash[SAVED_ENVIRONMENT] = {name: os.environ.get(name) for name in environment}
    _set_environment(environment)
    # The demo is about outcomes: say why each doc was skipped or xfailed, as -rsxX does.
    if "N" not in config.option.reportchars:
        config.option.reportchars += "sxX"
    # --api-lint sends nothing and runs no fixture: it learns the names apispec_vars gives here
    config.addinivalue_line("api_lint_vars", "business_id")


def pytest_unconfigure(config: pytest.Config) -> None:
    _set_environment(config.stash.get(SAVED_ENVIRONMENT, {}))
    api = config.stash.get(DEMO_API, None)
    if api is not None:
        api.stop()


def pytest_report_header(config: pytest.Config) -> str:
    api = config.stash[DEMO_API]
    return f"demo API: {api.base_url} (fallback {api.fallback_url})"


def _set_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def apispec_vars(apispec_vars: Mapping[str, Any]) -> Mapping[str, Any]:
    """The docs' ``{{business_id}}``: the demo business, unless --api-var or api_vars set it."""
    return {"business_id": DEMO_BUSINESS_ID, **apispec_vars}
