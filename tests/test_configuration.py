"""Every configuration source: command line beats environment beats ini.

Base and fallback URLs are checked against the two servers of the demo API (each request is
logged with the server that answered it); tokens against the demo's staff-only routes; auth
headers and variables against ``responses``, which records exactly what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from apispec_helpers import DocWriter

from pytest_apispec.demo import DEMO_BUSINESS_ID, DEMO_TOKENS, DemoApi

HEALTH = "- id: health\n  method: GET\n  path: /health\n  expect:\n    status: 200"
STAFF_LIST = f"""
- id: list_clients
  method: GET
  path: /platform/v1/clients
  params:
    business_id: {DEMO_BUSINESS_ID}
  expect:
    status: 200
"""
SOURCES = ["ini", "env", "cli"]
PRECEDENCE_CASES = [
    # (sources that are set, the one that must win)
    (("ini",), "ini"),
    (("env",), "env"),
    (("cli",), "cli"),
    (("ini", "env"), "env"),
    (("ini", "cli"), "cli"),
    (("env", "cli"), "cli"),
    (("ini", "env", "cli"), "cli"),
]


def configure(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    *,
    ini_key: str,
    env_var: str,
    option: str,
    values: dict[str, str],
    ini_extra: str = "",
) -> list[str]:
    """Set one setting from the given sources; return the command-line arguments."""
    ini = f"{ini_key} = {values['ini']}\n" if "ini" in values else ""
    pytester.makeini(f"[pytest]\n{ini}{ini_extra}")
    if "env" in values:
        monkeypatch.setenv(env_var, values["env"])
    return [option, values["cli"]] if "cli" in values else []


def servers_used(api: DemoApi) -> set[str]:
    return {server for server, _, _ in api.requests_log}


@pytest.mark.parametrize(
    ("kind", "frontmatter"),
    [
        ("base", "endpoint: GET /health"),
        ("fallback", "endpoint: GET /health\nuseFallbackApi: true"),
    ],
)
@pytest.mark.parametrize(("sources", "winner"), PRECEDENCE_CASES)
def test_url_precedence(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    demo_api: DemoApi,
    monkeypatch: pytest.MonkeyPatch,
    sources: tuple[str, ...],
    winner: str,
    kind: str,
    frontmatter: str,
) -> None:
    """The winning source gives the URL of the server the doc needs; the others, the other."""
    write_doc("doc.md", frontmatter, HEALTH)
    needed, other = (
        (demo_api.base_url, demo_api.fallback_url)
        if kind == "base"
        else (demo_api.fallback_url, demo_api.base_url)
    )
    values = {s: needed if s == winner else other for s in sources}
    args = configure(
        pytester,
        monkeypatch,
        ini_key=f"api_{kind}_url",
        env_var=f"API_{kind.upper()}_URL",
        option=f"--api-{kind}-url",
        values=values,
    )
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert servers_used(demo_api) == {"main" if kind == "base" else "fallback"}


def test_a_step_can_choose_the_fallback_or_the_base_url(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = f"{HEALTH}\n  useFallbackApi: true\n- id: main\n  method: GET\n  path: /health"
    write_doc("doc.md", "endpoint: GET /health", test)
    pytester.runpytest().assert_outcomes(passed=1)
    assert [server for server, _, _ in demo_env.requests_log] == ["fallback", "main"]


# ---------------------------------------------------------------- tokens


@pytest.fixture
def base_url_only(demo_api: DemoApi, monkeypatch: pytest.MonkeyPatch) -> DemoApi:
    monkeypatch.setenv("API_BASE_URL", demo_api.base_url)
    return demo_api


STAFF_DOC = "endpoint: GET /platform/v1/clients\ntokens: [staff]"
STAFF = DEMO_TOKENS["staff"]


@pytest.mark.parametrize(
    "args",
    [["--api-token-staff", STAFF], ["--api-token", f"staff={STAFF}"]],
    ids=["--api-token-staff", "--api-token"],
)
def test_staff_token_from_the_command_line(
    pytester: pytest.Pytester, write_doc: DocWriter, base_url_only: DemoApi, args: list[str]
) -> None:
    write_doc("doc.md", STAFF_DOC, STAFF_LIST)
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_staff_token_from_the_environment(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    base_url_only: DemoApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("API_TOKEN_STAFF", STAFF)
    write_doc("doc.md", STAFF_DOC, STAFF_LIST)
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "args",
    [["--api-token-staff", STAFF], ["--api-token", f"staff={STAFF}"]],
    ids=["--api-token-staff", "--api-token"],
)
def test_command_line_token_beats_the_environment(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    base_url_only: DemoApi,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.setenv("API_TOKEN_STAFF", "stale-token")
    write_doc("doc.md", STAFF_DOC, STAFF_LIST)
    pytester.runpytest(*args).assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(failed=1)


def test_any_token_type_from_the_option_or_its_environment_variable(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    base_url_only: DemoApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    test = "- method: GET\n  path: /directory/v1/businesses\n  expect:\n    status: 200"
    write_doc("doc.md", "endpoint: GET /directory/v1/businesses\ntokens: [directory]", test)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*needs a 'directory' token, which is not configured: pass --api-token-directory "
            "or set API_TOKEN_DIRECTORY"
        ]
    )
    pytester.runpytest("--api-token", "directory=demo-directory-token").assert_outcomes(passed=1)
    pytester.runpytest("--api-token-directory", "demo-directory-token").assert_outcomes(passed=1)
    monkeypatch.setenv("API_TOKEN_DIRECTORY", "demo-directory-token")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_custom_token_type_is_sent_and_its_skip_reason_names_its_variable(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    mock_env: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock_env.get("https://api.example.test/partners", json={})
    write_doc(
        "doc.md",
        "endpoint: GET /partners\ntokens: [partner-app]",
        "- method: GET\n  path: /partners",
    )
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*needs a 'partner-app' token, which is not configured: pass --api-token "
            "partner-app=VALUE or set API_TOKEN_PARTNER_APP"
        ]
    )
    assert len(mock_env.calls) == 0
    monkeypatch.setenv("API_TOKEN_PARTNER_APP", "partner-secret")
    pytester.runpytest().assert_outcomes(passed=1)
    assert mock_env.calls[0].request.headers["Authorization"] == "Bearer partner-secret"


def test_a_step_token_overrides_the_doc_token(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/a", json={})
    mock_env.get("https://api.example.test/b", json={})
    test = "- method: GET\n  path: /a\n- method: GET\n  path: /b\n  token: client"
    write_doc("doc.md", "endpoint: GET /a\ntokens: [staff]", test)
    pytester.runpytest().assert_outcomes(passed=1)
    sent = [call.request.headers["Authorization"] for call in mock_env.calls]
    assert sent == ["Bearer mock-staff-secret-7d3b", "Bearer mock-client-secret-51aa"]


def test_a_doc_without_tokens_sends_no_authorization(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/open", json={})
    write_doc("doc.md", "endpoint: GET /open", "- method: GET\n  path: /open")
    pytester.runpytest().assert_outcomes(passed=1)
    assert "Authorization" not in mock_env.calls[0].request.headers


# ---------------------------------------------------------------- missing configuration


@pytest.mark.parametrize(
    ("front", "env", "reason"),
    [
        (
            "endpoint: GET /health",
            {},
            "no base URL: pass --api-base-url, set API_BASE_URL or the api_base_url ini key",
        ),
        (
            "endpoint: GET /health\nuseFallbackApi: true",
            {"API_BASE_URL": "http://127.0.0.1:1"},
            "the doc uses the fallback API, which is not configured: pass --api-fallback-url, "
            "set API_FALLBACK_URL or the api_fallback_url ini key",
        ),
        (
            "endpoint: GET /health\ntokens: [staff]",
            {"API_BASE_URL": "http://127.0.0.1:1"},
            "needs a 'staff' token, which is not configured: pass --api-token-staff or set "
            "API_TOKEN_STAFF",
        ),
    ],
    ids=["base-url", "fallback-url", "token"],
)
def test_a_doc_needing_what_is_not_configured_is_skipped_with_the_fix(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    monkeypatch: pytest.MonkeyPatch,
    front: str,
    env: dict[str, str],
    reason: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    doc = write_doc("doc.md", front, HEALTH)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED ?1? {doc.name}:*: {reason}"])
    assert result.ret == pytest.ExitCode.OK


def test_a_step_needing_the_fallback_url_is_skipped_when_only_the_base_url_is_set(
    pytester: pytest.Pytester, write_doc: DocWriter, base_url_only: DemoApi
) -> None:
    test = f"{HEALTH}\n- id: other\n  method: GET\n  path: /health\n  useFallbackApi: true"
    write_doc("doc.md", "endpoint: GET /health", test)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*the doc uses the fallback API, which is not configured*"])
    assert base_url_only.requests_log == [], "nothing is sent when the doc cannot finish"


# ---------------------------------------------------------------- timeout and outcome mode


@pytest.fixture
def slow_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoApi]:
    with DemoApi(latency=0.3) as api:
        monkeypatch.setenv("API_BASE_URL", api.base_url)
        yield api


def test_timeout_from_ini_and_the_command_line(
    pytester: pytest.Pytester, write_doc: DocWriter, slow_api: DemoApi
) -> None:
    pytester.makeini("[pytest]\napi_timeout = 0.05\n")
    write_doc("doc.md", "endpoint: GET /health", HEALTH)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*timed out waiting for the response*"])
    pytester.runpytest("--api-timeout", "5").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "*must be a number of seconds, not 'soon'*"),
        ("-1", "*must be a finite number, not negative, not '-1'*"),
        ("inf", "*must be a finite number, not negative, not 'inf'*"),
        ("nan", "*must be a finite number, not negative, not 'nan'*"),
    ],
)
def test_a_timeout_that_is_not_a_usable_number_is_a_usage_error(
    pytester: pytest.Pytester, write_doc: DocWriter, value: str, message: str
) -> None:
    write_doc("doc.md", "endpoint: GET /health", HEALTH)
    result = pytester.runpytest("--api-timeout", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_zero_timeout_fails_the_step_at_once(
    pytester: pytest.Pytester, write_doc: DocWriter, slow_api: DemoApi
) -> None:
    write_doc("doc.md", "endpoint: GET /health", HEALTH)
    result = pytester.runpytest("--api-timeout", "0")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*timed out waiting for the response*"])


def test_a_base_url_that_cannot_carry_the_steps_query_fails_the_step(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("doc.md", "endpoint: GET /health", STAFF_LIST.replace("/platform/v1/clients", "/x"))
    result = pytester.runpytest("--api-base-url", "http://api.test:99999999")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*http://api.test:99999999/x is not a valid URL (*'api.test:99999999' is not a valid*"
            "; check the base URL and the step's path"
        ]
    )


EXPECTED_404 = "endpoint: GET /x\nexpectedOutcome: 404\nexpectedOutcomeReason: not there yet"
GET_MISSING = "- method: GET\n  path: /no/such/route\n  expect:\n    status: 200"


def test_expected_outcome_mode_from_ini_and_the_command_line(
    pytester: pytest.Pytester, write_doc: DocWriter, base_url_only: DemoApi
) -> None:
    write_doc("doc.md", EXPECTED_404, GET_MISSING)
    pytester.runpytest().assert_outcomes(xfailed=1)
    pytester.makeini("[pytest]\napi_expected_outcome = pass\n")
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.runpytest("--api-expected-outcome", "xfail").assert_outcomes(xfailed=1)


def test_an_unknown_expected_outcome_mode_is_a_usage_error(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    pytester.makeini("[pytest]\napi_expected_outcome = maybe\n")
    write_doc("doc.md", EXPECTED_404, GET_MISSING)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*api_expected_outcome must be xfail or pass, not 'maybe'*"])
    result = pytester.runpytest("--api-expected-outcome", "maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


# ---------------------------------------------------------------- default token, auth header


def test_api_default_token_applies_to_docs_and_steps_that_name_none(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", "endpoint: GET /platform/v1/clients", STAFF_LIST)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected status 200, got 401*"])
    pytester.makeini("[pytest]\napi_default_token = staff\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_an_unconfigured_default_token_skips_the_doc(
    pytester: pytest.Pytester, write_doc: DocWriter, base_url_only: DemoApi
) -> None:
    pytester.makeini("[pytest]\napi_default_token = staff\n")
    write_doc("doc.md", "endpoint: GET /platform/v1/clients", STAFF_LIST)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*needs a 'staff' token*--api-token-staff*API_TOKEN_STAFF"])


@pytest.mark.parametrize(
    ("ini", "header", "value"),
    [
        ("", "Authorization", "Bearer mock-staff-secret-7d3b"),
        ("api_auth_scheme = Token\n", "Authorization", "Token mock-staff-secret-7d3b"),
        ("api_auth_header = X-Api-Key\napi_auth_scheme =\n", "X-Api-Key", "mock-staff-secret-7d3b"),
    ],
    ids=["default", "scheme", "header-without-scheme"],
)
def test_auth_header_and_scheme_from_ini(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    mock_env: responses.RequestsMock,
    ini: str,
    header: str,
    value: str,
) -> None:
    mock_env.get("https://api.example.test/me", json={})
    pytester.makeini(f"[pytest]\n{ini}")
    write_doc("doc.md", "endpoint: GET /me\ntokens: [staff]", "- method: GET\n  path: /me")
    pytester.runpytest().assert_outcomes(passed=1)
    headers = mock_env.calls[0].request.headers
    assert headers[header] == value
    if header != "Authorization":
        assert "Authorization" not in headers


# ---------------------------------------------------------------- variables


VARS_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def apispec_vars(apispec_vars):
    return {**apispec_vars, "x": "fixture", "y": "fixture"}
"""


