"""Fast tests of the demo API (pytest_apispec.demo) over real HTTP."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pytest_apispec.demo import DEMO_BUSINESS_ID, DEMO_LOGIN, DEMO_TOKENS, DemoApi

STAFF = {"Authorization": f"Bearer {DEMO_TOKENS['staff']}"}
CLIENT = {"Authorization": f"Bearer {DEMO_TOKENS['client']}"}


@pytest.fixture(scope="module")
def api() -> Iterator[DemoApi]:
    with DemoApi() as demo:
        yield demo


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(autouse=True)
def _fresh(api: DemoApi) -> None:
    api.reset()


def _create_package(api: DemoApi, http: requests.Session, **overrides: Any) -> requests.Response:
    body = {
        "client_id": 101,
        "package_id": 7,
        "price": 100,
        "valid_from": "2020-01-01",
        "valid_until": "2020-12-31",
        **overrides,
    }
    return http.post(
        f"{api.base_url}/platform/v1/payment/client_packages", json=body, headers=STAFF
    )


def test_health_and_common_headers(api: DemoApi, http: requests.Session) -> None:
    response = http.get(f"{api.base_url}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Demo-Server"] == "main"
    assert len(response.headers["X-Request-Id"]) == 36
    assert http.get(f"{api.fallback_url}/health").headers["X-Demo-Server"] == "fallback"


def test_unknown_route_and_bad_json(api: DemoApi, http: requests.Session) -> None:
    missing = http.get(f"{api.base_url}/nope", headers=STAFF)
    assert (missing.status_code, missing.json()) == (404, {"error": "not found"})
    bad = http.post(
        f"{api.base_url}/platform/v1/bookings",
        data=b"{not json",
        headers={**STAFF, "Content-Type": "application/json"},
    )
    assert (bad.status_code, bad.json()) == (400, {"error": "body is not valid JSON"})


def test_staff_auth(api: DemoApi, http: requests.Session) -> None:
    url = f"{api.base_url}/platform/v1/clients?business_id={DEMO_BUSINESS_ID}"
    for headers in ({}, CLIENT, {"Authorization": "Bearer wrong"}):
        response = http.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "missing or invalid staff token"}
    assert http.get(url, headers=STAFF).status_code == 200


def test_client_or_none_and_directory_auth(api: DemoApi, http: requests.Session) -> None:
    url = f"{api.base_url}/client/payments/v1/payment_requests"
    expected = {"data": {"payment_requests": [{"uid": "ps_1001", "state": "paid", "amount": 25}]}}
    assert http.get(url).json() == expected
    assert http.get(url, headers=CLIENT).json() == expected
    assert http.get(url, headers=STAFF).status_code == 401
    directory = f"{api.base_url}/directory/v1/businesses"
    assert http.get(directory, headers=STAFF).status_code == 401
    response = http.get(directory, headers={"Authorization": "Bearer demo-directory-token"})
    assert response.json() == {"data": {"businesses": [{"id": DEMO_BUSINESS_ID}]}}


def test_clients_listing(api: DemoApi, http: requests.Session) -> None:
    url = f"{api.base_url}/platform/v1/clients"
    page = http.get(url, params={"business_id": DEMO_BUSINESS_ID, "per_page": "1"}, headers=STAFF)
    assert page.json()["data"]["clients"] == [
        {"id": 101, "name": "Ada Lovelace", "email": "ada@example.test"}
    ]
    assert page.json()["meta"] == {"total": 2}
    other = http.get(url, params={"business_id": "biz_other"}, headers=STAFF).json()
    assert other == {"data": {"clients": []}, "meta": {"total": 0}}
    missing = http.get(url, headers=STAFF)
    assert (missing.status_code, missing.json()) == (422, {"error": "business_id is required"})
    assert http.get(f"{url}/102", headers=STAFF).json()["data"]["client"]["name"] == "Grace Hopper"
    assert http.get(f"{url}/999", headers=STAFF).status_code == 404


def test_client_package_flow(api: DemoApi, http: requests.Session) -> None:
    created = _create_package(api, http, client_id="101", package_id="7")
    assert created.status_code == 201
    package = created.json()["data"]["client_package"]
    uid, credit = package["id"], package["booking_credits"][0]
    assert uid.startswith("cp_") and len(uid) == 11
    assert credit["id"].startswith("bc_") and credit["total_bookings"] == 1 and credit["used"] == 0
    assert package["valid_until"] == "2020-12-31"

    put_path = f"/business/payments/v1/client_packages/{uid}"
    update = {
        "client_package": {
            "booking_credits": [{"id": credit["id"], "total_bookings": 5}],
            "valid_until": "2030-01-01",
        }
    }
    gateway = http.put(api.base_url + put_path, json=update, headers=STAFF)
    assert gateway.status_code == 401
    assert gateway.json() == {"error": "gateway does not accept tokens on /business/payments/v1/*"}
    updated = http.put(api.fallback_url + put_path, json=update, headers=STAFF)
    assert updated.status_code == 200
    assert updated.json()["data"]["client_package"]["booking_credits"][0]["total_bookings"] == 5
    assert updated.json()["data"]["client_package"]["valid_until"] == "2030-01-01"

    get_url = f"{api.base_url}/platform/v1/payment/client_packages/{uid}"
    assert http.get(get_url, headers=STAFF).json() == updated.json()
    deleted = http.delete(get_url, headers=STAFF)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert http.get(get_url, headers=STAFF).status_code == 404
    again = http.delete(get_url, headers=STAFF)
    assert (again.status_code, again.json()) == (404, {"error": "client package not found"})


def test_client_package_validation(api: DemoApi, http: requests.Session) -> None:
    unknown_client = _create_package(api, http, client_id=999)
    assert (unknown_client.status_code, unknown_client.json()) == (
        422,
        {"error": "unknown client_id"},
    )
    assert _create_package(api, http, package_id="8").json() == {"error": "unknown package_id"}

    uid = _create_package(api, http).json()["data"]["client_package"]["id"]
    url = f"{api.fallback_url}/business/payments/v1/client_packages/{uid}"
    bad_credit = {"client_package": {"booking_credits": [{"id": "bc_nope", "total_bookings": 2}]}}
    assert http.put(url, json=bad_credit, headers=STAFF).json() == {
        "error": "unknown booking credit"
    }
    missing = http.put(url.replace(uid, "cp_missing"), json=bad_credit, headers=STAFF)
    assert missing.status_code == 404
    assert http.put(url, json=bad_credit).status_code == 401


def test_update_usage(api: DemoApi, http: requests.Session) -> None:
    url = f"{api.base_url}/platform/v1/clients/payment/client_packages/update_usage"
    no_package = http.post(url, json={"payment_status_id": "ps_1001"}, headers=CLIENT)
    assert (no_package.status_code, no_package.json()) == (
        422,
        {"error": "There is no package to use"},
    )
    assert http.post(url, json={}).json() == {"error": "payment_status_id is required"}
    assert http.post(url, json={"payment_status_id": "ps_9"}).status_code == 404


def test_bookings(api: DemoApi, http: requests.Session) -> None:
    url = f"{api.base_url}/platform/v1/bookings"
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    body = {"client_id": 101, "starts_on": tomorrow, "service": "massage"}
    created = http.post(url, json=body, headers=STAFF)
    assert created.status_code == 201
    assert created.json()["data"]["booking"] == {"id": 5001, **body, "state": "confirmed"}
    assert http.post(url, json=body, headers=STAFF).json()["data"]["booking"]["id"] == 5002

    for starts_on in ("2020-01-01", "tomorrow", None):
        past = http.post(url, json={**body, "starts_on": starts_on}, headers=STAFF)
        assert (past.status_code, past.json()) == (
            422,
            {"error": "starts_on must be today or later"},
        )
    assert http.post(url, json={**body, "client_id": 5}, headers=STAFF).status_code == 422

    assert http.get(f"{url}/5001", headers=STAFF).json() == created.json()
    assert http.delete(f"{url}/5001", headers=STAFF).status_code == 204
    assert http.get(f"{url}/5001", headers=STAFF).status_code == 404
    assert http.delete(f"{url}/5001", headers=STAFF).status_code == 404


def test_waitlist_and_flaky(api: DemoApi, http: requests.Session) -> None:
    waitlist = http.get(f"{api.base_url}/platform/v1/waitlist?business_id=x", headers=STAFF)
    assert waitlist.json() == {"data": {"entries": []}}
    first = http.get(f"{api.base_url}/platform/v1/flaky")
    assert (first.status_code, first.headers["Retry-After"]) == (503, "0")
    second = http.get(f"{api.fallback_url}/platform/v1/flaky")
    assert (second.status_code, second.json()) == (200, {"ok": True})
    assert http.get(f"{api.base_url}/platform/v1/flaky").status_code == 503


def test_request_count_log_and_reset(api: DemoApi, http: requests.Session) -> None:
    http.get(f"{api.base_url}/health?x=1")
    http.delete(f"{api.fallback_url}/nope")
    assert api.request_count == 2
    assert api.requests_log == [("main", "GET", "/health?x=1"), ("fallback", "DELETE", "/nope")]
    uid = _create_package(api, http).json()["data"]["client_package"]["id"]

    api.reset()
    assert api.request_count == 0
    assert api.requests_log == []
    get_url = f"{api.base_url}/platform/v1/payment/client_packages/{uid}"
    assert http.get(get_url, headers=STAFF).status_code == 404


def test_instances_are_independent_and_stop_fast(api: DemoApi) -> None:
    other = DemoApi().start()
    try:
        assert other.base_url != api.base_url
        with requests.Session() as session:  # keeps a keep-alive connection open
            session.get(f"{other.fallback_url}/platform/v1/flaky")
            assert session.get(f"{api.fallback_url}/platform/v1/flaky").status_code == 503
            assert other.request_count == 1
            port = int(other.base_url.rsplit(":", 1)[1])
            started = time.monotonic()
            other.stop()
            assert time.monotonic() - started < 2
    finally:
        other.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = other.base_url
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_latency() -> None:
    with DemoApi(latency=0.2) as slow:
        started = time.monotonic()
        assert requests.get(f"{slow.base_url}/health", timeout=5).status_code == 200
        assert time.monotonic() - started >= 0.2


def test_login_answers_the_staff_token_for_the_demo_credentials(
    api: DemoApi, http: requests.Session
) -> None:
    url = f"{api.base_url}/auth/login"
    good = http.post(url, json=dict(DEMO_LOGIN))
    assert good.status_code == 200
    assert good.json() == {
        "data": {"token": DEMO_TOKENS["staff"], "token_type": "staff", "expires_in": 3600}
    }
    token = good.json()["data"]["token"]
    clients = http.get(
        f"{api.base_url}/platform/v1/clients",
        params={"business_id": DEMO_BUSINESS_ID},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert clients.status_code == 200
    wrong = http.post(url, json={**DEMO_LOGIN, "password": "guess"})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid username or password"})
    for body in ({}, {"username": "demo-staff"}, {"username": 1, "password": 2}):
        missing = http.post(url, json=body)
        assert (missing.status_code, missing.json()) == (
            422,
            {"error": "username and password are required"},
        )
