"""strict, warn and off; what a violation does in a prerequisite, a cleanup, an
expectedOutcome; where the mode comes from."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from apispec_helpers import DocWriter

from .server import Answer, RouteServer
from .specs import GOOD_CLIENT, write_contracts

FRONT = 'endpoint: "GET /clients/{id}"\nswagger: swagger/v30.yaml'
GOOD = "- id: read\n  method: GET\n  path: /clients/5"
BAD = "- id: read\n  method: GET\n  path: /clients/6"


@pytest.fixture
def contracts(pytester: pytest.Pytester, api: RouteServer) -> RouteServer:
    write_contracts(pytester.path / "swagger")
    api.route("GET", "/clients/5", Answer(200, GOOD_CLIENT))
    api.route("GET", "/clients/6", Answer(200, {**GOOD_CLIENT, "id": "six"}))
    api.route("GET", "/clients/7", Answer(404, {"detail": "no such client"}))
    api.route("GET", "/clients/8", Answer(404, {"detail": 8}))
    return api


def properties(pytester: pytest.Pytester) -> dict[str, dict[str, str]]:
    root = ET.parse(pytester.path / "junit.xml").getroot()
    return {
        c.attrib["classname"]: {p.attrib["name"]: p.attrib["value"] for p in c.iter("property")}
        for c in root.iter("testcase")
    }


def test_strict_is_the_default_and_fails_the_doc(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    write_doc("bad.md", FRONT, BAD)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert result.ret == 1


def test_warn_keeps_the_outcome_and_warns_with_the_path_and_first_violation(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    write_doc("bad.md", FRONT + "\ncontract: warn", BAD)
    write_doc("good.md", FRONT + "\ncontract: warn", GOOD)
    result = pytester.runpytest(f"--junitxml={pytester.path / 'junit.xml'}")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*warnings summary*",
            '*ContractWarning: bad.md: 1 contract violation (contract: warn); the first: contract: $.id: wants type: integer, got "six"*',
        ]
    )
    found = properties(pytester)
    assert found["bad.md"]["contract_violations"] == "1"
    assert found["good.md"]["contract_violations"] == "0"
    assert found["good.md"]["contract"] == "swagger/v30.yaml"


def test_the_command_line_and_the_ini_choose_the_mode_and_frontmatter_wins(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    write_doc("bad.md", FRONT, BAD)
    write_doc("strict.md", FRONT + "\ncontract: strict", BAD)
    pytester.runpytest("--api-contract=warn").assert_outcomes(passed=1, failed=1, warnings=1)
    pytester.makeini("[pytest]\napi_contract = off\n")
    pytester.runpytest().assert_outcomes(passed=1, failed=1)
    pytester.runpytest("--api-contract=warn").assert_outcomes(passed=1, failed=1, warnings=1)


def test_off_checks_nothing_and_adds_no_properties(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    write_doc("bad.md", FRONT + "\ncontract: off", BAD)
    pytester.runpytest(f"--junitxml={pytester.path / 'junit.xml'}").assert_outcomes(passed=1)
    [found] = properties(pytester).values()
    assert "contract_violations" not in found


def test_a_wrong_mode_is_an_error_of_the_doc_or_of_the_run(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    write_doc("odd.md", FRONT + "\ncontract: loose", GOOD)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*odd.md:1: frontmatter: 'contract: loose' is not allowed; use strict, warn or off*"]
    )
    pytester.makeini("[pytest]\napi_contract = loose\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*api_contract must be strict, warn or off, not 'loose'*"])


def test_a_violating_prerequisite_is_an_error_or_a_skip(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    write_doc("abort.md", FRONT, GOOD, prerequisites=BAD.replace("read", "look"))
    skip = BAD.replace("read", "look") + "\n  onFail: skip\n  skipReason: no client to read"
    write_doc("skip.md", FRONT, GOOD, prerequisites=skip)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(errors=1, skipped=1)
    result.stdout.fnmatch_lines_random(
        [
            "*ERROR at setup*",
            '*- contract: $.id: wants type: integer, got "six"*',
            "*no client to read*",
        ]
    )


def test_a_violating_cleanup_step_is_an_error_in_teardown(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    write_doc("clean.md", FRONT, GOOD, cleanup=BAD.replace("read", "tidy"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown*", '*- contract: $.id: wants type: integer, got "six"*']
    )


def test_an_expected_outcome_is_held_to_the_schema_of_its_status(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    known = FRONT + "\nexpectedOutcome: 404\nexpectedOutcomeReason: the client is gone here"
    write_doc("conforming.md", known, GOOD.replace("/5", "/7"))
    write_doc("violating.md", known, GOOD.replace("/5", "/8"))
    result = pytester.runpytest()
    result.assert_outcomes(xfailed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["violating.md:*failed", "*- contract: $.detail: wants type: string, got 8*"]
    )


def test_docs_without_a_contract_are_not_checked(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    write_doc("plain.md", 'endpoint: "GET /clients/{id}"', BAD)
    pytester.runpytest(f"--junitxml={pytester.path / 'junit.xml'}").assert_outcomes(passed=1)
    [found] = properties(pytester).values()
    assert "contract" not in found


def test_under_xdist_each_worker_checks_its_docs(
    pytester: pytest.Pytester, write_doc: DocWriter, contracts: RouteServer
) -> None:
    for number in range(4):
        write_doc(f"good{number}.md", FRONT, GOOD)
        write_doc(f"bad{number}.md", FRONT, BAD)
    write_doc("warn.md", FRONT + "\ncontract: warn", BAD)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=4, warnings=1)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*ContractWarning: warn.md: 1 contract violation*"])
