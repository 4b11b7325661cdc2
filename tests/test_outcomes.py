"""The outcome table of FORMAT-NOTES, one row at a time, end to end against the demo API.

Every test runs pytest on real doc files and checks both the outcome and what the user reads.
"""

from __future__ import annotations

import socket

import pytest
import responses
from apispec_helpers import DocWriter, line_of

from pytest_apispec.demo import DemoApi

CLIENTS = "/platform/v1/clients"
PACKAGES = "/platform/v1/payment/client_packages"
UPDATE_USAGE = "/platform/v1/clients/payment/client_packages/update_usage"

GET_CLIENT = "endpoint: GET /platform/v1/clients/{id}\ntokens: [staff]"
LIST_CLIENTS = """
- id: list_clients
  description: Find a client of the business
  method: GET
  path: /platform/v1/clients
  params:
    business_id: biz_demo_1
  extract:
    client_id: "$.data.clients[0].id"
  expect:
    status: 200
"""
LIST_CLIENTS_BROKEN = """
- id: list_clients
  method: GET
  path: /platform/v1/clients
  extract:
    client_id: "$.data.clients[0].id"
  expect:
    status: 200
"""
GET_THE_CLIENT = """
- id: get_client
  method: GET
  path: /platform/v1/clients/{{client_id}}
  expect:
    status: 200
"""
NODE = "doc.md::GET /platform/v1/clients/{id}"


def paths_requested(api: DemoApi) -> list[str]:
    return [f"{method} {target.split('?')[0]}" for _, method, target in api.requests_log]


def test_all_steps_meeting_their_expectations_pass(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", GET_CLIENT, GET_THE_CLIENT, prerequisites=LIST_CLIENTS)
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"PASSED {NODE}"])
    assert result.ret == pytest.ExitCode.OK
    assert paths_requested(demo_env) == [f"GET {CLIENTS}", f"GET {CLIENTS}/101"]


