"""``$ref`` values: JSON pointers, joining a reference to the file it is written in, and
following chains of references without looping.

Files are named by ``file://`` URIs, the form ``referencing`` and jsonschema use too. A loaded
contract is plain ``dict``s and ``list``s (JSON, or YAML's ``dict`` subclass), so these test
for ``dict`` itself: asking ``Mapping`` goes through ``abc`` for every node walked.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

REMOTE_SCHEMES = frozenset({"http", "https", "ftp"})


class RefError(ValueError):
    """A reference that cannot be followed; the message says which and why."""


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_of(tokens: Any) -> str:
    return "".join("/" + escape(str(token)) for token in tokens)


@functools.lru_cache(maxsize=8192)
def split(uri: str, ref: str) -> tuple[str, str]:
    """The file URI and the JSON pointer that ``ref``, written in ``uri``, refers to."""
    if ref.startswith("#"):  # within the same file: most references, and no URL to join
        return uri, unquote(ref[1:])
    if urlsplit(ref).scheme in REMOTE_SCHEMES:
        raise RefError(
            f"$ref {ref!r} is a remote reference, which is never fetched; save that file "
            "beside the contract and refer to it by a relative path"
        )
    target, fragment = urldefrag(urljoin(uri, ref))
    if urlsplit(target).scheme not in ("file", ""):
        raise RefError(f"$ref {ref!r} is not a file path; refer to files by relative paths")
    return target, unquote(fragment)


def lookup(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` (``/components/schemas/A``); :class:`RefError` when absent."""
    node = document
    if not pointer:
        return node
    if not pointer.startswith("/"):
        raise RefError(f"#{pointer} is not a JSON pointer (it must start with '#/')")
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~") if "~" in raw else raw
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise RefError(f"#{pointer} does not exist (no {token!r} there)")
    return node


def ref_of(node: Any) -> str | None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return ref
    return None
