"""The pure core: path templates, media types, status keys, compiled-once validators."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_apispec.contracts import loader, messages, paths, schemas
from pytest_apispec.contracts.document import Version

from .specs import one_get, openapi3, swagger2, write, write_contracts


@pytest.fixture
def contract30(tmp_path: Path) -> object:
    write_contracts(tmp_path)
    return loader.load(tmp_path / "v30.yaml")


def test_templates_match_by_shape_most_specific_first(contract30: object) -> None:
    index = paths.index_of(contract30)  # type: ignore[arg-type]
    assert index.match("GET", "/clients/me").template == "/clients/me"  # type: ignore[union-attr]
    assert index.match("GET", "/clients/42/").template == "/clients/{id}"  # type: ignore[union-attr]
    # an encoded slash is part of one segment: it fills a parameter, and makes no new segment
    assert index.match("GET", "/clients/group%2Fproject").template == "/clients/{id}"  # type: ignore[union-attr]
    assert index.match("GET", "/clients/me%2Fx").template == "/clients/{id}"  # type: ignore[union-attr]
    assert index.match("POST", "/clients/42") is None
    assert index.find("PUT", "/clients/{uid}").label == "PUT /clients/{id}"  # type: ignore[union-attr]
    assert index.find("GET", "/clients/{uid}/x") is None
    assert "PUT /clients/{id}" in index.nearest("PUT", "/client/{id}")


def test_a_base_path_is_optional_in_both_directions(tmp_path: Path) -> None:
    document = swagger2()
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    contract = loader.load(write(tmp_path / "c.json", document))
    assert (contract.version, contract.base_paths) == (Version.SWAGGER2, ("/v2",))
    index = paths.index_of(contract)
    assert index.match("GET", "/v2/clients/1") is index.match("GET", "/clients/1") is not None
    served = openapi3()
    served["servers"] = [{"url": "https://api.example.test/api/"}]
    contract = loader.load(write(tmp_path / "s.json", served))
    assert contract.base_paths == ("/api",)


def test_every_server_of_the_document_gives_a_base_path(tmp_path: Path) -> None:
    """Real documents list production and sandbox servers under different paths: a request
    under any of them is found, and a path none of them starts is not taken for one."""
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    document = openapi3()
    document["servers"] = [
        {"url": "https://api.example.test/v1"},
        {"url": "https://sandbox.example.test/sandbox/v1"},
        {"url": "https://api.example.test/v1/"},  # the first again: once
    ]
    contract = loader.load(write(tmp_path / "c.json", document))
    assert contract.base_paths == ("/v1", "/sandbox/v1")
    index = paths.index_of(contract)
    found = index.match("GET", "/clients/1")
    assert found is not None
    assert index.match("GET", "/v1/clients/1") is found
    assert index.match("GET", "/sandbox/v1/clients/1") is found
    assert index.match("GET", "/sandbox/clients/1") is None


@pytest.mark.parametrize(
    ("server", "base", "request_path"),
    [
        (
            {
                "url": "https://{region}.example.test/{version}/api",
                "variables": {"region": {"default": "eu"}, "version": {"default": "v2"}},
            },
            "/v2/api",
            "/v2/api",
        ),
        (
            {
                "url": "{scheme}://api.example.test/{basePath}",
                "variables": {"scheme": {"default": "https"}, "basePath": {"default": "v1"}},
            },
            "/v1",
            "/v1",
        ),
        ({"url": "https://api.example.test/{tenant}/api"}, "/{tenant}/api", "/acme/api"),
        ({"url": "//api.example.test/v3/"}, "/v3", "/v3"),
        ({"url": "./api"}, "/api", "/api"),
        ({"url": "/"}, "", ""),
    ],
    ids=["defaults", "templated-scheme", "no-default", "scheme-relative", "relative", "root"],
)
def test_a_servers_base_path_takes_its_variables_defaults(
    tmp_path: Path, server: dict[str, object], base: str, request_path: str
) -> None:
    """Real documents template their server URLs; a variable without a default matches any
    one segment of the request."""
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    document = openapi3()
    document["servers"] = [server]
    contract = loader.load(write(tmp_path / "c.json", document))
    assert contract.base_paths == (base,)
    index = paths.index_of(contract)
    found = index.match("GET", f"{request_path}/clients/1")
    assert found is not None and found is index.match("GET", "/clients/1")


@pytest.mark.parametrize(
    ("declared", "actual", "chosen"),
    [
        (["application/json"], "application/json; charset=utf-8", "application/json"),
        (["application/*", "application/json"], "application/json", "application/json"),
        (["*/*"], "text/html", "*/*"),
        (["text/plain; charset=utf-8"], "text/plain; charset=UTF-8", "text/plain; charset=utf-8"),
        (["text/plain; charset=utf-8"], "text/plain; charset=latin-1", None),
        (["application/json"], None, None),
        (["application/problem+json"], "application/problem+json", "application/problem+json"),
        # JSON has no charset (RFC 8259): a contract that writes one (Spring's
        # application/json;charset=UTF-8) matches an answer without it, or with another
        (["application/json;charset=UTF-8"], "application/json", "application/json;charset=UTF-8"),
        (
            ["application/hal+json; charset=utf-8"],
            "application/hal+json; charset=latin-1",
            "application/hal+json; charset=utf-8",
        ),
        (["application/json; version=2"], "application/json", None),
    ],
)
def test_media_types_compare_as_http_says(
    declared: list[str], actual: str | None, chosen: str | None
) -> None:
    assert messages.matching_media(declared, actual) == chosen


def test_status_keys_exact_then_range_then_default() -> None:
    responses = {"200": {}, "4XX": {}, "default": {}, 201: {}}
    assert messages.status_key(responses, 200) == "200"
    assert messages.status_key(responses, 201) == 201  # YAML reads an unquoted 201 as a number
    assert messages.status_key(responses, 404) == "4XX"
    assert messages.status_key(responses, 503) == "default"
    assert messages.status_key({"2xx": {}}, 204) == "2xx"
    assert messages.status_key({"200": {}}, 500) is None


def test_a_validator_is_compiled_once_per_schema_and_direction(contract30: object) -> None:
    operation = paths.index_of(contract30).match("GET", "/clients/5")  # type: ignore[arg-type]
    assert operation is not None
    pointer = operation.pointer + "/responses/200/content/application~1json/schema"
    first = schemas.contract_check(contract30, operation.uri, pointer, schemas.Direction.RESPONSE)  # type: ignore[arg-type]
    again = schemas.contract_check(contract30, operation.uri, pointer, schemas.Direction.RESPONSE)  # type: ignore[arg-type]
    other = schemas.contract_check(contract30, operation.uri, pointer, schemas.Direction.REQUEST)  # type: ignore[arg-type]
    assert first is again and first is not other


@pytest.mark.parametrize("name", ["v20.json", "v30.yaml"])
def test_references_are_looked_up_once_per_contract_not_per_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A recursive schema in another file: the second response is validated without a single
    registry lookup, and reported the same, place in the contract included."""
    from referencing._core import Resolver

    write_contracts(tmp_path)
    contract = loader.load(tmp_path / name)
    operation = paths.index_of(contract).match("GET", "/tree")
    assert operation is not None
    lookups = []
    lookup = Resolver.lookup
    monkeypatch.setattr(
        Resolver, "lookup", lambda self, ref: lookups.append(ref) or lookup(self, ref)
    )
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}
    exchange = messages.Exchange("GET", 200, "application/json", 10, True, tree)
    first = messages.check_response(contract, operation, exchange)
    looked_up = len(lookups)
    again = messages.check_response(contract, operation, exchange)
    assert looked_up > 0 and len(lookups) == looked_up
    assert first == again
    assert [v.line() for v in again] == [
        "contract: $.children[0].children[0].name: wants type: string, got 3 "
        "(common.yaml#/Node/properties/name)"
    ]


