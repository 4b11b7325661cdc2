"""Item names, node ids and locations: what IDEs, ``-k`` and copy-pasted node ids rely on."""

from __future__ import annotations

import pytest
import responses
from apispec_helpers import DocWriter, line_of

from pytest_apispec.demo import DemoApi

HEALTH = "- id: health\n  method: GET\n  path: /health"
PREREQUISITE = "- id: warm_up\n  description: Wake the API up\n  method: GET\n  path: /health"


def test_nodeid_is_the_path_and_the_endpoint(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("sales/packages/update.md", "endpoint: PUT /v1/packages/{uid}", HEALTH)
    write_doc("sales/clients.txt", 'endpoint: "GET  /v1/clients"', HEALTH)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "sales/clients.txt::GET /v1/clients",
            "sales/packages/update.md::PUT /v1/packages/{uid}",
            "2 tests collected*",
        ]
    )
    assert result.ret == pytest.ExitCode.OK


def test_a_doc_without_endpoint_is_named_after_its_file_stem(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc.raw(
        "get_health.md",
        """
        # Health

        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: /health
        ```
        """,
    )
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["get_health.md::get_health"])


def test_names_never_hold_double_colons_or_brackets(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("doc.md", 'endpoint: "GET /v1/items::search[0]"', HEALTH)
    items, _ = pytester.inline_genitems("--collect-only")
    assert [item.name for item in items] == ["GET /v1/items:search(0)"]
    assert items[0].nodeid == "doc.md::GET /v1/items:search(0)"


def test_running_a_nodeid_runs_exactly_that_item(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("api/get.md", "endpoint: GET /health", HEALTH)
    write_doc("api/head.md", "endpoint: HEAD /health/{x} {y}", HEALTH)
    result = pytester.runpytest("-v", "api/head.md::HEAD /health/{x} {y}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["api/head.md::HEAD /health/{x} {y} PASSED*"])
    assert len(demo_env.requests_log) == 1


def test_reportinfo_and_location_point_at_the_test_request_heading(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    doc = write_doc("sub/doc.md", "endpoint: GET /health", HEALTH, prerequisites=PREREQUISITE)
    line = line_of(doc, "## Test Request") - 1
    items, _ = pytester.inline_genitems()
    [item] = items
    assert item.location == ("sub/doc.md", line, "GET /health")
    path, reported_line, label = item.reportinfo()
    assert (path, reported_line, label) == (doc, line, "GET /health")
    assert item.path == doc


def test_the_location_is_what_a_skip_reports(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    doc = write_doc("doc.md", "endpoint: GET /health", HEALTH, prerequisites=PREREQUISITE)
    result = pytester.runpytest("-rs")
    result.stdout.fnmatch_lines([f"SKIPPED ?1? doc.md:{line_of(doc, '## Test Request')}: no base*"])


def test_collect_only_needs_no_configuration_and_no_network(
    pytester: pytest.Pytester, write_doc: DocWriter, mocked: responses.RequestsMock
) -> None:
    write_doc(
        "doc.md",
        "endpoint: GET /health\ntokens: [staff]\nuseFallbackApi: true",
        HEALTH,
        prerequisites=PREREQUISITE + "\n  scope: session",
    )
    result = pytester.runpytest("--collect-only")
    result.stdout.fnmatch_lines(["*<SpecItem GET /health>*", "*1 test collected*"])
    assert result.ret == pytest.ExitCode.OK
    assert len(mocked.calls) == 0


def test_markdown_and_text_files_that_are_not_docs_are_silently_not_collected(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc.raw(
        "README.md",
        """
        ---
        title: Our API docs
        ---
        # Our API

        ## Usage

        ```yaml
        steps:
          - run the thing
        ```

        ## Test Request
        Explained in prose only.
        """,
    )
    write_doc.raw("CHANGELOG.md", "# Changelog\n\n## 1.0\n\n- first\n")
    write_doc.raw("requirements.txt", "requests>=2.31\npyyaml\n")
    write_doc.raw("notes.txt", "---\nnot: yaml: at: all\n---\nfree text\n")
    (pytester.path / "logo.txt").write_bytes(b"\x89PNG\x00\xff\xfe")
    result = pytester.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "error" not in result.stdout.str().lower()
    assert result.errlines == []


def test_setup_show_lists_the_prerequisites(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    second = "\n- id: check_again\n  method: GET\n  path: /health"
    write_doc("doc.md", "endpoint: GET /health", HEALTH, prerequisites=PREREQUISITE + second)
    result = pytester.runpytest("--setup-show")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*SETUP    F prerequisite:warm_up*",
            "*SETUP    F prerequisite:check_again*",
            "*doc.md::GET /health*",
            "*TEARDOWN F prerequisite:check_again*",
            "*TEARDOWN F prerequisite:warm_up*",
        ]
    )


def test_fixtures_per_test_describes_prerequisites(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("doc.md", "endpoint: GET /health", HEALTH, prerequisites=PREREQUISITE)
    result = pytester.runpytest("--fixtures-per-test")
    result.stdout.fnmatch_lines(["*prerequisite:warm_up*", "*Wake the API up*"])
    assert result.ret == pytest.ExitCode.OK


def test_last_failed_reruns_only_the_failed_doc(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("ok.md", "endpoint: GET /health", HEALTH)
    write_doc("broken.md", "endpoint: GET /nope", "- method: GET\n  path: /nope")
    pytester.runpytest().assert_outcomes(passed=1, failed=1)
    result = pytester.runpytest("--lf", "-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["broken.md::GET /nope FAILED*"])
