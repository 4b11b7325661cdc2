"""Checking one exchange against its operation: the response (status, Content-Type, body
present or absent, the JSON body's schema) and the request body a step sends.

What an operation documents is looked up once per operation (and status), and the contract's
nodes are tested as ``dict``s: a loaded contract is plain dicts and lists.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_apispec.contracts import refs
from pytest_apispec.contracts.document import Contract, Operation, Version
from pytest_apispec.contracts.schemas import Direction, contract_check
from pytest_apispec.contracts.violations import Violation

NO_BODY_STATUSES = frozenset({204, 205, 304})


@dataclasses.dataclass(frozen=True, slots=True)
class Exchange:
    """What a step sent and got, as far as a contract cares."""

    method: str
    status: int
    content_type: str | None
    body_size: int
    is_json: bool  # the body parsed as JSON
    document: Any  # the parsed body, when is_json
    request_body: Any = None  # the JSON a step sent, or None
    request_media: str | None = None  # the Content-Type of a form, multipart or text body sent


# ---------------------------------------------------------------- media types


def _media(text: str) -> tuple[str, str, dict[str, str]]:
    kind, _, rest = text.partition(";")
    main, _, sub = kind.strip().lower().partition("/")
    params = {}
    for part in rest.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            params[name.strip().lower()] = value.strip().strip('"').lower()
    return main, sub, params


def matching_media(declared: Sequence[str], actual: str | None) -> str | None:
    """The most specific of ``declared`` (``application/json``, ``application/*``, ``*/*``,
    with or without parameters) that ``actual`` is, as HTTP compares media types."""
    if actual is None:
        return None
    return _matching_media(tuple(declared), actual)


@functools.lru_cache(maxsize=1024)  # a run sees a few Content-Types, against a few lists
def _matching_media(declared: tuple[str, ...], actual: str) -> str | None:
    main, sub, params = _media(actual)
    best: tuple[int, str] | None = None
    for media in declared:
        d_main, d_sub, d_params = _media(media)
        if d_main not in ("*", main) or d_sub not in ("*", sub):
            continue
        if any(params.get(k) != v for k, v in d_params.items() if not _meaningless(d_sub, k)):
            continue
        rank = (d_main != "*") + (d_sub != "*") + len(d_params)
        if best is None or rank > best[0]:
            best = (rank, media)
    return best[1] if best else None


def _meaningless(sub: str, parameter: str) -> bool:
    """JSON defines no ``charset`` (RFC 8259: adding one "has no effect"), so a contract's
    ``application/json;charset=UTF-8`` is ``application/json``."""
    return parameter == "charset" and (sub == "json" or sub.endswith("+json"))


@functools.lru_cache(maxsize=1024)
def _json_wanted(declared: str, actual: str | None) -> bool:
    """Whether a body of ``actual`` type, matched to ``declared``, is to be read as JSON: a
    wildcard (``*/*``, ``application/*``) holds JSON only when the body says it is JSON."""
    _, sub, _ = _media(declared)
    if sub == "*":
        return is_json_media(actual) and _media(actual or "")[1] != "*"
    return is_json_media(declared)


@functools.lru_cache(maxsize=1024)
def is_json_media(media: str | None) -> bool:
    if not media:
        return False
    main, sub, _ = _media(media)
    return main in ("application", "*") and (sub == "json" or sub.endswith("+json") or sub == "*")


# ---------------------------------------------------------------- responses


def status_key(responses: Mapping[Any, Any], status: int) -> str | None:
    """The key of ``responses`` that documents ``status``: exact, range (``2XX``), default."""
    keys = {str(k).upper(): k for k in responses}
    for candidate in (str(status), f"{str(status)[0]}XX", "DEFAULT"):
        if candidate in keys:
            return keys[candidate]  # type: ignore[no-any-return]
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class _Documented:
    """What an operation documents for one status, looked up once per operation and status."""

    location: str
    media_types: tuple[str, ...]
    declared: bool  # a body is documented
    schemas: dict[str, tuple[str, str]]  # media type -> where its schema's $ref chain ends


def _documented(contract: Contract, operation: Operation, status: int) -> _Documented | Violation:
    key = ("response", operation.uri, operation.pointer, status)
    known = contract.cache.get(key)
    if known is None:
        known = contract.cache[key] = _look_up(contract, operation, status)
    return known


def _look_up(contract: Contract, operation: Operation, status: int) -> _Documented | Violation:
    uri, pointer, responses = contract.child(
        operation.uri, operation.pointer, operation.node, "responses"
    )
    if not isinstance(responses, dict):
        return _Documented("", (), False, {})
    key = status_key(responses, status)
    if key is None:
        documented = ", ".join(str(k) for k in responses) or "none"
        return Violation(
            "",
            f"status {status} is not documented for {operation.label} (documented: {documented})",
            location=contract.location(uri, pointer),
        )
    r_uri, r_pointer, response = contract.child(uri, pointer, responses, key)
    if not isinstance(response, dict):
        return _Documented("", (), False, {})
    location = contract.location(r_uri, r_pointer)
    # media type -> where the $ref chain of its schema ends: operations that share a schema
    # share its validator
    schemas: dict[str, tuple[str, str]] = {}
    if contract.version is Version.SWAGGER2:
        declared = "schema" in response
        media_types = _produces(contract, operation) if declared else []
        s_uri, s_pointer, schema = contract.child(r_uri, r_pointer, response, "schema")
        is_file = isinstance(schema, dict) and schema.get("type") == "file"  # a download
        if declared and not is_file:
            schemas = dict.fromkeys(media_types, (s_uri, s_pointer))
    else:
        c_uri, c_pointer, content = contract.child(r_uri, r_pointer, response, "content")
        content = content if isinstance(content, dict) else {}
        media_types = [str(m) for m in content]
        for media, item in content.items():
            if isinstance(item, dict) and "schema" in item:
                schemas[str(media)] = contract.child(c_uri, c_pointer, content, media, "schema")[:2]
        declared = bool(content)
    return _Documented(location, tuple(media_types), declared, schemas)


def check_response(contract: Contract, operation: Operation, exchange: Exchange) -> list[Violation]:
    documented = _documented(contract, operation, exchange.status)
    if isinstance(documented, Violation):
        return [documented]
    location, media_types = documented.location, documented.media_types
    if exchange.method == "HEAD" or exchange.status in NO_BODY_STATUSES:
        return []
    if not exchange.body_size:
        if documented.declared:
            return [Violation("", f"a body ({', '.join(media_types)})", "none", location)]
        return []
    if not documented.declared:
        return [Violation("", "no body", f"{exchange.body_size} bytes", location)]
    media = matching_media(media_types, exchange.content_type)
    if media is None:
        wants = "Content-Type " + " or ".join(media_types)
        return [Violation("", wants, exchange.content_type or "none", location)]
    schema = documented.schemas.get(media)
    if schema is None or not _json_wanted(media, exchange.content_type):
        return []
    if not exchange.is_json:
        return [Violation("", f"a JSON body ({media})", "a body that is not JSON", location)]
    check = contract_check(contract, schema[0], schema[1], Direction.RESPONSE)
    return check.violations(exchange.document)


def _produces(contract: Contract, operation: Operation) -> list[str]:
    """2.0's ``produces``, of the operation or the document; none declared allows any media
    type (a JSON body is still held to the schema)."""
    for node in (operation.node, contract.root):
        produces = node.get("produces") if isinstance(node, dict) else None
        if isinstance(produces, list) and produces:
            return [str(p) for p in produces]
    return ["*/*"]


# ---------------------------------------------------------------- requests


def check_request(contract: Contract, operation: Operation, exchange: Exchange) -> list[Violation]:
    """The JSON body a step sent against ``requestBody`` (3.x) or the ``in: body`` parameter
    (2.0). Only JSON bodies are checked."""
    if exchange.request_media is not None:
        return _check_request_media(contract, operation, exchange.request_media)
    documented = _documented_body(contract, operation)
    if documented is None:
        return []
    uri, pointer, location, required = documented
    if exchange.request_body is None:
        if required:
            return [Violation("request", "a body (it is required)", "none", location)]
        return []
    check = contract_check(contract, uri, pointer, Direction.REQUEST)
    return [
        dataclasses.replace(v, where="request body" + v.where[1:])
        for v in check.violations(exchange.request_body)
    ]


def _documented_body(contract: Contract, operation: Operation) -> tuple[str, str, str, bool] | None:
    """Where the JSON request body's schema ends, its location, whether a body is required;
    looked up once per operation."""
    key = ("request", operation.uri, operation.pointer)
    if key not in contract.cache:
        documented = None
        found = _request_schema(contract, operation)
        if found is not None:
            uri, pointer, required = found
            node = refs.lookup(contract.files[uri], pointer)
            uri, pointer, _ = contract.follow(uri, pointer, node)
            documented = (uri, pointer, contract.location(uri, pointer), required)
        contract.cache[key] = documented
    return contract.cache[key]  # type: ignore[no-any-return]


def _check_request_media(contract: Contract, operation: Operation, media: str) -> list[Violation]:
    """A form, multipart or text body: its Content-Type must be one the operation accepts
    (``requestBody.content`` in 3.x, ``consumes`` in 2.0). Its fields are not validated: a
    form sends text, where the schema says ``integer``."""
    if contract.version is Version.SWAGGER2:
        uri, pointer = operation.uri, operation.pointer
        declared = _consumes(contract, operation)
    else:
        uri, pointer, body = contract.child(
            operation.uri, operation.pointer, operation.node, "requestBody"
        )
        content = body.get("content") if isinstance(body, dict) else None
        declared = [str(m) for m in content] if isinstance(content, dict) else []
    if not declared or matching_media(declared, media) is not None:
        return []
    wants = "Content-Type " + " or ".join(declared)
    return [Violation("request", wants, media.split(";", 1)[0], contract.location(uri, pointer))]


def _consumes(contract: Contract, operation: Operation) -> list[str]:
    for node in (operation.node, contract.root):
        consumes = node.get("consumes") if isinstance(node, dict) else None
        if isinstance(consumes, list) and consumes:
            return [str(c) for c in consumes]
    return []


def _request_schema(contract: Contract, operation: Operation) -> tuple[str, str, bool] | None:
    if contract.version is Version.SWAGGER2:
        for owner_uri, owner_pointer, owner in (
            (operation.uri, operation.pointer, operation.node),
            (operation.uri, operation.pointer.rsplit("/", 1)[0], operation.path_item),
        ):
            p_uri, p_pointer, parameters = contract.child(
                owner_uri, owner_pointer, owner, "parameters"
            )
            if not isinstance(parameters, list):
                continue
            for index, raw in enumerate(parameters):
                uri, pointer, parameter = contract.follow(p_uri, f"{p_pointer}/{index}", raw)
                if isinstance(parameter, dict) and parameter.get("in") == "body":
                    if "schema" not in parameter:
                        return None
                    return uri, pointer + "/schema", parameter.get("required") is True
        return None
    uri, pointer, body = contract.child(
        operation.uri, operation.pointer, operation.node, "requestBody"
    )
    if not isinstance(body, dict):
        return None
    content = body.get("content")
    if not isinstance(content, dict):
        return None
    media = matching_media([str(m) for m in content], "application/json")
    item = content.get(media) if media else None
    if not isinstance(item, dict) or "schema" not in item:
        return None
    return uri, f"{pointer}/content/{refs.escape(str(media))}/schema", body.get("required") is True
