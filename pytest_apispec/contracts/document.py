"""A loaded contract: the OpenAPI document, the files its ``$ref``s reach, its operations.

Frozen where it matters (what a contract is never changes after loading); the parsed JSON
stays plain dicts and lists, which the validator reads as they are.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_apispec.contracts import refs
from pytest_apispec.contracts.resources import Resources

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Version(enum.Enum):
    """The OpenAPI version of a document, which decides the schema dialect."""

    SWAGGER2 = "2.0"
    OAS30 = "3.0"
    OAS31 = "3.1"
    OAS32 = "3.2"


@dataclass(frozen=True, slots=True)
class Operation:
    """One method of one path template, and where it is written."""

    method: str  # upper case
    template: str  # as the contract writes it: /clients/{id}
    uri: str  # the file the operation object is in
    pointer: str  # /paths/~1clients~1{id}/get
    node: Mapping[str, Any]
    path_item: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True, eq=False)
class Contract:
    """An OpenAPI document (2.0, 3.0, 3.1 or 3.2) with every ``$ref`` it makes checked."""

    path: Path
    uri: str
    version: Version
    files: Mapping[str, Any]  # file URI -> parsed document, the contract's own first
    # basePath (2.0), or the path of each of servers (3.x), the first first: ("",) or ("/api",)
    base_paths: tuple[str, ...]
    operations: tuple[Operation, ...]
    resources: Resources = field(default_factory=Resources, repr=False)  # 3.1's $id, $anchor
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def root(self) -> Any:
        return self.files[self.uri]

    @property
    def name(self) -> str:
        return self.path.name

    def location(self, uri: str, pointer: str) -> str:
        """``payments.json#/paths/...``: the file's name and the JSON pointer (``toy.json``
        alone for the whole file)."""
        return f"{_file_name(uri)}#{pointer}" if pointer else _file_name(uri)

    def follow(self, uri: str, pointer: str, node: Any) -> tuple[str, str, Any]:
        """``node`` itself, or what its ``$ref`` chain ends at (checked when loading)."""
        ref = refs.ref_of(node)
        if ref is None:
            return uri, pointer, node
        seen = set()
        while ref is not None and (uri, pointer) not in seen:
            seen.add((uri, pointer))
            uri, pointer = self.resources.resolve(uri, pointer, ref)
            node = refs.lookup(self.files[uri], pointer)
            ref = refs.ref_of(node)
        return uri, pointer, node

    def child(self, uri: str, pointer: str, node: Any, *keys: Any) -> tuple[str, str, Any]:
        """Walk ``keys`` down from ``node``, following ``$ref``s on the way; ``node`` None
        when a key is absent."""
        for key in keys:
            uri, pointer, node = self.follow(uri, pointer, node)
            if not isinstance(node, dict) or key not in node:  # a loaded contract's: dicts
                return uri, pointer, None
            node = node[key]
            pointer += "/" + refs.escape(str(key))
        return self.follow(uri, pointer, node)


@functools.lru_cache(maxsize=256)
def _file_name(uri: str) -> str:
    return Path(uri.removeprefix("file://")).name
