"""``extract`` mappings and ``expect.body`` checks, as written, checked when the doc is read.

``extract`` keeps its string form (a JSONPath into the JSON body) and also takes a mapping
naming its source::

    extract:
      next_page: {header: Location}
      session: {cookie: session}
      status: {status: true}
      order_id: {regex: 'id=(\\d+)'}                      # the first group, over the text body
      job_id: {regex: '/jobs/(\\w+)', from: 'header:Location'}
      ids: {json: "$.items[*].id", all: true}          # every match, as a list

A pattern is compiled here with the standard ``re`` (so that one that does not compile, or has
no group to extract, fails at collection); it is run with the ``regex`` module, whose matching
can be bounded in time (see ``execution/sources.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SOURCES = ("json", "header", "cookie", "status", "regex")
EXTRACT_KEYS = frozenset({*SOURCES, "all", "from"})
BODY_CHECK_KEYS = ("contains", "regex")


@dataclass(frozen=True, slots=True)
class Extraction:
    """Where one extracted value comes from.

    ``source`` is one of :data:`SOURCES`; ``expression`` is the JSONPath, the header or cookie
    name, or the pattern; ``header`` is the header a regex searches (None: the text body).
    """

    source: str
    expression: str = ""
    all: bool = False
    header: str | None = None

    def describe(self) -> str:
        """How messages name the source: ``header Location``, ``regex '...' over the body``."""
        if self.source == "status":
            return "status"
        if self.source == "regex":
            where = f"header {self.header}" if self.header else "the body"
            return f"regex {self.expression!r} over {where}"
        return f"{self.source} {self.expression}"


@dataclass(frozen=True, slots=True)
class BodyCheck:
    """One ``expect.body`` check over the text body: ``contains`` a text, or a ``regex`` match."""

    kind: str
    text: str


Error = Callable[[str], Exception]


def read_extraction(name: str, value: Mapping[str, Any], error: Error) -> Extraction:
    where = f"extract '{name}'"
    unknown = sorted(set(map(str, value)) - EXTRACT_KEYS)
    sources = [key for key in SOURCES if key in value]
    if unknown or len(sources) != 1:
        problem = (
            f"has unknown keys {', '.join(unknown)}"
            if unknown
            else "names no source"
            if not sources
            else f"names {len(sources)} sources ({', '.join(sources)})"
        )
        raise error(
            f"{where} {problem}; use one of {{header: NAME}}, {{cookie: NAME}}, "
            "{status: true}, {regex: PATTERN}, {json: PATH}"
        )
    source = sources[0]
    expression = value[source]
    if source == "status":
        if expression is not True:
            raise error(f"{where}: write status: true to extract the response status")
        expression = ""
    elif not isinstance(expression, str) or not expression.strip():
        raise error(f"{where}: '{source}' must be a text value")
    all_matches = value.get("all", False)
    if not isinstance(all_matches, bool) or (all_matches and source != "json"):
        raise error(f"{where}: 'all: true' goes with json: PATH (every match, as a list)")
    header = _source_header(where, source, value.get("from"), error)
    if source == "regex":
        check_pattern(expression, where, error, need_group=True)
    return Extraction(source, expression, all_matches, header)


def _source_header(where: str, source: str, written: Any, error: Error) -> str | None:
    if written is None:
        return None
    if source != "regex":
        raise error(f"{where}: 'from' goes with regex: PATTERN")
    text = str(written).strip()
    if text == "body":
        return None
    kind, _, header = text.partition(":")
    if kind.strip() != "header" or not header.strip():
        raise error(f"{where}: 'from' must be body or header:NAME, such as header:Location")
    return header.strip()


def check_pattern(pattern: str, where: str, error: Error, *, need_group: bool) -> None:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise error(f"{where}: the regex {pattern!r} does not compile ({exc})") from None
    if need_group and compiled.groups == 0:
        raise error(
            f"{where}: the regex {pattern!r} has no group; put the part to extract in "
            "parentheses, such as 'id=(\\d+)'"
        )


def read_body_checks(value: Any, error: Error) -> tuple[BodyCheck, ...]:
    """``expect.body``: ``{contains: TEXT}``, ``{regex: PATTERN}``, or a list of them."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else [value]
    checks = []
    for item in items:
        keys = [key for key in BODY_CHECK_KEYS if isinstance(item, Mapping) and key in item]
        if (
            not isinstance(item, Mapping)
            or len(keys) != 1
            or len(item) != 1
            or not isinstance(item[keys[0]], str)
        ):
            raise error(
                "expect.body must be {contains: TEXT}, {regex: PATTERN}, or a list of them, "
                f"not {item!r}"
            )
        kind = keys[0]
        if kind == "regex":
            check_pattern(item[kind], "expect.body", error, need_group=False)
        checks.append(BodyCheck(kind, item[kind]))
    return tuple(checks)


def read_max_seconds(value: Any, error: Error) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise error(
            f"expect.maxSeconds must be a number of seconds above 0, such as 0.5, not {value!r}"
        )
    return float(value)
