"""Hostile values placed into a URL path stay one path segment, as the server receives it.

An extracted ``../admin`` or ``x?admin=1`` is percent-encoded, so it cannot change the path or
the query; a value that is exactly ``.`` or ``..`` cannot be encoded in a way every HTTP stack
keeps (requests decodes ``%2E``, servers normalise dot segments), so it is refused.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .helpers import TOKEN, doc, run_step, step
from .servers import ScriptedServer, json_ok, serving

HOSTILE = [
    "../admin",
    "../../etc/passwd",
    "x?admin=1",
    "x#fragment",
    "a/b",
    "%2e%2e%2fadmin",
    "..%2F",
    "..;/admin",
    "\\..\\admin",
    "x\r\nX-Injected: 1",
    "x y",
    "名前",
    "{{other}}",
    "...",
]


@pytest.fixture(scope="module")
def server() -> ScriptedServer:
    with ScriptedServer(json_ok()) as server:
        yield server  # type: ignore[misc]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_stays_one_segment(server: ScriptedServer, value: str) -> None:
    the_step = step("/items/{{id}}/detail", params={"page": "1"})
    result = run_step(server.base_url, the_step, {"id": value})
    assert result.ok, result.problems
    received = server.received[-1]
    prefix, _, rest = received.path.partition("/items/")
    segment, _, tail = rest.partition("/")
    assert (prefix, tail) == ("", "detail"), received.target
    assert unquote(segment) == value
    assert received.query == "page=1"
    assert "X-Injected" not in received.headers


@pytest.mark.parametrize("value", ["..", "."])
def test_a_dot_segment_value_is_refused(server: ScriptedServer, value: str) -> None:
    before = len(server.received)
    result = run_step(server.base_url, step("/items/{{id}}/detail"), {"id": value})
    assert result.error is not None
    assert "is '.' or '..', which would move the request to another path" in result.error
    assert len(server.received) == before


def test_dot_segments_written_in_the_doc_are_the_authors_choice(server: ScriptedServer) -> None:
    result = run_step(server.base_url, step("/items/./{{id}}"), {"id": "7"})
    assert result.ok


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=20).filter(lambda v: v not in (".", "..")))
def test_any_value_stays_one_segment(server: ScriptedServer, value: str) -> None:
    result = run_step(server.base_url, step("/items/{{id}}/detail"), {"id": value})
    assert result.error is None, result.error
    received = server.received[-1]
    prefix, _, rest = received.path.partition("/items/")
    segment, _, tail = rest.partition("/")
    assert (prefix, tail, received.query) == ("", "detail", ""), received.target
    assert unquote(segment) == value


def test_in_a_real_run_an_extracted_value_cannot_reach_another_path(
    pytester: pytest.Pytester,
) -> None:
    def script(request, conn):  # type: ignore[no-untyped-def]
        if request.path == "/lookup":
            conn.respond(200, {"id": "../admin?role=root"})
        else:
            conn.respond(200, {"ok": True})

    with serving(script) as api:
        steps = "- method: GET\n  path: /items/{{id}}\n  expect: {status: 200}"
        lookup = "- method: GET\n  path: /lookup\n  extract: {id: $.id}"
        (pytester.path / "doc.md").write_text(doc(steps, prerequisites=lookup))
        result = pytester.runpytest("--api-base-url", api.base_url, "--api-token-staff", TOKEN)
    result.assert_outcomes(passed=1)
    assert api.received[-1].target == "/items/..%2Fadmin%3Frole%3Droot"
