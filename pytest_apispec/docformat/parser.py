"""Reading endpoint docs into :class:`~pytest_apispec.docformat.model.Spec` objects.

:func:`read_spec` answers three ways: a :class:`Spec`, ``None`` for a file that is not a spec
(a README, a changelog), or a :class:`SpecError` saying ``path:line: what is wrong, and how to
fix it``. It never raises anything else for bad input.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from frontmatter.default_handlers import YAMLHandler

from pytest_apispec.docformat import contractkeys, keys, markdown, templates, yamlsafe
from pytest_apispec.docformat.bodies import read_body
from pytest_apispec.docformat.extraction import (
    Extraction,
    read_body_checks,
    read_extraction,
    read_max_seconds,
)
from pytest_apispec.docformat.model import (
    EMPTY,
    Expectation,
    OnFail,
    Provenance,
    Scope,
    Section,
    Spec,
    SpecError,
    Step,
)
from pytest_apispec.docformat.polling import read_until

HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_RETRIES = 10  # a step's own 'retries:'; each wait is bounded by api_max_retry_wait
_FRONTMATTER = YAMLHandler()
_TEST_REQUEST_HEADING = re.compile(r"^ {0,3}##\s+test request\s*#*\s*$", re.I | re.M)
_ENDPOINT_KEY = re.compile(r"^endpoint\s*:", re.M)
_STEPS_KEY = re.compile(r"^steps\s*:", re.M)
_E = TypeVar("_E", OnFail, Scope)
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


def read_spec(path: Path, display_path: Path | None = None) -> Spec | None:
    """Read and parse one file; ``None`` when it is not an endpoint doc.

    ``display_path`` is how messages name the file (pytest passes it relative to where it
    was started, as its own reports do).
    """
    shown = display_path or path
    try:
        with path.open("rb") as file:  # no more than it takes to tell that it is too large
            raw = file.read(min(os.fstat(file.fileno()).st_size, MAX_FILE_BYTES) + 1)
    except OSError as exc:
        raise SpecError(
            shown, None, f"cannot be read ({exc.strerror}); check its permissions"
        ) from None
    return parse_spec(shown, raw)


def parse_spec(path: Path, raw: bytes) -> Spec | None:
    if len(raw) > MAX_FILE_BYTES:
        _check_too_large(path, raw[:MAX_FILE_BYTES])
        return None
    text = _decode(path, raw)
    if text is None:
        return None
    has_frontmatter = _FRONTMATTER.detect(text)
    if not has_frontmatter and not _TEST_REQUEST_HEADING.search(text):
        return None
    meta, body, body_line = _split_frontmatter(path, text) if has_frontmatter else ({}, text, 1)
    doc = markdown.scan(body, body_line)
    if "endpoint" not in meta and not _has_runnable_test_request(doc):
        return None
    spec = _build_spec(path, meta, doc)
    misses = keys.frontmatter_near_misses(meta, text)
    return dataclasses.replace(spec, frontmatter_near_misses=misses) if misses else spec


def _check_too_large(path: Path, start: bytes) -> None:
    """A file past the size limit is an error if its start looks like a spec, else ignored."""
    text = start.decode("utf-8-sig", "replace")
    if "\x00" in text:
        return
    if _FRONTMATTER.detect(text) or _TEST_REQUEST_HEADING.search(text):
        raise SpecError(
            path,
            None,
            f"is larger than {MAX_FILE_BYTES // 1024} KiB, more than an endpoint doc can be; "
            "move large examples out of the doc",
        )


def _decode(path: Path, raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not _claims_to_be_spec(raw.decode("utf-8", "replace")):
            return None
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(
            path, line, f"is not valid UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from None
    if "\x00" in text:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _claims_to_be_spec(text: str) -> bool:
    """Text we cannot parse is reported as a broken doc only if it says it is one."""
    return bool(_ENDPOINT_KEY.search(text) or _TEST_REQUEST_HEADING.search(text))


def _split_frontmatter(path: Path, text: str) -> tuple[Mapping[str, Any], str, int]:
    try:
        fm_text, body = _FRONTMATTER.split(text)
    except ValueError:
        if _claims_to_be_spec(text):
            raise SpecError(
                path,
                1,
                "the frontmatter opened by '---' on line 1 never closes; add a '---' line after it",
            ) from None
        return {}, text, 1
    body_line = text[: len(text) - len(body)].count("\n") + 1
    try:
        meta = yamlsafe.load(fm_text)
    except yamlsafe.YamlError as exc:
        if not (_ENDPOINT_KEY.search(fm_text) or _TEST_REQUEST_HEADING.search(body)):
            return {}, body, body_line
        line = exc.line + 1 if exc.line is not None else 1
        raise SpecError(
            path,
            line,
            f"frontmatter is not valid YAML: {exc.message}; fix the YAML between the '---' lines",
        ) from None
    if meta is None:
        return {}, body, body_line
    if not isinstance(meta, Mapping):
        if _TEST_REQUEST_HEADING.search(body):
            raise SpecError(path, 2, "frontmatter must be a YAML mapping of 'key: value' lines")
        return {}, body, body_line
    return meta, body, body_line


def _has_runnable_test_request(doc: markdown.MarkdownDoc) -> bool:
    return any(
        _is_steps_block(block)
        for section in doc.find(Section.TEST_REQUEST.value)
        for block in section.blocks
    )


def _is_steps_block(block: markdown.CodeBlock) -> bool:
    return block.info in ("yaml", "yml", "") and bool(_STEPS_KEY.search(block.text))


# ---------------------------------------------------------------- frontmatter


class _Fields:
    """Typed access to a YAML mapping, raising :class:`SpecError` with a fix for bad values."""

    def __init__(self, path: Path, data: Mapping[Any, Any], line: int, where: str) -> None:
        self.path = path
        self.data = data
        self.line = line
        self.where = where

    def error(self, message: str) -> SpecError:
        return SpecError(self.path, self.line, f"{self.where}{message}")

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dict | list):
            raise self.error(f"'{key}' must be a text value, not a {type(value).__name__}")
        return str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if isinstance(value, bool):
            return value
        raise self.error(f"'{key}' must be true or false, not {value!r}")

    def optional_flag(self, key: str) -> bool | None:
        return None if self.data.get(key) is None else self.flag(key)

    def status(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        code = _as_status(value)
        if code is None:
            raise self.error(f"'{key}' must be an HTTP status code such as 422, not {value!r}")
        return code

    def names(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise self.error(f"'{key}' must be a list of names, such as [a, b]")
        return tuple(str(v) for v in value)

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key)
        if value is None:
            return EMPTY
        if not isinstance(value, Mapping):
            raise self.error(f"'{key}' must be a mapping of 'name: value' lines")
        frozen: Mapping[str, Any] = self.frozen(value)
        return frozen

    def frozen(self, value: Any) -> Any:
        try:
            return yamlsafe.freeze(value)
        except yamlsafe.TooLarge as exc:
            raise self.error(f"the value is too large: {exc}") from None


def _as_status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _is_number(value.strip(), 3):
        value = int(value.strip())
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    return None


def _build_spec(path: Path, meta: Mapping[str, Any], doc: markdown.MarkdownDoc) -> Spec:
    fields = _Fields(path, meta, 1, "frontmatter: ")
    endpoint = fields.text("endpoint")
    test_sections = doc.find(Section.TEST_REQUEST.value)
    if not test_sections:
        raise SpecError(
            path,
            1,
            "has an 'endpoint' but no '## Test Request' section; add one holding a "
            "```yaml block with a steps: list",
        )
    seen_ids: dict[str, Step] = {}
    prerequisites = _section_steps(path, doc, Section.PREREQUISITES, seen_ids)
    test_request = _section_steps(path, doc, Section.TEST_REQUEST, seen_ids)
    cleanup = _section_steps(path, doc, Section.CLEANUP, seen_ids)
    _check_shared_steps(path, prerequisites)
    fixtures = fields.names("fixtures")
    for name in fixtures:
        if not _IDENTIFIER.match(name):
            raise fields.error(f"fixture name {name!r} is not a Python identifier")
    spec = Spec(
        path=path,
        name=_item_name(endpoint or path.stem),
        endpoint=endpoint,
        title=doc.title,
        description=markdown.summary(doc),
        test_request_line=test_sections[0].line,
        prerequisites=prerequisites,
        test_request=test_request,
        cleanup=cleanup,
        domain=fields.text("domain"),
        tags=fields.names("tags"),
        status=fields.text("status"),
        tokens=fields.names("tokens"),
        use_fallback=fields.flag("useFallbackApi"),
        expected_outcome=fields.status("expectedOutcome"),
        expected_outcome_reason=fields.text("expectedOutcomeReason"),
        requires_test_data=fields.flag("requiresTestData"),
        test_data_description=fields.text("testDataDescription"),
        fixtures=fixtures,
        provenance=Provenance(
            saved_at=fields.text("savedAt"),
            verified_at=fields.text("verifiedAt"),
            times_reused=_as_int(meta.get("timesReused")),
            swagger=fields.text("swagger") or fields.text("openapi"),
        ),
        contract_mode=contractkeys.frontmatter_mode(fields.error, meta),
    )
    return spec


def _check_shared_steps(path: Path, prerequisites: tuple[Step, ...]) -> None:
    """A shared step runs once for many docs, so it cannot use one doc's extracted values."""
    extracted: dict[str, Step] = {}
    for step in prerequisites:
        if step.scope is not Scope.FUNCTION:
            used = templates.placeholders(step.templated_values())
            for name in sorted(used & extracted.keys()):
                raise SpecError(
                    path,
                    step.line,
                    f"step '{step.id}' has scope: {step.scope.value} but uses {{{{{name}}}}}, "
                    f"extracted by step '{extracted[name].id}' of this doc; a shared step can "
                    "only use configured variables (api_vars, --api-var, apispec_vars)",
                )
        extracted.update(dict.fromkeys(step.extract, step))


