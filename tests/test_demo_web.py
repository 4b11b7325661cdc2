"""The demo's routes beyond JSON: form login and session cookie, upload, job, plain text, echo."""

from __future__ import annotations

import requests

from pytest_apispec.demo import DEMO_LOGIN, DEMO_TOKENS, DemoApi

STAFF = {"Authorization": f"Bearer {DEMO_TOKENS['staff']}"}


def test_the_login_form_sets_a_session_cookie_that_auth_me_knows(demo_api: DemoApi) -> None:
    with requests.Session() as session:
        assert session.get(f"{demo_api.base_url}/auth/me").status_code == 401
        login = session.post(f"{demo_api.base_url}/auth/session", data=dict(DEMO_LOGIN))
        assert login.json() == {"access_token": DEMO_TOKENS["staff"], "token_type": "bearer"}
        assert session.cookies.get("demo_session", "").startswith("sess-")
        assert session.get(f"{demo_api.base_url}/auth/me").json() == {"user": "demo-staff"}
    wrong = requests.post(f"{demo_api.base_url}/auth/session", data={"username": "x"})
    assert wrong.status_code == 401


def test_an_upload_answers_its_parts(demo_api: DemoApi) -> None:
    answer = requests.post(
        f"{demo_api.base_url}/uploads",
        headers=STAFF,
        data={"note": "hi"},
        files={"file": ("a.txt", b"abc", "text/plain")},
    )
    assert answer.status_code == 201
    assert answer.json()["data"]["parts"] == [
        {"name": "note", "value": "hi"},
        {"name": "file", "filename": "a.txt", "contentType": "text/plain", "size": 3},
    ]
    assert requests.post(f"{demo_api.base_url}/uploads", data={"a": "b"}).status_code == 401


def test_a_job_is_done_on_its_third_poll(demo_api: DemoApi) -> None:
    started = requests.post(f"{demo_api.base_url}/jobs", headers=STAFF)
    assert started.status_code == 202
    url = demo_api.base_url + started.headers["Location"]
    states = [requests.get(url, headers=STAFF).json()["data"]["state"] for _ in range(4)]
    assert states == ["running", "running", "done", "done"]
    assert requests.get(f"{demo_api.base_url}/jobs/nope", headers=STAFF).status_code == 404


def test_plain_text_and_echo(demo_api: DemoApi) -> None:
    hello = requests.get(f"{demo_api.base_url}/hello.txt")
    assert hello.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "version=3" in hello.text
    echo = requests.post(
        f"{demo_api.base_url}/echo", data=b"<a/>", headers={"Content-Type": "application/xml"}
    )
    assert (echo.headers["Content-Type"], echo.content) == ("application/xml", b"<a/>")


def test_reset_forgets_sessions_and_jobs(demo_api: DemoApi) -> None:
    requests.post(f"{demo_api.base_url}/jobs", headers=STAFF)
    demo_api.reset()
    assert (
        requests.post(f"{demo_api.base_url}/jobs", headers=STAFF).headers["Location"]
        == "/jobs/job_1"
    )
