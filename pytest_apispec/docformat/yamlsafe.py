"""Safe YAML loading that remembers where each mapping started, and freezes the result.

Only PyYAML's safe constructors are used (the C-accelerated one when available): a
``!!python/object`` tag is an error, never code. Before anything is built, the parser's events
are counted: a document nested too deeply, or whose aliases would expand to too many values
(an alias bomb, "billion laughs"), is rejected in time proportional to its text. Aliases are
resolved by PyYAML as shared objects, and :func:`freeze` walks the result with a node budget
as a second line of defence.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import sys
from collections.abc import Hashable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import yaml

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_YAML_DEPTH = MAX_DEPTH + 8  # a whole block: steps -> step -> body -> ...


class LineDict(dict[Any, Any]):
    """A mapping from YAML that knows its 0-based line inside the loaded text, and the line
    of each of its keys (a misspelt key is reported where it is written)."""

    line: int = 0
    key_lines: dict[Any, int] | None = None

    def line_of(self, key: Any) -> int:
        lines = self.key_lines
        return lines.get(key, self.line) if lines is not None else self.line


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    pass


def _construct_line_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[LineDict]:
    mapping = LineDict()
    mapping.line = node.start_mark.line
    yield mapping
    mapping.update(loader.construct_mapping(node))
    mapping.key_lines = {
        key.value: key.start_mark.line for key, _ in node.value if isinstance(key, yaml.ScalarNode)
    }


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_line_mapping)


def _construct_unknown_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A tag the safe loader has no constructor for (``!!python/object/apply:...``): our own
    message, not PyYAML's 'could not determine a constructor'."""
    tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"the tag {tag} is not allowed in a doc; write plain YAML values",
        node.start_mark,
    )


_LineLoader.add_constructor(None, _construct_unknown_tag)
_YAML12_BOOLEAN = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
# Dates and times stay text as written: they are sent as JSON strings and reported as-is
# (``verifiedAt: 2026-02-08T10:24:43.000Z`` must not come back as ``2026-02-08 10:24:43+00:00``).
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class _Yaml12BooleansLoader(_LineLoader):
    """Booleans as YAML 1.2 writes them, ``true`` and ``false`` only: ``no``, ``on`` and
    ``NO`` (Norway) stay text. OpenAPI recommends YAML 1.2 for its documents."""


_Yaml12BooleansLoader.yaml_implicit_resolvers = {
    first: [
        (tag, _YAML12_BOOLEAN if tag == "tag:yaml.org,2002:bool" else regexp)
        for tag, regexp in resolvers
    ]
    for first, resolvers in _LineLoader.yaml_implicit_resolvers.items()
}


