"""``expect.schema`` and ``expect.match``: an author's own schemas for a response."""

from __future__ import annotations

import json

import pytest
from apispec_helpers import DocWriter, line_of

from .server import Answer, RouteServer
from .specs import GOOD_CLIENT, one_get, write_contracts

LIST = {"data": {"clients": [{"email": "a@x.test"}, {"email": "nobody"}]}, "meta": {"total": 0}}


@pytest.fixture
def served(pytester: pytest.Pytester, api: RouteServer) -> RouteServer:
    write_contracts(pytester.path / "swagger")
    api.route("GET", "/clients", Answer(200, LIST))
    api.route("GET", "/clients/5", Answer(200, GOOD_CLIENT))
    return api


def step(expect: str, path: str = "/clients") -> str:
    return f"- id: list\n  method: GET\n  path: {path}\n  expect:\n{expect}"


def test_expect_match_holds_every_match_to_its_schema(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    expect = (
        "    match:\n"
        '      "$.data.clients": {type: array, minItems: 1}\n'
        '      "$.data.clients[*].email": {type: string, pattern: "@"}\n'
        '      "$.meta.total": {minimum: 1}\n'
        '      "$.meta.missing": {type: string}\n'
    )
    write_doc("list.md", 'endpoint: "GET /clients"', step(expect))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "list.md:*: step 'list' failed",
            '*- expect.match $.data.clients[[]*].email (match 2): $: wants pattern: @, got "nobody"',
            "*- expect.match $.meta.total: $: wants minimum: 1, got 0",
            "*- expect.match $.meta.missing: matched nothing",
        ]
    )
    assert "$.data.clients: " not in result.stdout.str()


def test_expect_schema_without_a_contract_is_json_schema_2020_12(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    schema = (
        "    schema:\n"
        "      type: object\n"
        "      required: [data, links]\n"
        "      properties:\n"
        "        meta: {type: object, properties: {total: {type: [integer, 'null'], exclusiveMinimum: 0}}}\n"
    )
    write_doc("list.md", 'endpoint: "GET /clients"', step(schema))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "*- expect.schema: $: wants required: links, got (missing)",
            "*- expect.schema: $.meta.total: wants exclusiveMinimum: 0, got 0 (expect.schema#/properties/meta/properties/total)",
        ]
    )


def test_expect_schema_may_refer_into_the_docs_contract(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    served.route("GET", "/clients/6", Answer(200, {**GOOD_CLIENT, "status": "sleeping"}))
    front = 'endpoint: "GET /clients/{id}"\nswagger: swagger/v30.yaml\ncontract: off'
    ref = "    schema: {$ref: '#/components/schemas/Client'}\n"
    write_doc("good.md", front, step(ref, "/clients/5"))
    write_doc("bad.md", front, step(ref, "/clients/6"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            '*- expect.schema: $.status: wants enum: [[]active, expired], got "sleeping" (v30.yaml#/components/schemas/Client/properties/status)'
        ]
    )


def test_a_malformed_schema_is_a_collection_error_with_the_steps_line(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    path = write_doc("bad.md", 'endpoint: "GET /clients"', step("    schema: {type: integr}\n"))
    write_doc(
        "match.md", 'endpoint: "GET /clients"', step("    match: {'$.data': {minItems: -1}}\n")
    )
    write_doc("shape.md", 'endpoint: "GET /clients"', step("    match: {'$.data': 5}\n"))
    write_doc("fine.md", 'endpoint: "GET /clients"', step("    schema: {type: object}\n"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=3)
    line = line_of(path, "- id: list")
    result.stdout.fnmatch_lines_random(
        [
            f"bad.md:{line}: step 'list': expect.schema is not a valid JSON Schema: it breaks the JSON Schema rule*",
            "match.md:*: step 'list': expect.match $.data is not a valid JSON Schema*",
            "shape.md:*: step 'list': expect.match $.data: the schema must be a mapping, such as {minimum: 1}",
        ]
    )


def test_a_ref_without_a_contract_is_one_clear_line(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    ref = "    schema: {$ref: '#/components/schemas/Client'}\n"
    write_doc("noref.md", 'endpoint: "GET /clients/{id}"', step(ref, "/clients/5"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- expect.schema: a $ref of the schema cannot be resolved; a '#/...' reference needs the doc's contract (swagger:), loaded without errors"
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_expect_schema_may_name_a_31_schema_by_its_id(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer
) -> None:
    """A 3.1 contract's schema with ``$id: https://...`` is found by that URI from a doc's own
    schema, by the lint and by the run; nothing is fetched."""
    pet = {
        "$id": "https://pets.example.test/schemas/pet",
        "type": "object",
        "properties": {"owner": {"$ref": "#/$defs/Owner"}},
        "$defs": {"Owner": {"type": "object", "properties": {"name": {"type": "string"}}}},
    }
    contract = one_get("3.1.0", "/pets", {"type": "object"}, {"Pet": pet})
    (pytester.path / "swagger").mkdir()
    (pytester.path / "swagger" / "pets.json").write_text(json.dumps(contract))
    api.route("GET", "/pets", Answer(200, {"owner": {"name": 5}}))
    write_doc(
        "pets.md",
        'endpoint: "GET /pets"\nswagger: swagger/pets.json',
        "- id: list\n  method: GET\n  path: /pets\n  expect:\n"
        '    schema: {$ref: "https://pets.example.test/schemas/pet"}',
    )
    pytester.runpytest("--api-lint").assert_outcomes(passed=1)
    result = pytester.runpytest("-rN")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expect.schema: $.owner.name: wants type: string, got 5*"])
    assert "contract:" not in result.stdout.str()
