"""The demo API's contract, examples/swagger/demo.yaml, is the truth about the demo: every route
the demo serves is an operation of it, and every answer the demo gives (successes and errors)
conforms to it, but for the one deliberately wrong bit that examples/auth/login.md shows."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_apispec.contracts import loader, messages, paths
from pytest_apispec.contracts.document import Contract, Operation
from pytest_apispec.demo import DEMO_LOGIN, DEMO_TOKENS, DemoApi
from pytest_apispec.demo.web import WebRoutes

CONTRACT = Path(__file__).resolve().parents[2] / "examples" / "swagger" / "demo.yaml"
LOGIN = dict(DEMO_LOGIN)
STAFF = {"Authorization": f"Bearer {DEMO_TOKENS['staff']}"}
CLIENT = {"Authorization": f"Bearer {DEMO_TOKENS['client']}"}
DIRECTORY = {"Authorization": "Bearer demo-directory-token"}
EXPIRES_IN = "contract: $.data.expires_in: wants type: string, got 3600"  # the known wrong bit


@pytest.fixture(scope="module")
def contract() -> Contract:
    return loader.load(CONTRACT)


@pytest.fixture
def demo() -> Iterator[DemoApi]:
    with DemoApi() as api:
        yield api


def _demo_routes() -> set[tuple[str, str]]:
    """Every (method, path template) the demo serves, read from its route tables."""
    from pytest_apispec import demo

    json_routes = {
        (route.method, re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", route.pattern.pattern[1:-1]))
        for route in demo._ROUTES
    }
    web = WebRoutes(DEMO_LOGIN, DEMO_TOKENS["staff"])
    # GET /jobs/{id} is the one web route matched by prefix rather than by the table
    return json_routes | set(web._routes()) | {("GET", "/jobs/{id}")}


def test_every_route_of_the_demo_is_an_operation_of_its_contract(contract: Contract) -> None:
    index = paths.index_of(contract)
    routes = _demo_routes()
    assert ("POST", "/echo") in routes and ("GET", "/platform/v1/clients/{id}") in routes
    missing = sorted(f"{m} {t}" for m, t in routes if index.find(m, t) is None)
    assert missing == []
    documented = {(op.method, op.template) for op in contract.operations}
    assert documented == routes


@dataclass
class Exchanges:
    """Sends requests to the demo and keeps each answer with its contract violations."""

    api: DemoApi
    contract: Contract
    http: requests.Session = field(default_factory=requests.Session)
    answers: list[tuple[str, int, list[str]]] = field(default_factory=list)

    def send(
        self, method: str, path: str, *, server: str = "main", **kwargs: Any
    ) -> requests.Response:
        base = self.api.base_url if server == "main" else self.api.fallback_url
        response = self.http.request(method, base + path, timeout=10, **kwargs)
        operation = paths.index_of(self.contract).match(method, path.split("?")[0])
        assert operation is not None, f"{method} {path} is not in the contract"
        problems = self._violations(operation, method, response) + self._headers(
            operation, response
        )
        self.answers.append((f"{method} {path}", response.status_code, problems))
        return response

    def _violations(
        self, operation: Operation, method: str, response: requests.Response
    ) -> list[str]:
        try:
            document, is_json = response.json(), True
        except ValueError:
            document, is_json = None, False
        exchange = messages.Exchange(
            method=method,
            status=response.status_code,
            content_type=response.headers.get("Content-Type"),
            body_size=len(response.content),
            is_json=is_json,
            document=document,
        )
        return [v.line() for v in messages.check_response(self.contract, operation, exchange)]

    def _headers(self, operation: Operation, response: requests.Response) -> list[str]:
        """The response headers the contract documents: present when required, matching
        their pattern when present (the plugin itself does not check headers)."""
        _, _, responses = self.contract.child(
            operation.uri, operation.pointer, operation.node, "responses"
        )
        key = messages.status_key(responses, response.status_code)
        _, _, headers = self.contract.child(
            operation.uri, operation.pointer, responses, key, "headers"
        )
        problems = []
        for name, header in (headers or {}).items():
            value = response.headers.get(name)
            pattern = header.get("schema", {}).get("pattern")
            if value is None and header.get("required"):
                problems.append(f"header {name}: missing")
            elif value is not None and pattern and not re.search(pattern, value):
                problems.append(f"header {name}: {value!r} does not match {pattern}")
        return problems

    def statuses(self) -> set[tuple[str, int]]:
        return {(request, status) for request, status, _ in self.answers}

    def violations(self) -> dict[str, list[str]]:
        return {f"{r} -> {s}": found for r, s, found in self.answers if found}


def test_every_answer_of_the_demo_conforms_to_its_contract(
    demo: DemoApi, contract: Contract
) -> None:
    ex = Exchanges(demo, contract)
    _auth(ex)
    _web(ex)
    _clients_and_packages(ex)
    _bookings_and_more(ex)
    violations = ex.violations()
    login = violations.pop("POST /auth/login -> 200")
    assert len(login) == 1 and login[0].startswith(EXPIRES_IN), login
    assert violations == {}
    # every operation of the contract was called
    called = {
        (r.split()[0], paths.index_of(contract).match(*r.split()[:2]).template)  # type: ignore[union-attr]
        for r, _, _ in ex.answers
    }
    assert called == {(op.method, op.template) for op in contract.operations}


def _auth(ex: Exchanges) -> None:
    ex.send("GET", "/health")
    ex.send("POST", "/auth/login", json=LOGIN)
    ex.send("POST", "/auth/login", json={**LOGIN, "password": "wrong"})
    ex.send("POST", "/auth/login", json={})
    ex.send("POST", "/auth/login", data=b"{not json")
    ex.send("GET", "/auth/me")
    ex.send("POST", "/auth/session", data={**LOGIN, "password": "wrong"})
    ex.send("POST", "/auth/session", json=LOGIN)
    ex.http.cookies.clear()
    ex.send("POST", "/auth/session", data=LOGIN)
    ex.send("GET", "/auth/me")
    assert {("GET /auth/me", 401), ("GET /auth/me", 200)} <= ex.statuses()
    assert ("POST /auth/session", 401) in ex.statuses()


def _web(ex: Exchanges) -> None:
    avatar = ("a.png", b"\x89PNG....", "image/png")
    ex.send("POST", "/uploads", headers=STAFF, data={"client_id": "101"}, files={"avatar": avatar})
    ex.send("POST", "/uploads", files={"avatar": avatar})
    ex.send("POST", "/uploads", headers=STAFF, json={"a": 1})
    job = ex.send("POST", "/jobs", headers=STAFF).headers["Location"]
    ex.send("POST", "/jobs")
    for _ in range(3):
        ex.send("GET", job, headers=STAFF)
    ex.send("GET", job)
    ex.send("GET", "/jobs/job_404", headers=STAFF)
    ex.send("GET", "/hello.txt")
    ex.send("POST", "/echo", data="version 3", headers={"Content-Type": "text/plain"})
    ex.send("POST", "/echo", json={"a": 1})
    ex.send("POST", "/echo", data=b"\x00\x01")
    assert {s for r, s, _ in ex.answers if r.startswith(("POST /uploads", "GET /jobs/"))} == {
        200,
        201,
        401,
        404,
        415,
    }


def _clients_and_packages(ex: Exchanges) -> None:
    ex.send("GET", "/platform/v1/clients?business_id=biz_demo_1&per_page=1", headers=STAFF)
    ex.send("GET", "/platform/v1/clients?business_id=other", headers=STAFF)
    ex.send("GET", "/platform/v1/clients", headers=STAFF)
    ex.send("GET", "/platform/v1/clients?business_id=biz_demo_1")
    ex.send("GET", "/platform/v1/clients/101", headers=STAFF)
    ex.send("GET", "/platform/v1/clients/999", headers=STAFF)
    ex.send("GET", "/platform/v1/payment/packages?business_id=biz_demo_1", headers=STAFF)
    ex.send("GET", "/platform/v1/payment/packages", headers=STAFF)
    body: Mapping[str, Any] = {"client_id": 101, "package_id": 7, "price": 1}
    created = ex.send("POST", "/platform/v1/payment/client_packages", headers=STAFF, json=body)
    package = created.json()["data"]["client_package"]
    ex.send("POST", "/platform/v1/payment/client_packages", headers=STAFF, json={"client_id": 1})
    uid, credit = package["id"], package["booking_credits"][0]["id"]
    ex.send("GET", f"/platform/v1/payment/client_packages/{uid}", headers=STAFF)
    ex.send("GET", "/platform/v1/payment/client_packages/cp_none", headers=STAFF)
    update = {"client_package": {"booking_credits": [{"id": credit, "total_bookings": 2}]}}
    put = f"/business/payments/v1/client_packages/{uid}"
    ex.send("PUT", put, headers=STAFF, json=update)
    ex.send("PUT", put, server="fallback", headers=STAFF, json=update)
    ex.send("PUT", put, server="fallback", headers=STAFF, json={"client_package": 1})
    ex.send("DELETE", f"/platform/v1/payment/client_packages/{uid}", headers=STAFF)
    ex.send("DELETE", f"/platform/v1/payment/client_packages/{uid}", headers=STAFF)
    ex.send("GET", "/client/payments/v1/payment_requests")
    ex.send("GET", "/client/payments/v1/payment_requests", headers=CLIENT)
    ex.send("GET", "/client/payments/v1/payment_requests", headers=STAFF)
    usage = "/platform/v1/clients/payment/client_packages/update_usage"
    ex.send("POST", usage, json={"payment_status_id": "ps_1001"})
    ex.send("POST", usage, json={"payment_status_id": "ps_none"})


def _bookings_and_more(ex: Exchanges) -> None:
    booking = {"client_id": 101, "starts_on": "2999-01-01", "service": "massage"}
    created = ex.send("POST", "/platform/v1/bookings", headers=STAFF, json=booking)
    ex.send(
        "POST", "/platform/v1/bookings", headers=STAFF, json={**booking, "starts_on": "2000-01-01"}
    )
    booking_id = created.json()["data"]["booking"]["id"]
    ex.send("GET", f"/platform/v1/bookings/{booking_id}", headers=STAFF)
    ex.send("DELETE", f"/platform/v1/bookings/{booking_id}", headers=STAFF)
    ex.send("GET", f"/platform/v1/bookings/{booking_id}", headers=STAFF)
    ex.send("GET", "/platform/v1/waitlist?business_id=biz_demo_1", headers=STAFF)
    ex.send("GET", "/directory/v1/businesses", headers=DIRECTORY)
    ex.send("GET", "/directory/v1/businesses", headers=STAFF)
    ex.send("GET", "/platform/v1/flaky")
    ex.send("GET", "/platform/v1/flaky")
    assert {("GET /platform/v1/flaky", 503), ("GET /platform/v1/flaky", 200)} <= ex.statuses()
