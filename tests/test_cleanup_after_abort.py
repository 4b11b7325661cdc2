"""A prerequisite that fails still leaves no debris: the cleanup steps it can run, run.

End to end against the demo API: a booking is made by the first prerequisite, the second one
fails; the cleanup deletes the booking and skips the package it would delete (never made).
"""

from __future__ import annotations

import pytest
from apispec_helpers import DocWriter, line_of

from pytest_apispec.demo import DemoApi

FRONT = "endpoint: GET /platform/v1/bookings/{id}\ntokens: [staff]"
PREREQUISITES = """
- id: book
  method: POST
  path: /platform/v1/bookings
  body:
    client_id: 101
    starts_on: "{{$today}}"
    service: massage
  extract:
    booking_id: $.data.booking.id
- id: sell_package
  method: POST
  path: /platform/v1/payment/client_packages
  body:
    client_id: 101
    package_id: 999
  extract:
    package_uid: $.data.client_package.id
"""
TEST = """
- id: get_booking
  method: GET
  path: /platform/v1/bookings/{{booking_id}}
"""
CLEANUP = """
- id: delete_package
  method: DELETE
  path: /platform/v1/payment/client_packages/{{package_uid}}
- id: delete_booking
  method: DELETE
  path: /platform/v1/bookings/{{booking_id}}
  expect:
    status: 204
"""
NOTE = "cleanup: ran 'delete_booking'; skipped 'delete_package' (no value for {{package_uid}})"


def deletes(api: DemoApi) -> list[str]:
    return [target for _, method, target in api.requests_log if method == "DELETE"]


def test_after_an_abort_the_cleanup_steps_with_values_run_and_the_report_says_which(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    doc = write_doc("doc.md", FRONT, TEST, prerequisites=PREREQUISITES, cleanup=CLEANUP)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of*",
            f"doc.md:{line_of(doc, '- id: sell_package')}: step 'sell_package' failed",
            "  - expected status any 2xx, got 422",
            f"  {NOTE}",
        ]
    )
    assert "ERROR at teardown" not in result.stdout.str()
    assert deletes(demo_env) == ["/platform/v1/bookings/5001"]


def test_after_a_skipping_prerequisite_the_cleanup_runs_too_and_the_reason_says_so(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    prerequisites = PREREQUISITES + "  onFail: skip\n  skipReason: No package to sell\n"
    write_doc("doc.md", FRONT, TEST, prerequisites=prerequisites, cleanup=CLEANUP)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED*No package to sell (step 'sell_package'*; {NOTE}"])
    assert deletes(demo_env) == ["/platform/v1/bookings/5001"]


def test_a_cleanup_step_that_fails_after_an_abort_is_an_error_in_teardown(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    cleanup = CLEANUP.replace("status: 204", "status: 200")
    write_doc("doc.md", FRONT, TEST, prerequisites=PREREQUISITES, cleanup=cleanup)
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of*",
            "  cleanup: ran 'delete_booking' (failed, see teardown); skipped 'delete_package'*",
            "*ERROR at teardown of*",
            "*step 'delete_booking' failed",
            "  - expected status 200, got 204",
        ]
    )


def test_the_cleanup_runs_once_when_the_prerequisites_pass(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    prerequisites = PREREQUISITES.replace("package_id: 999", "package_id: 7")
    write_doc("doc.md", FRONT, TEST, prerequisites=prerequisites, cleanup=CLEANUP)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert len(deletes(demo_env)) == 2


def test_a_failing_shared_prerequisite_runs_the_cleanup_of_each_doc(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    shared = PREREQUISITES + "  scope: session\n"
    shared = shared.replace("  extract:\n    package_uid", "  extract:\n    package_uid", 1)
    for name in ("a.md", "b.md"):
        write_doc(name, FRONT + f"\ntags: [{name[0]}]", TEST, prerequisites=shared, cleanup=CLEANUP)
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([f"  {NOTE}", f"  {NOTE}"])
    assert deletes(demo_env) == ["/platform/v1/bookings/5001", "/platform/v1/bookings/5002"]