def test_a_json_contracts_refs_are_found_while_parsing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large JSON contract is not walked again for its ``$ref``s; a YAML file it refers to
    is, and a broken ``$ref`` in JSON is still found."""
    write_contracts(tmp_path)
    walked = []
    refs_in = loader._refs_in
    monkeypatch.setattr(loader, "_refs_in", lambda doc: walked.append(doc) or refs_in(doc))
    contract = loader.load(tmp_path / "v20.json")
    assert walked == [contract.files[(tmp_path / "common.yaml").as_uri()]]
    broken = swagger2()
    broken["definitions"]["Client"] = {"$ref": "#/definitions/Nowhere"}
    with pytest.raises(loader.ContractError, match="Nowhere' cannot be resolved"):
        loader.load(write(tmp_path / "broken.json", broken))


def test_a_contract_is_loaded_once_per_resolved_path(tmp_path: Path) -> None:
    write_contracts(tmp_path)
    (tmp_path / "sub").mkdir()
    assert loader.load(tmp_path / "v30.yaml") is loader.load(tmp_path / "sub" / ".." / "v30.yaml")


def test_violations_are_frozen_lines() -> None:
    from dataclasses import FrozenInstanceError

    from pytest_apispec.contracts.violations import Violation, json_path

    violation = Violation("$.a", "type: integer", '"x"', "c.json#/components/schemas/A")
    assert (
        violation.line()
        == 'contract: $.a: wants type: integer, got "x" (c.json#/components/schemas/A)'
    )
    with pytest.raises(FrozenInstanceError):
        violation.where = "$"  # type: ignore[misc]
    assert json_path(["data", "items", 0, "a b"]) == '$.data.items[0]["a b"]'


def _exchange(content_type: str, document: object, is_json: bool = True) -> messages.Exchange:
    return messages.Exchange(
        method="GET",
        status=200,
        content_type=content_type,
        body_size=10,
        is_json=is_json,
        document=document,
    )


def test_swagger2_without_produces_takes_any_media_type_and_still_checks_json(
    tmp_path: Path,
) -> None:
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    document = swagger2()
    del document["produces"]
    contract = loader.load(write(tmp_path / "c.json", document))
    operation = paths.index_of(contract).match("GET", "/clients/1")
    assert operation is not None
    page = _exchange("text/html", None, is_json=False)
    assert messages.check_response(contract, operation, page) == []
    found = messages.check_response(contract, operation, _exchange("application/json", {"id": []}))
    assert found and all(v.where.startswith("$") for v in found)


def test_swagger2_file_responses_are_not_validated(tmp_path: Path) -> None:
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    document = swagger2()
    document["paths"]["/files/{id}"] = {
        "get": {
            "produces": ["application/pdf", "application/json"],
            "responses": {"200": {"description": "the file", "schema": {"type": "file"}}},
        }
    }
    contract = loader.load(write(tmp_path / "c.json", document))
    operation = paths.index_of(contract).match("GET", "/files/1")
    assert operation is not None
    pdf = _exchange("application/pdf", None, is_json=False)
    assert messages.check_response(contract, operation, pdf) == []
    assert messages.check_response(contract, operation, _exchange("application/json", {})) == []


def test_a_type_the_contract_misspells_is_one_line_that_says_where(tmp_path: Path) -> None:
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    document = openapi3()
    document["paths"]["/typo"] = {
        "get": {
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"type": "integr"}}},
                }
            }
        }
    }
    contract = loader.load(write(tmp_path / "c.json", document))
    operation = paths.index_of(contract).match("GET", "/typo")
    assert operation is not None
    [violation] = messages.check_response(contract, operation, _exchange("application/json", 1))
    assert violation.line() == (
        "contract: a schema with a JSON Schema type (the contract says type: integr)"
        " (c.json#/paths/~1typo/get/responses/200/content/application~1json/schema)"
    )


def test_an_operation_served_elsewhere_is_found_under_its_own_servers_path(
    tmp_path: Path,
) -> None:
    """3.x path items and operations may name their own ``servers``: an upload host, say."""
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    document = openapi3()
    document["servers"] = [{"url": "https://api.example.test/v1"}]
    ok = {"responses": {"200": {"description": "ok"}}}
    document["paths"]["/uploads"] = {
        "servers": [
            {
                "url": "https://upload.example.test/files/{version}",
                "variables": {"version": {"default": "v2"}},
            },
            {"url": "https://upload-eu.example.test/eu/files"},
        ],
        "post": ok,
    }
    document["paths"]["/exports"] = {
        "get": {**ok, "servers": [{"url": "https://export.example.test/"}]},
    }
    contract = loader.load(write(tmp_path / "c.json", document))
    index = paths.index_of(contract)
    upload = index.match("POST", "/files/v2/uploads")
    assert upload is not None and upload is index.match("POST", "/uploads")
    assert upload.template == "/uploads"
    assert index.find("POST", "/files/v2/uploads") is upload
    assert index.match("POST", "/eu/files/uploads") is upload  # its second server
    exports = index.match("GET", "/exports")
    assert exports is not None and index.match("GET", "/v1/exports") is exports


def test_a_local_ref_may_escape_its_pointer(tmp_path: Path) -> None:
    """Real documents refer into ``paths`` (``~1`` for a slash, ``%7B`` for a brace) and to
    schema names with spaces (``%20``): each resolves, and the violation names the schema."""
    document = openapi3()
    document["components"]["schemas"]["Pet Record"] = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
    }
    document["components"]["responses"]["Pets"] = {
        "description": "pets",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet%20Record"}}},
    }
    document["paths"]["/pets/{id}"] = {
        "get": {"responses": {"200": {"$ref": "#/components/responses/Pets"}}}
    }
    document["paths"]["/pets"] = {
        "get": {"responses": {"200": {"$ref": "#/paths/~1pets~1%7Bid%7D/get/responses/200"}}}
    }
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    contract = loader.load(write(tmp_path / "c.json", document))
    operation = paths.index_of(contract).match("GET", "/pets")
    assert operation is not None
    exchange = messages.Exchange("GET", 200, "application/json", 10, True, {"name": 7})
    assert [v.line() for v in messages.check_response(contract, operation, exchange)] == [
        "contract: $.name: wants type: string, got 7 "
        "(c.json#/components/schemas/Pet Record/properties/name)"
    ]


def test_nullable_lets_null_through_its_own_type_only(tmp_path: Path) -> None:
    """OpenAPI 3.0.3: ``nullable: true`` adds null to the ``type`` of the same schema; beside
    an ``allOf`` or an ``enum`` without null, null is refused (docs/contracts.md says so, and
    how to write a nullable reference)."""
    owner = {"$ref": "#/components/schemas/Owner"}
    document = openapi3()
    document["components"]["schemas"]["Owner"] = {"type": "object"}
    properties = {
        "typed": {"type": "string", "nullable": True},
        "listed": {"type": "string", "enum": ["cat", None], "nullable": True},
        "reference": {"anyOf": [owner, {"type": "object", "nullable": True, "enum": [None]}]},
        "composed": {"allOf": [owner], "nullable": True},
        "unlisted": {"type": "string", "enum": ["cat"], "nullable": True},
    }
    document["components"]["schemas"]["Pet"] = {"type": "object", "properties": properties}
    document["paths"]["/pets/{id}"] = {
        "get": {
            "responses": {
                "200": {
                    "description": "a pet",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                    },
                }
            }
        }
    }
    write(tmp_path / "common.yaml", {"Node": {"type": "object"}})
    contract = loader.load(write(tmp_path / "c.json", document))
    operation = paths.index_of(contract).match("GET", "/pets/1")
    assert operation is not None
    answer = dict.fromkeys(properties)
    exchange = messages.Exchange("GET", 200, "application/json", 10, True, answer)
    found = {v.where for v in messages.check_response(contract, operation, exchange)}
    assert found == {"$.composed", "$.unlisted"}


def test_an_id_that_is_a_fragment_or_the_file_names_no_resource(tmp_path: Path) -> None:
    """Draft 7 wrote an anchor as ``$id: "#legacy"``, and a schema may say the file's own
    name: in a 3.1 contract neither moves the document's own ``#/...`` references into that
    schema, nor breaks them."""
    vet = {"type": "object", "required": ["licence"]}
    schemas = {
        "Vet": vet,
        "Legacy": {"$id": "#legacy", "type": "string"},
        "Itself": {"$id": "c.json", "type": "string"},  # the file's own URI: no new resource
    }
    document = one_get("3.1.0", "/vets/{id}", {"$ref": "#/components/schemas/Vet"}, schemas)
    contract = loader.load(write(tmp_path / "c.json", document))
    operation = paths.index_of(contract).match("GET", "/vets/1")
    assert operation is not None
    exchange = messages.Exchange("GET", 200, "application/json", 10, True, {})
    assert [v.line() for v in messages.check_response(contract, operation, exchange)] == [
        "contract: $: wants required: licence, got (missing) (c.json#/components/schemas/Vet)"
    ]
