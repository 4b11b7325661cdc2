"""No output channel ever shows a token, even when the server echoes it back.

A small server on 127.0.0.1 answers with the ``Authorization`` header it received, in its body
and in a response header, so the token reaches the response excerpts, the mismatch messages,
extracted variables (and from there URLs, bodies and curl commands), skip reasons and logs.
pytest then runs with every option that shows more.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from apispec_helpers import DocWriter

TOKEN = "leak-canary-7f9e2c1d5b"
CLIENT_TOKEN = "leak-canary-client-0a9b8c"
VERBOSE = ["-vv", "-l", "--tb=long", "-rA", "--log-level=DEBUG", "-p", "no:cacheprovider"]


class EchoHandler(BaseHTTPRequestHandler):
    """``/ok...`` answers 200, anything else 500; both echo the Authorization header."""

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length).decode() if length else ""
        auth = self.headers.get("Authorization", "")
        token = auth.partition(" ")[2]
        payload = json.dumps(
            {"you_sent": auth, "token": token, "path": self.path, "body": received}
        ).encode()
        self.send_response(200 if self.path.startswith("/ok") else 500)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo-Authorization", auth)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


LEAKY_CONFTEST = """
import logging
import pytest

@pytest.fixture
def careless(apispec_tokens):
    token = apispec_tokens["staff"]
    logging.getLogger("app").debug("logging in with %s", token)
    print("token for this test:", token)

@pytest.fixture
def broken(apispec_tokens):
    token = apispec_tokens["staff"]
    raise RuntimeError("login failed")
"""


@pytest.fixture
def leaky_docs(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    echo_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> pytest.Pytester:
    """Docs that fail in every way that could show the token; the token in the environment."""
    monkeypatch.setenv("API_BASE_URL", echo_server)
    monkeypatch.setenv("API_TOKEN_STAFF", TOKEN)
    monkeypatch.setenv("API_TOKEN_CLIENT", CLIENT_TOKEN)
    pytester.makeconftest(LEAKY_CONFTEST)
    staff = "tokens: [staff]"
    write_doc(
        "mismatch.md",
        f"endpoint: GET /echo\n{staff}\nfixtures: [careless]",
        "- id: echo\n  method: GET\n  path: /echo\n  expect:\n    json:\n      $.token: nope",
    )
    write_doc(
        "extracted.md",
        f"endpoint: POST /items/{{id}}\n{staff}",
        """
        - id: use_it
          method: POST
          path: /items/{{grabbed}}
          params: {q: "{{grabbed}}"}
          headers: {X-Copy: "{{grabbed}}"}
          body: {secret: "{{grabbed}}", nested: ["x {{grabbed}} y"]}
        """,
        prerequisites="- id: grab\n  method: GET\n  path: /ok\n  extract:\n    grabbed: $.token",
    )
    write_doc(
        "setup.md",
        "endpoint: GET /a\ntokens: [client]",
        "- method: GET\n  path: /ok",
        prerequisites="- id: pre\n  method: GET\n  path: /pre",
    )
    write_doc(
        "skipped.md",
        f"endpoint: GET /b\n{staff}",
        "- method: GET\n  path: /ok",
        prerequisites="- id: pre\n  method: GET\n  path: /pre\n  onFail: skip\n"
        "  skipReason: nothing to test with",
    )
    write_doc(
        "cleanup.md",
        f"endpoint: GET /c\n{staff}",
        "- method: GET\n  path: /ok",
        cleanup="- id: tidy\n  method: DELETE\n  path: /tidy",
    )
    write_doc(
        "locals.md", f"endpoint: GET /d\n{staff}\nfixtures: [broken]", "- method: GET\n  path: /ok"
    )
    write_doc(
        "xfail.md",
        f"endpoint: GET /e\n{staff}\nexpectedOutcome: 500",
        "- method: GET\n  path: /echo\n  expect:\n    status: 200",
    )
    return pytester


def assert_no_token(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text
        assert CLIENT_TOKEN not in text


def run_and_check(
    pytester: pytest.Pytester, *args: str, subprocess: bool = True
) -> pytest.RunResult:
    """Run verbosely (in a subprocess: real logging and terminal set-up), check no output
    channel holds a token."""
    xml = pytester.path / "junit.xml"
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    result = run(*VERBOSE, f"--junitxml={xml}", *args)
    result.assert_outcomes(passed=1, failed=2, errors=3, skipped=1, xfailed=1)
    assert_no_token(result.stdout.str(), result.stderr.str(), xml.read_text())
    return result


def test_the_run_really_shows_the_places_a_token_could_appear(
    leaky_docs: pytest.Pytester,
) -> None:
    result = run_and_check(leaky_docs)
    result.stdout.fnmatch_lines_random(
        [
            "*expect.json $.token: expected 'nope', got '***'*",
            "X-Echo-Authorization: Bearer ***",
            "*POST http://127.0.0.1:*/items/***?q=***",
            '*"secret": "***"*',
            "*curl -X POST*",
            "*nothing to test with*",
            "*logging in with ****",
            "*token for this test: ****",
            "*token *= '***'*",
            "*ERROR at teardown of GET /c*",
        ]
    )


def test_no_token_with_native_tracebacks(leaky_docs: pytest.Pytester) -> None:
    run_and_check(leaky_docs, "--tb=native")


def test_no_token_in_live_logs_and_short_tracebacks(leaky_docs: pytest.Pytester) -> None:
    run_and_check(leaky_docs, "--tb=short", "--log-cli-level=DEBUG")


def test_no_token_given_on_the_command_line(
    leaky_docs: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("API_TOKEN_STAFF")
    run_and_check(leaky_docs, "--api-token-staff", TOKEN, subprocess=False)
    run_and_check(leaky_docs, "--api-token", f"staff={TOKEN}", subprocess=False)


def test_no_token_from_an_overridden_apispec_tokens_fixture(
    leaky_docs: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("API_TOKEN_STAFF")
    monkeypatch.delenv("API_TOKEN_CLIENT")
    conftest = leaky_docs.path / "conftest.py"
    conftest.write_text(
        conftest.read_text()
        + "\n\n@pytest.fixture(scope='session')\ndef apispec_tokens():\n"
        + f"    return {{'staff': {TOKEN!r}, 'client': {CLIENT_TOKEN!r}}}\n"
    )
    run_and_check(leaky_docs, subprocess=False)


def test_no_token_under_xdist(leaky_docs: pytest.Pytester) -> None:
    result = run_and_check(leaky_docs, "-n", "2")
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_no_token_in_a_result_log_file(leaky_docs: pytest.Pytester) -> None:
    log = leaky_docs.path / "run.log"
    run_and_check(leaky_docs, f"--log-file={log}", "--log-file-level=DEBUG")
    text = log.read_text()
    assert "logging in with" in text
    assert_no_token(text)


def test_no_token_in_junit_xml_with_captured_output(leaky_docs: pytest.Pytester) -> None:
    xml = leaky_docs.path / "junit.xml"
    result = leaky_docs.runpytest_subprocess(
        f"--junitxml={xml}", "-o", "junit_logging=all", "--log-level=DEBUG"
    )
    result.assert_outcomes(passed=1, failed=2, errors=3, skipped=1, xfailed=1)
    text = xml.read_text()
    assert "token for this test: ***" in text
    assert "logging in with ***" in text
    assert_no_token(text)
