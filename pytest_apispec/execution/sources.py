"""Reading more of a response than its JSON body: headers, cookies, the status, the text body.

``extract`` mappings (``{header: Location}``, ``{cookie: session}``, ``{status: true}``,
``{regex: ...}``, ``{json: ..., all: true}``), ``expect.body`` and ``expect.maxSeconds``.

The body is the server's, the pattern the doc's: a pattern that backtracks (``(a+)+$``) could
take hours on a hostile body, and Python's ``re`` cannot be stopped once it runs. Patterns
therefore run with the ``regex`` module, whose matching takes a timeout
(:data:`REGEX_TIMEOUT`), over at most :data:`MAX_SEARCH_CHARS` characters of the body. It is
imported on first use: docs without a pattern never load it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests

from pytest_apispec.docformat import templates
from pytest_apispec.docformat.extraction import Extraction
from pytest_apispec.docformat.model import Step
from pytest_apispec.execution import checks

if TYPE_CHECKING:
    from pytest_apispec.execution.cookies import DocCookies

REGEX_TIMEOUT = 1.0
MAX_SEARCH_CHARS = 1_000_000


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    import regex

    return regex.compile(pattern)


class PatternTimeout(Exception):
    """A pattern took longer than :data:`REGEX_TIMEOUT` on a text."""


def search(pattern: str, text: str) -> Any:
    """The first match of ``pattern`` in ``text`` (its first :data:`MAX_SEARCH_CHARS`), or None."""
    try:
        return _compiled(pattern).search(text[:MAX_SEARCH_CHARS], timeout=REGEX_TIMEOUT)
    except TimeoutError:
        raise PatternTimeout from None


def _timeout_message(where: str, pattern: str) -> str:
    return (
        f"{where}: the regex {pattern!r} took longer than {REGEX_TIMEOUT:g}s on the response "
        "and was stopped; simplify the pattern (nested repeats such as (a+)+ backtrack)"
    )


def text_of(body: bytes, encoding: str | None) -> str:
    """The body as text: its charset, else UTF-8; undecodable bytes replaced."""
    head = body[: MAX_SEARCH_CHARS * 4]
    try:
        return head.decode(encoding or "utf-8", "replace")
    except LookupError:
        return head.decode("utf-8", "replace")


def needs_json(step: Step) -> bool:
    """Whether anything of the step reads the JSON body."""
    return bool(step.expect.json) or any(
        isinstance(source, str) or source.source == "json" for source in step.extract.values()
    )


def extract(
    step: Step,
    response: requests.Response,
    body: bytes,
    document: Any,
    cookies: DocCookies | None,
    extracted: dict[str, Any],
    not_json: str = "not JSON",
) -> list[str]:
    """Extract the step's mapping-form values into ``extracted``; the problems found."""
    mismatches = []
    for name, source in step.extract.items():
        if isinstance(source, Extraction):
            try:
                value = _value(source, response, body, document, cookies, not_json)
            except _Nothing as nothing:
                mismatches.append(f"extract {name}: {source.describe()} {nothing}")
                continue
            except PatternTimeout:
                mismatches.append(_timeout_message(f"extract {name}", source.expression))
                continue
            extracted[name] = value
    return mismatches


class _Nothing(Exception):
    """A source that yielded nothing; the message says how."""


def _value(
    source: Extraction,
    response: requests.Response,
    body: bytes,
    document: Any,
    cookies: DocCookies | None,
    not_json: str,
) -> Any:
    if source.source == "status":
        return response.status_code
    if source.source == "header":
        value = response.headers.get(source.expression)
        if value is None:
            raise _Nothing("is not in the response")
        return value
    if source.source == "cookie":
        found = cookies.value(source.expression) if cookies is not None else None
        if found is None:
            found = response.cookies.get(source.expression)
        if found is None:
            raise _Nothing("was not set (no such Set-Cookie in this doc)")
        return found
    if source.source == "regex":
        if source.header is not None:
            text = response.headers.get(source.header)
            if text is None:
                raise _Nothing(f"found no {source.header} header in the response")
        else:
            text = text_of(body, response.encoding)
        match = search(source.expression, text)
        if match is None:
            raise _Nothing("matched nothing")
        return match.group(1)
    if document is checks.NO_JSON:
        raise _Nothing(f"found no JSON: the response body is {not_json}")
    try:
        values = checks.jsonpath_values(source.expression, document)
    except Exception as exc:  # jsonpath-ng's lexer and parser errors
        raise _Nothing(f"is not a valid JSONPath ({exc})") from None
    if not values:
        raise _Nothing("matched nothing in the response")
    return values if source.all else values[0]


def body_mismatches(
    step: Step, variables: Mapping[str, Any], body: bytes, encoding: str | None
) -> list[str]:
    """``expect.body``: each check over the text body."""
    if not step.expect.body:
        return []
    text = text_of(body, encoding)
    mismatches = []
    for check in step.expect.body:
        if check.kind == "contains":
            wanted = templates.as_text(templates.render(check.text, variables))
            if wanted not in text:
                mismatches.append(f"expect.body: the response does not contain {wanted!r}")
            continue
        try:
            if search(check.text, text) is None:
                mismatches.append(f"expect.body: the regex {check.text!r} matched nothing")
        except PatternTimeout:
            mismatches.append(_timeout_message("expect.body", check.text))
    return mismatches


def time_mismatches(step: Step, seconds: float) -> list[str]:
    """``expect.maxSeconds``: the time from sending to the last byte."""
    limit = step.expect.max_seconds
    if limit is None or seconds <= limit:
        return []
    return [f"expect.maxSeconds: the response took {seconds:.3f}s, more than {limit:g}s"]
