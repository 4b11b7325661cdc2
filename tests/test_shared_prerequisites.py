"""``scope: session`` / ``scope: module`` prerequisites: one request for every doc that
declares the identical step (session: the whole run; module: the docs of one folder)."""

from __future__ import annotations

import pytest
from apispec_helpers import DocWriter, line_of

from pytest_apispec.demo import DemoApi

FRONT = "endpoint: GET /platform/v1/clients/{id}\ntokens: [staff]"
LOOKUP = """
- id: find_client
  description: Find a client of the business (once)
  method: GET
  path: /platform/v1/clients
  params:
    business_id: "{{{{business_id}}}}"
  extract:
    client_id: $.data.clients[0].id
  expect:
    status: 200
  scope: {scope}
"""
GET_CLIENT = """
- id: get_client
  method: GET
  path: /platform/v1/clients/{{client_id}}
  expect:
    status: 200
    json:
      $.data.client.id: "{{client_id}}"
"""
BUSINESS = ["--api-var", "business_id=biz_demo_1"]


def lookups(api: DemoApi) -> int:
    return sum(1 for _, _, target in api.requests_log if target.startswith("/platform/v1/clients?"))


def test_a_session_scoped_step_in_three_docs_makes_one_request(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    for name in ("sales/a.md", "sales/b.md", "clients/c.md"):
        write_doc(name, FRONT, GET_CLIENT, prerequisites=LOOKUP.format(scope="session"))
    pytester.runpytest(*BUSINESS).assert_outcomes(passed=3)
    assert lookups(demo_env) == 1
    assert len(demo_env.requests_log) == 4


def test_function_scope_is_the_default_and_repeats_the_request(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    lookup = LOOKUP.format(scope="function").replace("  scope: function\n", "")
    for name in ("a.md", "b.md", "c.md"):
        write_doc(name, FRONT, GET_CLIENT, prerequisites=lookup)
    pytester.runpytest(*BUSINESS).assert_outcomes(passed=3)
    assert lookups(demo_env) == 3


def test_a_module_scoped_step_is_shared_within_a_folder(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    for name in ("sales/a.md", "sales/b.md", "clients/c.md"):
        write_doc(name, FRONT, GET_CLIENT, prerequisites=LOOKUP.format(scope="module"))
    pytester.runpytest(*BUSINESS).assert_outcomes(passed=3)
    assert lookups(demo_env) == 2


def test_steps_that_differ_are_not_shared(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    lookup = LOOKUP.format(scope="session")
    write_doc("a.md", FRONT, GET_CLIENT, prerequisites=lookup)
    write_doc("b.md", FRONT, GET_CLIENT, prerequisites=lookup.replace("$.data", "$['data']"))
    write_doc("c.md", FRONT, GET_CLIENT, prerequisites=lookup + "  useFallbackApi: true\n")
    pytester.runpytest(*BUSINESS).assert_outcomes(passed=3)
    assert lookups(demo_env) == 3


def test_the_same_step_with_another_token_type_is_not_shared(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    lookup = """
    - id: payments
      method: GET
      path: /client/payments/v1/payment_requests
      extract:
        uid: $.data.payment_requests[0].uid
      scope: session
    """
    test = "- method: GET\n  path: /health"
    write_doc("none.md", "endpoint: GET /a", test, prerequisites=lookup)
    write_doc("client.md", "endpoint: GET /b\ntokens: [client]", test, prerequisites=lookup)
    write_doc("client2.md", "endpoint: GET /c\ntokens: [client]", test, prerequisites=lookup)
    pytester.runpytest().assert_outcomes(passed=3)
    payment_requests = [t for _, _, t in demo_env.requests_log if t.startswith("/client/")]
    assert len(payment_requests) == 2


def test_a_failing_shared_step_fails_every_doc_with_one_request(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    for name in ("a.md", "b.md", "c.md"):
        write_doc(name, FRONT, GET_CLIENT, prerequisites=LOOKUP.format(scope="session"))
    result = pytester.runpytest("--api-var", "business_id=")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*step 'find_client' failed*", "*expected status 200, got 422*"])
    assert lookups(demo_env) == 1


def test_a_shared_step_with_on_fail_skip_skips_every_doc(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    lookup = LOOKUP.format(scope="session") + "  onFail: skip\n  skipReason: no business data\n"
    for name in ("a.md", "b.md"):
        write_doc(name, FRONT, GET_CLIENT, prerequisites=lookup)
    result = pytester.runpytest("-rs", "--api-var", "business_id=")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED ?1? a.md:*: no business data (step 'find_client': *422)",
            "SKIPPED ?1? b.md:*: no business data (step 'find_client': *422)",
        ]
    )
    assert lookups(demo_env) == 1


def test_a_shared_step_using_a_value_extracted_by_an_unshared_step_is_a_clear_error(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    prerequisites = """
    - id: list_clients
      method: GET
      path: /platform/v1/clients
      params: {business_id: biz_demo_1}
      extract:
        client_id: $.data.clients[0].id
    - id: load_client
      method: GET
      path: /platform/v1/clients/{{client_id}}
      extract:
        name: $.data.client.name
      scope: session
    """
    bad = write_doc("bad.md", FRONT, GET_CLIENT, prerequisites=prerequisites)
    write_doc("good.md", FRONT, GET_CLIENT, prerequisites=LOOKUP.format(scope="session"))
    result = pytester.runpytest(*BUSINESS)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"bad.md:{line_of(bad, '- id: load_client')}: step 'load_client' has scope: session "
            "but uses {{client_id}}, extracted by step 'list_clients' of this doc; a shared step "
            "can only use configured variables (api_vars, --api-var, apispec_vars)",
        ]
    )


def test_shared_values_do_not_leak_into_docs_that_did_not_declare_the_step(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("a.md", FRONT, GET_CLIENT, prerequisites=LOOKUP.format(scope="session"))
    write_doc("z.md", FRONT, GET_CLIENT)
    result = pytester.runpytest(*BUSINESS)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["z.md:*: step 'get_client' failed", "*uses {{client_id}}, which has no value*"]
    )


def test_setup_show_lists_a_shared_step_once(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    for name in ("a.md", "b.md"):
        write_doc(name, FRONT, GET_CLIENT, prerequisites=LOOKUP.format(scope="session"))
    result = pytester.runpytest("--setup-show", *BUSINESS)
    result.assert_outcomes(passed=2)
    setups = [line for line in result.outlines if "SETUP    S shared:find_client" in line]
    assert len(setups) == 1


def test_session_scope_under_xdist_is_once_per_worker(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    for index in range(4):
        write_doc(f"d{index}.md", FRONT, GET_CLIENT, prerequisites=LOOKUP.format(scope="session"))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", *BUSINESS)
    result.assert_outcomes(passed=4)
    assert 1 <= lookups(demo_env) <= 2
