"""Every response of a matched step is held against the doc's contract, for Swagger 2.0,
OpenAPI 3.0 and 3.1: end to end, with pytest on real docs against a server on 127.0.0.1."""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from apispec_helpers import DocWriter

from .server import Answer, RouteServer
from .specs import GOOD_CLIENT, VERSIONS, one_get, write_contracts


@pytest.fixture(params=sorted(VERSIONS))
def version(
    request: pytest.FixtureRequest,
    pytester: pytest.Pytester,
    api: RouteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """The contracts in ``swagger/``; 2.0's basePath /v2 is part of the base URL."""
    write_contracts(pytester.path / "swagger")
    if request.param == "2.0":
        monkeypatch.setenv("API_BASE_URL", api.url + "/v2")
    return str(request.param)


def prefix(version: str) -> str:
    return "/v2" if version == "2.0" else ""


def front(version: str, endpoint: str = "GET /clients/{id}", extra: str = "") -> str:
    return (
        f'endpoint: "{endpoint}"\nswagger: swagger/{VERSIONS[version][0]}\ntokens: [staff]\n{extra}'
    )


GET_5 = "- id: read\n  method: GET\n  path: /clients/5"


def junit(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, str]]:
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest(f"--junitxml={xml}", *args)
    cases = list(ET.parse(xml).getroot().iter("testcase"))
    properties = {p.attrib["name"]: p.attrib["value"] for c in cases for p in c.iter("property")}
    return result, properties


