"""Failure reports (what a person needs to understand and repeat a failing step) and JUnit XML."""

from __future__ import annotations

import os
import shlex
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import responses
from apispec_helpers import MOCK_TOKENS, DocWriter, line_of

from pytest_apispec.demo import DemoApi

FRONT = "endpoint: POST /v1/orders\ntokens: [staff]"
ORDER_STEP = """
- id: create_order
  description: Create an order for the client
  method: POST
  path: /v1/orders
  params:
    dry_run: "true"
  headers:
    X-Trace: abc
  body:
    client: "it's me"
    lines: [{sku: A-1, qty: 2}]
  expect:
    status: 201
    json:
      $.id: 1
    headers:
      X-Version: "2"
"""


@pytest.fixture
def failing(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> Path:
    """A doc whose test step meets none of its expectations."""
    mock_env.post(
        "https://api.example.test/v1/orders",
        status=422,
        json={"error": "client unknown", "padding": "x" * 10_000},
        headers={"X-Version": "1", "X-Request-Id": "req-42"},
    )
    return write_doc("orders/create.md", FRONT, ORDER_STEP, summary="Creates an order.")


def curl_line(output: str) -> str:
    lines = output.splitlines()
    return lines[lines.index("repeat it with:") + 1].strip()


def test_long_report_shows_where_what_was_sent_what_came_back_and_every_mismatch(
    pytester: pytest.Pytester, failing: Path
) -> None:
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    line = line_of(failing, "- id: create_order")
    url = "https://api.example.test/v1/orders?dry_run=true"
    result.stdout.fnmatch_lines(
        [
            f"orders/create.md:{line}: step 'create_order' failed",
            "doc: Creates an order.",
            "  Create an order for the client",
            "  - expected status 201, got 422",
            "  - expect.json $.id: matched nothing, expected 1",
            "  - expect.headers X-Version: expected '2', got '1'",
            f"request:  POST {url}",
            "response: 422 Unprocessable Entity",
            "",
            f"--- request: POST {url}",
            "X-Trace: abc",
            "Authorization: Bearer $API_TOKEN_STAFF",
            "{",
            '  "client": "it\'s me",',
            "*",
            "--- response: 422 Unprocessable Entity (*s)",
            "*X-Version: 1",
            "*X-Request-Id: req-42",
            '{"error": "client unknown", "padding": "xxx*',
            "... (body excerpt of * bytes received)",
            "",
            "repeat it with:",
            f"  curl -X POST '{url}' -H *",
        ]
    )
    output = result.stdout.str()
    assert 1_900 <= output.count("x") <= 2_100, "the body excerpt is bounded"
    assert MOCK_TOKENS["staff"] not in output


def test_the_curl_command_repeats_the_request_with_the_token_from_its_variable(
    pytester: pytest.Pytester, failing: Path
) -> None:
    result = pytester.runpytest()
    curl = curl_line(result.stdout.str())
    assert "$API_TOKEN_STAFF" in curl and MOCK_TOKENS["staff"] not in curl
    # let a real shell expand it, with printf standing in for curl
    script = "printf '%s\\n' " + curl.removeprefix("curl ")
    env = {**os.environ, "API_TOKEN_STAFF": "shell-secret"}
    argv = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert argv == [
        "-X",
        "POST",
        "https://api.example.test/v1/orders?dry_run=true",
        "-H",
        "X-Trace: abc",
        "-H",
        "Authorization: Bearer shell-secret",
        "-H",
        "Content-Type: application/json",
        "--data",
        '{"client": "it\'s me", "lines": [{"sku": "A-1", "qty": 2}]}',
    ]
    assert shlex.split(curl)[0] == "curl"


def test_tb_line_gives_one_line_per_failure(pytester: pytest.Pytester, failing: Path) -> None:
    result = pytester.runpytest("--tb=line")
    result.assert_outcomes(failed=1)
    line = line_of(failing, "- id: create_order")
    result.stdout.fnmatch_lines(
        [
            f"orders/create.md:{line}: step 'create_order': expected status 201, got 422; "
            "expect.json $.id: matched nothing, expected 1; "
            "expect.headers X-Version: expected '2', got '1'",
        ]
    )
    result.stdout.no_fnmatch_line("*--- request*")
    result.stdout.no_fnmatch_line("*curl*")


def test_tb_short_gives_the_problems_and_the_exchange_without_the_details(
    pytester: pytest.Pytester, failing: Path
) -> None:
    result = pytester.runpytest("--tb=short")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "orders/create.md:*: step 'create_order' failed",
            "  - expected status 201, got 422",
            "  - expect.json $.id: matched nothing, expected 1",
            "  - expect.headers X-Version: expected '2', got '1'",
            "request:  POST https://api.example.test/v1/orders?dry_run=true",
            "response: 422 Unprocessable Entity",
        ]
    )
    for detail in ("*--- request*", "*--- response*", "*curl*", "*padding*"):
        result.stdout.no_fnmatch_line(detail)


def test_tb_no_shows_no_report(pytester: pytest.Pytester, failing: Path) -> None:
    result = pytester.runpytest("--tb=no", "-rN")
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*create_order*")


