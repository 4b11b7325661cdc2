"""Re-sending a step with ``until`` until its expectations hold, within bounds.

Each attempt is an ordinary exchange (``--api-timeout`` applies to each). The attempts replace
the 429/503 retries rather than multiplying them: an attempt is sent once, and a 429 or 503
whose ``Retry-After`` is at most ``api_max_retry_wait`` makes the wait before the next attempt
that long (if longer than the ``interval``). So a step sends at most ``attempts`` requests, and
no attempt starts after ``maxSeconds``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from pytest_apispec.docformat.polling import Until
from pytest_apispec.execution.results import StepResult
from pytest_apispec.execution.transport import retry_after_value

_RETRY_STATUSES = frozenset({429, 503})


def poll(
    send: Callable[[], StepResult],
    until: Until,
    max_retry_wait: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> StepResult:
    """Call ``send`` until its result is ok; the last result, saying how many attempts were made."""
    started = clock()
    deadline = started + until.max_seconds if until.max_seconds is not None else None
    attempt = 0
    while True:
        attempt += 1
        result = send()
        if result.ok or result.reached_expected_outcome or result.request is None:
            return result  # held, the doc's known answer, or not sendable at all
        if attempt >= until.attempts:
            break
        wait = max(until.interval, _retry_after(result, max_retry_wait))
        if deadline is not None and clock() + wait >= deadline:
            break
        sleep(wait)
    elapsed = clock() - started
    problem = (
        f"until: the expectations did not hold after {attempt} attempts in {elapsed:.1f}s "
        f"({until.describe()}); the last response is shown"
    )
    return dataclasses.replace(result, mismatches=(problem, *result.mismatches))


def _retry_after(result: StepResult, max_retry_wait: float) -> float:
    response = result.response
    if response is None or response.status not in _RETRY_STATUSES:
        return 0.0
    value = next((v for k, v in response.headers if k.lower() == "retry-after"), None)
    wait = retry_after_value(value)
    return wait if wait is not None and wait <= max_retry_wait else 0.0
