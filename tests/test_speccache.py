"""The parse cache: unchanged docs are not parsed again on the next run."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

import pytest_apispec.docformat.speccache
import pytest_apispec.plugin.collect
from pytest_apispec.docformat.model import Spec
from pytest_apispec.docformat.parser import read_spec
from pytest_apispec.docformat.speccache import MISSING, SpecCache

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


@pytest.fixture(autouse=True)
def _bytecode_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without PYTHONDONTWRITEBYTECODE, whatever the one running the tests."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)


def _record_parsing(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Which files the plugin reads and parses from now on."""
    parsed: list[Path] = []
    real = pytest_apispec.plugin.collect.read_spec

    def read_spec(path: Path, display: Path | None = None) -> Spec | None:
        parsed.append(path)
        return real(path, display)

    monkeypatch.setattr(pytest_apispec.plugin.collect, "read_spec", read_spec)
    return parsed


@pytest.mark.parametrize("cacheprovider", [[], ["-p", "no:cacheprovider"]], ids=["on", "off"])
def test_an_unchanged_doc_is_collected_from_the_cache(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, cacheprovider: list[str]
) -> None:
    """Like a .pyc file, whether or not pytest's own cache plugin is on."""
    pytester.makefile(".md", health=DOC)
    pytester.runpytest("--collect-only", "-q", *cacheprovider).assert_outcomes()
    assert (pytester.path / "__pycache__" / "pytest-apispec.pickle").is_file()
    parsed = _record_parsing(monkeypatch)
    result = pytester.runpytest("--collect-only", "-q", *cacheprovider)
    result.stdout.fnmatch_lines(["health.md::GET /health", "1 test collected*"])
    assert parsed == []


