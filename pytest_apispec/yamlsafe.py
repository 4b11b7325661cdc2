"""Safe YAML loading that remembers where each mapping started, and freezes the result.

Only PyYAML's safe constructors are used (the C-accelerated one when available): a
``!!python/object`` tag is an error, never code. Aliases are resolved by PyYAML as shared
objects; :func:`freeze` walks the result with a node budget, so an alias bomb ("billion
laughs") is rejected instead of being expanded.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import yaml

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 200_000
MAX_DEPTH = 64


class LineDict(dict[Any, Any]):
    """A mapping from YAML that knows its 0-based line inside the loaded text."""

    line: int = 0


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    pass


def _construct_line_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[LineDict]:
    mapping = LineDict()
    mapping.line = node.start_mark.line
    yield mapping
    mapping.update(loader.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_line_mapping)


class YamlError(ValueError):
    """YAML that cannot be loaded, with the 0-based line of the problem inside the text."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


def load(text: str) -> Any:
    """Load one YAML document safely; mappings come back as :class:`LineDict`."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        return _raise(mark.line if mark is not None else None, problem)
    except yaml.YAMLError as exc:
        return _raise(None, str(exc).splitlines()[0] if str(exc) else "invalid YAML")
    except RecursionError:
        return _raise(None, "YAML is nested too deeply")


def _raise(line: int | None, message: str) -> Any:
    if "\\t" in message or "\t" in message:
        message += " (YAML does not allow tabs for indentation; use spaces)"
    raise YamlError(line, message)


class TooLarge(ValueError):
    """A value with more nodes or nesting than a doc can sensibly have."""


def freeze(value: Any) -> Any:
    """Deep-copy a loaded YAML value into read-only mappings and tuples.

    Dates become ISO strings (they are sent as JSON). Raises :class:`TooLarge` past
    :data:`MAX_NODES` nodes or :data:`MAX_DEPTH` levels.
    """
    budget = [MAX_NODES]
    return _freeze(value, budget, 0)


def _freeze(value: Any, budget: list[int], depth: int) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise TooLarge(f"more than {MAX_NODES} values (a YAML alias bomb?)")
    if depth > MAX_DEPTH:
        raise TooLarge(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        return MappingProxyType(
            {str(key): _freeze(item, budget, depth + 1) for key, item in value.items()}
        )
    if isinstance(value, list | tuple):
        return tuple(_freeze(item, budget, depth + 1) for item in value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
