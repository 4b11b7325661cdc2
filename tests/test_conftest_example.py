"""conftest_example.py works: copied into a project as conftest.py, run against the demo API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_apispec.demo import DEMO_TOKENS, DemoApi

ROOT = Path(__file__).parent.parent
SEED = ROOT / "examples" / "sales" / "000_2b83c488c88b2697.txt"

FIRST_CLIENT_DOC = """\
---
endpoint: "GET /platform/v1/clients/{id}"
domain: clients
tokens: [staff]
fixtures: [api_healthy]
---
# Get the first client

## Summary

Uses two values of the conftest's apispec_vars and the api_healthy fixture.

## Test Request

```yaml
steps:
  - id: get_first_client
    method: GET
    path: "/platform/v1/clients/{{first_client_id}}"
    params:
      business_id: "{{business_id}}"
    expect:
      status: 200
      json:
        $.data.client.id: "{{first_client_id}}"
```
"""


@pytest.fixture
def project(
    pytester: pytest.Pytester, demo_api: DemoApi, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A project with conftest_example.py as its conftest.py, a doc of ours and a seed.

    Only the base URLs are configured: no token, so the conftest has to log in.
    """
    shutil.copy(ROOT / "conftest_example.py", pytester.path / "conftest.py")
    (pytester.path / "first_client.md").write_text(FIRST_CLIENT_DOC, encoding="utf-8")
    shutil.copy(SEED, pytester.path / SEED.name)
    monkeypatch.setenv("API_BASE_URL", demo_api.base_url)
    monkeypatch.setenv("API_FALLBACK_URL", demo_api.fallback_url)
    return pytester


def _logins(api: DemoApi) -> list[tuple[str, str, str]]:
    return [entry for entry in api.requests_log if entry[2].endswith("/auth/login")]


def test_logs_in_once_and_looks_values_up(project: pytest.Pytester, demo_api: DemoApi) -> None:
    result = project.runpytest("-p", "no:cacheprovider", "--setup-show")
    result.assert_outcomes(passed=2)
    assert _logins(demo_api) == [("main", "POST", "/auth/login")]
    lookups = [e for e in demo_api.requests_log if e[2].startswith("/platform/v1/clients?")]
    assert lookups[0] == ("main", "GET", "/platform/v1/clients?business_id=biz_demo_1&per_page=1")
    result.stdout.fnmatch_lines(["*SETUP    S api_healthy*"])
    assert DEMO_TOKENS["staff"] not in result.stdout.str()


def test_a_configured_staff_token_is_used_without_logging_in(
    project: pytest.Pytester, demo_api: DemoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN_STAFF", DEMO_TOKENS["staff"])
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
    assert _logins(demo_api) == []


def test_api_var_wins_over_the_conftest_default(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "no:cacheprovider", "--api-var", "business_id=biz_other")
    # No client in that business: first_client_id stays undefined, and the seed finds none.
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*uses {{first_client_id}}, which has no value*"])


def test_a_failed_login_is_an_error_that_says_so(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_PASSWORD", "wrong")
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*login failed: 401*invalid username or password*"])


def test_the_api_healthy_fixture_skips_when_the_api_is_down(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DemoApi() as stopped:
        dead = stopped.base_url
    monkeypatch.setenv("API_BASE_URL", dead)
    monkeypatch.setenv("API_TOKEN_STAFF", DEMO_TOKENS["staff"])
    result = project.runpytest("-p", "no:cacheprovider", "-rs", "first_client.md")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*the API is not reachable*"])


def test_client_certificate_and_proxy_from_the_environment(
    project: pytest.Pytester, demo_api: DemoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate = project.path / "client.pem"
    certificate.write_text("not used over plain http\n", encoding="utf-8")
    monkeypatch.setenv("API_CLIENT_CERT", str(certificate))
    # The demo's fallback server doubles as an HTTP proxy: it serves absolute-URI requests.
    monkeypatch.setenv("API_PROXY", demo_api.fallback_url)
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
    targets = [target for _, _, target in demo_api.requests_log]
    assert targets and all(target.startswith("http://127.0.0.1:") for target in targets)
    assert {server for server, _, _ in demo_api.requests_log} == {"fallback"}
