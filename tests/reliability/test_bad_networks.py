"""Bad networks, against misbehaving servers on 127.0.0.1: each is a clear failure of the step.

Every test has a hard bound (:func:`bounded`): a step that would hang fails the test instead.
``--api-timeout`` is a total deadline for an exchange (status line, headers and body), not
only the per-read timeout of ``requests``, so a server that drips bytes cannot stall a run.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import signal
import socket
import threading
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
import requests
import urllib3

from pytest_apispec.execution.report import format_result
from pytest_apispec.execution.results import EXCERPT_CHARS, StepResult
from pytest_apispec.execution.transport import MAX_BODY_BYTES, describe_network_error

from .helpers import TOKEN, Clock, doc, run_step, runner, spec_of, step
from .servers import (
    Connection,
    Received,
    ScriptedServer,
    drip,
    free_port,
    huge_body,
    json_ok,
    response_head,
    serving,
)

TIMEOUT = 1.0


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_step(url, timeout=TIMEOUT)
    assert result.error == f"could not connect to {url}/x: connection refused"


@pytest.mark.parametrize(
    ("cause", "reason"),
    [
        (ConnectionRefusedError(111, "Verbindung verweigert"), "connection refused"),
        (ConnectionResetError(104, "reset (in another wording)"), "connection reset"),
        (
            socket.gaierror(-2, "nodename nor servname provided"),
            "the host name could not be resolved",
        ),
    ],
    ids=["refused", "reset", "unknown-host"],
)
def test_why_a_connection_failed_is_told_by_its_type_not_its_wording(
    cause: OSError, reason: str
) -> None:
    """The OS words these differently from system to system (and requests and urllib3 wrap
    them in their own words): the plugin's reason comes from the type of the cause."""
    wrapped = urllib3.exceptions.NewConnectionError(None, f"some wording: {cause}")  # type: ignore[arg-type]
    wrapped.__cause__ = cause
    request = requests.Request("GET", "http://api.test/x").prepare()
    error = requests.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/x", wrapped),  # type: ignore[arg-type]
        request=request,
    )
    assert describe_network_error(error) == f"could not connect to http://api.test/x: {reason}"


def _reset_mid_body(request: Received, conn: Connection) -> None:
    conn.send(response_head(200, {"Content-Length": "1000"}) + b'{"data": ')
    conn.sleep(0.05)
    conn.reset()


def _reset_before_answering(request: Received, conn: Connection) -> None:
    conn.reset()


def _close_mid_status_line(request: Received, conn: Connection) -> None:
    conn.send(b"HTTP/1.1 2")
    conn.sock.close()


def test_reset_in_the_middle_of_a_response() -> None:
    with serving(_reset_mid_body) as server:
        result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.error is not None
    assert result.error.startswith(
        f"the connection broke while reading the response body from {server.base_url}/x "
        "after 9 bytes"
    )


@pytest.mark.parametrize("script", [_reset_before_answering, _close_mid_status_line])
def test_the_connection_breaks_before_a_response(script: object) -> None:
    with serving(script) as server:  # type: ignore[arg-type]
        result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.error is not None
    assert result.error.startswith(
        f"the connection broke before a response arrived from {server.base_url}/x: "
    )


def _silent(request: Received, conn: Connection) -> None:
    conn.sleep(30)


def test_read_timeout() -> None:
    with serving(_silent) as server, Clock() as clock:
        result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.error == f"timed out waiting for the response from {server.base_url}/x"
    assert clock.seconds < TIMEOUT + 1.5


def _step_on_this_thread(base_url: str) -> StepResult:
    """The step run on the main thread, as pytest runs tests: the deadline is a timer signal.
    (Not :func:`run_step`, whose hard bound runs the step on another thread.)"""
    the_step = step()
    return runner(base_url, timeout=TIMEOUT).run(spec_of(the_step), the_step, {})


def _step_on_another_thread(base_url: str) -> StepResult:
    """The step run off the main thread (a runner that runs tests on worker threads): the
    deadline falls back to a helper thread."""
    return run_step(base_url, timeout=TIMEOUT)


