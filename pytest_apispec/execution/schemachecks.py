"""``expect.schema`` and ``expect.match``: JSON Schemas a doc's author writes for a response.

Validated with the contract's validator, in the dialect of the doc's contract when it names
one (and ``#/components/...`` references go into it), else JSON Schema 2020-12. Each schema is
compiled once per process.
"""

from __future__ import annotations

from typing import Any

from pytest_apispec.contracts.document import Contract
from pytest_apispec.docformat.model import Step
from pytest_apispec.execution import checks

_COMPILED: dict[tuple[int, int], tuple[Any, Any]] = {}  # (schema, contract) ids -> (schema, check)


def _check_of(schema: Any, contract: Contract | None, label: str) -> Any:
    from pytest_apispec.contracts.schemas import own_check

    key = (id(schema), id(contract))
    known = _COMPILED.get(key)
    if known is None or known[0] is not schema:
        known = _COMPILED[key] = (schema, own_check(schema, contract, label))
    return known[1]


def _violations(check: Any, value: Any, label: str) -> list[str]:
    """The check's lines; a schema that cannot be applied is one line saying why."""
    try:
        return [v.line(label + ":") for v in check.violations(value)]
    except Exception as exc:  # an unresolvable $ref, or whatever else the validator meets
        if _is_unresolvable(exc):
            return [
                f"{label}: a $ref of the schema cannot be resolved; a '#/...' reference "
                "needs the doc's contract (swagger:), loaded without errors"
            ]
        return [f"{label}: could not be checked ({type(exc).__name__}: {exc})"[:500]]


def _is_unresolvable(exc: BaseException) -> bool:
    from referencing.exceptions import Unresolvable

    wrapped = getattr(exc, "_wrapped", None)  # jsonschema wraps referencing's errors
    return isinstance(exc, Unresolvable) or isinstance(wrapped, Unresolvable)


def schema_mismatches(
    step: Step, document: Any, contract: Contract | None, not_json: str = "not JSON"
) -> list[str]:
    expect = step.expect
    if expect.schema is None and not expect.match:
        return []
    if document is checks.NO_JSON:
        return [f"expect.schema: the response body is {not_json}"]
    mismatches = []
    if expect.schema is not None:
        check = _check_of(expect.schema, contract, "expect.schema")
        mismatches += _violations(check, document, "expect.schema")
    for expression, schema in expect.match.items():
        try:
            values = checks.jsonpath_values(expression, document)
        except Exception as exc:  # jsonpath-ng's lexer and parser errors
            mismatches.append(f"expect.match {expression}: not a valid JSONPath ({exc})")
            continue
        if not values:
            mismatches.append(f"expect.match {expression}: matched nothing")
            continue
        check = _check_of(schema, contract, "expect.match")
        for index, value in enumerate(values):
            label = f"expect.match {expression}" + (
                f" (match {index + 1})" if len(values) > 1 else ""
            )
            mismatches += _violations(check, value, label)
    return mismatches
