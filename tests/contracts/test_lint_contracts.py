"""``--api-lint`` against the doc's contract (Swagger 2.0, OpenAPI 3.0 and 3.1): the endpoint
exists, its statuses are documented, the body validates, ``expect.schema`` ``$ref``s resolve;
a broken contract is one line. Real docs and contract files, run by pytest; nothing is sent."""

from __future__ import annotations

import pytest
import responses
from apispec_helpers import DocWriter, line_of

from pytest_apispec.contracts import loader

from .specs import VERSIONS, write_contracts


@pytest.fixture(autouse=True)
def _fresh_contracts() -> None:
    loader.forget()  # in-process runs share the loader's cache; each test writes its own files


@pytest.fixture(params=sorted(VERSIONS))
def version(request: pytest.FixtureRequest, pytester: pytest.Pytester) -> str:
    write_contracts(pytester.path / "swagger")
    return str(request.param)


def lint(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--api-lint", "-p", "no:cacheprovider", *args)


def front(version: str, endpoint: str, extra: str = "") -> str:
    return f'endpoint: "{endpoint}"\nswagger: swagger/{VERSIONS[version][0]}\n{extra}'


def schemas(version: str) -> str:
    return "#/definitions" if version == "2.0" else "#/components/schemas"


def problems(result: pytest.RunResult, doc: str) -> list[str]:
    """The lines the report gives for ``doc``, each once (the summary repeats the first)."""
    found = [line for line in result.stdout.lines if line.startswith(f"{doc}:")]
    return list(dict.fromkeys(found))


def test_docs_that_agree_with_their_contract_pass_and_nothing_is_sent(
    pytester: pytest.Pytester, write_doc: DocWriter, version: str, mocked: responses.RequestsMock
) -> None:
    write_doc(
        "read.md",
        front(version, "GET /clients/{id}", "expectedOutcome: 404"),
        f"""
        - id: read
          method: GET
          path: /clients/{{{{id}}}}
          expect:
            status: [200, 404]
            schema: {{$ref: "{schemas(version)}/Client"}}
            match: {{$.name: {{$ref: "{schemas(version)}/Client/properties/name"}}}}
        """,
        prerequisites="- {id: find, method: GET, path: /clients/me, extract: {id: $.id}}",
    )
    write_doc(
        "update.md",
        front(version, "PUT /clients/{id}"),
        """
        - id: update
          method: PUT
          path: /clients/5
          successStatus: 409
          body: {name: Ada, status: active, password: s3cret, created: "2026-01-02T03:04:05Z"}
          expect: {status: [200, 201, 400]}
        """,
    )
    result = lint(pytester, "-v")
    result.assert_outcomes(passed=2)
    assert len(mocked.calls) == 0


def test_an_endpoint_the_contract_lacks_is_named_with_the_nearest_operations(
    pytester: pytest.Pytester, write_doc: DocWriter, version: str
) -> None:
    path = write_doc(
        "typo.md",
        front(version, "GET /client/{id}", "expectedOutcome: 599"),
        "- {id: read, method: GET, path: /client/5, expect: {status: 418}}",
    )
    result = lint(pytester)
    result.assert_outcomes(failed=1)
    contract = f"swagger/{VERSIONS[version][0]}"
    (line,) = problems(result, "typo.md")  # no status lines: no operation to hold them to
    assert line.startswith(
        f"typo.md:{line_of(path, 'endpoint:')}: contract {contract} has no operation GET "
        "/client/{id} (nearest: GET /clients/{id}, "
    )
    assert line.endswith("); fix the doc's endpoint or its swagger: file")


def test_every_expected_status_must_be_documented_for_the_operation(
    pytester: pytest.Pytester, write_doc: DocWriter, version: str
) -> None:
    path = write_doc(
        "statuses.md",
        front(version, "GET /clients/{id}", "tags: [a]\nexpectedOutcome: 503"),
        """
        - id: other
          method: GET
          path: /clients/me
          expect: {status: 201}
        - id: read
          method: GET
          path: /clients/5
          expect: {status: [200, 500]}
        """,
    )
    write_doc(
        "step.md",
        front(version, "GET /clients/{id}"),
        "- {id: read, method: GET, path: /clients/5, successStatus: 409}",
    )
    result = lint(pytester)
    result.assert_outcomes(failed=2)
    contract = f"swagger/{VERSIONS[version][0]}"
    step = line_of(path, "- id: read")
    documented = f"for GET /clients/{{id}} in contract {contract} (documented: 200, 404)"
    assert problems(result, "statuses.md") == [
        f"statuses.md:{line_of(path, 'expectedOutcome:')}: step 'read': expectedOutcome 503 is"
        f" not documented {documented}; document it in the contract or fix the doc's"
        " expectedOutcome",
        f"statuses.md:{step}: step 'read': expect.status 500 is not documented {documented};"
        " document it in the contract or fix the doc's expect.status",
    ]  # the step 'other' is not the one the endpoint describes
    assert problems(result, "step.md") == [
        f"step.md:{line_of(pytester.path / 'step.md', '- {id: read')}: step 'read':"
        f" successStatus 409 is not documented {documented}; document it in the contract or fix"
        " the doc's successStatus"
    ]


def test_a_range_or_default_documents_a_status(
    pytester: pytest.Pytester, write_doc: DocWriter, version: str
) -> None:
    write_doc(
        "ranges.md",
        front(version, "DELETE /clients/{id}", "expectedOutcome: 204"),
        "- {id: gone, method: DELETE, path: /clients/5, expect: {status: 299}}",
    )
    result = lint(pytester)
    result.assert_outcomes(failed=1)
    assert len(problems(result, "ranges.md")) == 1  # 299: DELETE documents 204 only
    assert "expect.status 299 is not documented" in problems(result, "ranges.md")[0]
    write_doc(
        "ranges.md",
        front(version, "PUT /clients/{id}", "expectedOutcome: 299"),
        "- {id: put, method: PUT, path: /clients/5, body: {name: a, status: active, password: p},"
        " expect: {status: [201, 418]}}",
    )
    lint(pytester).assert_outcomes(passed=1)  # PUT documents 2XX and default


def test_the_test_steps_body_must_validate_against_the_request_schema(
    pytester: pytest.Pytester, write_doc: DocWriter, version: str
) -> None:
    path = write_doc(
        "body.md",
        front(version, "PUT /clients/{id}"),
        """
        - id: update
          method: PUT
          path: /clients/5
          body: {name: 5, status: retired}
        """,
    )
    write_doc("nobody.md", front(version, "PUT /clients/{id}"), "- {method: PUT, path: /clients/5}")
    result = lint(pytester)
    result.assert_outcomes(failed=2)
    found = problems(result, "body.md")
    step = line_of(path, "- id: update")
    assert all(
        line.startswith(f"body.md:{step}: step 'update': contract swagger/") for line in found
    )
    assert any("request body.name: wants type: " in line and "got 5 (" in line for line in found)
    assert any("request body.status: wants enum: [active, expired]" in line for line in found)
    (missing,) = problems(result, "nobody.md")
    assert "wants a body (it is required), got none" in missing


def test_a_placeholder_value_is_not_held_to_the_schema_but_a_string_keeps_its_type(
    pytester: pytest.Pytester, write_doc: DocWriter, version: str
) -> None:
    write_doc(
        "whole.md",
        front(version, "PUT /clients/{id}"),
        "- method: PUT\n  path: /clients/5\n"
        "  body: {name: '{{name}}', status: '{{status}}', id: '{{id}}', password: p}",
    )
    write_doc(
        "all.md",
        front(version, "PUT /clients/{id}"),
        "- {method: PUT, path: /clients/5, body: '{{client}}'}",
    )
    write_doc(
        "inside.md",
        front(version, "PUT /clients/{id}"),
        "- method: PUT\n  path: /clients/5\n"
        "  body: {name: Ada, status: 'x{{status}}', id: 'no-{{id}}', password: p}",
    )
    result = lint(
        pytester,
        "--api-var",
        "name=a",
        "--api-var",
        "status=b",
        "--api-var",
        "id=1",
        "--api-var",
        "client=c",
    )
    result.assert_outcomes(passed=2, failed=1)
    (line,) = problems(result, "inside.md")  # status's enum cannot be known; id's type can
    assert "request body.id: wants type: integer" in line


def test_an_expect_schema_ref_must_resolve_in_the_contract(
    pytester: pytest.Pytester, write_doc: DocWriter, version: str
) -> None:
    path = write_doc(
        "schema.md",
        front(version, "GET /clients/{id}"),
        f"""
        - id: read
          method: GET
          path: /clients/5
          expect:
            schema: {{$ref: "{schemas(version)}/Clinet"}}
            match: {{$.tree: {{$ref: "common.yaml#/Node"}}}}
        """,
    )
    result = lint(pytester)
    result.assert_outcomes(failed=1)
    contract = f"swagger/{VERSIONS[version][0]}"
    step = line_of(path, "- id: read")
    assert problems(result, "schema.md") == [
        f"schema.md:{step}: step 'read': expect.schema $ref '{schemas(version)}/Clinet' does not"
        f" resolve in contract {contract}: {schemas(version)}/Clinet does not exist (no"
        f" 'Clinet' there); did you mean '{schemas(version)}/Client'?",
        f"schema.md:{step}: step 'read': expect.match $.tree $ref 'common.yaml#/Node' does not"
        f" resolve in contract {contract}: only '#/...' references into the doc's contract"
        " resolve in an expect.schema; refer to a schema of the contract, e.g."
        " '#/components/schemas/Name'",
    ]


def test_a_broken_contract_is_one_line_per_doc_and_the_others_are_checked(
    pytester: pytest.Pytester, write_doc: DocWriter, version: str
) -> None:
    broken = pytester.path / "swagger" / "broken.yaml"
    broken.write_text("openapi: 3.0.3\npaths: {a: [\n", encoding="utf-8")
    for name in ("one.md", "two.md"):
        write_doc(
            name,
            'endpoint: "GET /a"\ntags: [x]\nswagger: swagger/broken.yaml',
            "- {method: GET, path: /a, expect: {status: 599}}",
        )
    write_doc("good.md", front(version, "GET /clients/{id}"), "- {method: GET, path: /clients/5}")
    result = lint(pytester)
    result.assert_outcomes(passed=1, failed=2)
    for name in ("one.md", "two.md"):
        (line,) = problems(result, name)
        assert line.startswith(f"{name}:4: contract {broken.resolve()}:")  # the swagger: line
        assert "is not valid YAML" in line
    assert "Traceback" not in result.stdout.str() and "INTERNALERROR" not in result.stdout.str()


def test_a_missing_contract_is_a_problem_only_when_a_root_is_configured(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_doc(
        "lost.md",
        'endpoint: "GET /a"\nopenapi: swagger/lost.yaml',
        "- {method: GET, path: /a, expect: {status: 599}}",
    )
    lint(pytester).assert_outcomes(passed=1)  # as in a normal run: not checked
    (pytester.path / "contracts").mkdir()
    result = lint(pytester, "--api-swagger-root=contracts")
    result.assert_outcomes(failed=1)
    expected = pytester.path.resolve() / "contracts" / "swagger" / "lost.yaml"
    assert problems(result, "lost.md") == [
        f"lost.md:3: contract {expected}: does not exist; check the doc's swagger: path and"
        " api_swagger_root"
    ]


def test_the_contract_root_is_found_as_in_a_normal_run(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_contracts(pytester.path / "api" / "swagger")
    pytester.makeini("[pytest]\napi_swagger_root = api\n")
    write_doc(
        "docs/read.md",
        'endpoint: "GET /clients/{id}"\nswagger: swagger/v30.yaml',
        "- {method: GET, path: /clients/5, expect: {status: 418}}",
    )
    result = lint(pytester)
    result.assert_outcomes(failed=1)
    (line,) = problems(result, "docs/read.md")
    assert "expect.status 418 is not documented for GET /clients/{id} in contract" in line


def test_contract_lint_under_xdist_gives_the_same_report(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    write_contracts(pytester.path / "swagger")
    (pytester.path / "swagger" / "broken.json").write_text("{", encoding="utf-8")
    for index, version in enumerate(sorted(VERSIONS)):
        write_doc(
            f"d{index}.md",
            front(version, "PUT /clients/{id}"),
            "- {method: PUT, path: /clients/5, body: {name: 1}, expect: {status: 302}}",
        )
    write_doc(
        "e.md", 'endpoint: "GET /a"\nswagger: swagger/broken.json', "- {method: GET, path: /a}"
    )
    args = ("--api-lint", "-p", "no:cacheprovider")
    serial = pytester.runpytest_subprocess(*args)
    parallel = pytester.runpytest_subprocess(*args, "-n", "2")
    reports = [
        sorted(line for doc in ("d0.md", "d1.md", "d2.md", "e.md") for line in problems(r, doc))
        for r in (serial, parallel)
    ]
    assert reports[0] == reports[1] and len(reports[0]) >= 4
    for result in (serial, parallel):
        result.assert_outcomes(failed=4)


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_lint_counts_docs_whose_contract_is_not_there_as_a_run_does(
    pytester: pytest.Pytester, write_doc: DocWriter, workers: tuple[str, ...]
) -> None:
    """No root configured: the docs are linted without their contract, and the summary line
    of a normal run says so once."""
    for name in ("a.md", "b.md"):
        write_doc(
            name,
            'endpoint: "GET /clients/{id}"\nswagger: swagger/nowhere.json',
            "- {method: GET, path: /clients/5}",
        )
    result = pytester.runpytest_subprocess("--api-lint", "-p", "no:cacheprovider", *workers)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["pytest-apispec: 2 docs name a contract that was not found under *; set api_swagger_root*"]
    )
