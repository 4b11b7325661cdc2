"""Helpers for the suite: writing endpoint docs as test data (imported by conftest.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

# the hosts and tokens of the ``mock_env`` fixture (``responses``)
MOCK_BASE_URL = "https://api.example.test"
MOCK_FALLBACK_URL = "https://fallback.example.test"
MOCK_TOKENS = {"staff": "mock-staff-secret-7d3b", "client": "mock-client-secret-51aa"}


def _steps_block(steps: str) -> str:
    body = textwrap.indent(textwrap.dedent(steps).strip("\n"), "  ")
    return f"```yaml\nsteps:\n{body}\n```\n"


def spec_text(
    front: str,
    test: str,
    *,
    prerequisites: str | None = None,
    cleanup: str | None = None,
    title: str = "An endpoint",
    summary: str = "What the endpoint does.",
) -> str:
    """An endpoint doc: frontmatter, prose, and ``steps:`` blocks from YAML step lists."""
    parts = [f"---\n{textwrap.dedent(front).strip()}\n---\n# {title}\n\n## Summary\n\n{summary}\n"]
    if prerequisites is not None:
        parts.append(f"## Prerequisites\n\n{_steps_block(prerequisites)}")
    parts.append(f"## Test Request\n\n{_steps_block(test)}")
    if cleanup is not None:
        parts.append(f"## Cleanup\n\n{_steps_block(cleanup)}")
    return "\n".join(parts)


class DocWriter:
    """Writes endpoint docs (see :func:`spec_text`) under a pytester directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, name: str, front: str, test: str, **sections: Any) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(spec_text(front, test, **sections), encoding="utf-8")
        return path

    def raw(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of ``path`` that contains ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {path}")
