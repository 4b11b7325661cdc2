"""docs/reliability.md says what the code does: its limits, its samples, its list of tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_apispec.docformat import parser, yamlsafe
from pytest_apispec.execution import results, transport

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")


def test_the_limits_table_matches_the_code() -> None:
    limits = {
        "parser.MAX_FILE_BYTES": (parser.MAX_FILE_BYTES, 5 * 2**20),
        "yamlsafe.MAX_YAML_DEPTH": (yamlsafe.MAX_YAML_DEPTH, 72),
        "yamlsafe.MAX_DEPTH": (yamlsafe.MAX_DEPTH, 64),
        "yamlsafe.MAX_NODES": (yamlsafe.MAX_NODES, 200_000),
        "transport.MAX_BODY_BYTES": (transport.MAX_BODY_BYTES, 10 * 2**20),
        "results.EXCERPT_CHARS": (results.EXCERPT_CHARS, 2000),
        "transport.MAX_REDIRECTS": (transport.MAX_REDIRECTS, 10),
        "parser.MAX_RETRIES": (parser.MAX_RETRIES, 10),
    }
    for name, (actual, documented) in limits.items():
        assert f"`{name}`" in PAGE, name
        assert actual == documented, name


def test_every_reliability_module_is_listed() -> None:
    for module in sorted((ROOT / "tests" / "reliability").glob("test_*.py")):
        if module.name != "test_docs_page.py":
            assert f"`tests/reliability/{module.name}`" in PAGE, module.name


def test_the_tls_warning_is_quoted_as_the_plugin_gives_it() -> None:
    source = (ROOT / "pytest_apispec" / "plugin" / "__init__.py").read_text(encoding="utf-8")
    quoted = re.search(r"PytestConfigWarning: (pytest-apispec: TLS[^`]*)`", PAGE)
    assert quoted is not None
    pieces = re.findall(r'"([^"]*)"', source[source.index("TLS certificate") - 40 :][:400])
    assert quoted[1] == "".join(pieces)


def test_the_ini_sample_is_valid(pytester: pytest.Pytester) -> None:
    sample = re.search(r"<!-- ini -->\n```ini\n(.*?)```", PAGE, re.S)
    assert sample is not None
    pytester.makefile(".ini", pytest=sample[1])
    result = pytester.runpytest("--strict-config", "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout.str()
