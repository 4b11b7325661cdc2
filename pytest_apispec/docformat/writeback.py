"""Byte-exact edits of a doc's frontmatter values (``status``, ``verifiedAt``), for write-back.

Docs are written by people: a re-dumped YAML mapping would lose their key order, quoting,
comments and line endings. :func:`set_values` edits the few lines that hold the keys to change,
and nothing else: key order, quoting style (a quoted value stays quoted the same way),
trailing comments, indentation, line endings (CRLF stays CRLF), a BOM, the closing ``---`` and
everything after it stay byte for byte. A missing key is added as one line just before the
closing ``---``. The result is re-read and compared with the original: only the intended keys
may differ, else :class:`EditError` and the doc is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"
_BOUNDARY = re.compile(rb"^-{3,}[ \t]*$")
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_.:+-]+$")


class EditError(ValueError):
    """The frontmatter cannot be edited safely; ``str()`` says why, for the summary."""


@dataclass(frozen=True, slots=True)
class Edited:
    """The new bytes of a doc, and which keys were changed or added (sorted)."""

    data: bytes
    changed: tuple[str, ...]


def set_values(raw: bytes, values: Mapping[str, str]) -> Edited | None:
    """``raw`` with each frontmatter key of ``values`` set; ``None`` without frontmatter.

    Values must be plain one-word YAML scalars (``verified``, ``2026-02-08T10:24:43.000Z``).
    """
    for value in values.values():
        if not _PLAIN_SAFE.match(value):
            raise EditError(f"{value!r} is not a value write-back can write")
    bom = BOM if raw.startswith(BOM) else b""
    lines = raw[len(bom) :].splitlines(keepends=True)
    closing = _closing_line(lines)
    if closing is None:
        return None
    new_lines = list(lines)
    changed = []
    added = []
    for key, value in values.items():
        index = _key_line(lines, closing, key)
        if index is None:
            added.append(f"{key}: {value}".encode() + _ending(lines[closing - 1]))
            changed.append(key)
            continue
        new_lines[index] = _replace_value(lines[index], key, value)
        if new_lines[index] != lines[index]:
            changed.append(key)
    new_lines[closing:closing] = added
    data = bom + b"".join(new_lines)
    _verify(raw, data, values)
    return Edited(data, tuple(sorted(changed)))


def _closing_line(lines: list[bytes]) -> int | None:
    if not lines or not _BOUNDARY.match(lines[0].rstrip(b"\r\n")):
        return None
    for index in range(1, len(lines)):
        if _BOUNDARY.match(lines[index].rstrip(b"\r\n")):
            return index
    return None


def _ending(line: bytes) -> bytes:
    for ending in (b"\r\n", b"\n", b"\r"):
        if line.endswith(ending):
            return ending
    return b"\n"


def _key_pattern(key: str) -> re.Pattern[bytes]:
    name = re.escape(key.encode())
    return re.compile(rb"^(?:" + name + rb"|\"" + name + rb"\"|'" + name + rb"')[ \t]*:")


def _key_line(lines: list[bytes], closing: int, key: str) -> int | None:
    pattern = _key_pattern(key)
    found = [index for index in range(1, closing) if pattern.match(lines[index])]
    if len(found) > 1:
        raise EditError(f"'{key}' appears more than once in the frontmatter")
    if not found:
        return None
    index = found[0]
    following = lines[index + 1] if index + 1 < closing else b""
    if (
        following[:1] in (b" ", b"\t")
        and following.strip()
        and not following.strip().startswith(b"#")
    ):
        raise EditError(f"'{key}' has a value of more than one line; make it one line")
    return index


def _replace_value(line: bytes, key: str, value: str) -> bytes:
    """The line with its value replaced; the key, spacing, quotes and comment kept."""
    match = _key_pattern(key).match(line)
    assert match is not None
    head = line[: match.end()]
    rest = line[match.end() :]
    ending = _ending(rest) if rest.endswith((b"\n", b"\r")) else b""
    body = rest[: len(rest) - len(ending)]
    spacing = body[: len(body) - len(body.lstrip(b" \t"))] or b" "
    old = body.lstrip(b" \t")
    quote = old[:1] if old[:1] in (b'"', b"'") else b""
    if quote:
        end = old.find(quote, 1)
        if end < 0:
            raise EditError(f"'{key}' has a quoted value that does not close on its line")
        tail = old[end + 1 :]
    else:
        if not old.strip() or old[:1] in b"|>[{&*!#":
            raise EditError(f"'{key}' does not have a one-line plain or quoted value")
        comment = re.search(rb"[ \t]#", old)
        value_part = old[: comment.start()] if comment else old
        tail = old[len(value_part.rstrip(b" \t")) :]
    return head + spacing + quote + value.encode() + quote + tail + ending


def _frontmatter(data: bytes) -> dict[object, object]:
    from pytest_apispec.docformat import yamlsafe  # PyYAML on first use, as the parser is

    lines = data.removeprefix(BOM).splitlines(keepends=True)
    closing = _closing_line(lines)
    if closing is None:
        raise EditError("the frontmatter is gone after editing")
    try:
        loaded = yamlsafe.load(b"".join(lines[1:closing]).decode("utf-8"))
    except (UnicodeDecodeError, yamlsafe.YamlError):
        raise EditError("the frontmatter is not valid UTF-8 YAML") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise EditError("the frontmatter is not a mapping of 'key: value' lines")
    return dict(loaded)


def _after_frontmatter(data: bytes) -> bytes:
    lines = data.removeprefix(BOM).splitlines(keepends=True)
    closing = _closing_line(lines)
    return b"".join(lines[closing:]) if closing is not None else data


def _verify(old: bytes, new: bytes, values: Mapping[str, str]) -> None:
    """Re-read both versions: only the intended keys may differ, to the intended values."""
    before = _frontmatter(old)
    after = _frontmatter(new)
    expected: dict[object, object] = {**before}
    expected.update(values)
    if after != expected or list(after)[: len(before)] != list(before):
        keys = ", ".join(values)
        raise EditError(f"editing would change more than {keys}; edit the doc by hand")
    if _after_frontmatter(old) != _after_frontmatter(new) or (old[:3] == BOM and new[:3] != BOM):
        raise EditError("editing would change the text after the frontmatter")
