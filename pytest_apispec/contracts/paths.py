"""Finding the operation of a request: its method and path against the path templates.

Templates compare as templates (``{uid}`` and ``{id}`` are the same segment), a trailing slash
does not matter, and the contract's base path may or may not be part of the path. When several
templates match, the most specific wins: the one whose first differing segment is literal
(``/clients/me`` before ``/clients/{id}``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_apispec.contracts.document import Contract, Operation

_PARAMETER = re.compile(r"\{[^}/]*\}")


@dataclass(frozen=True, slots=True)
class _Template:
    operation: Operation
    literal: tuple[bool, ...]  # per segment: literal text (True) or with a parameter
    patterns: tuple[re.Pattern[str] | str, ...]
    shape: tuple[str, ...]  # segments with parameters written as {}


def segments(path: str) -> list[str]:
    return [part for part in path.split("?", 1)[0].split("/") if part]


class OperationIndex:
    """The operations of a contract, bucketed by method and number of segments."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.base = segments(contract.base_path)
        self._buckets: dict[tuple[str, int], list[_Template]] = {}
        for operation in contract.operations:
            parts = segments(operation.template)
            template = _Template(
                operation=operation,
                literal=tuple(not _PARAMETER.search(p) for p in parts),
                patterns=tuple(_segment_pattern(p) for p in parts),
                shape=tuple(_PARAMETER.sub("{}", p) for p in parts),
            )
            self._buckets.setdefault((operation.method, len(parts)), []).append(template)

    def match(self, method: str, path: str) -> Operation | None:
        """The operation a request goes to; ``path`` without query string or base URL."""
        parts = [_decode(p) for p in segments(path)]
        for candidate in self._with_and_without_base(parts):
            found = self._best(method, candidate, lambda t, c=candidate: _matches(t, c))
            if found is not None:
                return found
        return None

    def find(self, method: str, template: str) -> Operation | None:
        """The operation a doc's ``endpoint`` names (``PUT /a/{uid}``), as a template."""
        parts = segments(template)
        for candidate in self._with_and_without_base(parts):
            found = self._best(method, candidate, lambda t, c=candidate: _same_template(t, c))
            if found is not None:
                return found
        return None

    def nearest(self, method: str, template: str, count: int = 3) -> list[str]:
        labels = [op.label for op in self.contract.operations]
        wanted = f"{method} {template}"
        return difflib.get_close_matches(wanted, labels, n=count, cutoff=0.0)

    def _with_and_without_base(self, parts: list[str]) -> Iterable[list[str]]:
        yield parts
        base = self.base
        if base and parts[: len(base)] == base:
            yield parts[len(base) :]

    def _best(self, method: str, parts: Sequence[str], accept: object) -> Operation | None:
        matching = [
            t
            for t in self._buckets.get((method.upper(), len(parts)), ())
            if accept(t)  # type: ignore[operator]
        ]
        if not matching:
            return None
        return max(matching, key=lambda t: t.literal).operation


def _segment_pattern(part: str) -> re.Pattern[str] | str:
    if not _PARAMETER.search(part):
        return part
    pieces = _PARAMETER.split(part)
    return re.compile("[^/]+".join(re.escape(p) for p in pieces) + r"\Z")


def _matches(template: _Template, parts: Sequence[str]) -> bool:
    for pattern, part in zip(template.patterns, parts, strict=True):
        if isinstance(pattern, str):
            if pattern != part:
                return False
        elif not pattern.match(part):
            return False
    return True


def _same_template(template: _Template, parts: Sequence[str]) -> bool:
    """A parameter only matches a parameter; literal text matches as in a request."""
    for pattern, shape, part in zip(template.patterns, template.shape, parts, strict=True):
        if _PARAMETER.search(part):
            if _PARAMETER.sub("{}", part) != shape:
                return False
        elif isinstance(pattern, str):
            if pattern != part:
                return False
        elif not pattern.match(part):
            return False
    return True


def index_of(contract: Contract) -> OperationIndex:
    """The contract's index, built once."""
    index = contract.cache.get(OperationIndex)
    if index is None:
        index = contract.cache[OperationIndex] = OperationIndex(contract)
    return index


def _decode(part: str) -> str:
    from urllib.parse import unquote

    return unquote(part) if "%" in part else part