def _as_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _is_number(value, 18):
        return int(value)
    return None


def _is_number(text: str, max_digits: int) -> bool:
    """ASCII digits only: ``"²".isdigit()`` is true, but ``int("²")`` raises."""
    return text.isascii() and text.isdigit() and len(text) <= max_digits


def _item_name(name: str) -> str:
    """A name pytest, VS Code and PyCharm can all address: no ``::``, no brackets."""
    cleaned = " ".join(name.split())
    return cleaned.replace("::", ":").replace("[", "(").replace("]", ")") or "spec"


# ---------------------------------------------------------------- steps


def _section_steps(
    path: Path, doc: markdown.MarkdownDoc, section: Section, seen_ids: dict[str, Step]
) -> tuple[Step, ...]:
    found = doc.find(section.value)
    if not found:
        return ()
    if len(found) > 1:
        raise SpecError(
            path,
            found[1].line,
            f"a second '## {section.value}' section; keep one and merge their steps",
        )
    blocks = [block for block in found[0].blocks if _is_steps_block(block)]
    if not blocks:
        if section is Section.TEST_REQUEST:
            raise SpecError(
                path,
                found[0].line,
                "'## Test Request' holds no ```yaml block with a steps: list; add one",
            )
        return ()
    if len(blocks) > 1:
        raise SpecError(
            path,
            blocks[1].first_line - 1,
            f"'## {section.value}' holds more than one steps: block; "
            "merge them into one steps: list",
        )
    return _parse_block(path, blocks[0], section, seen_ids)


