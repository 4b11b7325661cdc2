"""A step's request body, as written: one of ``body`` (JSON), ``form``, ``multipart``, ``data``.

Checked when the doc is read, so that a doc with two bodies, a nested form value or a file part
with an unknown key fails at collection, naming the step and its line. Files are read when the
step is sent (their paths may use variables); see ``execution/bodies.py``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

BODY_KEYS = ("body", "form", "multipart", "data")
FILE_KEYS = frozenset({"file", "contentType", "filename"})
_SCALARS = (str, int, float, bool, datetime.date)


@dataclass(frozen=True, slots=True)
class FileField:
    """A multipart part read from a file: ``{file: fixtures/a.png, contentType:, filename:}``."""

    file: str
    content_type: str | None = None
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class StepBody:
    """What a step sends; ``kind`` is the key it was written under (``body`` for JSON)."""

    kind: str
    value: Any  # the JSON value, the form or multipart mapping, or the data text


def read_body(
    data: Mapping[str, Any],
    error: Callable[[str], Exception],
    freeze: Callable[[Any], Any],
) -> StepBody | None:
    """The one body of a step mapping, or None; ``error(message)`` makes the exception,
    ``freeze`` makes a YAML value read-only."""
    given = [key for key in BODY_KEYS if data.get(key) is not None]
    if len(given) > 1:
        both = " and ".join(f"'{key}'" for key in given)
        raise error(
            f"has both {both}; a step sends one body: keep one of body, form, multipart, data"
        )
    if not given:
        return None
    kind = given[0]
    value = data[kind]
    if kind == "form":
        _check_form(value, error)
        value = freeze(value)
    elif kind == "multipart":
        value = _multipart(value, error, freeze)
    elif kind == "data" and not isinstance(value, str):
        raise error(
            f"'data' must be text (a YAML block scalar), not {_kind_of(value)}; "
            "send JSON with body:"
        )
    return StepBody(kind, value)


def _check_form(form: Any, error: Callable[[str], Exception]) -> None:
    if not isinstance(form, Mapping):
        raise error("'form' must be a mapping of 'field: value' lines")
    for name, value in form.items():
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(item, _SCALARS) or item is None for item in values):
            what = "a list holding a mapping or a list" if values is value else "a mapping"
            raise error(
                f"form field '{name}' is {what}; a form value is text, a number, or a list of "
                "them (a list repeats the field); send nested data as JSON with body:"
            )


def _multipart(
    parts: Any, error: Callable[[str], Exception], freeze: Callable[[Any], Any]
) -> Mapping[str, Any]:
    if not isinstance(parts, Mapping):
        raise error(
            "'multipart' must be a mapping of 'field: value' or 'field: {file: PATH}' lines"
        )
    checked: dict[str, Any] = {}
    for name, value in parts.items():
        if isinstance(value, Mapping):
            unknown = sorted(set(map(str, value)) - FILE_KEYS)
            if "file" not in value or unknown:
                what = f"has unknown keys {', '.join(unknown)}" if unknown else "has no 'file'"
                raise error(
                    f"multipart field '{name}' {what}; a file part is "
                    "{file: PATH, contentType: TYPE, filename: NAME} (only file is required)"
                )
            for key in FILE_KEYS:
                given = value.get(key)
                if (given is not None or key == "file") and not (isinstance(given, str) and given):
                    raise error(f"multipart field '{name}': '{key}' must be text")
            checked[str(name)] = FileField(
                value["file"], value.get("contentType"), value.get("filename")
            )
        elif isinstance(value, _SCALARS) or value is None:
            checked[str(name)] = freeze(value)
        else:
            raise error(
                f"multipart field '{name}' is {_kind_of(value)}; a field is text, a number, "
                "or a file: {file: PATH}"
            )
    return MappingProxyType(checked)


def _kind_of(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"
