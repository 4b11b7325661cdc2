"""``until`` on a step, as written: re-send the step until its ``expect`` holds.

``until: {attempts: 10, interval: 0.5, maxSeconds: 30}``, for an endpoint that completes
asynchronously (a job that answers ``running`` before ``done``). Re-sending is only safe for
``GET``, ``HEAD`` and ``OPTIONS``; on another method the step must say ``idempotent: true``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNTIL_KEYS = frozenset({"attempts", "interval", "maxSeconds"})
MAX_ATTEMPTS = 100
MAX_INTERVAL = 60.0
MAX_WAIT = 600.0
DEFAULT_ATTEMPTS = 10
DEFAULT_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class Until:
    """How often and how long to re-send a step until its expectations hold."""

    attempts: int = DEFAULT_ATTEMPTS
    interval: float = DEFAULT_INTERVAL
    max_seconds: float | None = None

    def describe(self) -> str:
        bound = f", maxSeconds: {self.max_seconds:g}" if self.max_seconds is not None else ""
        return f"attempts: {self.attempts}, interval: {self.interval:g}s{bound}"


def read_until(
    value: Any, method: str, idempotent: Any, error: Callable[[str], Exception]
) -> Until | None:
    if not isinstance(idempotent, bool):
        raise error(f"'idempotent' must be true or false, not {idempotent!r}")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise error("'until' must be a mapping, such as until: {attempts: 10, interval: 0.5}")
    unknown = sorted(set(map(str, value)) - UNTIL_KEYS)
    if unknown:
        raise error(
            f"'until' has unknown keys {', '.join(unknown)}; use attempts, interval, maxSeconds"
        )
    if method not in SAFE_METHODS and not idempotent:
        raise error(
            f"'until' re-sends the request, and {method} may not be safe to send again; "
            "add idempotent: true to the step if re-sending it is harmless"
        )
    attempts = value.get("attempts", DEFAULT_ATTEMPTS)
    if (
        isinstance(attempts, bool)
        or not isinstance(attempts, int)
        or not 1 <= attempts <= MAX_ATTEMPTS
    ):
        raise error(
            f"until.attempts must be a whole number from 1 to {MAX_ATTEMPTS}, not {attempts!r}"
        )
    interval = _seconds(
        value.get("interval", DEFAULT_INTERVAL), "interval", 0.0, MAX_INTERVAL, error
    )
    max_seconds = value.get("maxSeconds")
    if max_seconds is not None:
        max_seconds = _seconds(max_seconds, "maxSeconds", 0.0, MAX_WAIT, error)
    return Until(attempts, interval, max_seconds)


def _seconds(
    value: Any, key: str, low: float, high: float, error: Callable[[str], Exception]
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise error(
            f"until.{key} must be a number of seconds from {low:g} to {high:g}, not {value!r}"
        )
    return float(value)