def test_variable_precedence_ini_option_fixture_extracted(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/seed", json={"y": "extracted"})
    mock_env.get("https://api.example.test/echo", json={})
    pytester.makeini("[pytest]\napi_vars =\n    v=ini\n    w=ini\n    x=ini\n    y=ini\n")
    pytester.makeconftest(VARS_CONFTEST)
    prerequisites = "- method: GET\n  path: /seed\n  extract:\n    y: $.y"
    test = """
    - method: GET
      path: /echo
      params: {v: "{{v}}", w: "{{w}}", x: "{{x}}", y: "{{y}}"}
    """
    write_doc("doc.md", "endpoint: GET /echo", test, prerequisites=prerequisites)
    result = pytester.runpytest("--api-var", "w=cli", "--api-var", "x=cli", "--api-var", "y=cli")
    result.assert_outcomes(passed=1)
    query = dict(parse_qsl(urlsplit(str(mock_env.calls[1].request.url)).query))
    assert query == {"v": "ini", "w": "cli", "x": "fixture", "y": "extracted"}


def test_a_variable_with_an_equals_sign_in_its_value(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.post("https://api.example.test/echo", json={})
    write_doc(
        "doc.md",
        "endpoint: POST /echo",
        '- method: POST\n  path: /echo\n  body:\n    filter: "{{filter}}"',
    )
    pytester.runpytest("--api-var", "filter=a=b").assert_outcomes(passed=1)
    assert json.loads(mock_env.calls[0].request.body or "") == {"filter": "a=b"}


def test_a_malformed_api_var_is_a_usage_error(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("doc.md", "endpoint: GET /health", HEALTH)
    result = pytester.runpytest("--api-var", "novalue")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--api-var: 'novalue' is not NAME=VALUE*"])


# ---------------------------------------------------------------- overridable fixtures


TOKENS_CONFTEST = f"""
import pytest

@pytest.fixture(scope="session")
def apispec_tokens():
    # as if fetched by logging in
    return {{"staff": "{STAFF}"}}
"""


def test_apispec_tokens_can_be_overridden_in_a_conftest(
    pytester: pytest.Pytester, write_doc: DocWriter, base_url_only: DemoApi
) -> None:
    pytester.makeconftest(TOKENS_CONFTEST)
    write_doc("doc.md", STAFF_DOC, STAFF_LIST)
    pytester.runpytest().assert_outcomes(passed=1)


SESSION_CONFTEST = """
import pytest
import requests

@pytest.fixture(scope="session")
def apispec_session():
    with requests.Session() as session:
        session.headers["X-Tenant"] = "acme"
        yield session
"""


def test_apispec_session_can_be_overridden_in_a_conftest(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/me", json={})
    pytester.makeconftest(SESSION_CONFTEST)
    write_doc("doc.md", "endpoint: GET /me\ntokens: [staff]", "- method: GET\n  path: /me")
    pytester.runpytest().assert_outcomes(passed=1)
    headers = mock_env.calls[0].request.headers
    assert headers["X-Tenant"] == "acme"
    assert headers["Authorization"] == "Bearer mock-staff-secret-7d3b"


USER_FIXTURES_CONFTEST = """
import pytest

@pytest.fixture(scope="module")
def seeded_module(pytestconfig):
    log = pytestconfig.rootpath / "fixture.log"
    with log.open("a") as out:
        out.write("module\\n")
    yield
    with log.open("a") as out:
        out.write("module done\\n")

@pytest.fixture
def not_ready():
    pytest.skip("the test database is not ready")
"""


def test_a_docs_fixtures_use_the_users_fixtures_including_module_scoped_ones(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    pytester.makeconftest(USER_FIXTURES_CONFTEST)
    write_doc("a.md", "endpoint: GET /a\nfixtures: [seeded_module]", HEALTH)
    write_doc("b.md", "endpoint: GET /b\nfixtures: [seeded_module]", HEALTH)
    write_doc("c.md", "endpoint: GET /c\nfixtures: [not_ready]", HEALTH)
    result = pytester.runpytest("--setup-show", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(
        ["*SETUP    M seeded_module*", "*SKIPPED*the test database is not ready"]
    )
    log = (pytester.path / "fixture.log").read_text().splitlines()
    assert log == ["module", "module done", "module", "module done"]
    health_calls = [entry for entry in demo_env.requests_log if entry[2] == "/health"]
    assert len(health_calls) == 2, "the skipped doc sends nothing"


def test_an_unknown_fixture_in_a_doc_is_a_setup_error(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", "endpoint: GET /a\nfixtures: [no_such_fixture]", HEALTH)
    write_doc("ok.md", "endpoint: GET /b", HEALTH)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'no_such_fixture' not found*"])


# ---------------------------------------------------------------- where tokens may go


def test_a_redirect_to_another_host_does_not_carry_the_token(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get(
        "https://api.example.test/moved",
        status=302,
        headers={"Location": "https://elsewhere.example.test/landing"},
    )
    mock_env.get("https://elsewhere.example.test/landing", json={})
    write_doc("doc.md", "endpoint: GET /moved\ntokens: [staff]", "- method: GET\n  path: /moved")
    pytester.runpytest().assert_outcomes(passed=1)
    first, second = (call.request for call in mock_env.calls)
    assert first.headers["Authorization"] == "Bearer mock-staff-secret-7d3b"
    assert second.url == "https://elsewhere.example.test/landing"
    assert "Authorization" not in second.headers


def test_a_redirect_within_the_base_host_keeps_the_token(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/moved", status=307, headers={"Location": "/v2/landing"})
    mock_env.get("https://api.example.test/v2/landing", json={})
    write_doc("doc.md", "endpoint: GET /moved\ntokens: [staff]", "- method: GET\n  path: /moved")
    pytester.runpytest().assert_outcomes(passed=1)
    assert mock_env.calls[1].request.headers["Authorization"] == "Bearer mock-staff-secret-7d3b"


def test_a_step_addressing_another_host_is_refused(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    test = "- id: out\n  method: GET\n  path: https://elsewhere.example.test/x"
    write_doc("doc.md", "endpoint: GET /x\ntokens: [staff]", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  - sends to elsewhere.example.test, which is neither the base nor "
            "the fallback host*api_allowed_hosts*"
        ]
    )
    assert len(mock_env.calls) == 0


def test_a_malformed_api_token_option_is_a_usage_error(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("doc.md", "endpoint: GET /health", HEALTH)
    result = pytester.runpytest("--api-token", "just-a-token")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--api-token: a value is not TYPE=TOKEN, such as staff=...*"])
    assert "just-a-token" not in result.stderr.str() + result.stdout.str()


def test_the_plugin_can_be_disabled(pytester: pytest.Pytester, write_doc: DocWriter) -> None:
    write_doc("doc.md", "endpoint: GET /health", HEALTH)
    result = pytester.runpytest("-p", "no:apispec", "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
