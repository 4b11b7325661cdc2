"""Run pytest under cProfile, helper threads included: ``profile_pytest.py OUT.prof ARGS...``.

``python -m cProfile`` only sees the main thread, but pytest-apispec sends each request from a
helper thread (the main thread waits for it, so the wait shows up as ``SimpleQueue.get``). Here
every thread started during the run gets its own profiler, and the profiles are merged: time
spent in a helper thread then appears under its own functions (``_exchange.<locals>.exchange``
and what it calls) as well as in the main thread's wait for it.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
from types import FrameType
from typing import Any

import pytest

_thread_profiles: list[cProfile.Profile] = []


def _start_in_thread(frame: FrameType, event: str, arg: Any) -> None:
    profile = cProfile.Profile()
    _thread_profiles.append(profile)
    profile.enable()  # replaces this hook for the rest of the thread


def main(out: str, args: list[str]) -> int:
    threading.setprofile(_start_in_thread)  # type: ignore[arg-type]
    profile = cProfile.Profile()
    profile.enable()
    try:
        code = pytest.main(args)
    finally:
        profile.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
    stats = pstats.Stats(profile)
    for thread_profile in _thread_profiles:
        try:
            thread_profile.create_stats()
            stats.add(thread_profile)
        except (TypeError, ValueError):  # a thread that never ran Python code
            continue
    stats.dump_stats(out)
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
