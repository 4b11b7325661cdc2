"""Finding the operation of a request: its method and path against the path templates.

Templates compare as templates (``{uid}`` and ``{id}`` are the same segment), a trailing slash
does not matter, and the contract's base path may or may not be part of the path. When several
templates match, the most specific wins: the one whose first differing segment is literal
(``/clients/me`` before ``/clients/{id}``).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from pytest_apispec.contracts.document import Contract, Operation, Version
from pytest_apispec.contracts.loader import server_paths

_PARAMETER = re.compile(r"\{[^}/]*\}")


@dataclass(frozen=True, slots=True)
class _Template:
    operation: Operation
    literal: tuple[bool, ...]  # per segment: literal text (True) or with a parameter
    shape: tuple[str, ...]  # segments with parameters written as {}


@dataclass(slots=True)
class _Node:
    """One segment level of the templates: literal segments by text, the others by pattern."""

    literal: dict[str, _Node] = field(default_factory=dict)
    patterned: dict[str, tuple[re.Pattern[str], _Node]] = field(default_factory=dict)
    templates: list[_Template] = field(default_factory=list)


def segments(path: str) -> list[str]:
    return [part for part in path.split("?", 1)[0].split("/") if part]


class OperationIndex:
    """The operations of a contract as a tree of segments per method: a request's path is
    found in as many steps as it has segments, however many operations the contract has."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.bases = [parts for parts in map(segments, contract.base_paths) if parts]
        self._roots: dict[str, _Node] = {}
        self._found: dict[tuple[str, str], Operation | None] = {}
        for operation in contract.operations:
            self._add(operation, segments(operation.template))
            for own in _own_bases(contract, operation):
                # an operation served elsewhere: its path there, base and all
                self._add(operation, [*segments(own), *segments(operation.template)])

    def _add(self, operation: Operation, parts: list[str]) -> None:
        node = self._roots.setdefault(operation.method, _Node())
        shapes = [_shape(part) for part in parts]  # None for a literal segment
        for part, shape in zip(parts, shapes, strict=True):
            if shape is None:
                node = node.literal.setdefault(part, _Node())
                continue
            if shape not in node.patterned:
                node.patterned[shape] = (_segment_pattern(part), _Node())
            node = node.patterned[shape][1]
        node.templates.append(
            _Template(
                operation=operation,
                literal=tuple(shape is None for shape in shapes),
                shape=tuple(
                    part if shape is None else shape
                    for part, shape in zip(parts, shapes, strict=True)
                ),
            )
        )

    def match(self, method: str, path: str) -> Operation | None:
        """The operation a request goes to; ``path`` without query string or base URL."""
        parts = [_decode(p) for p in segments(path)]
        for candidate in self._with_and_without_base(parts):
            found = self._best(method, candidate, as_template=False)
            if found is not None:
                return found
        return None

    def find(self, method: str, template: str) -> Operation | None:
        """The operation a doc's ``endpoint`` names (``PUT /a/{uid}``), as a template."""
        key = (method.upper(), template)
        if key not in self._found:
            parts = segments(template)
            found = None
            for candidate in self._with_and_without_base(parts):
                found = self._best(method, candidate, as_template=True)
                if found is not None:
                    break
            self._found[key] = found
        return self._found[key]

    def nearest(self, method: str, template: str, count: int = 3) -> list[str]:
        labels = [op.label for op in self.contract.operations]
        wanted = f"{method} {template}"
        return difflib.get_close_matches(wanted, labels, n=count, cutoff=0.0)

    def _with_and_without_base(self, parts: list[str]) -> Iterable[list[str]]:
        """The path as it is, then without each base path it starts with."""
        yield parts
        for base in self.bases:
            if len(parts) >= len(base) and all(map(_base_agrees, base, parts)):
                yield parts[len(base) :]

    def _best(self, method: str, parts: Sequence[str], as_template: bool) -> Operation | None:
        root = self._roots.get(method.upper())
        if root is None:
            return None
        level = [root]
        for part in parts:
            following: list[_Node] = []
            parameter = as_template and _PARAMETER.search(part)
            for node in level:
                if parameter:  # a template's parameter only matches a parameter
                    entry = node.patterned.get(_PARAMETER.sub("{}", part))
                    if entry is not None:
                        following.append(entry[1])
                    continue
                if part in node.literal:
                    following.append(node.literal[part])
                following += [
                    child for pattern, child in node.patterned.values() if pattern.match(part)
                ]
            level = following
            if not level:
                return None
        matching = [t for node in level for t in node.templates]
        if not matching:
            return None
        return max(matching, key=lambda t: t.literal).operation


def _own_bases(contract: Contract, operation: Operation) -> tuple[str, ...]:
    """The base paths of an operation's own ``servers`` (3.x: the operation's, else its path
    item's) that the document's servers do not have."""
    if contract.version is Version.SWAGGER2:
        return ()
    for owner in (operation.node, operation.path_item):
        own = server_paths(owner.get("servers"))
        if own:
            return tuple(path for path in own if path and path not in contract.base_paths)
    return ()


def _base_agrees(base: str, part: str) -> bool:
    """A segment of the base path: literal, or a server variable without a default."""
    return base == part or (
        _PARAMETER.search(base) is not None and _segment_pattern(base).match(part) is not None
    )


def _shape(part: str) -> str | None:
    """The segment with its parameters written ``{}``; ``None`` for a literal one."""
    if "{" not in part or not _PARAMETER.search(part):
        return None
    return _PARAMETER.sub("{}", part)


@functools.lru_cache(maxsize=1024)  # a contract's parameters repeat: {id}, {uid}, {slug}
def _segment_pattern(part: str) -> re.Pattern[str]:
    """A segment of a template, as a pattern of a request's decoded segment: a parameter's
    value may hold an encoded slash (GitLab's ``/projects/group%2Fproject``), which is one
    segment still."""
    pieces = _PARAMETER.split(part)
    return re.compile("(?s:.+)".join(re.escape(p) for p in pieces) + r"\Z")


def index_of(contract: Contract) -> OperationIndex:
    """The contract's index, built once."""
    index = contract.cache.get(OperationIndex)
    if index is None:
        index = contract.cache[OperationIndex] = OperationIndex(contract)
    return index


def _decode(part: str) -> str:
    return unquote(part) if "%" in part else part
