"""The doc keys of OpenAPI contracts: frontmatter ``contract:`` and ``expect.schema`` /
``expect.match``. Only their shape is checked here; whether a schema is a valid JSON Schema is
the contracts layer's to say (the pytest layer asks it at collection)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pytest_apispec.docformat import yamlsafe
from pytest_apispec.docformat.model import EMPTY, ContractMode, SpecError

ErrorAt = Callable[[str], SpecError]


def frontmatter_mode(error: ErrorAt, meta: Mapping[str, Any]) -> ContractMode | None:
    value = meta.get("contract")
    if value is None:
        return None
    if value is False:  # YAML reads a bare 'off' as false
        return ContractMode.OFF
    try:
        return ContractMode(str(value).strip().lower())
    except ValueError:
        raise error(f"'contract: {value}' is not allowed; use strict, warn or off") from None


def expect_schema(error: ErrorAt, expect: Mapping[str, Any]) -> Any:
    if "schema" not in expect:
        return None
    schema = expect["schema"]
    if not isinstance(schema, Mapping):
        raise error(
            "expect.schema must be a JSON Schema written as a mapping, such as "
            "{type: object, required: [id]}, or {$ref: '#/components/schemas/Name'}"
        )
    return _frozen(error, schema)


def expect_match(error: ErrorAt, expect: Mapping[str, Any]) -> Mapping[str, Any]:
    match = expect.get("match")
    if match is None:
        return EMPTY
    if not isinstance(match, Mapping):
        raise error("expect.match must map JSONPaths to schemas, such as '$.id': {type: integer}")
    for path, schema in match.items():
        if not isinstance(path, str) or not path.strip().startswith("$"):
            raise error(f"expect.match key {path!r} must be a JSONPath starting with '$'")
        if not isinstance(schema, Mapping):
            raise error(
                f"expect.match {path}: the schema must be a mapping, such as {{minimum: 1}}"
            )
    frozen: Mapping[str, Any] = _frozen(error, match)
    return frozen


def _frozen(error: ErrorAt, value: Any) -> Any:
    try:
        return yamlsafe.freeze(value)
    except yamlsafe.TooLarge as exc:
        raise error(f"the value is too large: {exc}") from None
