"""``expect``: status, JSONPath values (templated), headers, and every mismatch reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from apispec_helpers import DocWriter, line_of

from pytest_apispec.demo import DemoApi

CLIENT_DOC = "endpoint: GET /platform/v1/clients/{id}\ntokens: [staff]"
FIND_CLIENT = """
- id: find_client
  method: GET
  path: /platform/v1/clients
  params: {business_id: biz_demo_1, per_page: "1"}
  extract:
    client_id: $.data.clients[0].id
    client_name: $.data.clients[0].name
"""


def test_expect_json_compares_jsonpath_values_with_templated_expectations(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = """
    - id: get_client
      method: GET
      path: /platform/v1/clients/{{client_id}}
      expect:
        status: 200
        json:
          $.data.client.id: "{{client_id}}"
          $.data.client.name: "{{client_name}}"
          $.data.client.email: ada@example.test
          $.data.client: {id: 101, name: Ada Lovelace, email: ada@example.test}
          $.data.client.name.`len`: 12
    """
    write_doc("doc.md", CLIENT_DOC, test, prerequisites=FIND_CLIENT)
    pytester.runpytest().assert_outcomes(passed=1)


def test_expect_json_does_not_confuse_a_number_with_its_text(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = """
    - id: get_client
      method: GET
      path: /platform/v1/clients/101
      expect:
        json:
          $.data.client.id: "101"
    """
    write_doc("doc.md", CLIENT_DOC, test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  - expect.json $.data.client.id: expected '101', got 101"])


def test_expect_headers_match_case_insensitively_by_name(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = """
    - method: GET
      path: /health
      expect:
        headers:
          content-type: application/json
          X-Demo-Server: "{{server}}"
    """
    write_doc("doc.md", "endpoint: GET /health", test)
    pytester.runpytest("--api-var", "server=main").assert_outcomes(passed=1)
    result = pytester.runpytest("--api-var", "server=fallback")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["  - expect.headers X-Demo-Server: expected 'fallback', got 'main'"]
    )


def test_every_mismatch_is_reported_not_only_the_first(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = """
    - id: get_client
      method: GET
      path: /platform/v1/clients/101
      expect:
        status: 201
        json:
          $.data.client.name: Grace Hopper
          $.data.client.phone: "555"
          $.data.client.email: ada@example.test
        headers:
          X-Demo-Server: fallback
          X-Missing: "yes"
    """
    doc = write_doc("doc.md", CLIENT_DOC, test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"doc.md:{line_of(doc, '- id: get_client')}: step 'get_client' failed",
            "  - expected status 201, got 200",
            "  - expect.json $.data.client.name: expected 'Grace Hopper', got 'Ada Lovelace'",
            "  - expect.json $.data.client.phone: matched nothing, expected '555'",
            "  - expect.headers X-Demo-Server: expected 'fallback', got 'main'",
            "  - expect.headers X-Missing: missing, expected 'yes'",
        ]
    )
    assert "email" not in result.stdout.str().split("--- request")[0], "matches are not listed"


def test_expect_json_on_a_body_that_is_not_json(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/page", body="plain text")
    test = "- method: GET\n  path: /page\n  expect:\n    json:\n      $.a: 1"
    write_doc("doc.md", "endpoint: GET /page", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  - expect.json: the response body is not JSON"])


def test_an_invalid_jsonpath_in_expect_json_is_reported(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get("https://api.example.test/page", json={"a": 1})
    test = "- method: GET\n  path: /page\n  expect:\n    json:\n      '$.[[': 1"
    write_doc("doc.md", "endpoint: GET /page", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  - expect.json $.[[: not a valid JSONPath*"])


@pytest.mark.parametrize(
    "expect",
    ["json:\n      $.a: '{{undefined_value}}'", "headers:\n      X-A: '{{undefined_value}}'"],
    ids=["json", "headers"],
)
def test_an_undefined_variable_in_an_expectation_is_a_clear_failure(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock, expect: str
) -> None:
    mock_env.get("https://api.example.test/page", json={"a": 1}, headers={"X-A": "1"})
    test = f"- id: check\n  method: GET\n  path: /page\n  expect:\n    {expect}"
    doc = write_doc("doc.md", "endpoint: GET /page", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    line = line_of(doc, "- id: check")
    result.stdout.fnmatch_lines(
        [f"doc.md:{line}: step 'check' failed", "  - uses {{undefined_value}}, which has no value*"]
    )
    result.stdout.no_fnmatch_line("*UndefinedVariable*")
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_status_list_accepts_any_of_its_codes(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = """
    - method: GET
      path: /platform/v1/clients/101
      expect: {status: [404, 200]}
    - method: GET
      path: /platform/v1/clients/999
      expect: {status: ["404", 200]}
    """
    write_doc("doc.md", CLIENT_DOC, test)
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_later_test_step_is_not_sent_after_a_failing_one(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = """
    - id: first
      method: GET
      path: /platform/v1/clients/999
      expect: {status: 200}
    - id: second
      method: GET
      path: /platform/v1/clients/101
    """
    write_doc("doc.md", CLIENT_DOC, test)
    pytester.runpytest().assert_outcomes(failed=1)
    assert [target for _, _, target in demo_env.requests_log] == ["/platform/v1/clients/999"]


def test_expectations_that_only_name_statuses_are_one_shared_object(tmp_path: Path) -> None:
    """The memory target (20,000 docs) counts on it: most steps only say expect.status."""
    from pytest_apispec.docformat.parser import read_spec

    specs = []
    for name, expect in (("a", "{status: [200, 201]}"), ("b", "\n      status: [200, 201]")):
        path = tmp_path / f"{name}.md"
        path.write_text(
            f'---\nendpoint: "GET /x"\n---\n## Test Request\n\n```yaml\nsteps:\n'
            f"  - method: GET\n    path: /x\n    expect: {expect}\n```\n",
            encoding="utf-8",
        )
        specs.append(read_spec(path))
    first, second = (spec.test_request[0].expect for spec in specs if spec is not None)
    assert first is second and first.status == (200, 201) and not first.json
