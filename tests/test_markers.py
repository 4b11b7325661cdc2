"""Selecting docs with ``-m`` and ``-k``; markers registered so ``--strict-markers`` is happy."""

from __future__ import annotations

import pytest
from apispec_helpers import DocWriter

STEP = "- method: GET\n  path: /v1/x"
SALES = """
endpoint: "PUT /business/payments/v1/client_packages/{uid}"
domain: sales
tags: [client_packages, Booking Credits]
status: verified
tokens: [staff]
"""
CLIENTS = """
endpoint: POST /platform/v1/clients/payment/client_packages/update_usage
domain: clients
tags: []
status: draft
requiresTestData: true
"""
SALES_ID = "sales.md::PUT /business/payments/v1/client_packages/{uid}"
CLIENTS_ID = "clients.md::POST /platform/v1/clients/payment/client_packages/update_usage"
OTHER_ID = "other.md::GET /v1/other"


@pytest.fixture
def docs(pytester: pytest.Pytester, write_doc: DocWriter) -> pytest.Pytester:
    write_doc("sales.md", SALES, STEP)
    write_doc("clients.md", CLIENTS, STEP + "\n  token: client")
    write_doc("other.md", "endpoint: GET /v1/other\ndomain: Sales & Marketing", STEP)
    return pytester


def selected(pytester: pytest.Pytester, *args: str) -> set[str]:
    result = pytester.runpytest("--collect-only", "-q", "--strict-markers", *args)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), result.ret
    assert not result.errlines
    result.stdout.no_fnmatch_line("*Warning*")
    return {line for line in result.outlines if "::" in line}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("tag_client_packages", {SALES_ID}),
        ("tag_booking_credits", {SALES_ID}),
        ("domain_sales", {SALES_ID}),
        ("domain_clients", {CLIENTS_ID}),
        ("domain_sales_marketing", {OTHER_ID}),
        ("status_verified", {SALES_ID}),
        ("status_draft", {CLIENTS_ID}),
        ("token_staff", {SALES_ID}),
        ("token_client", {CLIENTS_ID}),
        ("method_put", {SALES_ID}),
        ("method_post", {CLIENTS_ID}),
        ("method_get", {OTHER_ID}),
        ("requires_test_data", {CLIENTS_ID}),
        ("not requires_test_data", {SALES_ID, OTHER_ID}),
        ("apispec", {SALES_ID, CLIENTS_ID, OTHER_ID}),
        ("apispec(domain='sales')", {SALES_ID}),
        ("apispec(status='draft')", {CLIENTS_ID}),
        ("apispec(method='GET')", {OTHER_ID}),
        ("domain_sales or status_draft", {SALES_ID, CLIENTS_ID}),
    ],
)
def test_select_with_m(docs: pytest.Pytester, expression: str, expected: set[str]) -> None:
    assert selected(docs, "-m", expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("client_packages", {SALES_ID, CLIENTS_ID}),
        ("update_usage", {CLIENTS_ID}),
        ("business and payments", {SALES_ID}),
        ("sales", {SALES_ID, OTHER_ID}),
        ("not sales", {CLIENTS_ID}),
        ("marketing", {OTHER_ID}),
    ],
)
def test_select_with_k_matches_the_endpoint_path(
    docs: pytest.Pytester, expression: str, expected: set[str]
) -> None:
    assert selected(docs, "-k", expression) == expected


def test_a_run_under_strict_markers_has_no_warning_or_error(docs: pytest.Pytester) -> None:
    docs.makeini("[pytest]\nfilterwarnings = error\n")
    result = docs.runpytest("-rA", "--strict-markers")
    result.assert_outcomes(skipped=3, warnings=0)
    result.stdout.no_fnmatch_line("*Warning*")


def test_markers_lists_the_plugin_markers(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines_random(
        [
            "@pytest.mark.apispec(endpoint, domain, status, method):*",
            "@pytest.mark.requires_test_data:*",
            "@pytest.mark.tag_<name>:*",
            "@pytest.mark.domain_<name>:*",
            "@pytest.mark.status_<name>:*",
            "@pytest.mark.token_<name>:*",
            "@pytest.mark.method_<name>:*",
        ]
    )
    assert result.ret == pytest.ExitCode.OK


def test_an_unknown_marker_expression_is_still_an_error_under_strict_markers(
    docs: pytest.Pytester,
) -> None:
    result = docs.runpytest("--collect-only", "--strict-markers", "-m", "tag_nonexistent")
    # pytest 9.2 rejects unknown names in -m under --strict-markers; older versions select none
    assert result.ret in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED)
