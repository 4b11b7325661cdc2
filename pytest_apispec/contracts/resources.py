"""The JSON Schema resources of an OpenAPI 3.1 (or 3.2) contract: where a ``$ref`` leads when
it is written under an ``$id`` or names an ``$anchor``.

JSON Schema 2020-12, the dialect of 3.1, lets a schema say ``$id: https://example.com/pet``:
the ``$ref``s under it (``#/$defs/Owner``) are then relative to that URI, not to the file,
and another schema may refer to the pet schema by that URI. ``$anchor: owner`` names a schema
(``$ref: "#owner"``). Nothing of this is fetched: an ``$id`` names a place in a file that was
read. Swagger 2.0 and OpenAPI 3.0 schemas have neither keyword, and a contract without them
resolves every ``$ref`` against its file, as :func:`refs.split` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from pytest_apispec.contracts import refs

_NAMES = ("$id", "$anchor", "$dynamicAnchor")


def may_have_resources(text: str) -> bool:
    """Whether a file's text could hold an ``$id`` or an ``$anchor`` (most files hold none,
    and are not walked for them)."""
    return any(name in text for name in _NAMES)


@dataclass(frozen=True, slots=True)
class Resources:
    """The ``$id``s and ``$anchor``s of a contract's files, filled in while it loads."""

    ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # URI -> (file, pointer)
    anchors: dict[str, tuple[str, str]] = field(default_factory=dict)  # URI#name -> place
    # file -> (pointer, base URI) of each $id in it, the deepest first
    bases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, file: str, document: Any) -> set[tuple[str, str]]:
        """Find the resources of ``document`` (the file ``file``); the distinct
        ``(base URI, $ref)`` pairs written in it."""
        written: set[tuple[str, str]] = set()
        found: list[tuple[str, str]] = []
        for node, pointer, base, identified in _walk(file, document):
            if identified:
                self.ids.setdefault(base, (file, pointer))
                found.append((pointer, base))
            for name in _anchors_of(node):
                self.anchors.setdefault(f"{base}#{name}", (file, pointer))
            ref = node.get("$ref")
            if isinstance(ref, str):
                written.add((base, ref))
        if found:
            self.bases[file] = sorted(found, key=lambda item: -len(item[0]))
        return written

    def base_of(self, file: str, pointer: str) -> str:
        """The base URI of the ``$ref``s of the node at ``file#pointer``."""
        found = self.inside(file, pointer)
        return found[0] if found is not None else file

    def inside(self, file: str, pointer: str) -> tuple[str, str] | None:
        """The ``$id`` of the innermost resource the node at ``file#pointer`` is in, and the
        node's pointer within it; ``None`` outside every ``$id``."""
        for prefix, base in self.bases.get(file, ()):
            if pointer == prefix or pointer.startswith(prefix + "/"):
                return base, pointer[len(prefix) :]
        return None

    def resolve(self, file: str, pointer: str, ref: str) -> tuple[str, str]:
        """The file and JSON pointer of ``ref``, written in the node at ``file#pointer``."""
        return self.resolve_from(self.base_of(file, pointer), ref)

    def resolve_from(self, base: str, ref: str) -> tuple[str, str]:
        """The file and JSON pointer of ``ref`` relative to ``base``; :class:`refs.RefError`
        for a remote one that names no ``$id`` here."""
        if not (self.ids or self.anchors):  # every contract but a 3.1 one that has them
            return refs.split(base, ref)
        absolute, fragment = urldefrag(urljoin(base, ref))
        fragment = unquote(fragment)
        if fragment and not fragment.startswith("/"):
            anchored = self.anchors.get(f"{absolute}#{fragment}")
            if anchored is not None:
                return anchored
        place = self.ids.get(absolute)
        if place is not None and (not fragment or fragment.startswith("/")):
            return place[0], place[1] + fragment
        remote = refs.REMOTE_SCHEMES
        if urlsplit(base).scheme in remote and urlsplit(absolute).scheme in remote:
            raise refs.RefError(  # relative to the URI of an $id above it
                f"$ref {ref!r} is {absolute} (relative to the $id above it), which no $id "
                "of the contract names and which is never fetched; give that schema "
                "this $id, or refer to a file by a path relative to the contract"
            )
        return refs.split(base, ref)


def _identified(base: str, node: dict[str, Any], file: str) -> str | None:
    """The URI a schema's ``$id`` gives it, relative to ``base``; ``None`` without one, for
    one that is only a fragment (``$id: "#pet"``, Draft 7's way to write an anchor), and for
    the URI of the file itself (which is that file's, not one schema's in it)."""
    identifier = node.get("$id")
    if not isinstance(identifier, str) or not identifier or identifier.startswith("#"):
        return None
    identified = urldefrag(urljoin(base, identifier))[0]
    return identified if identified != file else None


def _anchors_of(node: dict[str, Any]) -> Iterator[str]:
    for key in ("$anchor", "$dynamicAnchor"):
        name = node.get(key)
        if isinstance(name, str):
            yield name
    identifier = node.get("$id")
    if isinstance(identifier, str) and identifier.startswith("#") and len(identifier) > 1:
        yield identifier[1:]


def _walk(file: str, document: Any) -> Iterator[tuple[dict[str, Any], str, str, bool]]:
    """Every mapping of ``document`` with its JSON pointer, the base URI of its ``$ref``s (of
    its own ``$id``, else of the nearest one above it), and whether that ``$id`` is its own."""
    stack: list[tuple[Any, str, str]] = [(document, "", file)]
    seen: set[int] = set()  # a recursive YAML alias makes a value that contains itself
    while stack:
        node, pointer, base = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            identified = _identified(base, node, file)
            base = identified or base
            yield node, pointer, base, identified is not None
            stack.extend(
                (value, f"{pointer}/{refs.escape(str(key))}", base)
                for key, value in node.items()
                if isinstance(value, dict | list)
            )
        elif isinstance(node, list):
            stack.extend(
                (value, f"{pointer}/{index}", base)
                for index, value in enumerate(node)
                if isinstance(value, dict | list)
            )
