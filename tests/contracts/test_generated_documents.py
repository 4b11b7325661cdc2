"""Contracts as a framework writes them, not as a test author would.

``data/fastapi-articles.openapi.json`` is what FastAPI 0.165 (pydantic 2.14) generates for a
small app mounted under ``/api``: OpenAPI 3.1 with ``servers: [{url: /api}]``, ``anyOf`` with
``null`` for an optional field, a ``pattern``, ``format: email/uuid/date-time``, an ``enum``
from a ``Literal``, a recursive model, a discriminated union with its ``mapping``, a
``dict[str, int]`` (``additionalProperties``), a 204 without a body and the 422 every route
gets. The docs run end to end against a server on 127.0.0.1 that answers as the app did.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from apispec_helpers import DocWriter

from .server import Answer, RouteServer

DOCUMENT = Path(__file__).parent / "data" / "fastapi-articles.openapi.json"
FRONT = 'endpoint: "{}"\nswagger: swagger/openapi.json'


def article(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": "Hello",
        "body": None,
        "author_email": "a@example.com",
        "id": "00000000-0000-0000-0000-000000000001",
        "created": "2026-01-01T10:00:00Z",
        "rating": 3,
        "status": "draft",
        "tags": [{"name": "t", "children": [{"name": "u", "children": []}]}],
        "pet": {"pet_type": "cat", "meows": 2},
        "counts": {"a": 1},
    }


@pytest.fixture
def fastapi(
    pytester: pytest.Pytester, api: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> RouteServer:
    (pytester.path / "swagger").mkdir()
    shutil.copy(DOCUMENT, pytester.path / "swagger" / "openapi.json")
    monkeypatch.setenv("API_BASE_URL", api.url + "/api")
    return api


def test_answers_the_app_gives_conform(
    pytester: pytest.Pytester, write_doc: DocWriter, fastapi: RouteServer
) -> None:
    fastapi.route("GET", "/api/articles/hello", Answer(200, article("hello")))
    fastapi.route("GET", "/api/articles", Answer(200, [article("a"), article("b")]))
    fastapi.route("DELETE", "/api/articles/hello", Answer(204, None))
    problem = {"detail": [{"loc": ["body", "rating"], "msg": "too high", "type": "le"}]}
    fastapi.route("PUT", "/api/articles/hello", Answer(422, problem))
    write_doc(
        "get.md",
        FRONT.format("GET /api/articles/{slug}"),
        "- method: GET\n  path: /articles/hello",
    )
    write_doc("list.md", FRONT.format("GET /articles"), "- method: GET\n  path: /articles")
    write_doc(
        "delete.md",
        FRONT.format("DELETE /articles/{slug}"),
        "- method: DELETE\n  path: /articles/hello\n  expect: {status: 204}",
    )
    write_doc(
        "invalid.md",
        FRONT.format("PUT /articles/{slug}"),
        "- method: PUT\n  path: /articles/hello\n  body: {title: x, rating: 3}\n"
        "  expect: {status: 422}",
    )
    result = pytester.runpytest("--api-coverage-report=coverage.json")
    result.assert_outcomes(passed=4)
    assert "contract:" not in result.stdout.str()
    # each step was matched to its operation, the base path /api on either side
    rows = json.loads((pytester.path / "coverage.json").read_text())["contracts"][0]["rows"]
    assert {(r["method"], r["path"]): r["statuses_seen"] for r in rows} == {
        ("GET", "/articles/{slug}"): [200],
        ("PUT", "/articles/{slug}"): [422],
        ("DELETE", "/articles/{slug}"): [204],
        ("GET", "/articles"): [200],
    }


def test_what_breaks_the_generated_schemas_is_each_a_line(
    pytester: pytest.Pytester, write_doc: DocWriter, fastapi: RouteServer
) -> None:
    broken = article("Not A Slug")
    broken.update(rating=9, status="gone", author_email="nobody", id="x")
    broken["pet"] = {"pet_type": "dog", "barks": "loud"}
    broken["tags"][0]["children"][0]["name"] = 5
    broken["counts"]["b"] = "x"
    del broken["title"]
    fastapi.route("GET", "/api/articles/hello", Answer(200, broken))
    fastapi.route("GET", "/api/articles/missing", Answer(404, {"detail": "Not Found"}))
    write_doc(
        "get.md",
        FRONT.format("GET /articles/{slug}"),
        "- method: GET\n  path: /articles/hello",
    )
    write_doc(
        "missing.md",
        FRONT.format("GET /articles/{slug}"),
        "- method: GET\n  path: /articles/missing\n  expect: {status: 404}",
    )
    result = pytester.runpytest("-rN")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    schemas = "(openapi.json#/components/schemas/"
    for line in [
        f'contract: $.slug: wants pattern: ^[a-z0-9-]+$, got "Not A Slug" {schemas}'
        "Article/properties/slug)",
        f"contract: $.rating: wants maximum: 5.0, got 9 {schemas}Article/properties/rating)",
        f'contract: $.status: wants enum: [draft, published], got "gone" {schemas}'
        "Article/properties/status)",
        f"contract: $.tags[0].children[0].name: wants type: string, got 5 {schemas}"
        "Tag/properties/name)",
        f'contract: $.pet.barks: wants type: number, got "loud" {schemas}Dog/properties/barks)',
        f'contract: $.counts.b: wants type: integer, got "x" {schemas}'
        "Article/properties/counts/additionalProperties)",
        f"contract: $: wants required: title, got (missing) {schemas}Article)",
        "contract: status 404 is not documented for GET /articles/{slug} (documented: 200, 422)",
    ]:
        assert line in out, line
    # formats the validator knows are checked: an email without "@", a uuid that is none
    assert 'contract: $.author_email: wants format: email, got "nobody"' in out
    assert 'contract: $.id: wants format: uuid, got "x"' in out