class YamlError(ValueError):
    """YAML that cannot be loaded, with the 0-based line of the problem inside the text."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


_QUOTED = "the quoted text that starts on this line"
_OPENED_ON_CONTEXT_LINE = {
    "while parsing a flow sequence": "the [...] list that starts on this line",
    "while parsing a flow mapping": "the {...} mapping that starts on this line",
    "while scanning a quoted scalar": _QUOTED,
    "while parsing a quoted scalar": _QUOTED,
    "while scanning a double-quoted scalar": _QUOTED,
    "while scanning a simple key": "the key on this line",
}


def load(text: str, *, yaml12_booleans: bool = False) -> Any:
    """Load one YAML document safely; mappings come back as :class:`LineDict`. With
    ``yaml12_booleans``, only ``true`` and ``false`` are booleans (see
    :class:`_Yaml12BooleansLoader`)."""
    try:
        if _may_be_hostile(text):
            _check_shape(text)
        return _build_document(text, _Yaml12BooleansLoader if yaml12_booleans else _LineLoader)
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        if _may_be_hostile(text):
            _check_shape_before(text, exc)
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        opened = _OPENED_ON_CONTEXT_LINE.get(exc.context or "")
        if opened and exc.context_mark is not None:
            # an unclosed bracket or quote fails lines later: point at where it opened
            mark, problem = exc.context_mark, f"{problem}, in {opened}"
        return _raise(mark.line if mark is not None else None, problem, text)
    except yaml.YAMLError as exc:
        return _raise(None, str(exc).splitlines()[0] if str(exc) else "invalid YAML")
    except RecursionError:
        return _raise(None, "YAML is nested too deeply")
    except ValueError as exc:  # an integer of more than sys.get_int_max_str_digits() digits
        return _raise(None, str(exc).split(";")[0])


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_INT = "tag:yaml.org,2002:int"


def _too_many_digits(value: str) -> bool:
    """Whether Python would refuse to read this integer (``sys.get_int_max_str_digits``)."""
    digits = value.replace("_", "").lstrip("+-")
    limit = sys.get_int_max_str_digits()
    return bool(limit) and len(digits) > limit and digits.isdigit()


def _build_document(text: str, loader_class: type[_LineLoader] = _LineLoader) -> Any:
    """Compose with libyaml, then build plain values from the nodes ourselves.

    The same values as ``yaml.load`` with the safe loader (anything but plain strings, lists
    and mappings goes through its constructor), in about half the time: PyYAML's generic
    constructor machinery is most of the cost of collecting thousands of docs.
    """
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _build(loader, node, {})
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, built: dict[int, Any]) -> Any:
    known = built.get(id(node), built)  # an alias: the node was built already
    if known is not built:
        return known
    # Collections are registered before their children are built, as PyYAML does, so that a
    # recursive alias becomes a recursive value (which freeze() then rejects), not a crash.
    value: Any
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
        value = node.value
    elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
        value = built[id(node)] = []
        value.extend(_build(loader, child, built) for child in node.value)
    elif isinstance(node, yaml.MappingNode) and node.tag == _MAP:
        loader.flatten_mapping(node)  # '<<' merge keys
        value = built[id(node)] = LineDict()
        value.line = node.start_mark.line
        value.key_lines = key_lines = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node, built)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found an unhashable key",
                    key_node.start_mark,
                )
            value[key] = _build(loader, value_node, built)
            key_lines[key] = key_node.start_mark.line
    elif isinstance(node, yaml.ScalarNode) and node.tag == _INT and _too_many_digits(node.value):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a number of more than {sys.get_int_max_str_digits()} digits; "
            "quote it to send it as text",
            node.start_mark,
        )
    else:  # numbers, booleans, null, and tags: the safe constructor decides
        value = loader.construct_object(node, deep=True)
    built[id(node)] = value
    return value


def _may_be_hostile(text: str) -> bool:
    """Whether :func:`_check_shape` is needed. Only anchors make aliases; each level of
    nesting needs one more space of indentation, a bracket, a '- ' or a '? '. So a block
    without '&' whose indentation and indicators cannot add up to the limit is harmless."""
    if "&" in text:
        return True
    indent = max(len(line) - len(line.lstrip(" ")) for line in text.split("\n"))
    indicators = text.count("[") + text.count("{") + text.count("-") + text.count("?")
    return indent + indicators + 2 >= MAX_YAML_DEPTH


def _check_shape(text: str) -> None:
    """Reject YAML too deep or too large once its aliases are expanded, before building it.

    Walks the parser's events, which libyaml produces without recursion: its C composer
    recurses once per nesting level and crashes the interpreter on a deep enough document,
    and a few lines of aliases can stand for billions of values.
    """
    _check_events(yaml.parse(text, Loader=_BaseLoader))


def _check_shape_before(text: str, error: yaml.MarkedYAMLError) -> None:
    """Apply our own limits to the text before the point where PyYAML gave up.

    Some libyaml releases have limits of their own (PyYAML 6.0.4's scanner stops at 1,000
    open brackets, and it scans ahead of the events :func:`_check_shape` counts), so a doc
    could get PyYAML's words instead of ours, depending on the PyYAML installed. The
    pure-Python parser has no such limit and produces the same events with the same marks:
    re-walk the text up to the error with it, so that our limit, when it is exceeded there,
    is what the user reads, whichever PyYAML is installed.
    """
    mark = error.problem_mark or error.context_mark
    if mark is None or not mark.index:
        return
    # the truncated text ends mid-document: that error is ignored, PyYAML's own one stands
    with contextlib.suppress(yaml.YAMLError):
        _check_events(yaml.parse(text[: mark.index], Loader=yaml.SafeLoader))


def _check_events(events: Iterator[yaml.Event]) -> None:
    expanded: dict[str, int] = {}  # anchor -> how many values it stands for
    starts: list[tuple[str | None, int]] = []  # open collections: (anchor, count at start)
    count = 0
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            count += expanded.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            count += 1
            if event.anchor:
                expanded[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            starts.append((event.anchor, count))
            count += 1
            if len(starts) > MAX_YAML_DEPTH:
                _raise(_line(event), f"nested more than {MAX_YAML_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent) and starts:
            anchor, start = starts.pop()
            if anchor:
                expanded[anchor] = count - start
        if count > MAX_NODES:
            _raise(
                _line(event), f"its aliases expand to more than {MAX_NODES} values (an alias bomb?)"
            )


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return mark.line if mark is not None else None


def _raise(line: int | None, message: str, text: str = "") -> Any:
    lines = text.split("\n")
    indent = lines[line] if line is not None and line < len(lines) else ""
    if "\\t" in message or "\t" in message or "\t" in indent[: len(indent) - len(indent.lstrip())]:
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
            # keys repeat across thousands of docs (business_id, per_page, ...): share them
            {sys.intern(str(key)): _freeze(item, budget, depth + 1) for key, item in value.items()}
        )
    if isinstance(value, list | tuple):
        return tuple(_freeze(item, budget, depth + 1) for item in value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
