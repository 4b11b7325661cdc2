"""Comparing a response with a step's expectations, and extracting values from it.

Every mismatch is reported, not only the first: status, ``expect.json``, ``expect.headers``
and ``extract``. JSONPath expressions are compiled once per process (jsonpath-ng's parser is
slow, and docs repeat the same few expressions).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import requests

from pytest_apispec.docformat import templates
from pytest_apispec.docformat.model import Step
from pytest_apispec.execution.results import EXCERPT_CHARS, ResponseRecord
from pytest_apispec.execution.transport import MAX_BODY_BYTES

NO_JSON: Any = object()
"""What :func:`parse_json` gives for a body that is empty, too large or not JSON."""


@functools.lru_cache(maxsize=4096)
def compile_jsonpath(expression: str) -> Any:
    """Compile a JSONPath once per process; docs repeat the same few expressions.

    jsonpath-ng is imported on first use: a ``--collect-only``, or the controller of
    pytest-xdist, never needs it.
    """
    from jsonpath_ng.ext.parser import parse

    return parse(expression)


def jsonpath_values(expression: str, document: Any) -> list[Any]:
    return [match.value for match in compile_jsonpath(expression).find(document)]


def response_record(response: requests.Response, body: bytes) -> ResponseRecord:
    return ResponseRecord(
        status=response.status_code,
        reason=response.reason or "",
        headers=tuple(response.headers.items()),
        body_head=body[: EXCERPT_CHARS * 4],  # enough bytes for EXCERPT_CHARS characters
        body_size=len(body),
        encoding=response.encoding,
        elapsed=response.elapsed.total_seconds(),
        over_limit=len(body) > MAX_BODY_BYTES,
    )


def parse_json(body: bytes) -> Any:
    if not body or len(body) > MAX_BODY_BYTES:
        return NO_JSON
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return NO_JSON


def not_json_reason(body: bytes) -> str:
    """Why a body that did not parse is not JSON, for the messages that need it."""
    if not body:
        return "empty"
    if len(body) > MAX_BODY_BYTES:
        return f"larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB, too large to read as JSON"
    return "not JSON"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + f"... ({len(text)} characters)"


def json_mismatches(
    step: Step, variables: Mapping[str, Any], document: Any, not_json: str = "not JSON"
) -> list[str]:
    if not step.expect.json:
        return []
    if document is NO_JSON:
        return [f"expect.json: the response body is {not_json}"]
    mismatches = []
    for expression, template in step.expect.json.items():
        expected = templates.render(template, variables)
        try:
            values = jsonpath_values(expression, document)
        except Exception as exc:  # jsonpath-ng's lexer and parser errors, and more
            mismatches.append(f"expect.json {expression}: not a valid JSONPath ({exc})")
            continue
        if not values:
            mismatches.append(f"expect.json {expression}: matched nothing, expected {expected!r}")
        elif values[0] != expected:
            mismatches.append(
                f"expect.json {expression}: expected {expected!r}, got {_short(values[0])}"
            )
    return mismatches


def header_mismatches(
    step: Step, variables: Mapping[str, Any], response: requests.Response
) -> list[str]:
    mismatches = []
    for name, template in step.expect.headers.items():
        expected = templates.as_text(templates.render(template, variables))
        actual = response.headers.get(name)
        if actual is None:
            mismatches.append(f"expect.headers {name}: missing, expected {expected!r}")
        elif actual != expected:
            mismatches.append(f"expect.headers {name}: expected {expected!r}, got {actual!r}")
    return mismatches


def extract(
    step: Step, document: Any, extracted: dict[str, Any], not_json: str = "not JSON"
) -> list[str]:
    # the mapping forms ({header: ...}, {json: ...}) are sources.py's
    paths = {name: path for name, path in step.extract.items() if isinstance(path, str)}
    if not paths:
        return []
    if document is NO_JSON:
        names = ", ".join(paths)
        return [f"extract {names}: the response body is {not_json}"]
    mismatches = []
    for name, expression in paths.items():
        try:
            values = jsonpath_values(expression, document)
        except Exception as exc:
            mismatches.append(f"extract {name}: {expression!r} is not a valid JSONPath ({exc})")
            continue
        if not values:
            mismatches.append(f"extract {name}: {expression} matched nothing in the response")
        else:
            extracted[name] = values[0]
    return mismatches
