"""``until`` against a server that never answers: --api-timeout ends each attempt, and the
whole wait ends with the attempts."""

from __future__ import annotations

import time

from pytest_apispec.docformat.polling import Until

from .helpers import run_step, step
from .servers import Connection, Received, serving


def _silent(request: Received, conn: Connection) -> None:
    conn.sleep(30)


def test_each_attempt_times_out_and_the_wait_ends() -> None:
    with serving(_silent) as server:
        started = time.monotonic()
        result = run_step(server.base_url, step(until=Until(attempts=3, interval=0.0)), timeout=0.3)
        elapsed = time.monotonic() - started
    assert len(server.received) == 3
    assert elapsed < 3.0
    assert result.problems[0].startswith("timed out waiting for the response from ")
    assert "until: the expectations did not hold after 3 attempts" in result.problems[1]


def test_max_seconds_stops_attempts_from_starting() -> None:
    with serving(_silent) as server:
        started = time.monotonic()
        run_step(
            server.base_url,
            step(until=Until(attempts=50, interval=0.1, max_seconds=0.5)),
            timeout=0.2,
        )
        elapsed = time.monotonic() - started
    assert 1 <= len(server.received) <= 3
    assert elapsed < 1.5
