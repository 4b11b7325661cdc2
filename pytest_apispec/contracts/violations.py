"""A difference between a message and its contract, as one report line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SHORT_CHARS = 60


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing a message does that its contract does not allow.

    ``where`` is a JSON path into the body (``$.data.items[0].id``), or ``""`` for the status,
    the headers or the whole message; ``wants`` is what the contract says, short
    (``type: integer``); ``got`` a short repr of what came (the plugin layer redacts it);
    ``location`` the place in the contract (``payments.json#/paths/~1x/get/...``).
    """

    where: str
    wants: str
    got: str = ""
    location: str = ""

    def line(self, prefix: str = "contract:") -> str:
        text = prefix
        if self.where:
            text += f" {self.where}:"
        text += f" wants {self.wants}, got {self.got}" if self.got else f" {self.wants}"
        if self.location:
            text += f" ({self.location})"
        return text


def short(value: Any, limit: int = SHORT_CHARS) -> str:
    """A value as JSON, cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_path(parts: Any) -> str:
    """``$`` followed by the keys and indexes of ``parts``: ``$.data.items[0]['a b']``."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            path += f".{part}"
        else:
            path += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return path