def test_failing_prerequisite_with_abort_is_an_error_in_setup_naming_the_step(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    doc = write_doc("doc.md", GET_CLIENT, GET_THE_CLIENT, prerequisites=LIST_CLIENTS_BROKEN)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of GET /platform/v1/clients/{id}*",
            f"doc.md:{line_of(doc, '- id: list_clients')}: step 'list_clients' failed",
            "  - expected status 200, got 422",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert paths_requested(demo_env) == [f"GET {CLIENTS}"], "the test request must not be sent"


def test_on_fail_abort_is_the_default(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    prerequisite = LIST_CLIENTS_BROKEN + "  onFail: abort\n"
    write_doc("doc.md", GET_CLIENT, GET_THE_CLIENT, prerequisites=prerequisite)
    pytester.runpytest().assert_outcomes(errors=1)


def test_failing_prerequisite_with_on_fail_skip_is_skipped_with_its_skip_reason(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    prerequisite = LIST_CLIENTS_BROKEN + "  onFail: skip\n  skipReason: No client to look at\n"
    doc = write_doc("doc.md", GET_CLIENT, GET_THE_CLIENT, prerequisites=prerequisite)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    line = line_of(doc, "## Test Request")
    result.stdout.fnmatch_lines(
        [f"SKIPPED ?1? doc.md:{line}: No client to look at (step 'list_clients': *got 422)"]
    )
    assert result.ret == pytest.ExitCode.OK
    assert paths_requested(demo_env) == [f"GET {CLIENTS}"]


def test_test_step_status_not_in_expect_status_fails(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = GET_THE_CLIENT.replace("{{client_id}}", "999").replace("200", "[200, 201]")
    doc = write_doc("doc.md", GET_CLIENT, test)
    result = pytester.runpytest("-rf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"doc.md:{line_of(doc, '- id: get_client')}: step 'get_client' failed",
            "  - expected status 200 or 201, got 404",
            f"FAILED {NODE} - step 'get_client': expected st*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_missing_expect_status_accepts_any_2xx_only(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("ok.md", GET_CLIENT, "- method: GET\n  path: /platform/v1/clients/101")
    write_doc("missing.md", GET_CLIENT, "- method: GET\n  path: /platform/v1/clients/999")
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*expected status any 2xx, got 404*"])


EXPECTED_422 = """
endpoint: POST /platform/v1/clients/payment/client_packages/update_usage
expectedOutcome: 422
expectedOutcomeReason: "Test client has no active packages"
"""
UPDATE_USAGE_STEP = """
- id: use_credit
  method: POST
  path: /platform/v1/clients/payment/client_packages/update_usage
  body:
    payment_status_id: "{payment}"
  expect:
    status: [200, 422]
"""
USAGE_NODE = f"doc.md::POST {UPDATE_USAGE}"


def test_expected_outcome_status_is_xfailed_with_its_reason(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", EXPECTED_422, UPDATE_USAGE_STEP.format(payment="ps_1001"))
    result = pytester.runpytest("-rx")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines([f"XFAIL {USAGE_NODE}*Test client has no active packages"])
    assert result.ret == pytest.ExitCode.OK


def test_step_level_success_status_is_xfailed_with_its_success_reason(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    step = UPDATE_USAGE_STEP.format(payment="ps_1001")
    step += "  successStatus: 422\n  successReason: Reached the business logic\n"
    write_doc("doc.md", f"endpoint: POST {UPDATE_USAGE}", step)
    result = pytester.runpytest("-rx")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines([f"XFAIL {USAGE_NODE}*Reached the business logic"])


def test_expected_outcome_pass_mode_reports_it_as_passed(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", EXPECTED_422, UPDATE_USAGE_STEP.format(payment="ps_1001"))
    result = pytester.runpytest("-rA", "--api-expected-outcome", "pass")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"PASSED {USAGE_NODE}"])


XPASS_DOC = """
endpoint: GET /platform/v1/clients/{id}
tokens: [staff]
expectedOutcome: 404
expectedOutcomeReason: "Client 101 is missing in this environment"
"""
XPASS_STEP = """
- id: get_client
  method: GET
  path: /platform/v1/clients/101
  expect:
    status: [200, 404]
"""


def test_another_accepted_status_while_expected_outcome_is_set_is_xpassed(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", XPASS_DOC, XPASS_STEP)
    result = pytester.runpytest("-rX")
    result.assert_outcomes(xpassed=1)
    result.stdout.fnmatch_lines([f"XPASS {NODE}*Client 101 is missing in this environment"])
    assert result.ret == pytest.ExitCode.OK


def test_xpass_fails_under_xfail_strict(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    write_doc("doc.md", XPASS_DOC, XPASS_STEP)
    result = pytester.runpytest("-rf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["?XPASS(strict)? Client 101 is missing in this environment", f"FAILED {NODE}*"]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_an_unaccepted_status_still_fails_when_an_expected_outcome_is_set(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", EXPECTED_422, UPDATE_USAGE_STEP.format(payment="ps_unknown"))
    result = pytester.runpytest("-rA")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  - expected status 200 or 422, got 404"])


def test_runxfail_reports_the_expected_outcome_as_a_failure(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", EXPECTED_422, UPDATE_USAGE_STEP.format(payment="ps_1001"))
    result = pytester.runpytest("--runxfail")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "doc.md:*: answered 422: Test client has no active packages "
            "(the doc's expectedOutcome, a failure under --runxfail)",
        ]
    )


def test_rxX_summarises_xfails_and_xpasses_with_their_reasons(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", EXPECTED_422, UPDATE_USAGE_STEP.format(payment="ps_1001"))
    write_doc("xpass.md", XPASS_DOC, XPASS_STEP)
    result = pytester.runpytest("-rxX")
    result.assert_outcomes(xfailed=1, xpassed=1)
    result.stdout.fnmatch_lines(
        [
            "*short test summary info*",
            f"XFAIL {USAGE_NODE}*Test client has no active packages",
            "XPASS xpass.md::GET /platform/v1/clients/{id} - Client 101 is missing*",
        ]
    )


CREATE_PACKAGE = """
- id: create_package
  method: POST
  path: /platform/v1/payment/client_packages
  body: {client_id: 101, package_id: 7, price: 1}
  extract:
    package_uid: "$.data.client_package.id"
  expect:
    status: 201
"""
DELETE_PACKAGE = """
- id: delete_package
  method: DELETE
  path: /platform/v1/payment/client_packages/{{package_uid}}
  expect:
    status: 204
"""
PACKAGE_DOC = "endpoint: GET /platform/v1/payment/client_packages/{uid}\ntokens: [staff]"
GET_PACKAGE = """
- id: get_package
  method: GET
  path: /platform/v1/payment/client_packages/{{package_uid}}
  expect:
    status: %d
"""


def test_failing_cleanup_is_an_error_in_teardown(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    cleanup = DELETE_PACKAGE + "- id: delete_again\n  method: DELETE\n"
    cleanup += "  path: /platform/v1/payment/client_packages/{{package_uid}}\n"
    write_doc(
        "doc.md", PACKAGE_DOC, GET_PACKAGE % 200, prerequisites=CREATE_PACKAGE, cleanup=cleanup
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of GET /platform/v1/payment/client_packages/{uid}*",
            "doc.md:*: step 'delete_again' failed",
            "  - expected status any 2xx, got 404",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_cleanup_runs_when_the_test_failed(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc(
        "doc.md",
        PACKAGE_DOC,
        GET_PACKAGE % 418,
        prerequisites=CREATE_PACKAGE,
        cleanup=DELETE_PACKAGE,
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  - expected status 418, got 200"])
    methods = [entry.split()[0] for entry in paths_requested(demo_env)]
    assert methods == ["POST", "GET", "DELETE"]


# ---------------------------------------------------------------- what "fails" includes


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused_fails_the_step(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi, closed_port: int
) -> None:
    write_doc("doc.md", GET_CLIENT, GET_THE_CLIENT.replace("{{client_id}}", "101"))
    url = f"http://127.0.0.1:{closed_port}"
    result = pytester.runpytest("--api-base-url", url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"  - could not connect to {url}/platform/v1/clients/101: connection refused"]
    )


def test_connection_refused_in_a_prerequisite_is_a_setup_error(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi, closed_port: int
) -> None:
    write_doc("doc.md", GET_CLIENT, GET_THE_CLIENT, prerequisites=LIST_CLIENTS)
    result = pytester.runpytest("--api-base-url", f"http://127.0.0.1:{closed_port}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["doc.md:*: step 'list_clients' failed", "*connection refused"])


def test_timeout_fails_the_step(pytester: pytest.Pytester, write_doc: DocWriter) -> None:
    write_doc("doc.md", "endpoint: GET /health", "- method: GET\n  path: /health")
    with DemoApi(latency=0.5) as slow:
        url = slow.base_url
        result = pytester.runpytest("--api-base-url", url, "--api-timeout", "0.1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"  - timed out waiting for the response from {url}/health"])


def test_a_slow_answer_within_the_timeout_passes(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("doc.md", "endpoint: GET /health", "- method: GET\n  path: /health")
    with DemoApi(latency=0.2) as slow:
        result = pytester.runpytest("--api-base-url", slow.base_url, "--api-timeout", "5")
    result.assert_outcomes(passed=1)


def test_extract_jsonpath_matching_nothing_fails_the_test_step(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = GET_THE_CLIENT.replace("{{client_id}}", "101")
    test += "  extract:\n    phone: $.data.client.phone\n"
    write_doc("doc.md", GET_CLIENT, test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["  - extract phone: $.data.client.phone matched nothing in the response"]
    )


def test_extract_jsonpath_matching_nothing_in_a_prerequisite_is_a_setup_error(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    prerequisite = LIST_CLIENTS.replace("$.data.clients[0].id", "$.data.clients[5].id")
    write_doc("doc.md", GET_CLIENT, GET_THE_CLIENT, prerequisites=prerequisite)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["  - extract client_id: $.data.clients[5].id matched nothing in the response"]
    )
    assert paths_requested(demo_env) == [f"GET {CLIENTS}"]


def test_a_body_that_is_not_json_fails_when_something_is_extracted(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/page", body="<html>Maintenance</html>", status=200)
    test = "- id: page\n  method: GET\n  path: /page\n  extract:\n    title: $.title"
    write_doc("doc.md", "endpoint: GET /page", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["  - extract title: the response body is not JSON", "<html>Maintenance</html>"]
    )


def test_a_body_that_is_not_json_is_fine_when_nothing_is_extracted(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/page", body="<html>Maintenance</html>", status=200)
    write_doc("doc.md", "endpoint: GET /page", "- method: GET\n  path: /page")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_failing_prerequisite_stays_an_error_when_an_expected_outcome_is_set(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    prerequisite = "- id: broken\n  method: GET\n  path: /platform/v1/clients\n"
    write_doc(
        "doc.md",
        EXPECTED_422 + "tokens: [staff]",
        UPDATE_USAGE_STEP.format(payment="ps_1001"),
        prerequisites=prerequisite,
    )
    result = pytester.runpytest("-rA")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["doc.md:*: step 'broken' failed"])
