"""A token only ever goes to the configured base or fallback host (scheme, host and port).

An absolute URL to another host in a step's ``path`` is refused unless the host is listed in
``api_allowed_hosts``; a redirect to another host is followed without the token. Two servers on
127.0.0.1 differ only by their port, which is part of the comparison.
"""

from __future__ import annotations

import pytest

from .helpers import TOKEN, doc, run_step, runner, step
from .servers import Connection, Received, echo_authorization, serving

STAFF_DOC = 'endpoint: "GET /x"\ntokens: [staff]'


def test_an_absolute_url_to_another_host_is_refused() -> None:
    with serving(echo_authorization) as base, serving(echo_authorization) as other:
        result = run_step(base.base_url, step(f"{other.base_url}/steal"))
    assert result.error == (
        f"sends to {other.host}, which is neither the base nor the "
        "fallback host; tokens only go to configured hosts. Add the host to the "
        "'api_allowed_hosts' ini setting if it is meant"
    )
    assert other.received == [] and base.received == []


@pytest.mark.parametrize("entry", ["{host}", "http://{host}"])
def test_an_allowed_host_receives_the_token(entry: str) -> None:
    with serving(echo_authorization) as base, serving(echo_authorization) as other:
        allowed = frozenset({entry.format(host=other.host)})
        result = run_step(base.base_url, step(f"{other.base_url}/ok"), allowed_hosts=allowed)
    assert result.ok, result.problems
    assert other.received[0].header("Authorization") == f"Bearer {TOKEN}"


def test_an_allowed_host_without_a_port_means_the_default_port() -> None:
    with serving(echo_authorization) as base, serving(echo_authorization) as other:
        allowed = frozenset({"127.0.0.1"})
        result = run_step(base.base_url, step(f"{other.base_url}/x"), allowed_hosts=allowed)
    assert result.error is not None and "neither the base nor the fallback" in result.error


def test_the_fallback_host_receives_the_token() -> None:
    with serving(echo_authorization) as base, serving(echo_authorization) as fallback:
        result = run_step(
            base.base_url, step(f"{fallback.base_url}/x"), fallback_url=fallback.base_url
        )
    assert result.ok
    assert fallback.received[0].header("Authorization") == f"Bearer {TOKEN}"


def test_a_redirect_to_another_port_drops_the_authorization_header() -> None:
    with serving(echo_authorization) as other:

        def redirect(request: Received, conn: Connection) -> None:
            conn.respond(307, b"", {"Location": f"{other.base_url}/landed"})

        with serving(redirect) as base:
            result = run_step(base.base_url, step(extract={"auth": "$.authorization"}))
    assert base.received[0].header("Authorization") == f"Bearer {TOKEN}"
    assert other.received[0].header("Authorization") is None
    assert result.ok and result.extracted == {"auth": ""}


def test_a_redirect_within_the_base_host_keeps_the_token() -> None:
    def script(request: Received, conn: Connection) -> None:
        if request.path == "/x":
            conn.respond(302, b"", {"Location": "/moved"})
        else:
            echo_authorization(request, conn)

    with serving(script) as base:
        result = run_step(base.base_url, step(extract={"auth": "$.authorization"}))
    assert result.ok and result.extracted == {"auth": f"Bearer {TOKEN}"}


def test_a_redirect_from_an_allowed_host_to_another_drops_the_token() -> None:
    with serving(echo_authorization) as third:

        def redirect(request: Received, conn: Connection) -> None:
            conn.respond(302, b"", {"Location": f"{third.base_url}/x"})

        with serving(redirect) as allowed, serving(echo_authorization) as base:
            run_step(
                base.base_url,
                step(f"{allowed.base_url}/x"),
                allowed_hosts=frozenset({allowed.host}),
            )
    assert allowed.received[0].header("Authorization") == f"Bearer {TOKEN}"
    assert third.received[0].header("Authorization") is None


@pytest.mark.parametrize(
    ("base", "url", "sent"),
    [
        ("https://api.example.com", "https://api.example.com/x", True),
        ("https://api.example.com", "https://api.example.com:443/x", True),
        ("https://api.example.com", "http://api.example.com/x", False),  # no TLS downgrade
        ("https://api.example.com", "https://api.example.com:8443/x", False),
        ("https://api.example.com", "https://api.example.com.evil.test/x", False),
        ("https://api.example.com", "https://evil.test/api.example.com", False),
        ("https://api.example.com", "https://api.example.com@evil.test/x", False),
        ("https://api.example.com", "https://API.EXAMPLE.COM/x", True),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8001/x", False),
        ("http://127.0.0.1:8000", "http://localhost:8000/x", False),
        ("https://api.example.com", "https://api.example.com:99999/x", False),
    ],
)
def test_which_urls_may_receive_the_token(base: str, url: str, sent: bool) -> None:
    assert runner(base).may_receive_token(url) is sent


def test_the_token_is_not_sent_by_a_real_run_to_an_unlisted_host(
    pytester: pytest.Pytester,
) -> None:
    with serving(echo_authorization) as base, serving(echo_authorization) as other:
        steps = f"- method: GET\n  path: {other.base_url}/x"
        (pytester.path / "doc.md").write_text(doc(steps, STAFF_DOC))
        result = pytester.runpytest("--api-base-url", base.base_url, "--api-token-staff", TOKEN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["doc.md:14: step 'test_request_1' failed", f"  - sends to {other.host}, *"]
    )
    assert other.received == []


def test_the_allowlist_from_the_ini_file(pytester: pytest.Pytester) -> None:
    with serving(echo_authorization) as base, serving(echo_authorization) as other:
        steps = f"- method: GET\n  path: {other.base_url}/x"
        (pytester.path / "doc.md").write_text(doc(steps, STAFF_DOC))
        pytester.makeini(f"[pytest]\napi_allowed_hosts =\n    {other.host}\n")
        result = pytester.runpytest("--api-base-url", base.base_url, "--api-token-staff", TOKEN)
    result.assert_outcomes(passed=1)
    assert other.received[0].header("Authorization") == f"Bearer {TOKEN}"
