"""``--api-lint``: every doc one item, PASSED when clean, FAILED listing ``path:line: message``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import responses
from apispec_helpers import DocWriter, line_of

from pytest_apispec.docformat import keys

SEEDS = Path(__file__).parent / "data" / "seeds"

CLEAN = dict(
    front="endpoint: PUT /a/{uid}\ntokens: [staff]",
    test="""
    - id: update
      method: PUT
      path: /a/{{uid}}
      token: staff
    """,
    prerequisites="""
    - id: find
      method: GET
      path: /a
      params: {business: "{{business_id}}", stamp: "{{$timestamp}}"}
      extract: {uid: "$.data[0].uid"}
    """,
)


def lint(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--api-lint", "-p", "no:cacheprovider", *args)


def test_a_clean_doc_passes_with_the_node_id_of_a_normal_run_and_sends_nothing(
    pytester: pytest.Pytester, write_doc: DocWriter, mocked: responses.RequestsMock
) -> None:
    write_doc("specs/a.md", **CLEAN)
    normal = pytester.runpytest("--collect-only", "-q").stdout.lines[0]
    linted = lint(pytester, "--collect-only", "-q").stdout.lines[0]
    assert normal == linted == "specs/a.md::PUT /a/{uid}"
    result = lint(pytester, "--api-var", "business_id=1", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["specs/a.md::PUT /a/{uid} PASSED*"])
    assert len(mocked.calls) == 0
    linted_items = pytester.inline_run("--api-lint", "--collect-only").getcalls(
        "pytest_collection_finish"
    )
    normal_items = pytester.inline_run("--collect-only").getcalls("pytest_collection_finish")
    lint_item, normal_item = linted_items[0].session.items[0], normal_items[0].session.items[0]
    assert lint_item.location == normal_item.location == ("specs/a.md", 21, "PUT /a/{uid}")


def test_near_miss_keys_fail_on_their_own_lines_and_warn_in_a_normal_run(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    path = write_doc(
        "typos.md",
        front="endpoint: GET /a\nexpectedOutcom: 404\nuseFallBackApi: true",
        test="""
        - id: get
          method: GET
          path: /a
          onfail: skip
          expect:
            status: 200
            jsno: {$.a: 1}
        - id: second
          method: GET
          path: /a
          expcet: {status: 200}
        """,
    )
    result = lint(pytester)
    result.assert_outcomes(failed=1)
    # each on the line of the misspelt key itself
    result.stdout.fnmatch_lines(
        [
            "typos.md:3: frontmatter: unknown key 'expectedOutcom', did you mean"
            " 'expectedOutcome'? (an unknown key is ignored)",
            "typos.md:4: frontmatter: unknown key 'useFallBackApi',"
            " did you mean 'useFallbackApi'?*",
            f"typos.md:{line_of(path, 'onfail:')}: step 'get': unknown key 'onfail',"
            " did you mean 'onFail'?*",
            f"typos.md:{line_of(path, 'jsno:')}: step 'get': expect: unknown key 'jsno',"
            " did you mean 'json'?*",
            f"typos.md:{line_of(path, 'expcet:')}: step 'second': unknown key 'expcet',"
            " did you mean 'expect'?*",
        ]
    )
    normal = pytester.runpytest("-W", "always", "--api-base-url", "http://127.0.0.1:9")
    normal.stdout.fnmatch_lines(
        ["*NearMissKeyWarning: typos.md:*: step 'second': unknown key 'expcet'*"]
    )


def test_extract_mapping_keys_are_checked_too() -> None:
    raw = {"id": "a", "extract": {"where": {"haeder": "Location"}, "plain": "$.a"}}
    (miss,) = keys.step_near_misses(raw, 10, "step 'a'")
    assert (miss.key, miss.suggestion, miss.where) == (
        "haeder",
        "header",
        "step 'a': extract where",
    )


def test_every_key_the_format_reads_is_known_so_never_a_near_miss() -> None:
    assert {"openapi", "contract"} <= keys.FRONTMATTER_KEYS
    assert {"form", "multipart", "data", "until", "idempotent"} <= keys.STEP_KEYS
    assert {"schema", "match", "body", "maxSeconds"} <= keys.EXPECT_KEYS
    assert keys.suggestion("validation_note", keys.STEP_KEYS) is None
    assert keys.suggestion("notes", keys.FRONTMATTER_KEYS) is None


def test_an_undefined_variable_gets_a_did_you_mean_from_the_extracted_names(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    path = write_doc(
        "vars.md",
        front="endpoint: GET /clients/{id}",
        prerequisites="""
        - id: get_client_id
          method: GET
          path: /clients
          extract: {client_id: "$.data[0].id"}
        """,
        test="""
        - id: get
          method: GET
          path: /clients/{{clientid}}
          headers: {X-Trace: "{{$uuid}}", X-Tenant: "{{tenant}}", X-Id: "{{$uuidd}}"}
        """,
    )
    result = lint(pytester)
    # each on the line that writes it, where an editor should jump
    in_path = line_of(path, "path: /clients/{{clientid}}")
    in_headers = line_of(path, "headers: {X-Trace:")
    result.stdout.fnmatch_lines(
        [
            f"vars.md:{in_path}: step 'get': {{{{clientid}}}} is not defined: no earlier step"
            " extracts it, it is not a built-in value, and api_vars, --api-var and api_lint_vars"
            " do not name it; did you mean 'client_id', extracted by step 'get_client_id'?",
            f"vars.md:{in_headers}: step 'get': {{{{$uuidd}}}} is not defined:*; did you mean"
            " '$uuid', a built-in value?",
            f"vars.md:{in_headers}: step 'get': {{{{tenant}}}} is not defined:*",
        ]
    )
    assert "{{$uuid}}" not in result.stdout.str()
    declared = ["-o", "api_lint_vars=clientid", "--api-var", "$uuidd=1"]
    assert lint(pytester, "--api-var", "tenant=a", *declared).ret == 0


def test_api_lint_vars_names_what_a_conftest_fixture_provides(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    for seed in sorted(SEEDS.iterdir()):
        shutil.copy(seed, pytester.path / seed.name)
    result = lint(pytester)
    result.assert_outcomes(passed=1, failed=1)  # 002 has no {{business_id}}
    result.stdout.fnmatch_lines(["000_*.txt:*: step 'get_client_id': {{business_id}} is not*"])
    pytester.makeini("[pytest]\napi_lint_vars =\n    business_id\n    other\n")
    lint(pytester).assert_outcomes(passed=2)


def test_method_path_token_and_path_parameters_must_agree_with_the_endpoint(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc(
        "method.md",
        front="endpoint: PUT /a/{uid}",
        test="- {id: send, method: POST, path: '/a/{{x}}'}",
    )
    write_doc(
        "path.md",
        front="endpoint: GET /v1/items",
        test="- {id: send, method: GET, path: /v1/things}",
    )
    write_doc(
        "param.md",
        front="endpoint: GET /a/{uid}/b",
        test="- {id: send, method: GET, path: '/api/a/{uid}/b'}",
    )
    write_doc(
        "token.md",
        front="endpoint: GET /a\ntokens: [staff]",
        test="- {id: send, method: GET, path: /a, token: client}",
    )
    write_doc(
        "prefix.md",
        front="endpoint: GET /a/{uid}",
        test="""
        - {id: first, method: GET, path: /login}
        - {id: send, method: GET, path: '/gateway/a/42?x=1'}
        """,
    )
    result = lint(pytester, "-rA")
    result.stdout.fnmatch_lines(
        [
            "method.md:*: no step of the Test Request sends the doc's endpoint 'PUT /a/{uid}':"
            " step 'send' sends POST /a/{{x}}; fix the step or the endpoint",
            "param.md:*: step 'send': the endpoint's path parameter {uid} is not filled: the path"
            " has '{uid}' there; put a value or a {{variable}} in it",
            "path.md:*: no step of the Test Request sends the doc's endpoint 'GET /v1/items'*",
            "token.md:*: step 'send': token 'client' is not one of the doc's tokens [[]staff];"
            " add it to tokens or fix the step's token",
        ]
    )
    result.stdout.fnmatch_lines(["PASSED prefix.md::GET /a/{uid}"])
    result.assert_outcomes(passed=1, failed=4)


def test_a_broken_doc_fails_as_in_a_normal_run_and_lint_never_writes(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    broken = write_doc.raw("broken.md", "---\nendpoint: GET /a\n---\n# A\n")
    good = write_doc(
        "good.md", front="endpoint: GET /a\nstatus: draft", test="- {method: GET, path: /a}"
    )
    before = good.read_bytes()
    result = lint(pytester, "--api-update-docs")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["broken.md:1: has an 'endpoint' but no '## Test Request'*"])
    result.stdout.fnmatch_lines(["apispec: no docs updated (--api-lint)"])
    assert good.read_bytes() == before and broken.exists()


def test_lint_under_xdist_gives_the_same_report(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc(
        "a.md", front="endpoint: GET /a", test="- {method: GET, path: '/a/{{nope}}', expcet: 1}"
    )
    write_doc("b.md", front="endpoint: GET /b", test="- {method: GET, path: /b}")
    serial = pytester.runpytest_subprocess("--api-lint", "-p", "no:cacheprovider")
    parallel = pytester.runpytest_subprocess("--api-lint", "-n", "2", "-p", "no:cacheprovider")
    problems = [
        [line for line in r.stdout.lines if line.startswith("a.md:")] for r in (serial, parallel)
    ]
    assert problems[0] == problems[1] and len(problems[0]) == 2
    for result in (serial, parallel):
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(
            [
                "a.md:*: step 'test_request_1': unknown key 'expcet'*",
                "a.md:*: step 'test_request_1': {{nope}} is not defined*",
            ]
        )


def test_lint_reports_reach_junit_xml_and_x_stops_at_the_first_failing_doc(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("a.md", front="endpoint: GET /a", test="- {method: POST, path: /a}")
    write_doc("b.md", front="endpoint: GET /b", test="- {method: POST, path: /b}")
    result = lint(pytester, "-x", "--junitxml=lint.xml")
    result.assert_outcomes(failed=1)
    xml = (pytester.path / "lint.xml").read_text()
    assert xml.count("<testcase") == 1
    assert "no step of the Test Request sends the doc&apos;s endpoint" in xml or (
        "no step of the Test Request sends the doc's endpoint" in xml
    )


def test_a_conftest_declaring_lint_vars_does_not_leak_into_the_next_session(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc("a.md", front="endpoint: GET /a", test="- {method: GET, path: '/a/{{tenant}}'}")
    pytester.makeconftest(
        "def pytest_configure(config):\n    config.addinivalue_line('api_lint_vars', 'tenant')\n"
    )
    lint(pytester).assert_outcomes(passed=1)
    (pytester.path / "conftest.py").unlink()
    lint(pytester).assert_outcomes(failed=1)


def test_an_undefined_variable_is_found_on_its_line_whatever_the_working_directory(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    """Doc paths are relative to where pytest started: a conftest that changes directory does
    not move lint's lines."""
    path = write_doc(
        "docs/vars.md",
        front="endpoint: GET /clients/{id}",
        test="""
        - id: get
          method: GET
          path: /clients/{{nobody}}
        """,
    )
    elsewhere = pytester.mkdir("elsewhere")
    pytester.makeconftest(
        f"import os\n\ndef pytest_collection_finish(session):\n    os.chdir({str(elsewhere)!r})\n"
    )
    result = pytester.runpytest_subprocess("--api-lint", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [f"docs/vars.md:{line_of(path, 'path: /clients/{{nobody}}')}: step 'get': {{{{nobody}}}}*"]
    )