def test_tb_styles_apply_to_setup_and_teardown_errors_too(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/v1/setup", status=500, json={"error": "down"})
    mock_env.get("https://api.example.test/v1/test", json={})
    mock_env.delete("https://api.example.test/v1/cleanup", status=500, json={"error": "down"})
    doc = write_doc(
        "doc.md",
        "endpoint: GET /v1/test",
        "- method: GET\n  path: /v1/test",
        prerequisites="- id: prepare\n  method: GET\n  path: /v1/setup\n  onFail: abort",
    )
    line = line_of(doc, "- id: prepare")
    result = pytester.runpytest("--tb=line")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"doc.md:{line}: step 'prepare': expected status any 2xx, got 500"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*curl*")
    result = pytester.runpytest("--tb=long")
    result.stdout.fnmatch_lines(["*curl -X GET https://api.example.test/v1/setup*"])

    write_doc(
        "doc.md",
        "endpoint: GET /v1/test",
        "- method: GET\n  path: /v1/test",
        cleanup="- id: tidy\n  method: DELETE\n  path: /v1/cleanup",
    )
    result = pytester.runpytest("--tb=short")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of GET /v1/test*", "doc.md:*: step 'tidy' failed"]
    )
    result.stdout.no_fnmatch_line("*curl*")


def test_a_report_without_a_response_shows_the_request_and_the_error(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", "endpoint: GET /x", "- id: x\n  method: GET\n  path: /x")
    result = pytester.runpytest("--api-base-url", "http://127.0.0.1:1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "doc.md:*: step 'x' failed",
            "  - could not connect to http://127.0.0.1:1/x: connection refused",
            "request:  GET http://127.0.0.1:1/x",
            "*curl -X GET http://127.0.0.1:1/x",
        ]
    )
    result.stdout.no_fnmatch_line("*--- response*")


# ---------------------------------------------------------------- JUnit XML


PROVENANCE = """
endpoint: "PUT /business/payments/v1/client_packages/{uid}"
domain: sales
status: verified
swagger: "swagger/sales/legacy/payments.json"
savedAt: "2026-01-26T22:21:05.741Z"
verifiedAt: 2026-02-08T10:24:43.000Z
timesReused: 1
"""


def junit_properties(path: Path) -> dict[str, dict[str, str]]:
    root = ET.parse(path).getroot()
    return {
        case.attrib["name"]: {
            prop.attrib["name"]: prop.attrib["value"] for prop in case.iter("property")
        }
        for case in root.iter("testcase")
    }


def test_junit_xml_carries_the_doc_properties(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("sales/update.md", PROVENANCE, "- method: GET\n  path: /health")
    write_doc("bare.md", "endpoint: GET /health", "- method: GET\n  path: /health")
    xml = pytester.path / "junit.xml"
    pytester.runpytest(f"--junitxml={xml}").assert_outcomes(passed=2)
    properties = junit_properties(xml)
    update = properties["PUT /business/payments/v1/client_packages/{uid}"]
    assert update["endpoint"] == "PUT /business/payments/v1/client_packages/{uid}"
    assert update["domain"] == "sales"
    assert update["status"] == "verified"
    assert update["swagger"] == "swagger/sales/legacy/payments.json"
    assert update["savedAt"] == "2026-01-26T22:21:05.741Z"
    assert update["verifiedAt"].startswith("2026-02-08")
    assert update["timesReused"] == "1"
    assert properties["GET /health"] == {"endpoint": "GET /health"}
    root = ET.parse(xml).getroot()
    classnames = {case.attrib["classname"] for case in root.iter("testcase")}
    assert classnames == {"sales.update.md", "bare.md"}


def test_junit_swagger_property_is_relative_to_the_swagger_root(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    # the file does not exist: under a configured root that fails the contract check, so off
    pytester.makeini("[pytest]\napi_swagger_root = specs/openapi\napi_contract = off\n")
    write_doc("update.md", PROVENANCE, "- method: GET\n  path: /health")
    xml = pytester.path / "junit.xml"
    pytester.runpytest(f"--junitxml={xml}").assert_outcomes(passed=1)
    [properties] = junit_properties(xml).values()
    assert properties["swagger"] == "specs/openapi/swagger/sales/legacy/payments.json"


def test_junit_xml_failure_holds_the_report(pytester: pytest.Pytester, failing: Path) -> None:
    xml = pytester.path / "junit.xml"
    pytester.runpytest(f"--junitxml={xml}").assert_outcomes(failed=1)
    [failure] = ET.parse(xml).getroot().iter("failure")
    assert "step 'create_order'" in failure.attrib["message"]
    assert "expected status 201, got 422" in (failure.text or "")
    assert "$API_TOKEN_STAFF" in (failure.text or "")


def test_under_xdist_a_failure_reads_as_in_a_serial_run(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    demo_env: DemoApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker's report reaches the controller whole: the summary line, ``--tb=line`` and the
    JUnit message are the one-line crash message, even where pytest prints summaries in full
    (``CI`` set)."""
    monkeypatch.setenv("CI", "1")
    write_doc(
        "doc.md",
        "endpoint: GET /health",
        "- id: health\n  method: GET\n  path: /health\n  expect: {status: 201}",
    )

    def outputs(*args: str) -> tuple[list[str], list[str], str]:
        xml = pytester.path / "junit.xml"
        result = pytester.runpytest_subprocess(f"--junitxml={xml}", "-p", "no:cacheprovider", *args)
        result.assert_outcomes(failed=1)
        summary = result.stdout.lines[
            result.stdout.lines.index(
                next(line for line in result.stdout.lines if "short test summary info" in line)
            )
            + 1 : -1
        ]
        line = pytester.runpytest_subprocess("--tb=line", "-p", "no:cacheprovider", *args)
        tb_line = [text for text in line.stdout.lines if text.startswith("doc.md:")]
        [failure] = ET.parse(xml).getroot().iter("failure")
        return summary, tb_line, failure.attrib["message"]

    serial, parallel = outputs(), outputs("-n", "2")
    assert serial == parallel
    summary, tb_line, message = serial
    assert summary == ["FAILED doc.md::GET /health - " + message]
    assert tb_line == [f"doc.md:{line_of(pytester.path / 'doc.md', '- id: health')}: {message}"]
    assert message == "step 'health': expected status 201, got 200"