def _parse_block(
    path: Path, block: markdown.CodeBlock, section: Section, seen_ids: dict[str, Step]
) -> tuple[Step, ...]:
    if not block.closed:
        raise SpecError(
            path,
            block.first_line - 1,
            "this code block never closes; add a closing ``` line after its steps",
        )
    try:
        data = yamlsafe.load(block.text)
    except yamlsafe.YamlError as exc:
        line = block.first_line + exc.line if exc.line is not None else block.first_line
        raise SpecError(
            path, line, f"'## {section.value}' block is not valid YAML: {exc.message}"
        ) from None
    steps = data.get("steps") if isinstance(data, Mapping) else None
    if not isinstance(steps, list) or not steps:
        raise SpecError(
            path,
            block.first_line,
            f"'## {section.value}': steps must be a list of steps, each starting with '- '",
        )
    parsed = []
    for index, raw in enumerate(steps):
        step = _parse_step(path, raw, block.first_line, section, index)
        if step.id in seen_ids:
            raise SpecError(
                path,
                step.line,
                f"step id {step.id!r} is already used on line {seen_ids[step.id].line}; "
                "step ids must be unique in a doc",
            )
        seen_ids[step.id] = step
        parsed.append(step)
    return tuple(parsed)


def _parse_step(path: Path, raw: Any, first_line: int, section: Section, index: int) -> Step:
    if not isinstance(raw, yamlsafe.LineDict):
        raise SpecError(
            path,
            first_line,
            f"'## {section.value}': step {index + 1} must be a mapping "
            "(method:, path:, ...), not a " + type(raw).__name__,
        )
    line = first_line + raw.line
    step_id = raw.get("id")
    label = f"step {step_id!r}" if step_id is not None else f"step {index + 1}"
    fields = _Fields(path, raw, line, f"{label}: ")
    method = fields.text("method")
    step_path = fields.text("path")
    if not method:
        raise fields.error("has no 'method'; add one, such as method: GET")
    if method.upper() not in HTTP_METHODS:
        allowed = ", ".join(sorted(HTTP_METHODS))
        raise fields.error(f"method {method!r} is not an HTTP method; use one of {allowed}")
    if not step_path:
        raise fields.error("has no 'path'; add the request path, such as path: /v1/items")
    body = read_body(raw, fields.error, fields.frozen)
    scope = _enum(fields, "scope", Scope, Scope.FUNCTION)
    if scope is not Scope.FUNCTION and section is not Section.PREREQUISITES:
        raise fields.error("'scope' is only allowed on prerequisites")
    final_id = str(step_id) if step_id is not None else f"{_slug(section)}_{index + 1}"
    return Step(
        id=final_id,
        line=line,
        section=section,
        method=method.upper(),
        path=step_path,
        description=fields.text("description") or "",
        token=fields.text("token"),
        use_fallback=fields.optional_flag("useFallbackApi"),
        params=fields.mapping("params"),
        headers=fields.mapping("headers"),
        body=fields.frozen(raw.get("body")),
        extract=_extract(fields),
        expect=_expectation(path, raw.get("expect"), line, label),
        on_fail=_enum(fields, "onFail", OnFail, OnFail.ABORT),
        skip_reason=fields.text("skipReason"),
        success_status=fields.status("successStatus"),
        success_reason=fields.text("successReason"),
        scope=scope,
        retries=_retries(fields),
        payload=None if body is None or body.kind == "body" else body,
        until=read_until(
            raw.get("until"), method.upper(), raw.get("idempotent", False), fields.error
        ),
        idempotent=raw.get("idempotent", False) is True,
        near_misses=keys.step_near_misses(raw, first_line, f"step '{final_id}'"),
    )


