"""Bodies that are not JSON, held against the contract: a form, multipart or text request
body by its Content-Type, and a response declared as ``*/*`` read as JSON only when it is."""

from __future__ import annotations

import json
from typing import Any

import pytest
from apispec_helpers import DocWriter

from .server import Answer, RouteServer

SCHEMA = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}


def contract(request_media: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "kinds", "version": "1"},
        "paths": {
            "/login": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {request_media: {"schema": SCHEMA}},
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/echo": {
                "get": {
                    "responses": {
                        "200": {"description": "any", "content": {"*/*": {"schema": SCHEMA}}}
                    }
                }
            },
        },
    }


@pytest.fixture
def write_contract(pytester: pytest.Pytester) -> Any:
    def write(request_media: str) -> None:
        folder = pytester.path / "swagger"
        folder.mkdir(exist_ok=True)
        (folder / "kinds.json").write_text(json.dumps(contract(request_media)))

    return write


FRONT = 'endpoint: "POST /login"\nswagger: swagger/kinds.json'
FORM = "- method: POST\n  path: /login\n  form: {id: 7}"


def test_a_form_body_to_an_operation_that_takes_forms_is_no_drift(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, write_contract: Any
) -> None:
    write_contract("application/x-www-form-urlencoded")
    api.route("POST", "/login", Answer(200, None))
    write_doc("login.md", FRONT, FORM)
    pytester.runpytest("-W", "error::pytest_apispec.ContractWarning").assert_outcomes(passed=1)


def test_a_form_body_to_an_operation_that_takes_json_drifts_by_its_content_type(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, write_contract: Any
) -> None:
    write_contract("application/json")
    api.route("POST", "/login", Answer(200, None))
    write_doc("login.md", FRONT, FORM)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*login.md: the request body drifts from swagger/kinds.json: contract: request:"
            " wants Content-Type application/json, got application/x-www-form-urlencoded*"
        ]
    )
    assert "it is required" not in result.stdout.str()


@pytest.mark.parametrize(
    ("body", "content_type", "outcome"),
    [
        (b"plain words", "text/plain", "passed"),
        (json.dumps({"id": 3}).encode(), "application/json", "passed"),
        (json.dumps({"id": "three"}).encode(), "application/json", "failed"),
    ],
)
def test_a_wildcard_response_is_json_only_when_its_body_says_so(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    api: RouteServer,
    write_contract: Any,
    body: bytes,
    content_type: str,
    outcome: str,
) -> None:
    write_contract("application/json")
    api.route("GET", "/echo", Answer(200, body, content_type))
    write_doc(
        "echo.md",
        'endpoint: "GET /echo"\nswagger: swagger/kinds.json',
        "- method: GET\n  path: /echo",
    )
    pytester.runpytest().assert_outcomes(**{outcome: 1})
