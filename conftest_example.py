"""An example conftest.py for a project that runs its endpoint docs with pytest-apispec.

Copy it next to your docs as ``conftest.py`` and adapt it. Every fixture here overrides one of
the plugin's fixtures (or adds one a doc asks for), and each override asks for the plugin's own
version first, so options, environment variables and ini keys keep working underneath it:

* ``apispec_session``: the ``requests.Session`` every step is sent with. Add a client
  certificate, a proxy or default headers here.
* ``apispec_tokens``: token values by type. Here: log in once per test session and use the
  answer as the ``staff`` token, unless ``--api-token-staff`` or ``API_TOKEN_STAFF`` gives one.
* ``apispec_vars``: template variables for ``{{name}}``. Here: the business to test and a
  client id looked up through the API.
* ``api_healthy``: a fixture of our own, which docs ask for with ``fixtures: [api_healthy]``
  in their frontmatter.

As written it works against the bundled demo API (``python -m pytest_apispec.demo`` prints the
environment to set); ``tests/test_conftest_example.py`` runs it. Point it at your own API with
``API_BASE_URL``, ``API_USERNAME`` and ``API_PASSWORD``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest
import requests

from pytest_apispec import ApiSettings

TIMEOUT = 30  # seconds, for the requests made here


def _base_url(settings: ApiSettings) -> str:
    """The base URL the plugin resolved (command line, then environment, then ini)."""
    base_url = settings.base_url
    if not base_url:
        pytest.skip("no base URL: pass --api-base-url or set API_BASE_URL")
    return base_url.rstrip("/")


@pytest.fixture(scope="session")
def apispec_session(apispec_session: requests.Session) -> requests.Session:
    """The plugin's session, with a client certificate and a proxy when the environment has them.

    ``API_CLIENT_CERT`` is a PEM file holding the certificate and its key, or
    ``cert.pem,key.pem``; ``API_PROXY`` is a proxy URL such as ``http://proxy.internal:3128``.
    Unset (as in the demo), the session is left as it is apart from one extra header.
    """
    certificate = os.environ.get("API_CLIENT_CERT")
    if certificate:
        cert_file, _, key_file = certificate.partition(",")
        apispec_session.cert = (cert_file, key_file) if key_file else cert_file
    proxy = os.environ.get("API_PROXY")
    if proxy:
        apispec_session.proxies.update({"http": proxy, "https": proxy})
    # Sent with every step: lets the API's logs tell test traffic apart.
    apispec_session.headers["X-Test-Suite"] = "endpoint-docs"
    return apispec_session


@pytest.fixture(scope="session")
def apispec_tokens(
    apispec_tokens: Mapping[str, str],
    apispec_session: requests.Session,
    apispec_settings: ApiSettings,
) -> Mapping[str, str]:
    """The configured tokens, plus a ``staff`` token from one login per test session.

    Logging in here (and not in a doc) keeps the password out of the docs and out of reports:
    the plugin masks every value this fixture returns in its output.
    """
    tokens = dict(apispec_tokens)  # --api-token-* options and API_TOKEN_* variables
    if "staff" not in tokens:
        response = apispec_session.post(
            f"{_base_url(apispec_settings)}/auth/login",
            json={
                # The demo's user by default; in your conftest, require the variables.
                "username": os.environ.get("API_USERNAME", "demo-staff"),
                "password": os.environ.get("API_PASSWORD", "demo-password"),
            },
            timeout=TIMEOUT,
        )
        if response.status_code != 200:
            pytest.fail(f"login failed: {response.status_code} {response.text[:200]}")
        tokens["staff"] = response.json()["data"]["token"]
    return tokens


@pytest.fixture(scope="session")
def apispec_vars(
    apispec_vars: Mapping[str, Any],
    apispec_session: requests.Session,
    apispec_tokens: Mapping[str, str],
    apispec_settings: ApiSettings,
) -> Mapping[str, Any]:
    """``{{business_id}}`` and ``{{first_client_id}}`` for every doc.

    ``api_vars`` ini lines and ``--api-var`` still win over the defaults given here.
    """
    values = {"business_id": os.environ.get("API_BUSINESS_ID", "biz_demo_1"), **apispec_vars}
    response = apispec_session.get(
        f"{_base_url(apispec_settings)}/platform/v1/clients",
        params={"business_id": values["business_id"], "per_page": 1},
        headers={"Authorization": f"Bearer {apispec_tokens['staff']}"},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    clients = response.json()["data"]["clients"]
    if clients:
        values.setdefault("first_client_id", clients[0]["id"])
    return values


@pytest.fixture(scope="session")
def api_healthy(apispec_session: requests.Session, apispec_settings: ApiSettings) -> None:
    """Skip the docs that ask for it (``fixtures: [api_healthy]``) when /health is not 200."""
    url = f"{_base_url(apispec_settings)}/health"
    try:
        status = apispec_session.get(url, timeout=TIMEOUT).status_code
    except requests.RequestException as exc:
        pytest.skip(f"the API is not reachable: {exc}")
    if status != 200:
        pytest.skip(f"the API is not healthy: GET {url} answered {status}")