def _slug(section: Section) -> str:
    return section.value.lower().replace(" ", "_")


def _enum(fields: _Fields, key: str, kind: type[_E], default: _E) -> _E:
    value = fields.text(key)
    if value is None:
        return default
    try:
        return kind(value.strip().lower())
    except ValueError:
        allowed = " or ".join(member.value for member in kind)
        raise fields.error(f"'{key}: {value}' is not allowed; use {allowed}") from None


def _extract(fields: _Fields) -> Mapping[str, str | Extraction]:
    extract = fields.mapping("extract")
    mappings = {}
    for name, expression in extract.items():
        if isinstance(expression, Mapping):
            mappings[name] = read_extraction(name, expression, fields.error)
        elif not isinstance(expression, str) or not expression.strip():
            raise fields.error(
                f"extract '{name}' must be a JSONPath string such as '$.data.id', "
                "or a mapping such as {header: Location}"
            )
        if not _IDENTIFIER.match(name):
            raise fields.error(f"extract name {name!r} must be a simple name like client_id")
    if not mappings:
        return extract
    return MappingProxyType({**extract, **mappings})


def _retries(fields: _Fields) -> int | None:
    value = fields.data.get("retries")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETRIES:
        raise fields.error(
            f"'retries' must be a whole number from 0 to {MAX_RETRIES}, not {value!r}"
        )
    return value


_STATUS_ONLY: dict[tuple[int, ...], Expectation] = {}
_STATUS_ONLY_MAX = 1024  # distinct status lists kept; a hostile folder cannot grow it further


def _expectation(path: Path, raw: Any, line: int, label: str) -> Expectation:
    if raw is None:
        return _status_only(())
    fields = _Fields(path, raw if isinstance(raw, Mapping) else {}, line, f"{label}: ")
    if not isinstance(raw, Mapping):
        raise fields.error("'expect' must be a mapping, such as expect: {status: 200}")
    if raw.keys() <= {"status"}:
        return _status_only(_statuses(fields, raw.get("status")))
    return Expectation(
        status=_statuses(fields, raw.get("status")),
        json=fields.mapping("json"),
        headers=fields.mapping("headers"),
        body=read_body_checks(raw.get("body"), fields.error),
        max_seconds=read_max_seconds(raw.get("maxSeconds"), fields.error),
        schema=contractkeys.expect_schema(fields.error, raw),
        match=contractkeys.expect_match(fields.error, raw),
    )


def _status_only(status: tuple[int, ...]) -> Expectation:
    """One shared object for each ``expect`` that only names statuses, the usual case: a
    folder of 20,000 docs holds a handful of distinct ones (frozen, so sharing is safe)."""
    known = _STATUS_ONLY.get(status)
    if known is None:
        known = Expectation(status=status)
        if len(_STATUS_ONLY) < _STATUS_ONLY_MAX:
            _STATUS_ONLY[status] = known
    return known


def _statuses(fields: _Fields, value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    codes = [_as_status(v) for v in values]
    if not values or any(code is None for code in codes):
        raise fields.error(
            f"expect.status must be an HTTP status code or a list of codes, such as [200, 201], "
            f"not {value!r}"
        )
    return tuple(code for code in codes if code is not None)
