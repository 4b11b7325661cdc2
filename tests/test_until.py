"""``until``: re-send a step until its ``expect`` holds, within bounds (the demo's job is done
on its third poll)."""

from __future__ import annotations

import time

import pytest
import responses
from apispec_helpers import MOCK_BASE_URL, DocWriter, line_of

from pytest_apispec.demo import DemoApi

FRONT = "endpoint: GET /jobs/{id}\ntokens: [staff]"
START = r"""
- id: start
  method: POST
  path: /jobs
  extract:
    job_id: {regex: '/jobs/(\w+)', from: 'header:Location'}
"""
POLL = """
- id: poll
  method: GET
  path: "/jobs/{{{{job_id}}}}"
  until: {until}
  expect:
    json:
      $.data.state: {state}
"""


def polls(api: DemoApi) -> int:
    return sum(
        1 for _, method, target in api.requests_log if method == "GET" and "/jobs/" in target
    )


def test_a_job_is_polled_until_it_is_done(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc(
        "doc.md",
        FRONT,
        POLL.format(until="{attempts: 5, interval: 0.05}", state="done"),
        prerequisites=START,
    )
    pytester.runpytest().assert_outcomes(passed=1)
    assert polls(demo_env) == 3


def test_an_until_that_never_holds_fails_with_the_attempts_and_the_last_response(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    doc = write_doc(
        "doc.md",
        FRONT,
        POLL.format(until="{attempts: 4, interval: 0}", state="cancelled"),
        prerequisites=START,
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"doc.md:{line_of(doc, '- id: poll')}: step 'poll' failed",
            "  - until: the expectations did not hold after 4 attempts in *s (attempts: 4, "
            "interval: 0s); the last response is shown",
            "  - expect.json $.data.state: expected 'cancelled', got 'done'",
            '*"polls": 4*',
        ]
    )
    assert polls(demo_env) == 4


def test_max_seconds_bounds_the_whole_wait(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    until = "{attempts: 100, interval: 0.2, maxSeconds: 0.5}"
    write_doc("doc.md", FRONT, POLL.format(until=until, state="cancelled"), prerequisites=START)
    started = time.monotonic()
    result = pytester.runpytest()
    assert time.monotonic() - started < 5
    result.assert_outcomes(failed=1)
    assert 2 <= polls(demo_env) <= 4


def test_429_answers_count_as_attempts_and_are_not_retried_on_top(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get(f"{MOCK_BASE_URL}/busy", status=429, headers={"Retry-After": "0"}, json={})
    test = "- method: GET\n  path: /busy\n  until: {attempts: 3, interval: 0}\n"
    write_doc("doc.md", "endpoint: GET /busy", test)
    pytester.runpytest().assert_outcomes(failed=1)
    assert len(mock_env.calls) == 3


def test_until_on_post_needs_idempotent_true(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.post(f"{MOCK_BASE_URL}/search", json={"found": True})
    test = "- id: search\n  method: POST\n  path: /search\n  until: {attempts: 2}\n"
    doc = write_doc("doc.md", "endpoint: POST /search", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"doc.md:{line_of(doc, '- id: search')}: step 'search': 'until' re-sends the request, "
            "and POST may not be safe to send again; add idempotent: true to the step if "
            "re-sending it is harmless"
        ]
    )
    doc.write_text(doc.read_text().replace("until:", "idempotent: true\n    until:"))
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("{attempts: 0}", "until.attempts must be a whole number from 1 to 100, not 0"),
        ("{tries: 3}", "'until' has unknown keys tries; use attempts, interval, maxSeconds"),
        ("{interval: -1}", "until.interval must be a number of seconds from 0 to 60, not -1"),
        (
            "{maxSeconds: 9999}",
            "until.maxSeconds must be a number of seconds from 0 to 600, not 9999",
        ),
        ("5", "'until' must be a mapping, such as until: {attempts: 10, interval: 0.5}"),
    ],
)
def test_bad_until_is_a_collection_error(
    pytester: pytest.Pytester, write_doc: DocWriter, until: str, message: str
) -> None:
    doc = write_doc(
        "doc.md", "endpoint: GET /x", f"- id: x\n  method: GET\n  path: /x\n  until: {until}\n"
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"doc.md:{line_of(doc, '- id: x')}: step 'x': {message}"])