def test_a_conforming_response_passes_with_the_contract_properties(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    api.route("GET", prefix(version) + "/clients/5", Answer(200, GOOD_CLIENT))
    write_doc("get.md", front(version), GET_5)
    result, properties = junit(pytester)
    result.assert_outcomes(passed=1)
    assert properties["contract"] == f"swagger/{VERSIONS[version][0]}"
    assert properties["contract_violations"] == "0"


def test_every_violation_of_the_body_is_a_line_with_path_rule_value_and_pointer(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    bad = {**GOOD_CLIENT, "id": "five", "status": "gone", "created": "yesterday"}
    del bad["name"]
    api.route("GET", prefix(version) + "/clients/5", Answer(200, bad))
    write_doc("get.md", front(version), GET_5)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    file = VERSIONS[version][0]
    where = "definitions" if version == "2.0" else "components/schemas"
    result.stdout.fnmatch_lines_random(
        [
            f'*contract: $.id: wants type: integer, got "five" ({file}#/{where}/Client/properties/id)',
            f"*contract: $: wants required: name, got (missing) ({file}#/{where}/Client)",
            '*contract: $.status: wants enum: [[]active, expired], got "gone"*',
            '*contract: $.created: wants format: date-time, got "yesterday"*',
        ]
    )
    assert "contract: $.nickname" not in result.stdout.str()  # an unknown format is no error
    result.stdout.fnmatch_lines(["*request:  GET*/clients/5", "*repeat it with:*"])


@pytest.mark.parametrize("remembered", [4096, 1])
def test_an_exchange_made_again_is_checked_once_and_reported_for_every_doc(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    api: RouteServer,
    version: str,
    monkeypatch: pytest.MonkeyPatch,
    remembered: int,
) -> None:
    """Docs that make the same request and get the same answer (a shared prerequisite): the
    body is validated once, and every doc still fails with its lines; another answer is
    checked for itself; past REMEMBERED_EXCHANGES the oldest is checked again."""
    # the modules the in-process run will use: a package attribute may still name a copy an
    # earlier in-process run imported (pytester drops the modules a run imports)
    schemas = importlib.import_module("pytest_apispec.contracts.schemas")
    contractcheck = importlib.import_module("pytest_apispec.execution.contractcheck")
    validated = []
    violations = schemas.SchemaCheck.violations
    monkeypatch.setattr(
        schemas.SchemaCheck,
        "violations",
        lambda self, instance, where=(): validated.append(instance) or violations(self, instance),
    )
    monkeypatch.setattr(contractcheck, "REMEMBERED_EXCHANGES", remembered)
    api.route("GET", prefix(version) + "/clients/5", Answer(200, {**GOOD_CLIENT, "id": "five"}))
    api.route("GET", prefix(version) + "/clients/7", Answer(200, {**GOOD_CLIENT, "id": "7"}))
    for name, client in (("a.md", 5), ("b.md", 5), ("c.md", 7), ("d.md", 5)):
        write_doc(name, front(version), GET_5.replace("/5", f"/{client}"))
    result = pytester.runpytest("-p", "no:randomly", "-rN")
    result.assert_outcomes(failed=4)
    output = result.stdout.str()
    assert output.count('contract: $.id: wants type: integer, got "five"') == 3
    assert output.count('contract: $.id: wants type: integer, got "7"') == 1
    assert len(validated) == (2 if remembered > 1 else 3)  # b repeats a; d comes after c


# counts, in the run's own process, the validators jsonschema makes while each answer is
# validated, and writes them to counts.txt
COUNTING_CONFTEST = """
import pathlib
from pytest_apispec.contracts import schemas

schemas.REMEMBERED_SUBSCHEMAS = {remembered}
made, per_answer = [], []
remembering = schemas._remembered_evolve

def counted(evolve):
    def evolve_counted(self, **changes):
        made.append(1)
        return evolve(self, **changes)
    return remembering(evolve_counted)

schemas._remembered_evolve = counted
violations = schemas.SchemaCheck.violations

def validate(self, instance, where=()):
    before = len(made)
    try:
        return violations(self, instance, where)
    finally:
        per_answer.append(len(made) - before)

schemas.SchemaCheck.violations = validate

def pytest_unconfigure():
    pathlib.Path("counts.txt").write_text(" ".join(map(str, per_answer)))
"""


@pytest.mark.parametrize("remembered", [20_000, 0])
def test_validating_another_answer_of_a_schema_makes_no_validator_again(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str, remembered: int
) -> None:
    """jsonschema makes a validator for each subschema it descends into; for Swagger 2.0 and
    OpenAPI 3.0 those are kept, so a second answer of the same shape makes none, and the
    lines are the same as when nothing is kept."""
    if version == "3.1":
        pytest.skip("3.1 starts each check from a $ref, in its dynamic scope: nothing is kept")
    pytester.makeconftest(COUNTING_CONFTEST.format(remembered=remembered))
    for client in (5, 7, 8):
        body = {**GOOD_CLIENT, "id": f"client {client}"}
        api.route("GET", prefix(version) + f"/clients/{client}", Answer(200, body))
        write_doc(f"get{client}.md", front(version), GET_5.replace("/5", f"/{client}"))
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=3)
    for client in (5, 7, 8):
        result.stdout.fnmatch_lines(
            [f'*contract: $.id: wants type: integer, got "client {client}"*']
        )
    first, *others = map(int, (pytester.path / "counts.txt").read_text().split())
    assert first > 0 and len(others) == 2
    assert others == ([0, 0] if remembered else [first, first])


def test_an_undocumented_status_names_the_documented_ones(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    api.route("GET", prefix(version) + "/clients/5", Answer(401, {"detail": "who"}))
    write_doc("get.md", front(version), GET_5 + "\n  expect: {status: 401}")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*contract: status 401 is not documented for GET /clients/{id} (documented: 200, 404)*"]
    )


@pytest.mark.parametrize(("status", "body"), [(201, GOOD_CLIENT), (500, {"detail": "x"})])
def test_a_range_and_default_document_a_status(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    api: RouteServer,
    version: str,
    status: int,
    body: object,
) -> None:
    api.route("PUT", prefix(version) + "/clients/5", Answer(status, body))
    step = f"- method: PUT\n  path: /clients/5\n  body: {{name: Ada, status: active}}\n  expect: {{status: {status}}}"
    write_doc("put.md", front(version, "PUT /clients/{id}"), step)
    pytester.runpytest().assert_outcomes(passed=1)


def test_default_checks_the_schema_of_its_status(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    api.route("PUT", prefix(version) + "/clients/5", Answer(500, {"detail": 7}))
    step = "- method: PUT\n  path: /clients/5\n  body: {name: Ada, status: active}\n  expect: {status: 500}"
    write_doc("put.md", front(version, "PUT /clients/{id}"), step)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*contract: $.detail: wants type: string, got 7*"])


def test_nullable_is_read_in_each_dialect(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    """``nullable`` (3.0), ``x-nullable`` (2.0), ``type: [string, 'null']`` (3.1)."""
    api.route("GET", prefix(version) + "/clients/5", Answer(200, {**GOOD_CLIENT, "name": None}))
    api.route("GET", prefix(version) + "/clients/6", Answer(200, {**GOOD_CLIENT, "status": None}))
    write_doc("nullable.md", front(version), GET_5)
    write_doc("not_nullable.md", front(version), GET_5.replace("/5", "/6"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["not_nullable.md:*failed", "*contract: $.status: wants*got null*"])


def test_write_only_may_not_be_answered_and_need_not_be(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    if version == "2.0":
        pytest.skip("Swagger 2.0 has no writeOnly")
    api.route("GET", "/clients/5", Answer(200, {**GOOD_CLIENT, "password": "hunter2"}))
    write_doc("get.md", front(version), GET_5)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ['*contract: $.password: wants writeOnly: not in a response, got "hunter2"*']
    )


def test_a_request_body_that_breaks_the_contract_warns_and_never_fails(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    """``id`` is readOnly: a request may not send it; ``status`` must be in its enum."""
    api.route("PUT", prefix(version) + "/clients/5", Answer(200, GOOD_CLIENT))
    step = "- method: PUT\n  path: /clients/5\n  body: {id: 5, name: Ada, status: sleeping, password: x}"
    write_doc("put.md", front(version, "PUT /clients/{id}"), step)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, warnings=1)
    text = result.stdout.str()
    assert "put.md: the request body drifts from swagger/" in text
    assert "request body.status: wants enum: [[]active, expired]" in text or (
        "request body.id: wants readOnly: not in a request" in text
    )


def test_content_type_and_body_presence_are_checked(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    p = prefix(version)
    api.route("GET", p + "/clients/5", Answer(200, b"<html/>", "text/html"))
    api.route("GET", p + "/clients/6", Answer(200, None))
    api.route("DELETE", p + "/clients/7", Answer(204, None))
    api.route("GET", p + "/clients/8", Answer(200, b"{not json", "application/json"))
    write_doc("html.md", front(version), GET_5)
    write_doc("empty.md", front(version), GET_5.replace("/5", "/6"))
    write_doc(
        "gone.md", front(version, "DELETE /clients/{id}"), "- method: DELETE\n  path: /clients/7"
    )
    write_doc("broken.md", front(version), GET_5.replace("/5", "/8"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "broken.md:16: step 'read' failed",
            "*- contract: wants a JSON body (application/json), got a body that is not JSON*",
            "empty.md:16: step 'read' failed",
            "*- contract: wants a body (application/json), got none*",
            "html.md:16: step 'read' failed",
            "*- contract: wants Content-Type application/json, got text/html*",
        ]
    )


def test_a_cross_file_ref_to_a_recursive_schema(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    tree = {"name": "root", "children": [{"name": "a", "children": [{"name": 3}]}, {}]}
    api.route("GET", prefix(version) + "/tree", Answer(200, tree))
    write_doc("tree.md", front(version, "GET /tree"), "- method: GET\n  path: /tree")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "*contract: $.children[[]0].children[[]0].name: wants type: string, got 3 (common.yaml#/Node/properties/name)",
            "*contract: $.children[[]1]: wants required: name, got (missing) (common.yaml#/Node)",
        ]
    )


def test_a_31_schema_with_an_id_resolves_its_refs_from_that_id(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer
) -> None:
    """JSON Schema 2020-12's ``$id``: the ``$ref``s under it are relative to it (``#/$defs``
    is the pet schema's own), another schema may refer to it by that URI, an ``$anchor`` in
    it is found, and so is a schema file with an ``$id`` of its own, and an ``$anchor`` outside
    every ``$id`` (the document's own). Nothing is fetched."""
    pet = {
        "$id": "https://pets.example.test/schemas/pet",
        "type": "object",
        "required": ["owner"],
        "properties": {
            "owner": {"$ref": "#/$defs/Owner"},
            "vet": {"$ref": "#vet"},
            "toy": {"$ref": "toy.json"},
        },
        "$defs": {
            "Owner": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Vet": {"$anchor": "vet", "type": "object", "required": ["licence"]},
        },
    }
    answer_schema = {
        "type": "object",
        "properties": {
            "pet": {"$ref": "https://pets.example.test/schemas/pet"},
            "clinic": {"$ref": "#clinic"},
        },
    }
    clinic = {"$anchor": "clinic", "required": ["city"]}
    contract = one_get("3.1.0", "/pets/{id}", answer_schema, {"Pet": pet, "Clinic": clinic})
    # the toy schema is known by its $id once a file refers to it by its path
    contract["components"]["schemas"]["Toy"] = {"$ref": "toy.json"}
    toy = {"$id": "https://pets.example.test/schemas/toy.json", "type": "string"}
    (pytester.path / "swagger").mkdir()
    (pytester.path / "swagger" / "pets.json").write_text(json.dumps(contract))
    (pytester.path / "swagger" / "toy.json").write_text(json.dumps(toy))
    del contract["components"]["schemas"]["Toy"]  # now nothing names the toy's $id
    (pytester.path / "swagger" / "unknown.json").write_text(json.dumps(contract))
    answer = {"pet": {"owner": {"name": 5}, "vet": {}, "toy": 3}, "clinic": {}}
    api.route("GET", "/pets/1", Answer(200, answer))
    write_doc(
        "pet.md",
        'endpoint: "GET /pets/{id}"\nswagger: swagger/pets.json',
        "- method: GET\n  path: /pets/1",
    )
    write_doc(
        "unknown.md",
        'endpoint: "GET /pets/{id}"\nswagger: swagger/unknown.json',
        "- method: GET\n  path: /pets/1",
    )
    result = pytester.runpytest("-rN")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert (
        "unknown.json: $ref 'toy.json' is https://pets.example.test/schemas/toy.json (relative "
        "to the $id above it), which no $id of the contract names and which is never fetched"
    ) in out
    at = "(pets.json#/components/schemas/Pet"
    for line in [
        f"contract: $.pet.owner.name: wants type: string, got 5 {at}/$defs/Owner/properties/name)",
        f"contract: $.pet.vet: wants required: licence, got (missing) {at}/$defs/Vet)",
        "contract: $.pet.toy: wants type: string, got 3 (toy.json)",
        "contract: $.clinic: wants required: city, got (missing) "
        "(pets.json#/components/schemas/Clinic)",
    ]:
        assert line in out, line
    assert "could not be checked" not in out


def one_doc_per_answer(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    api: RouteServer,
    contract: tuple[str, Any],
    endpoint: str,
    answers: dict[str, Any],
) -> pytest.RunResult:
    """``swagger/<name>`` (a document, or YAML text), an answer per path and a doc of
    ``endpoint`` that reads each; the run, with the plugin's own report lines only."""
    name, document = contract
    (pytester.path / "swagger").mkdir(exist_ok=True)
    text = document if isinstance(document, str) else json.dumps(document)
    (pytester.path / "swagger" / name).write_text(text, encoding="utf-8")
    for n, (path, answer) in enumerate(answers.items()):
        api.route("GET", path, Answer(200, answer))
        write_doc(
            f"doc{n}.md",
            f'endpoint: "GET {endpoint}"\nswagger: swagger/{name}',
            f"- method: GET\n  path: {path}",
        )
    return pytester.runpytest("-rN")


def test_a_20_discriminator_beside_all_of_is_a_property_name(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer
) -> None:
    """Swagger 2.0 writes ``discriminator: petType`` (3.0 writes an object): beside ``allOf``
    it chooses no schema, and the answer is checked against the ``allOf`` as written, instead
    of failing the check."""
    contract = {
        "swagger": "2.0",
        "info": {"title": "pets", "version": "1"},
        "paths": {
            "/cats/{id}": {
                "get": {
                    "produces": ["application/json"],
                    "responses": {
                        "200": {"description": "ok", "schema": {"$ref": "#/definitions/Cat"}}
                    },
                }
            }
        },
        "definitions": {
            "Pet": {
                "type": "object",
                "discriminator": "petType",
                "required": ["petType", "name"],
                "properties": {"petType": {"type": "string"}, "name": {"type": "string"}},
            },
            "Cat": {
                "discriminator": "petType",
                "allOf": [
                    {"$ref": "#/definitions/Pet"},
                    {"properties": {"skill": {"type": "string", "enum": ["clueless", "lazy"]}}},
                ],
            },
        },
    }
    answers = {
        "/cats/1": {"petType": "Cat", "name": "Tom", "skill": "lazy"},
        "/cats/2": {"petType": "Cat", "skill": "bad"},
    }
    result = one_doc_per_answer(
        pytester, write_doc, api, ("pets.json", contract), "/cats/{id}", answers
    )
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "contract: $: wants required: name, got (missing) (pets.json#/definitions/Pet)" in out
    assert 'contract: $.skill: wants enum: [clueless, lazy], got "bad"' in out
    assert "could not be checked" not in out


@pytest.mark.parametrize("openapi", ["3.0.3", "3.1.0"])
def test_a_discriminator_chooses_once_where_children_refer_back_to_their_parent(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, openapi: str
) -> None:
    """The pattern code generators recommend: ``Pet`` chooses among ``oneOf: [Cat, Dog]`` by
    ``petType``, and each child is ``allOf: [Pet, ...]``. The chosen child is checked with
    ``Pet``'s own keywords, without choosing again (which never ended: a crash of the check);
    a value the mapping does not name is one line."""
    schemas = "#/components/schemas/"
    child = {
        "Cat": {"meows": {"type": "integer"}},
        "Dog": {"barks": {"type": "boolean"}},
    }
    pet = {
        "type": "object",
        "required": ["petType", "name"],
        "properties": {"petType": {"type": "string"}, "name": {"type": "string"}},
        "oneOf": [{"$ref": schemas + "Cat"}, {"$ref": schemas + "Dog"}],
        "discriminator": {
            "propertyName": "petType",
            "mapping": {"cat": schemas + "Cat", "dog": schemas + "Dog"},
        },
    }
    children = {
        name: {"allOf": [{"$ref": schemas + "Pet"}, {"properties": own}]}
        for name, own in child.items()
    }
    contract = one_get(openapi, "/pets/{id}", {"$ref": schemas + "Pet"}, {"Pet": pet, **children})
    answers = {
        "/pets/1": {"petType": "cat", "name": "Tom", "meows": 3},
        "/pets/2": {"petType": "dog", "barks": "loud"},
        "/pets/3": {"petType": "bird", "name": "Tweety"},
    }
    result = one_doc_per_answer(
        pytester, write_doc, api, ("pets.json", contract), "/pets/{id}", answers
    )
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    for line in [
        'contract: $.barks: wants type: boolean, got "loud" (pets.json#/components/schemas/Dog/allOf/1/properties/barks)',
        "contract: $: wants required: name, got (missing) (pets.json#/components/schemas/Pet)",
        'contract: $: wants discriminator petType: one of [cat, dog], got "bird" (pets.json#/components/schemas/Pet)',
    ]:
        assert line in out, line
    assert "could not be checked" not in out and "recurse without end" not in out


def test_a_yaml_contract_reads_no_and_on_as_text(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer
) -> None:
    """OpenAPI recommends YAML 1.2, where only ``true`` and ``false`` are booleans: a country
    ``NO`` (Norway) in an ``enum``, a switch ``on``/``off`` and a property named ``on`` mean
    what they say, and ``true`` is still a boolean."""
    shop = """
openapi: 3.0.3
info: {title: shop, version: "1"}
paths:
  /shops/{id}:
    get:
      responses:
        "200":
          description: a shop
          content:
            application/json:
              schema:
                type: object
                required: [country, light]
                properties:
                  country: {type: string, enum: [NO, SE, DK]}
                  light: {type: string, enum: [on, off]}
                  on: {type: boolean, enum: [true]}
"""
    answers = {
        "/shops/1": {"country": "NO", "light": "off", "on": True},
        "/shops/2": {"country": "FI", "light": "off", "on": "yes"},
    }
    result = one_doc_per_answer(
        pytester, write_doc, api, ("shop.yaml", shop), "/shops/{id}", answers
    )
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert 'contract: $.country: wants enum: [NO, SE, DK], got "FI"' in out
    assert 'contract: $.on: wants type: boolean, got "yes"' in out


def test_the_most_specific_template_wins(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    """``/clients/me`` is its own operation, not ``/clients/{id}`` with id ``me``."""
    api.route("GET", prefix(version) + "/clients/me", Answer(200, {"me": "yes"}))
    write_doc("me.md", front(version, "GET /clients/me"), "- method: GET\n  path: /clients/me")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*contract: $.me: wants type: boolean, got "yes"*'])


def test_a_step_without_an_operation_is_not_checked_and_other_steps_are(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    p = prefix(version)
    api.route("GET", p + "/health", Answer(200, {"anything": True}))
    api.route("GET", p + "/clients/5", Answer(200, {**GOOD_CLIENT, "id": "x"}))
    steps = f"- id: other\n  method: GET\n  path: /health\n{GET_5}"
    write_doc("two.md", front(version, "PUT /clients/{id}").replace("PUT", "GET"), steps)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*step 'read'*", '*contract: $.id: wants type: integer, got "x"*'])


def test_an_endpoint_the_contract_lacks_fails_with_the_nearest_operations(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    api.route("GET", prefix(version) + "/clients/5", Answer(200, GOOD_CLIENT))
    write_doc("typo.md", front(version, "PUT /client/{uid}"), GET_5.replace("GET", "PUT"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*contract swagger/{VERSIONS[version][0]} has no operation PUT /client/{{uid}} (nearest: *PUT /clients/{{id}}*"
        ]
    )


def test_an_endpoint_the_contract_lacks_leaves_the_docs_other_steps_unchecked(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    """The line is said once per doc, on the test step; a prerequisite's answer, which breaks
    the contract, is not checked; each such doc says it."""
    p = prefix(version)
    api.route("GET", p + "/clients/5", Answer(200, {**GOOD_CLIENT, "id": "x"}))
    api.route("PUT", p + "/clients/5", Answer(200, GOOD_CLIENT))
    prerequisite = GET_5.replace("id: read", "id: look")
    for name in ("one.md", "two.md"):
        write_doc(
            name,
            front(version, "PUT /client/{uid}"),
            GET_5.replace("GET", "PUT"),
            prerequisites=prerequisite,
        )
    result = pytester.runpytest("-rN")  # no short summary, which would say the line again
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert output.count("has no operation PUT /client/{uid}") == 2
    assert "wants type: integer" not in output


def test_parameter_names_and_a_trailing_slash_do_not_matter(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    api.route("GET", prefix(version) + "/clients/5/", Answer(200, {**GOOD_CLIENT, "id": "x"}))
    write_doc("slash.md", front(version, "GET /clients/{uid}/"), GET_5 + "/")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*contract: $.id: wants type: integer, got "x"*'])


def test_the_token_never_shows_in_a_violation(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer, version: str
) -> None:
    api.route(
        "GET",
        prefix(version) + "/clients/5",
        Answer(200, {**GOOD_CLIENT, "id": "contract-secret-4c1e9a"}),
    )
    write_doc("leak.md", front(version), GET_5)
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest("-vv", "--tb=long", f"--junitxml={xml}")
    result.assert_outcomes(failed=1)
    assert "contract: $.id: wants type: integer" in result.stdout.str()
    assert "contract-secret-4c1e9a" not in result.stdout.str() + xml.read_text()


def test_the_base_path_may_be_in_the_base_url_or_in_the_step(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    api: RouteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2.0's basePath, and the FastAPI case: ``servers: [{url: /api}]``, docs whose endpoint
    has /api, and a base URL ending in /api."""
    write_contracts(pytester.path / "swagger")
    (pytester.path / "swagger" / "fastapi.yaml").write_text(
        """
openapi: 3.0.2
info: {title: conduit, version: "1"}
servers: [{url: /api}]
paths:
  /articles/{slug}:
    put:
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {type: object, required: [article]}}}
""",
        encoding="utf-8",
    )
    api.route("PUT", "/api/articles/hello", Answer(200, {"nope": 1}))
    api.route("GET", "/v2/clients/5", Answer(200, {**GOOD_CLIENT, "id": "x"}))
    monkeypatch.setenv("API_BASE_URL", api.url + "/api")
    write_doc(
        "fastapi.md",
        'endpoint: "PUT /api/articles/{slug}"\nswagger: swagger/fastapi.yaml',
        "- method: PUT\n  path: /articles/hello",
    )
    write_doc(
        "in_step.md",
        'endpoint: "GET /v2/clients/{id}"\nswagger: swagger/v20.json',
        f"- method: GET\n  path: {api.url}/v2/clients/5",
    )
    result = pytester.runpytest("-o", "api_allowed_hosts=127.0.0.1")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "fastapi.md:*failed",
            "*- contract: $: wants required: article, got (missing)*",
            "in_step.md:*failed",
            '*- contract: $.id: wants type: integer, got "x"*',
        ]
    )


def test_an_openapi_key_is_the_same_as_swagger(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer
) -> None:
    write_contracts(pytester.path / "swagger")
    api.route("GET", "/clients/5", Answer(200, {**GOOD_CLIENT, "id": "x"}))
    write_doc("get.md", 'endpoint: "GET /clients/{id}"\nopenapi: swagger/v30.yaml', GET_5)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*contract: $.id: wants type: integer, got "x"*'])


def test_a_text_body_is_checked_for_its_content_type_only(
    pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer
) -> None:
    write_contracts(pytester.path / "swagger")
    api.route("GET", "/text", Answer(200, b"hello", "text/plain; charset=utf-8"))
    write_doc(
        "text.md",
        'endpoint: "GET /text"\nswagger: swagger/v30.yaml',
        "- method: GET\n  path: /text",
    )
    pytester.runpytest().assert_outcomes(passed=1)
