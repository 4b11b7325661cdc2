"""The parse cache: unchanged docs are not parsed again on the next run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pytest_apispec.collect
from pytest_apispec.model import Spec

DOC = """---
endpoint: GET /health
---
## Test Request
```yaml
steps:
  - method: GET
    path: /health
```
"""


def _record_parsing(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Which files the plugin reads and parses from now on."""
    parsed: list[Path] = []
    real = pytest_apispec.collect.read_spec

    def read_spec(path: Path, display: Path | None = None) -> Spec | None:
        parsed.append(path)
        return real(path, display)

    monkeypatch.setattr(pytest_apispec.collect, "read_spec", read_spec)
    return parsed


def test_an_unchanged_doc_is_collected_from_the_cache(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(".md", health=DOC)
    pytester.runpytest("--collect-only", "-q").assert_outcomes()
    parsed = _record_parsing(monkeypatch)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["health.md::GET /health", "1 test collected*"])
    assert parsed == []


def test_a_changed_doc_is_parsed_again(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = pytester.makefile(".md", health=DOC)
    pytester.runpytest("--collect-only", "-q")
    doc.write_text(DOC.replace("GET /health", "GET /status"))
    os.utime(doc, ns=(doc.stat().st_atime_ns, doc.stat().st_mtime_ns + 1_000_000))
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["health.md::GET /status"])


def test_a_broken_doc_is_never_cached_and_cache_clear_bypasses_the_cache(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(".md", broken=DOC.replace("    path: /health\n", ""))
    pytester.makefile(".md", health=DOC)
    pytester.runpytest("--collect-only", "-q")
    parsed = _record_parsing(monkeypatch)
    pytester.runpytest("--collect-only", "-q").stdout.fnmatch_lines(["broken.md::broken"])
    assert [path.name for path in parsed] == ["broken.md"]
    pytester.runpytest("--collect-only", "-q", "--cache-clear")
    assert sorted(path.name for path in parsed) == ["broken.md", "broken.md", "health.md"]


def test_a_corrupt_cache_file_is_ignored(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", health=DOC)
    pytester.runpytest("--collect-only", "-q")
    (cache_file,) = pytester.path.glob(".pytest_cache/d/apispec/specs.pickle")
    cache_file.write_bytes(b"not a pickle")
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["health.md::GET /health"])
    assert result.ret == 0


def test_only_the_docs_asked_for_are_parsed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = pytester.mkdir("docs")
    (docs / "a.md").write_text(DOC)
    (docs / "b.md").write_text(DOC.replace("GET /health", "GET /other"))
    parsed = _record_parsing(monkeypatch)
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider", "docs/a.md")
    result.stdout.fnmatch_lines(["docs/a.md::GET /health", "1 test collected*"])
    assert [path.name for path in parsed] == ["a.md"]
