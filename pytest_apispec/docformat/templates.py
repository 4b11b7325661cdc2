"""``{{name}}`` templates in step paths, params, headers, bodies and expectations.

A placeholder that is the whole value keeps the variable's type (``price: "{{price}}"`` sends
a number when ``price`` is a number); inside a longer string the value is written as text.
Values placed in a URL path are percent-encoded, so an extracted ``../admin`` or ``a?b=1``
stays one path segment.

Built-in values, for data that must be fresh on every run:

=====================================  ==========================================
``{{$uuid}}`` / ``{{newUuid}}``        a random UUID4
``{{$timestamp}}``                     Unix time in seconds (a number)
``{{$isoTimestamp}}`` / ``{{newDate}}`` the current UTC time, ISO 8601
``{{$today}}``, ``{{$today+30}}``      today's UTC date (YYYY-MM-DD), plus/minus days
``{{$randomInt}}``, ``{{$randomInt 1 6}}`` a random integer (0-999999, or min..max)
=====================================  ==========================================
"""

from __future__ import annotations

import datetime
import json
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

# Names are stripped in Python (group 1 keeps the spaces): r"\{\{\s*([^{}]*?)\s*\}\}" takes
# cubic time on "{{" and a long run of spaces, 77 s for 5000 of them.
_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_TODAY = re.compile(r"^\$today\s*(?:([+-])\s*(\d+))?$")
_RANDOM_INT = re.compile(r"^\$randomInt(?:\s+(-?\d+)\s+(-?\d+))?$")


class UndefinedVariable(LookupError):
    """A ``{{name}}`` with no value."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


_SIMPLE_BUILTINS: Mapping[str, Callable[[], Any]] = {
    "$uuid": lambda: str(uuid.uuid4()),
    "newUuid": lambda: str(uuid.uuid4()),
    "$timestamp": lambda: int(time.time()),
    "$isoTimestamp": _now_iso,
    "newDate": _now_iso,
}


BUILTIN_NAMES = (*_SIMPLE_BUILTINS, "$today", "$randomInt")  # for did-you-mean suggestions


def builtin_value(name: str) -> Any:
    """The value of a built-in placeholder; raises :class:`UndefinedVariable` otherwise."""
    simple = _SIMPLE_BUILTINS.get(name)
    if simple is not None:
        return simple()
    today = _TODAY.match(name)
    if today:
        days = int(today[2] or 0) * (-1 if today[1] == "-" else 1)
        date = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=days)
        return date.isoformat()
    rand = _RANDOM_INT.match(name)
    if rand:
        low, high = (int(rand[1]), int(rand[2])) if rand[1] else (0, 999_999)
        return random.randint(min(low, high), max(low, high))
    raise UndefinedVariable(name)


def lookup(name: str, variables: Mapping[str, Any]) -> Any:
    if name in variables:
        return variables[name]
    return builtin_value(name)


def as_text(value: Any) -> str:
    """How a value reads inside a longer string: JSON spelling for non-strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def render_string(template: str, variables: Mapping[str, Any]) -> Any:
    """Render one string; a lone placeholder returns the value with its own type."""
    whole = _PLACEHOLDER.fullmatch(template.strip()) if "{{" in template else None
    if whole:
        return lookup(whole[1].strip(), variables)
    if "{{" not in template:
        return template
    return _PLACEHOLDER.sub(lambda m: as_text(lookup(m[1].strip(), variables)), template)


def render(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render a frozen YAML value into plain, JSON-ready ``dict``/``list`` values."""
    if isinstance(value, str):
        return render_string(value, variables)
    if isinstance(value, Mapping):
        return {key: render(item, variables) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [render(item, variables) for item in value]
    return value


def render_path(template: str, variables: Mapping[str, Any]) -> str:
    """Render a URL path, percent-encoding every substituted value."""
    return _PLACEHOLDER.sub(
        lambda m: quote(as_text(lookup(m[1].strip(), variables)), safe=""),
        template,
    )


def placeholders(value: Any) -> set[str]:
    """Every placeholder name used anywhere in a value."""
    if isinstance(value, str):
        return {match[1].strip() for match in _PLACEHOLDER.finditer(value)}
    if isinstance(value, Mapping):
        return set().union(*(placeholders(item) for item in value.values()))
    if isinstance(value, tuple | list):
        return set().union(*(placeholders(item) for item in value))
    return set()
