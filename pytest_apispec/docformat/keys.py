"""The one list of keys the doc format knows, and finding near misses of them.

Every key any part of the plugin reads is listed here, those the contracts issue (#12:
``openapi``, ``contract``, ``expect.schema``, ``expect.match``) and the request issue (#14:
``form``, ``multipart``, ``data``, ``until``, ``idempotent``, ``extract`` mappings,
``expect.body``, ``expect.maxSeconds``) add included: a key one of them reads must never be
reported as a typo. Unknown keys stay allowed (docs carry people's and tools' notes); only a key
*close* to a known one (``expcet``, ``onfail``, ``useFallBackApi``) is reported, with the key it
most likely means. ``difflib`` from the standard library finds them; a key that differs from a
known one only in case always counts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_apispec.docformat.model import NearMiss

FRONTMATTER_KEYS = frozenset(
    {
        "endpoint",
        "domain",
        "tags",
        "status",
        "swagger",
        "openapi",
        "contract",
        "savedAt",
        "verifiedAt",
        "timesReused",
        "tokens",
        "useFallbackApi",
        "expectedOutcome",
        "expectedOutcomeReason",
        "requiresTestData",
        "testDataDescription",
        "fixtures",
    }
)
STEP_KEYS = frozenset(
    {
        "id",
        "description",
        "method",
        "path",
        "token",
        "useFallbackApi",
        "params",
        "headers",
        "body",
        "form",
        "multipart",
        "data",
        "extract",
        "expect",
        "onFail",
        "skipReason",
        "successStatus",
        "successReason",
        "scope",
        "retries",
        "until",
        "idempotent",
    }
)
EXPECT_KEYS = frozenset({"status", "json", "headers", "schema", "match", "body", "maxSeconds"})
EXTRACT_MAPPING_KEYS = frozenset({"header", "cookie", "status", "regex", "from", "json", "all"})
UNTIL_KEYS = frozenset({"attempts", "interval", "maxSeconds"})

_CUTOFF = 0.8  # 'expcet' -> 'expect' (0.83), 'idx' -> 'id' (0.8); 'notes' matches nothing
_FOLDED: dict[frozenset[str], dict[str, str]] = {}


def suggestion(key: str, known: frozenset[str]) -> str | None:
    """The known key ``key`` most likely means, or ``None`` (known itself, or not close)."""
    if key in known:
        return None
    folded = _FOLDED.get(known)
    if folded is None:
        folded = _FOLDED[known] = {name.lower(): name for name in known}
    lowered = key.lower()
    if lowered in folded:
        return folded[lowered]
    close = difflib.get_close_matches(lowered, list(folded), n=1, cutoff=_CUTOFF)
    if close:
        return folded[close[0]]
    swapped = [name for name in folded if _one_swap_apart(lowered, name)]
    return folded[swapped[0]] if swapped else None


def _one_swap_apart(a: str, b: str) -> bool:
    """Two neighbouring letters swapped (``jsno``/``json``): short keys score low in difflib."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def near_misses(
    mapping: Mapping[Any, Any], known: frozenset[str], line: int, where: str
) -> tuple[NearMiss, ...]:
    """The near-miss keys of one mapping, each reported on its own line when the mapping knows
    it (a ``yamlsafe.LineDict``), else on ``line``, the mapping's."""
    found = []
    line_of = getattr(mapping, "line_of", None)
    start = getattr(mapping, "line", 0)
    for key in mapping:
        if isinstance(key, str) and key not in known:
            close = suggestion(key, known)
            if close is not None:
                at = line + line_of(key) - start if line_of is not None else line
                found.append(NearMiss(at, where, key, close))
    return tuple(found)


def step_near_misses(raw: Mapping[Any, Any], first_line: int, label: str) -> tuple[NearMiss, ...]:
    """Near misses of a step's keys, of its ``expect`` and ``until``, and of ``extract``
    mappings (``{header: Location}``). ``first_line`` is the line of the block's first line:
    the mappings of ``yamlsafe`` know their lines relative to it."""
    line = first_line + _line_of(raw)
    found = near_misses(raw, STEP_KEYS, line, label)
    for key, known in (("expect", EXPECT_KEYS), ("until", UNTIL_KEYS)):
        value = raw.get(key)
        if isinstance(value, Mapping):
            found += near_misses(value, known, first_line + _line_of(value), f"{label}: {key}")
    extract = raw.get("extract")
    if isinstance(extract, Mapping):
        for name, value in extract.items():
            if isinstance(value, Mapping):
                where = f"{label}: extract {name}"
                found += near_misses(
                    value, EXTRACT_MAPPING_KEYS, first_line + _line_of(value), where
                )
    return found


def frontmatter_near_misses(meta: Mapping[Any, Any], text: str) -> tuple[NearMiss, ...]:
    """Near misses of the frontmatter's keys, each on the line that holds it."""
    misses = near_misses(meta, FRONTMATTER_KEYS, 1, "frontmatter")
    if not misses:
        return ()
    lines = text.split("\n")
    return tuple(
        NearMiss(_key_line(lines, miss.key), miss.where, miss.key, miss.suggestion)
        for miss in misses
    )


def _line_of(value: Mapping[Any, Any]) -> int:
    line = getattr(value, "line", 0)
    return line if isinstance(line, int) else 0


def _key_line(lines: Iterable[str], key: str) -> int:
    pattern = re.compile(rf"^['\"]?{re.escape(key)}['\"]?\s*:")
    for number, line in enumerate(lines, start=1):
        if pattern.match(line):
            return number
    return 1
