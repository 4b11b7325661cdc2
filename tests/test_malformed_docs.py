"""A malformed doc is ONE failing item saying ``path:line: what is wrong, and how to fix it``,
and every other doc of the run still runs."""

from __future__ import annotations

import pytest
from apispec_helpers import DocWriter, line_of

from pytest_apispec.demo import DemoApi

GOOD_STEP = "- id: health\n  method: GET\n  path: /health"
STEP = """
- id: {id}
  method: GET
  path: /health
"""

# name: (doc text, the text on the line that is wrong, the message)
CASES: dict[str, tuple[str, str, str]] = {
    "frontmatter-yaml": (
        """
        ---
        endpoint: GET /health
        status: verified: yes
        ---
        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: /health
        ```
        """,
        "status: verified",
        # PyYAML's own account of the problem comes in the middle; not asserted
        "frontmatter is not valid YAML: *; fix the YAML between the '---' lines",
    ),
    "frontmatter-unclosed-bracket": (
        """
        ---
        endpoint: GET /health
        tags: [a, b
        domain: sales
        ---
        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: /health
        ```
        """,
        "tags: [a, b",
        "frontmatter is not valid YAML: *, in the [[]...[]] list that starts on this line; "
        "fix the YAML between the '---' lines",
    ),
    "frontmatter-not-closed": (
        """
        ---
        endpoint: GET /health

        ## Test Request
        """,
        "---",
        "the frontmatter opened by '---' on line 1 never closes; add a '---' line after it",
    ),
    "block-yaml": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: /health
            expect:
              status: 200
             params: 1
        ```
        """,
        "params: 1",
        "'## Test Request' block is not valid YAML: *",
    ),
    "block-unclosed-quote": (
        """
        ---
        endpoint: GET /health
        ---
        ## Prerequisites

        ```yaml
        steps:
          - method: GET
            path: "/health
            expect:
              status: 200
        ```

        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: /health
        ```
        """,
        'path: "/health',
        "'## Prerequisites' block is not valid YAML: *, in the quoted text that starts on "
        "this line",
    ),
    "block-tab": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - method: GET
        \tpath: /health
        ```
        """,
        "\tpath",
        "'## Test Request' block is not valid YAML: *(YAML does not allow tabs for "
        "indentation; use spaces)",
    ),
    "no-method": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - id: ok
            method: GET
            path: /health
          - id: get_thing
            path: /health
        ```
        """,
        "- id: get_thing",
        "step 'get_thing': has no 'method'; add one, such as method: GET",
    ),
    "no-path": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - method: GET
            description: no path here
        ```
        """,
        "- method: GET",
        "step 1: has no 'path'; add the request path, such as path: /v1/items",
    ),
    "not-a-method": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - id: fetch
            method: FETCH
            path: /health
        ```
        """,
        "- id: fetch",
        "step 'fetch': method 'FETCH' is not an HTTP method; use one of DELETE, GET, *",
    ),
    "duplicate-id": (
        """
        ---
        endpoint: GET /health
        ---
        ## Prerequisites

        ```yaml
        steps:
          - id: lookup
            method: GET
            path: /health
        ```

        ## Test Request

        ```yaml
        steps:
          - id: lookup
            method: GET
            path: /health
        ```
        """,
        "",  # the second '- id: lookup', see test
        "step id 'lookup' is already used on line 8; step ids must be unique in a doc",
    ),
    "unknown-on-fail": (
        """
        ---
        endpoint: GET /health
        ---
        ## Prerequisites

        ```yaml
        steps:
          - id: lookup
            method: GET
            path: /health
            onFail: retry
        ```

        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: /health
        ```
        """,
        "- id: lookup",
        "step 'lookup': 'onFail: retry' is not allowed; use abort or skip",
    ),
    "status-not-a-code": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - id: check
            method: GET
            path: /health
            expect:
              status: [200, ok]
        ```
        """,
        "- id: check",
        "step 'check': expect.status must be an HTTP status code or a list of codes, such as "
        "[[]200, 201], not [[]200, 'ok']",
    ),
    "status-out-of-range": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - id: check
            method: GET
            path: /health
            expect:
              status: 999
        ```
        """,
        "- id: check",
        "step 'check': expect.status must be an HTTP status code or a list of codes*not 999",
    ),
    "expected-outcome-not-a-code": (
        """
        ---
        endpoint: GET /health
        expectedOutcome: sometimes
        ---
        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: /health
        ```
        """,
        "---",
        "frontmatter: 'expectedOutcome' must be an HTTP status code such as 422, not 'sometimes'",
    ),
    "no-test-request": (
        """
        ---
        endpoint: GET /health
        ---
        # Health

        ## Prerequisites

        ```yaml
        steps:
          - method: GET
            path: /health
        ```
        """,
        "---",
        "has an 'endpoint' but no '## Test Request' section; add one holding a ```yaml block "
        "with a steps: list",
    ),
    "block-never-closes": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: /health
        """,
        "```yaml",
        "this code block never closes; add a closing ``` line after its steps",
    ),
    "steps-not-a-list": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          method: GET
          path: /health
        ```
        """,
        "steps:",
        "'## Test Request': steps must be a list of steps, each starting with '- '",
    ),
    "scope-on-a-test-step": (
        """
        ---
        endpoint: GET /health
        ---
        ## Test Request

        ```yaml
        steps:
          - id: t
            method: GET
            path: /health
            scope: session
        ```
        """,
        "- id: t",
        "step 't': 'scope' is only allowed on prerequisites",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_doc_is_one_failure_at_its_line_and_the_others_still_run(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi, case: str
) -> None:
    text, wrong_line, message = CASES[case]
    bad = write_doc.raw("bad.md", text)
    write_doc("good.md", "endpoint: GET /health", GOOD_STEP)
    if case == "duplicate-id":
        line = bad.read_text().splitlines().index("  - id: lookup", 8) + 1
    else:
        line = line_of(bad, wrong_line)
    result = pytester.runpytest("-rf")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines([f"bad.md:{line}: {message}", "FAILED bad.md::bad - *"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert len(demo_env.requests_log) == 1, "only the good doc sends a request"


def test_a_malformed_doc_is_collected_as_one_item_without_a_collection_error(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc.raw("bad.md", CASES["no-method"][0])
    write_doc("good.md", "endpoint: GET /health", GOOD_STEP)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["bad.md::bad", "good.md::GET /health", "2 tests collected*"])
    assert result.ret == pytest.ExitCode.OK


def test_a_malformed_doc_fails_with_the_same_line_under_every_tb_style(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    bad = write_doc.raw("bad.md", CASES["unknown-on-fail"][0])
    line = line_of(bad, "- id: lookup")
    expected = f"bad.md:{line}: step 'lookup': 'onFail: retry' is not allowed; use abort or skip"
    for style in ("long", "short", "line", "native"):
        result = pytester.runpytest(f"--tb={style}")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([expected])
        result.stdout.no_fnmatch_line("*Traceback*")
        result.stdout.no_fnmatch_line("*SpecError*")


def test_a_malformed_doc_in_a_subfolder_names_its_path_from_the_invocation_dir(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    bad = write_doc.raw("api/sales/bad.md", CASES["no-path"][0])
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"api/sales/bad.md:{line_of(bad, '- method: GET')}: step 1: *"])


def test_line_numbers_are_right_for_windows_line_endings_and_a_bom(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    bad = write_doc.raw("bad.txt", CASES["no-method"][0])
    line = line_of(bad, "- id: get_thing")
    text = bad.read_text(encoding="utf-8")
    bad.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"bad.txt:{line}: step 'get_thing': has no 'method'*"])
