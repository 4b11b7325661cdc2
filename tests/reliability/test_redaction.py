"""Token values are redacted from every output channel, whatever shows them.

One project: a server that echoes the Authorization header back (in its body and in a header),
a user fixture that prints the token, logs it (also inside an exception) and warns with it, and
docs that pass and fail. pytest runs with each channel turned on (terminal, ``-rA`` captured
output, ``--junitxml``, ``--log-level=DEBUG`` with requests/urllib3 debug logs, live logs, a log
file, pytest-xdist, pytest-html); the token must appear in none of them, in any spelling.
The check itself lives in one place, ``pytest_apispec.plugin.redact``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from .helpers import doc
from .servers import ScriptedServer, echo_authorization

TOKEN = "tok/en+with=chars-58c1e0f7"  # spelled differently in JSON (\/) and in URLs (%2F)
SPELLINGS = [TOKEN, json.dumps(TOKEN)[1:-1], quote(TOKEN, safe="")]

CONFTEST = """
import logging
import warnings

import pytest


@pytest.fixture(autouse=True)
def careless(apispec_tokens):
    token = apispec_tokens["staff"]
    print("stdout: the token is", token)
    logging.getLogger("app").info("user log line: token=%s", token)
    try:
        raise RuntimeError(f"login with {token} failed")
    except RuntimeError:
        logging.getLogger("app").exception("an exception that holds the token")
    warnings.warn(f"a warning that holds the token {token}")
    yield
"""

STAFF = 'endpoint: "GET /echo"\ntokens: [staff]'
DOCS = {
    "passes.md": doc("- method: GET\n  path: /echo", STAFF),
    "fails.md": doc("- method: GET\n  path: /echo\n  expect: {status: 201}", STAFF),
    "mismatch.md": doc(
        "- method: GET\n  path: /echo\n  expect:\n    json: {$.authorization: nope}", STAFF
    ),
    "extracted.md": doc(
        "- method: POST\n  path: /use/{{auth}}\n  body: {copy: '{{auth}}'}\n"
        "  expect: {status: 201}",
        STAFF,
        prerequisites="- method: GET\n  path: /echo\n  extract: {auth: $.authorization}",
    ),
}


@pytest.fixture(scope="module")
def echo() -> Iterator[ScriptedServer]:
    with ScriptedServer(echo_authorization) as server:
        yield server


@pytest.fixture
def project(
    pytester: pytest.Pytester, echo: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("API_BASE_URL", echo.base_url)
    monkeypatch.setenv("API_TOKEN_STAFF", TOKEN)
    pytester.makeconftest(CONFTEST)
    for name, text in DOCS.items():
        (pytester.path / name).write_text(text)
    return pytester


def assert_no_token(*texts: str) -> None:
    for text in texts:
        for spelling in SPELLINGS:
            assert spelling not in text


def run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    result = project.runpytest_subprocess(
        "-rA", "-p", "no:cacheprovider", "-W", "default", *args, timeout=60
    )
    result.assert_outcomes(passed=1, failed=3, warnings=result.parseoutcomes().get("warnings", 0))
    files = "".join(
        path.read_text(errors="replace")
        for path in project.path.iterdir()
        if path.suffix in (".xml", ".html", ".log", ".txt")
    )
    output = result.stdout.str() + result.stderr.str()
    assert_no_token(output, files)
    return result, output + files


def test_the_channels_really_carry_what_would_leak(project: pytest.Pytester) -> None:
    """Without this, a clean run could just mean nothing was shown."""
    _, shown = run(project, "--log-level=DEBUG", "--junitxml=junit.xml")
    for needle in [
        "stdout: the token is ***",
        "user log line: token=***",
        "RuntimeError: login with *** failed",
        "a warning that holds the token ***",
        '"authorization": "Bearer ***"',  # the echoed body, in the failure report
        "X-Echo: Bearer ***",  # the echoed header
        "Starting new HTTP connection",  # urllib3's debug log is there
        "Authorization: Bearer $API_TOKEN_STAFF",  # the request as reported
    ]:
        assert needle in shown, needle


@pytest.mark.parametrize(
    "channel",
    [
        pytest.param([], id="terminal"),
        pytest.param(["--tb=native", "-vv", "-l"], id="native tracebacks and locals"),
        pytest.param(["--junitxml=junit.xml", "-o", "junit_logging=all"], id="junitxml"),
        pytest.param(["--log-level=DEBUG"], id="debug logs of requests and urllib3"),
        pytest.param(["--log-cli-level=DEBUG"], id="live logs"),
        pytest.param(["--log-file=run.log", "--log-file-level=DEBUG"], id="log file"),
        pytest.param(["-n", "2", "--log-level=DEBUG"], id="xdist"),
        pytest.param(
            ["-n", "2", "--junitxml=junit.xml", "-o", "junit_logging=all"], id="xdist junit"
        ),
        pytest.param(["--html=report.html", "--self-contained-html"], id="pytest-html"),
        pytest.param(["-n", "2", "--html=report.html", "--log-level=DEBUG"], id="xdist html"),
        pytest.param(
            ["--api-token-staff", TOKEN, "--html=report.html"], id="token on the command line"
        ),
    ],
)
def test_no_channel_shows_the_token(project: pytest.Pytester, channel: list[str]) -> None:
    run(project, *channel)


def test_pytest_html_report_is_written_and_clean(project: pytest.Pytester) -> None:
    pytest.importorskip("pytest_html")
    run(project, "--html=report.html", "--self-contained-html", "--log-level=DEBUG")
    html = (project.path / "report.html").read_text()
    assert "fails.md" in html and "***" in html


def test_every_spelling_of_a_token_is_redacted() -> None:
    from pytest_apispec.plugin.redact import Redactor

    redactor = Redactor()
    redactor.add([TOKEN, "abc"])  # too short to redact without ruining every report
    for spelling in SPELLINGS:
        assert redactor.redact(f"x {spelling} y") == "x *** y"
    assert redactor.redact("abc") == "abc"


def test_redaction_is_one_module() -> None:
    """Every channel goes through redact.py: no other module replaces token values."""
    package = Path(__file__).parents[2] / "pytest_apispec"
    others = [
        path.name
        for path in package.rglob("*.py")
        if path.name != "redact.py" and "MASK" in path.read_text()
    ]
    assert others == []
