"""429 and 503 with Retry-After: waited out and retried, for idempotent methods only, bounded.

``api_max_retries`` (default 2) bounds the retries of GET, HEAD, OPTIONS, PUT and DELETE;
``api_max_retry_wait`` (default 10 s) bounds each wait. POST and PATCH are never retried
unless the step says ``retries: N`` (at most 10).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import pytest

from .helpers import TOKEN, Clock, doc, run_step, step
from .servers import Connection, Received, serving


def busy_then_ok(busy: int, status: int = 429, retry_after: str = "0.1") -> Callable[..., None]:
    """Answers ``status`` with Retry-After ``busy`` times, then 200."""
    calls: list[int] = []

    def script(request: Received, conn: Connection) -> None:
        calls.append(1)
        if len(calls) <= busy:
            conn.respond(status, {"error": "slow down"}, {"Retry-After": retry_after})
        else:
            conn.respond(200, {"data": {"id": 1}})

    return script


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
@pytest.mark.parametrize("status", [429, 503])
def test_an_idempotent_request_is_retried_after_the_wait(method: str, status: int) -> None:
    with serving(busy_then_ok(2, status)) as server, Clock() as clock:
        result = run_step(server.base_url, step(method=method))
    assert result.ok, result.problems
    assert [r.method for r in server.received] == [method] * 3
    assert clock.seconds >= 0.2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_are_never_retried(method: str) -> None:
    with serving(busy_then_ok(1)) as server:
        result = run_step(server.base_url, step(method=method, body={"a": 1}))
    assert len(server.received) == 1
    assert result.mismatches == (
        f"expected status any 2xx, got 429 "
        f"({method} is not retried unless the step says so (retries: N))",
    )


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_are_retried_when_the_step_says_so(method: str) -> None:
    with serving(busy_then_ok(2)) as server:
        result = run_step(server.base_url, step(method=method, body={"a": 1}, retries=2))
    assert result.ok, result.problems
    assert len(server.received) == 3
    assert all(r.body == b'{"a": 1}' for r in server.received)


def test_the_step_retries_bound_the_retries() -> None:
    with serving(busy_then_ok(5)) as server:
        result = run_step(server.base_url, step(method="POST", retries=1))
    assert len(server.received) == 2
    assert result.mismatches == ("expected status any 2xx, got 429 (still 429 after 1 retries)",)


def test_api_max_retries_bounds_the_retries() -> None:
    with serving(busy_then_ok(100, 503)) as server:
        result = run_step(server.base_url, max_retries=3)
    assert len(server.received) == 4
    assert result.mismatches == ("expected status any 2xx, got 503 (still 503 after 3 retries)",)


def test_no_retries_when_api_max_retries_is_zero() -> None:
    with serving(busy_then_ok(1)) as server:
        run_step(server.base_url, max_retries=0)
    assert len(server.received) == 1


def test_a_wait_longer_than_api_max_retry_wait_is_not_waited() -> None:
    with serving(busy_then_ok(1, retry_after="3600")) as server, Clock() as clock:
        result = run_step(server.base_url, max_retry_wait=1.0)
    assert clock.seconds < 1
    assert len(server.received) == 1
    assert result.mismatches == (
        "expected status any 2xx, got 429 (Retry-After 3600s is longer than "
        "api_max_retry_wait (1s), so it was not retried)",
    )


@pytest.mark.parametrize("retry_after", [None, "soon", "-5x", "inf", "nan"])
def test_without_a_usable_retry_after_there_is_no_long_wait(retry_after: str | None) -> None:
    def script(request: Received, conn: Connection) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        conn.respond(429, b"", headers)

    with serving(script) as server, Clock() as clock:
        result = run_step(server.base_url, max_retry_wait=1.0)
    assert clock.seconds < 1
    assert not result.ok and len(server.received) <= 3


def test_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 1, usegmt=True)
    with serving(busy_then_ok(1, retry_after=when)) as server, Clock() as clock:
        result = run_step(server.base_url)
    assert result.ok, result.problems
    assert len(server.received) == 2
    assert clock.seconds < 3


def test_the_ini_settings_reach_the_runner(pytester: pytest.Pytester) -> None:
    with serving(busy_then_ok(100)) as server:
        (pytester.path / "doc.md").write_text(doc("- method: GET\n  path: /x"))
        pytester.makeini("[pytest]\napi_max_retries = 1\napi_max_retry_wait = 0.5\n")
        result = pytester.runpytest("--api-base-url", server.base_url, "--api-token-staff", TOKEN)
    result.assert_outcomes(failed=1)
    assert len(server.received) == 2
    result.stdout.fnmatch_lines(
        ["  - expected status any 2xx, got 429 (still 429 after 1 retries)"]
    )


def test_a_step_retries_key_reaches_the_runner(pytester: pytest.Pytester) -> None:
    with serving(busy_then_ok(2)) as server:
        steps = "- method: POST\n  path: /x\n  body: {a: 1}\n  retries: 2"
        (pytester.path / "doc.md").write_text(doc(steps, 'endpoint: "POST /x"'))
        result = pytester.runpytest("--api-base-url", server.base_url, "--api-token-staff", TOKEN)
    result.assert_outcomes(passed=1)
    assert [r.method for r in server.received] == ["POST"] * 3
