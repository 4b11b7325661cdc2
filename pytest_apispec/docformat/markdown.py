"""Splitting a doc's Markdown body into headed sections and fenced code blocks.

A deliberately small scanner, not a Markdown renderer: it only needs level-1/level-2 headings,
fenced code blocks (so that a ``## Heading`` inside a fence is not a heading) and the prose of
each section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`]*)")
# The closing '#'s are stripped in Python: '(?P<title>.*?)\s*#*\s*$' backtracks quadratically
# on a long run of '#' (a 20 000 character line took seconds, a 5 MB one would take hours).
_HEADING = re.compile(r"^ {0,3}(?P<level>#{1,6})\s+(?P<title>.*)$")


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced block; ``first_line`` is the 1-based file line of its first content line."""

    info: str
    first_line: int
    text: str
    closed: bool


@dataclass(slots=True)
class MarkdownSection:
    """The text under one ``##`` heading (or the preamble before the first one)."""

    title: str
    line: int
    prose: list[str] = field(default_factory=list)
    blocks: list[CodeBlock] = field(default_factory=list)


@dataclass(slots=True)
class MarkdownDoc:
    title: str = ""
    sections: list[MarkdownSection] = field(default_factory=list)

    def find(self, title: str) -> list[MarkdownSection]:
        wanted = title.casefold()
        return [section for section in self.sections if section.title.casefold() == wanted]


def scan(text: str, first_line: int) -> MarkdownDoc:
    """Scan Markdown whose first line is file line ``first_line`` (1-based)."""
    doc = MarkdownDoc()
    current = MarkdownSection(title="", line=first_line)
    doc.sections.append(current)
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence:
            block, index = _read_block(lines, index, fence, first_line)
            current.blocks.append(block)
            continue
        heading = _HEADING.match(line)
        if heading and len(heading["level"]) <= 2:
            title = heading["title"].rstrip().rstrip("#").rstrip()
            if len(heading["level"]) == 1 and not doc.title:
                doc.title = title
            current = MarkdownSection(title=title, line=first_line + index)
            doc.sections.append(current)
        else:
            current.prose.append(line)
        index += 1
    return doc


def _read_block(
    lines: list[str], start: int, fence: re.Match[str], first_line: int
) -> tuple[CodeBlock, int]:
    marker = fence["fence"]
    closing = re.compile(r"^ {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}\s*$")
    body: list[str] = []
    index = start + 1
    while index < len(lines):
        if closing.match(lines[index]):
            block = CodeBlock(fence["info"].lower(), first_line + start + 1, "\n".join(body), True)
            return block, index + 1
        body.append(lines[index])
        index += 1
    return CodeBlock(fence["info"].lower(), first_line + start + 1, "\n".join(body), False), index


def summary(doc: MarkdownDoc) -> str:
    """The prose a reader sees first: the Summary section, else the first paragraph."""
    for section in doc.find("Summary") or doc.sections[:1]:
        paragraph = _first_paragraph(section.prose)
        if paragraph:
            return paragraph
    return ""


def _first_paragraph(prose: list[str]) -> str:
    words: list[str] = []
    for line in prose:
        stripped = line.strip()
        if not stripped:
            if words:
                break
            continue
        if stripped.startswith(("#", "|", ">")):
            continue
        words.append(stripped)
    return " ".join(words)
