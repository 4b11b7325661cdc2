"""Running a call within a total time limit, however slowly its socket reads trickle in.

``requests`` bounds each socket read, not an exchange: a server that sends its status line,
headers or body a byte at a time never trips it. :func:`run_within` bounds the whole call.

Where it can, it arms a real-time interval timer (``SIGALRM``) and runs the call on the
calling thread: two system calls per exchange, the way pytest-timeout's signal method works.
That needs the main thread of a Unix process, and a timer nobody else is using (pytest-timeout
in its signal mode, or the user's own code); elsewhere the call runs on a helper thread and the
caller stops waiting for it at the deadline, which costs two thread switches per exchange.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


class DeadlinePassed(Exception):
    """The call did not finish in time; ``progress`` is how far it got."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(f"deadline passed ({progress.phase})")
        self.progress = progress


class Progress:
    """What the call is doing, for the message when the deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.phase = "waiting"
        self.received = 0  # bytes read so far
        self._deadline = time.monotonic() + seconds

    def check(self) -> None:
        """Stop a call that is still making progress past the deadline (on a helper thread,
        nothing else would: its caller has given up waiting, but the thread reads on)."""
        if time.monotonic() > self._deadline:
            raise DeadlinePassed(self)


def run_within(seconds: float, call: Callable[[Progress], T]) -> T:
    """``call(progress)``'s result, or :class:`DeadlinePassed` after ``seconds``."""
    if seconds <= 0:  # no time at all (an interval timer of 0 would mean no limit)
        raise DeadlinePassed(Progress(seconds))
    if _alarm_is_free():
        return _run_with_alarm(seconds, call)
    return _run_on_helper(seconds, call)


# ---------------------------------------------------------------- the alarm


class _Interrupted(BaseException):
    """Raised by the alarm inside the call. A ``BaseException``, so that no ``except
    Exception`` in requests or urllib3 takes it for a network error and carries on."""


def _alarm_is_free() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )


def _run_with_alarm(seconds: float, call: Callable[[Progress], T]) -> T:
    progress = Progress(seconds)
    armed = [True]

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if armed[0]:  # the call may have returned a moment ago: then there is nothing to stop
            raise _Interrupted

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        result = call(progress)
        armed[0] = False
        return result
    except _Interrupted:
        raise DeadlinePassed(progress) from None
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- the helper thread

_helper = threading.local()


def _run_on_helper(seconds: float, call: Callable[[Progress], T]) -> T:
    progress = Progress(seconds)
    helper: _HelperThread | None = getattr(_helper, "thread", None)
    if helper is None or not helper.submit(lambda: call(progress)):
        helper = _helper.thread = _HelperThread()
        helper.submit(lambda: call(progress))
    try:
        succeeded, outcome = helper.results.get(timeout=seconds)
    except queue.Empty:
        _helper.thread = None  # it is stuck in this call; the next one gets a new thread
        raise DeadlinePassed(progress) from None
    if not succeeded:
        raise outcome
    result: T = outcome
    return result


class _HelperThread:
    """A daemon thread that runs calls for the one thread that waits for them.

    The waiting side gives up at a deadline, so a call that never ends cannot hang the run:
    the thread is left to finish it alone and the next call gets a new thread. A thread left
    idle for a while ends by itself.
    """

    IDLE_SECONDS = 10.0

    def __init__(self) -> None:
        self.results: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        self._calls: queue.SimpleQueue[Callable[[], Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._alive = True
        threading.Thread(target=self._serve, name="pytest-apispec-http", daemon=True).start()

    def submit(self, call: Callable[[], Any]) -> bool:
        """Hand over a call; False when the thread has already ended."""
        with self._lock:
            if self._alive:
                self._calls.put(call)
            return self._alive

    def _serve(self) -> None:
        while True:
            try:
                call = self._calls.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._calls.empty():
                        self._alive = False
                        return
                continue
            try:
                outcome: tuple[bool, Any] = (True, call())
            except BaseException as exc:
                outcome = (False, exc)
            self.results.put(outcome)
