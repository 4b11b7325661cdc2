"""Docs cannot affect each other: cookies a response sets belong to the doc that got them.

End to end against the demo API: ``POST /auth/session`` sets a ``demo_session`` cookie and
``GET /auth/me`` answers 200 with it, 401 without.
"""

from __future__ import annotations

import pytest
import requests
import responses
from apispec_helpers import MOCK_BASE_URL, DocWriter

from pytest_apispec.demo import DEMO_LOGIN, DemoApi

LOGIN = f"""
- id: login
  method: POST
  path: /auth/session
  body:
    username: {DEMO_LOGIN["username"]}
    password: {DEMO_LOGIN["password"]}
  expect:
    status: 200
"""
ME = """
- id: me
  method: GET
  path: /auth/me
  expect:
    status: {status}
"""


def write_pair(write_doc: DocWriter) -> None:
    """``a_login.md`` logs in and is known; ``b_anonymous.md`` must stay anonymous."""
    write_doc("a_login.md", "endpoint: GET /auth/me", ME.format(status=200), prerequisites=LOGIN)
    write_doc("b_anonymous.md", "endpoint: GET /auth/me (anonymous)", ME.format(status=401))


@pytest.mark.parametrize(
    "order", [["a_login.md", "b_anonymous.md"], ["b_anonymous.md", "a_login.md"]]
)
def test_a_cookie_one_doc_gets_is_sent_by_that_doc_alone_in_either_order(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi, order: list[str]
) -> None:
    write_pair(write_doc)
    result = pytester.runpytest(*order)
    result.assert_outcomes(passed=2)


def test_docs_keep_their_cookies_under_xdist(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_pair(write_doc)
    for index in range(3):  # more docs than workers: each worker runs several in a row
        write_doc(
            f"c_anonymous_{index}.md", f"endpoint: GET /auth/me {index}", ME.format(status=401)
        )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=5)


def test_the_cookie_is_sent_by_the_later_steps_and_the_cleanup_of_its_doc(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc(
        "doc.md",
        "endpoint: GET /auth/me",
        ME.format(status=200),
        prerequisites=LOGIN,
        cleanup=ME.format(status=200).replace("id: me", "id: me_again"),
    )
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=1)
    assert "ERROR" not in result.stdout.str()


def test_a_shared_prerequisite_shares_its_values_not_its_cookies(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    shared_login = LOGIN + "  scope: session\n"
    write_doc("a.md", "endpoint: GET /auth/me", ME.format(status=401), prerequisites=shared_login)
    write_doc("b.md", "endpoint: GET /auth/me 2", ME.format(status=401), prerequisites=shared_login)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    logins = [entry for entry in demo_env.requests_log if entry[2] == "/auth/session"]
    assert len(logins) == 1


def test_the_report_shows_the_cookie_sent_with_its_value_redacted(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", "endpoint: GET /auth/me", ME.format(status=204), prerequisites=LOGIN)
    result = pytester.runpytest("-rA", "--junitxml=report.xml")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    result.stdout.fnmatch_lines(
        ["Cookie: demo_session=[*][*][*]", "*curl -X GET *-H 'Cookie: demo_session=[*][*][*]'*"]
    )
    assert "sess-" not in output
    assert "sess-" not in (pytester.path / "report.xml").read_text()


def test_a_set_cookie_in_the_response_excerpt_is_redacted(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", "endpoint: POST /auth/session", LOGIN.replace("status: 200", "status: 201"))
    result = pytester.runpytest("-rA")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["Set-Cookie: demo_session=[*][*][*]; Path=/; HttpOnly"])
    assert "sess-" not in result.stdout.str()


@pytest.fixture
def user_session_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        import requests

        @pytest.fixture(scope="session")
        def apispec_session():
            with requests.Session() as session:
                session.headers["X-Team"] = "payments"
                session.cookies.set("team_cookie", "set-on-purpose")
                yield session
        """
    )


def test_a_users_own_session_keeps_its_headers_and_cookies_for_every_doc(
    pytester: pytest.Pytester,
    mock_env: responses.RequestsMock,
    write_doc: DocWriter,
    user_session_conftest: None,
) -> None:
    mock_env.get(
        f"{MOCK_BASE_URL}/login",
        json={},
        headers={"Set-Cookie": "sid=from-the-server-1234; Path=/"},
    )
    mock_env.get(f"{MOCK_BASE_URL}/me", json={})
    write_doc("a.md", "endpoint: GET /login", "- method: GET\n  path: /login\n")
    write_doc("b.md", "endpoint: GET /me", "- method: GET\n  path: /me\n")
    result = pytester.runpytest("a.md", "b.md")
    result.assert_outcomes(passed=2)
    me = next(call.request for call in mock_env.calls if call.request.url.endswith("/me"))
    assert me.headers["X-Team"] == "payments"
    assert me.headers["Cookie"] == "team_cookie=set-on-purpose"


def test_the_shared_session_keeps_no_cookie_a_response_sets(
    mocked: responses.RequestsMock,
) -> None:
    from pytest_apispec.execution.cookies import DocCookies, isolate

    mocked.get("https://x.test/login", json={}, headers={"Set-Cookie": "sid=abcd1234"})
    seen: list[str] = []
    with requests.Session() as session:
        isolate(session)
        cookies = DocCookies(seen.extend)
        session.get("https://x.test/login", hooks={"response": [cookies.hook]})
        assert not session.cookies
        assert cookies.value("sid") == "abcd1234"
        assert seen == ["abcd1234"]


def test_headers_and_tokens_of_one_doc_do_not_reach_another(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get(f"{MOCK_BASE_URL}/a", json={})
    mock_env.get(f"{MOCK_BASE_URL}/b", json={})
    a = "- method: GET\n  path: /a\n  token: staff\n  headers:\n    X-Debug: '1'\n"
    write_doc("a.md", "endpoint: GET /a", a)
    write_doc("b.md", "endpoint: GET /b", "- method: GET\n  path: /b\n")
    pytester.runpytest("a.md", "b.md").assert_outcomes(passed=2)
    b = next(call.request for call in mock_env.calls if call.request.url.endswith("/b"))
    assert "X-Debug" not in b.headers
    assert "Authorization" not in b.headers