@pytest.mark.parametrize(
    "run", [_step_on_this_thread, _step_on_another_thread], ids=["main-thread", "other-thread"]
)
@pytest.mark.parametrize(
    "where",
    ["status line", "headers", "body"],
)
def test_a_server_dripping_one_byte_at_a_time_is_cut_off_at_the_timeout(
    where: str, run: Callable[[str], StepResult]
) -> None:
    """requests' timeout is per socket read: each byte would restart it. Ours is a deadline,
    on the main thread (a timer signal) and on any other (a helper thread) alike."""
    body = b'{"data": {"id": 1}}' * 20
    head = response_head(200, {"Content-Length": str(len(body)), "X-Padding": "p" * 200})
    script = {
        "status line": drip(head, body, 0.2),
        "headers": drip(head, body, 0.2),
        "body": lambda r, c: c.send(head) and drip(b"", body, 0.2)(r, c),
    }[where]
    if where == "headers":
        script = lambda r, c: c.send(head[:20]) and drip(head[20:], body, 0.2)(r, c)  # noqa: E731
    with serving(script) as server, Clock() as clock:
        result = run(server.base_url)
    assert clock.seconds < TIMEOUT + 1.5, f"took {clock.seconds:.1f}s"
    assert result.error is not None
    assert result.error.startswith("timed out"), result.error
    assert f"{server.base_url}/x" in result.error
    if where == "body":
        assert "was still arriving after 1s" in result.error


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers here")
def test_a_timer_the_user_set_is_left_alone() -> None:
    """pytest-timeout's signal method (or the user's code) owns SIGALRM: steps then keep their
    deadline without touching that handler or its timer."""
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        script = drip(response_head(200, {"Content-Length": "2"}), b"{}", 0.2)
        with serving(script) as server, Clock() as clock:
            result = _step_on_this_thread(server.base_url)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        handler = signal.getsignal(signal.SIGALRM)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert result.error is not None and result.error.startswith("timed out"), result.error
    assert clock.seconds < TIMEOUT + 1.5
    assert 55 < remaining <= 60, "the user's timer was re-armed or cancelled"
    assert handler is not previous and not fired, "the user's handler was replaced"


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers here")
def test_no_alarm_is_left_behind_after_a_step() -> None:
    """A step that finishes in time leaves neither a pending timer nor its handler."""
    with serving(json_ok({"data": {}})) as server:
        assert _step_on_this_thread(server.base_url).ok
        assert _step_on_this_thread(server.base_url).ok
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_the_deadline_does_not_leave_the_next_step_waiting() -> None:
    """After a stalled exchange is given up, the runner's next step runs at once."""
    stalled = threading.Event()

    def script(request: Received, conn: Connection) -> None:
        if request.path == "/stall":
            stalled.set()
            conn.sleep(30)
        else:
            conn.respond(200, {"data": {}})

    with serving(script) as server:
        the_runner = runner(server.base_url, timeout=TIMEOUT)
        first, second = step("/stall"), step("/fine")
        with Clock() as clock:
            assert the_runner.run(spec_of(first), first, {}).error
            assert the_runner.run(spec_of(second), second, {}).ok
        assert clock.seconds < TIMEOUT + 1.5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_answer(status: int) -> None:
    with serving(lambda r, c: c.respond(status, "upstream exploded")) as server:
        result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.mismatches == (f"expected status any 2xx, got {status}",)
    assert result.response is not None and result.response.body_excerpt == "upstream exploded"


def test_an_empty_body_where_json_is_needed() -> None:
    with serving(lambda r, c: c.respond(200, b"")) as server:
        result = run_step(server.base_url, step(extract={"id": "$.data.id"}), timeout=TIMEOUT)
    assert result.mismatches == ("extract id: the response body is empty",)


def test_a_non_json_body_where_json_is_needed() -> None:
    html = "<html><body>Welcome to the login page</body></html>"
    with serving(lambda r, c: c.respond(200, html, {"Content-Type": "text/html"})) as server:
        the_step = step(extract={"id": "$.data.id"})
        result = run_step(server.base_url, the_step, timeout=TIMEOUT)
    assert result.mismatches == ("extract id: the response body is not JSON",)
    assert "Welcome to the login page" in format_result(result)


