"""Run the demo API: ``python -m pytest_apispec.demo [--port N] [--fallback-port N] [--latency S]``.

The ``export`` lines go to stdout (so ``eval`` can use them); everything else to stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from pytest_apispec.demo import DEMO_TOKENS, DemoApi


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_apispec.demo",
        description="Serve the pytest-apispec demo bookings/payments API until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="main gateway port (default: free)")
    parser.add_argument(
        "--fallback-port", type=int, default=0, help="fallback API port (default: free)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds slept before every answer"
    )
    return parser.parse_args(argv)


def _exports(api: DemoApi) -> list[str]:
    return [
        f"export API_BASE_URL={api.base_url}",
        f"export API_FALLBACK_URL={api.fallback_url}",
        f"export API_TOKEN_STAFF={DEMO_TOKENS['staff']}",
        f"export API_TOKEN_CLIENT={DEMO_TOKENS['client']}",
    ]


def _stop_on_sigterm(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the demo API, print the environment to export, serve until Ctrl-C or SIGTERM."""
    args = _parse_args(argv)
    try:
        api = DemoApi(
            host=args.host, port=args.port, fallback_port=args.fallback_port, latency=args.latency
        ).start()
    except (OSError, ValueError) as exc:
        print(f"error: cannot start the demo API: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    _stop_on_sigterm(stop)
    try:
        print("\n".join(_exports(api)), flush=True)
        print("# demo API running; press Ctrl-C to stop", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
    print("# demo API stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