def test_a_cache_of_many_docs_is_read_back_whole(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large folders are written in chunks (to bound the memory saving takes)."""
    monkeypatch.setattr(pytest_apispec.docformat.speccache, "_CHUNK", 2)
    for number in range(5):
        pytester.makefile(".md", **{f"doc{number}": DOC.replace("/health", f"/health/{number}")})
    pytester.runpytest("--collect-only", "-q").assert_outcomes()
    parsed = _record_parsing(monkeypatch)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["doc4.md::GET /health/4", "5 tests collected*"])
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


def test_each_folder_has_its_own_cache(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in ("sales", "crm"):
        (pytester.mkdir(folder) / "health.md").write_text(DOC)
    pytester.runpytest("--collect-only", "-q")
    assert sorted(p.parent.parent.name for p in pytester.path.rglob("pytest-apispec.pickle")) == [
        "crm",
        "sales",
    ]
    parsed = _record_parsing(monkeypatch)
    result = pytester.runpytest("--collect-only", "-q", "sales")
    result.stdout.fnmatch_lines(["sales/health.md::GET /health", "1 test collected*"])
    assert parsed == []


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
    cache_file = pytester.path / "__pycache__" / "pytest-apispec.pickle"
    cache_file.write_bytes(b"not a pickle")
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["health.md::GET /health"])
    assert result.ret == 0


def test_a_folder_where_the_cache_cannot_be_written_still_collects(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".md", health=DOC)
    (pytester.path / "__pycache__").write_text("a file where the cache folder would go")
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["health.md::GET /health", "1 test collected*"])
    assert result.ret == 0
    assert "pytest-apispec" not in result.stderr.str()


def test_api_parse_cache_false_reads_and_writes_no_cache(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(".md", health=DOC)
    pytester.makeini("[pytest]\napi_parse_cache = false\n")
    pytester.runpytest("--collect-only", "-q").assert_outcomes()
    parsed = _record_parsing(monkeypatch)
    pytester.runpytest("--collect-only", "-q")
    assert [path.name for path in parsed] == ["health.md"]
    assert not list(pytester.path.rglob("pytest-apispec.pickle"))


def test_dont_write_bytecode_is_honoured(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PYTHONDONTWRITEBYTECODE`` / ``python -B``: no cache files, as no .pyc files."""
    pytester.makefile(".md", health=DOC)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    pytester.runpytest("--collect-only", "-q").stdout.fnmatch_lines(["1 test collected*"])
    assert not list(pytester.path.rglob("pytest-apispec.pickle"))


def test_pycache_prefix_is_honoured(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``PYTHONPYCACHEPREFIX``: the cache goes where .pyc files go, not beside the docs."""
    pytester.makefile(".md", health=DOC)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    pytester.runpytest("--collect-only", "-q")
    assert not (pytester.path / "__pycache__").exists()
    (cache_file,) = (tmp_path / "prefix").rglob("pytest-apispec.pickle")
    assert cache_file.parent.name == pytester.path.name
    parsed = _record_parsing(monkeypatch)
    pytester.runpytest("--collect-only", "-q").stdout.fnmatch_lines(["1 test collected*"])
    assert parsed == []


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


def test_a_run_that_only_collects_from_the_cache_loads_no_parser_and_no_http_stack(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What every ``--collect-only`` and pytest-xdist's controller (which never runs a test)
    pay at start-up: YAML, JSONPath and requests are imported when first needed."""
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    pytester.makefile(".md", health=DOC)
    pytester.makeconftest(
        """
        import sys

        def pytest_collection_finish(session):
            heavy = ("yaml", "frontmatter", "jsonpath_ng", "requests", "urllib3")
            print("loaded:", [name for name in heavy if name in sys.modules])
        """
    )
    first = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    first.stdout.fnmatch_lines(["loaded: ['yaml', 'frontmatter']", "1 test collected*"])
    again = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    again.stdout.fnmatch_lines(["loaded: []", "1 test collected*"])


def _gc_check(pytester: pytest.Pytester, *assertions: str) -> None:
    """``test_gc.py``, whose test asserts ``assertions`` about the garbage collector, with
    ``collecting`` the thresholds it had while pytest collected."""
    gc.unfreeze()  # what this very test session froze: an inner session freezes only then
    pytester.makeconftest(
        """
        import gc

        def pytest_collection_modifyitems(config):
            config.threshold_while_collecting = gc.get_threshold()
        """
    )
    body = "\n".join(f"    assert {assertion}" for assertion in assertions)
    pytester.makepyfile(
        test_gc="import gc\n\n"
        "def test_gc(pytestconfig):\n"
        "    collecting = pytestconfig.threshold_while_collecting\n" + body
    )


def test_the_garbage_collector_is_back_to_normal_once_collection_is_done(
    pytester: pytest.Pytester,
) -> None:
    """Full collections pause while docs are collected, and only then."""
    pytester.makefile(".md", health=DOC)
    _gc_check(pytester, f"gc.get_threshold() == {gc.get_threshold()!r}", "collecting[2] > 10_000")
    result = pytester.runpytest("test_gc.py", "health.md", "-k", "test_gc")
    result.assert_outcomes(passed=1, deselected=1)


def _garbage_collector_untouched_check(pytester: pytest.Pytester) -> None:
    """A test file whose test fails if collection changed the thresholds or froze anything."""
    _gc_check(pytester, f"collecting == {gc.get_threshold()!r}", "gc.get_freeze_count() == 0")


def test_a_session_without_docs_leaves_the_garbage_collector_alone(
    pytester: pytest.Pytester,
) -> None:
    _garbage_collector_untouched_check(pytester)
    pytester.runpytest().assert_outcomes(passed=1)


def test_api_tune_gc_false_leaves_the_garbage_collector_alone(pytester: pytest.Pytester) -> None:
    _garbage_collector_untouched_check(pytester)
    pytester.makeini("[pytest]\napi_tune_gc = false\n")
    pytester.makefile(".md", health=DOC)
    result = pytester.runpytest("test_gc.py", "health.md", "-k", "test_gc")
    result.assert_outcomes(passed=1, deselected=1)


@pytest.mark.skipif(not hasattr(gc, "freeze"), reason="no gc.freeze() on this interpreter")
def test_what_collection_made_is_frozen_until_the_next_session_starts(
    pytester: pytest.Pytester,
) -> None:
    """Later full collections (and the interpreter's at exit) skip the collected docs and
    items; a process that runs pytest again gets them back to free."""
    gc.unfreeze()  # what this very test session froze: an inner session freezes only then
    pytester.makefile(".md", health=DOC)
    pytester.makepyfile(
        test_frozen="""
        import gc

        def test_frozen():
            assert gc.get_freeze_count() > 0
        """,
        test_unfrozen="""
        import gc

        def test_unfrozen():
            assert gc.get_freeze_count() == 0
        """,
    )
    result = pytester.runpytest("test_frozen.py", "health.md", "-k", "frozen")
    result.assert_outcomes(passed=1, deselected=1)
    pytester.runpytest("test_unfrozen.py").assert_outcomes(passed=1)


def test_a_cached_doc_is_the_doc_it_was_parsed_to(tmp_path: Path) -> None:
    """What comes back from the cache equals a fresh parse, field for field (the seeds use
    every part of the format)."""
    seeds = Path(__file__).parent / "data" / "seeds"
    for source in sorted(seeds.iterdir()):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    docs = sorted(tmp_path.iterdir())
    parsed = {doc: read_spec(doc, Path(doc.name)) for doc in docs}
    writer = SpecCache()
    for doc, spec in parsed.items():
        writer.put(doc, spec)
    writer.save()
    reader = SpecCache()
    for doc, spec in parsed.items():
        assert spec is not None
        cached = reader.get(doc, Path(doc.name))
        assert cached == spec
        assert cached is not spec


def test_a_deleted_doc_leaves_the_cache_when_it_is_next_written(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".md", health=DOC, gone=DOC.replace("/health", "/gone"))
    pytester.runpytest("--collect-only", "-q").assert_outcomes()
    (pytester.path / "gone.md").unlink()
    pytester.makefile(".md", new=DOC.replace("/health", "/new"))
    pytester.runpytest("--collect-only", "-q").stdout.fnmatch_lines(["2 tests collected*"])
    cache = SpecCache(write=False)
    assert cache.get(pytester.path / "health.md", Path("health.md")) is not MISSING
    assert cache._folder(pytester.path).entries.keys() == {"health.md", "new.md"}