def test_json_nested_deeper_than_python_can_parse_is_not_json() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with serving(lambda r, c: c.respond(200, deep)) as server:
        result = run_step(server.base_url, step(extract={"id": "$[0]"}), timeout=TIMEOUT)
    assert result.mismatches == ("extract id: the response body is not JSON",)


def test_a_gzip_encoded_json_body_is_decoded() -> None:
    body = gzip.compress(json.dumps({"data": {"id": 42}}).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    with serving(lambda r, c: c.respond(200, body, headers)) as server:
        result = run_step(server.base_url, step(extract={"id": "$.data.id"}), timeout=TIMEOUT)
    assert result.ok and result.extracted == {"id": 42}


def test_a_body_that_is_not_the_gzip_it_claims() -> None:
    headers = {"Content-Encoding": "gzip"}
    with serving(lambda r, c: c.respond(200, b"definitely not gzip", headers)) as server:
        result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.error is not None
    assert "could not be decompressed" in result.error


def test_an_unknown_charset_still_gives_an_excerpt() -> None:
    headers = {"Content-Type": "text/plain; charset=no-such-charset"}
    with serving(lambda r, c: c.respond(500, "broken", headers)) as server:
        result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.response is not None and result.response.body_excerpt == "broken"


def test_a_100_mib_body_keeps_memory_bounded_and_the_report_short() -> None:
    size = 100 * 1024 * 1024
    with serving(huge_body(size)) as server:
        tracemalloc.start()
        try:
            result = run_step(server.base_url, step(extract={"id": "$.id"}), timeout=10)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 4 * MAX_BODY_BYTES, f"{peak // 2**20} MiB allocated"
    assert result.mismatches == (
        "extract id: the response body is larger than 10 MiB, too large to read as JSON",
    )
    assert result.response is not None
    assert result.response.truncated
    assert MAX_BODY_BYTES < result.response.body_size < size
    assert len(result.response.body_excerpt) == EXCERPT_CHARS
    assert len(format_result(result)) < 3 * EXCERPT_CHARS


def _redirect_loop(request: Received, conn: Connection) -> None:
    conn.respond(302, b"", {"Location": request.target})


def test_a_redirect_loop() -> None:
    with serving(_redirect_loop) as server:
        result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.error == (
        f"more than 10 redirects (a redirect loop?), last to {server.base_url}/x"
    )
    assert len(server.received) == 11


def test_a_redirect_to_another_host_names_it_and_sends_no_token() -> None:
    with serving(lambda r, c: c.respond(401, {"error": "who are you?"})) as other:

        def to_other(request: Received, conn: Connection) -> None:
            conn.respond(302, b"", {"Location": f"{other.base_url}/login"})

        with serving(to_other) as server:
            result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.mismatches == (
        f"expected status any 2xx, got 401 (after a redirect to {other.base_url}/login, "
        "not a configured host: the token was not sent there)",
    )
    assert server.received[0].header("Authorization") == f"Bearer {TOKEN}"
    assert other.received[0].header("Authorization") is None


@pytest.mark.parametrize(
    ("location", "error"),
    [
        (
            "ftp://127.0.0.1/x",
            "the server redirected to ftp://127.0.0.1/x, which is not an http(s) URL",
        ),
        ("file:///etc/passwd", "the server redirected to file:///etc/passwd, which is not *"),
        (
            "http://127.0.0.1:99999/x",
            "the server redirected to http://127.0.0.1:99999/x, which is not a valid URL",
        ),
        ("http://[::1/x", "the server redirected to http://[[]::1/x, which is not a valid URL"),
    ],
)
def test_a_redirect_to_an_unusable_url(location: str, error: str) -> None:
    with serving(lambda r, c: c.respond(302, b"", {"Location": location})) as server:
        result = run_step(server.base_url, timeout=TIMEOUT)
    assert result.error is not None
    assert fnmatch.fnmatchcase(result.error, error), result.error


def test_a_redirect_with_an_endless_body_is_not_read() -> None:
    """requests reads a redirect's whole body even with allow_redirects=False; we do not."""

    def script(request: Received, conn: Connection) -> None:
        if request.path == "/x":
            head = {"Location": "/y", "Transfer-Encoding": "chunked"}
            if conn.send(response_head(302, head)):
                chunk = b"10000\r\n" + b"z" * 0x10000 + b"\r\n"
                while conn.send(chunk):
                    pass
        else:
            conn.respond(200, {"id": 7})

    with serving(script) as server:
        tracemalloc.start()
        try:
            result = run_step(server.base_url, step(extract={"id": "$.id"}), timeout=TIMEOUT)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.ok and result.extracted == {"id": 7}
    assert peak < 8 * 2**20


def test_a_header_value_that_http_cannot_carry() -> None:
    with serving(json_ok()) as server:
        result = run_step(server.base_url, step(headers={"X-Name": "名前"}), timeout=TIMEOUT)
    assert result.error is not None
    assert result.error.startswith(f"the request to {server.base_url}/x failed")
    assert server.received == []


# ------------------------------------------------------------------ end to end


@pytest.fixture
def bad_servers() -> Iterator[dict[str, ScriptedServer]]:
    scripts = {
        "refused": None,
        "reset": _reset_mid_body,
        "silent": _silent,
        "drip": drip(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"s" * 100, b"", 0.2),
        "error": lambda r, c: c.respond(503, "maintenance"),
        "empty": lambda r, c: c.respond(200, b""),
        "html": lambda r, c: c.respond(200, "<html>hi</html>"),
        "huge": huge_body(100 * 1024 * 1024),
        "loop": _redirect_loop,
    }
    servers = {name: ScriptedServer(script or json_ok()) for name, script in scripts.items()}
    for server in servers.values():
        server.__enter__()
    servers["refused"].stop()
    yield servers
    for server in servers.values():
        server.stop()


EXPECTED = {
    "refused": "could not connect to * connection refused",
    "reset": "the connection broke while reading the response body from *",
    "silent": "timed out waiting for the response from *",
    "drip": "timed out waiting for the response from *",
    "error": "expected status any 2xx, got 503",
    "empty": "extract id: the response body is empty",
    "html": "extract id: the response body is not JSON",
    "huge": "extract id: the response body is larger than 10 MiB, too large to read as JSON",
    "loop": "more than 10 redirects (a redirect loop?), last to *",
}


def test_every_bad_network_is_one_clear_failure_in_a_real_run(
    pytester: pytest.Pytester, bad_servers: dict[str, ScriptedServer]
) -> None:
    """One pytest process, one doc per bad server: each fails, naming what happened."""
    for name, server in bad_servers.items():
        steps = f"- method: GET\n  path: {server.base_url}/{name}\n  extract: {{id: $.id}}"
        (pytester.path / f"{name}.md").write_text(doc(steps, f'endpoint: "GET /{name}"'))
    hosts = "\n    ".join(server.host for server in bad_servers.values())
    pytester.makeini(f"[pytest]\napi_allowed_hosts =\n    {hosts}\n")
    result = pytester.runpytest_subprocess(
        "--api-base-url",
        bad_servers["error"].base_url,
        "--api-token-staff",
        TOKEN,
        "--api-timeout",
        "1",
        "-p",
        "no:cacheprovider",
        "--tb=short",
        timeout=60,
    )
    result.assert_outcomes(failed=len(bad_servers))
    assert result.ret == 1
    output = result.stdout.str()
    assert "INTERNALERROR" not in output and "Traceback" not in output
    for name, message in EXPECTED.items():
        result.stdout.fnmatch_lines(
            [f"{name}.md:*: step 'test_request_1' failed", f"  - {message}"]
        )
    assert TOKEN not in output + result.stderr.str()
    assert len(output) < 60_000, "a report must show a bounded excerpt, not the 100 MiB body"
