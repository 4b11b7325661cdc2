"""--api-coverage: which operations of a contract have a doc, with what outcome in this run;
the same numbers serially and under pytest-xdist, under --api-lint, from api_contracts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from apispec_helpers import DocWriter

from .server import Answer, RouteServer

ITEM = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}


def shop_contract() -> dict[str, Any]:
    def answers(*codes: str) -> dict[str, Any]:
        return {
            code: {
                "description": code,
                "content": {"application/json": {"schema": ITEM}},
            }
            for code in codes
        }

    return {
        "openapi": "3.0.3",
        "info": {"title": "shop", "version": "1"},
        "paths": {
            "/items": {
                "get": {"responses": answers("200")},
                "post": {"responses": answers("201", "422")},
            },
            "/items/{id}": {
                "get": {"responses": answers("200", "404")},
                "delete": {"responses": {"204": {"description": "gone"}}},
            },
        },
    }


@pytest.fixture
def shop(pytester: pytest.Pytester, write_doc: DocWriter, api: RouteServer) -> RouteServer:
    """A contract of 4 operations; docs for 3 of them (one passes, one fails, one is skipped)
    and one doc naming an operation the contract lacks."""
    folder = pytester.path / "swagger"
    folder.mkdir()
    (folder / "shop.json").write_text(json.dumps(shop_contract()))
    api.route("GET", "/items/5", Answer(200, {"id": 5}))
    api.route("POST", "/items", Answer(422, {"id": 0}))
    front = "swagger: swagger/shop.json\nendpoint: "
    write_doc("a_read.md", front + '"GET /items/{id}"', "- method: GET\n  path: /items/5")
    write_doc("b_create.md", front + '"POST /items"', "- method: POST\n  path: /items")
    write_doc(
        "c_list.md",
        front + '"GET /items"\ntokens: [directory]',
        "- method: GET\n  path: /items",
    )
    write_doc("d_gone.md", front + '"PATCH /items/{id}"', "- method: GET\n  path: /items/5")
    return api


def report_of(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    path = pytester.path / "coverage.json"
    result = pytester.runpytest(f"--api-coverage-report={path}", "-p", "no:cacheprovider", *args)
    return result, json.loads(path.read_text(encoding="utf-8"))


def rows(report: dict[str, Any], contract: str = "swagger/shop.json") -> dict[str, Any]:
    (found,) = [c for c in report["contracts"] if c["contract"] == contract]
    return {f"{row['method']} {row['path']}": row for row in found["rows"]} | {"": found}


def test_the_summary_has_a_row_per_contract(pytester: pytest.Pytester, shop: RouteServer) -> None:
    result = pytester.runpytest("--api-coverage", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*apispec coverage*",
            "contract * operations * documented * passing * coverage",
            "swagger/shop.json * 4 * 3 * 1 * 75%",
            "d_gone.md: swagger/shop.json has no operation PATCH /items/{id}",
        ]
    )


def test_the_report_lists_every_operation_with_docs_outcomes_and_statuses(
    pytester: pytest.Pytester, shop: RouteServer
) -> None:
    _, report = report_of(pytester)
    found = rows(report)
    assert found["GET /items/{id}"]["docs"] == ["a_read.md"]
    assert found["GET /items/{id}"]["outcomes"] == ["passed"]
    assert found["GET /items/{id}"]["statuses_seen"] == [200]
    assert found["GET /items/{id}"]["statuses_documented"] == ["200", "404"]
    assert found["POST /items"]["outcomes"] == ["failed"]
    assert found["POST /items"]["statuses_seen"] == [422]
    assert found["GET /items"]["outcomes"] == ["skipped"]
    assert found["DELETE /items/{id}"]["docs"] == []
    summary = found[""]
    assert (summary["operations"], summary["documented"], summary["passing"]) == (4, 3, 1)
    assert summary["unknown_operations"] == [{"doc": "d_gone.md", "endpoint": "PATCH /items/{id}"}]


def test_xdist_gives_the_numbers_of_a_serial_run(
    pytester: pytest.Pytester, shop: RouteServer
) -> None:
    _, serial = report_of(pytester)
    result, parallel = report_of(pytester, "-n", "2")
    result.assert_outcomes(passed=1, failed=2, skipped=1)
    assert parallel == serial


def test_lint_counts_the_docs_without_sending_a_request(
    pytester: pytest.Pytester, shop: RouteServer
) -> None:
    result, report = report_of(pytester, "--api-lint")
    assert shop.received == []
    found = rows(report)
    assert found[""]["documented"] == 3
    assert found["GET /items/{id}"]["outcomes"] == ["not run"]
    result.stdout.fnmatch_lines(["swagger/shop.json * 4 * 3 * - * 75%"])


def test_api_contracts_adds_contracts_no_doc_names(
    pytester: pytest.Pytester, shop: RouteServer
) -> None:
    other = pytester.path / "swagger" / "more" / "orders.json"
    other.parent.mkdir()
    contract = shop_contract()
    contract["paths"] = {"/orders": contract["paths"]["/items"]}
    other.write_text(json.dumps(contract))
    pytester.makeini("[pytest]\napi_contracts =\n    swagger/more/*.json\n")
    _, report = report_of(pytester)
    found = rows(report, "swagger/more/orders.json")
    assert (found[""]["operations"], found[""]["documented"]) == (2, 0)


def test_a_markdown_report_and_a_broken_contract(
    pytester: pytest.Pytester, shop: RouteServer, write_doc: DocWriter
) -> None:
    (pytester.path / "swagger" / "broken.json").write_text("{not json")
    write_doc(
        "e_broken.md",
        'swagger: swagger/broken.json\nendpoint: "GET /x"',
        "- method: GET\n  path: /items/5",
    )
    path = pytester.path / "out" / "coverage.md"
    result = pytester.runpytest(f"--api-coverage-report={path}", "-p", "no:cacheprovider")
    assert result.ret == 1  # the failing docs, not the report
    text = path.read_text(encoding="utf-8")
    assert "## swagger/shop.json" in text and "3 of 4 operations documented (75%)" in text
    assert "| DELETE | `/items/{id}` | none |" in text
    assert "## swagger/broken.json" in text and "Not loaded:" in text
    result.stdout.fnmatch_lines(["swagger/broken.json * - * not loaded", "*written to out*"])


def test_a_report_that_cannot_be_written_is_one_clear_line(
    pytester: pytest.Pytester, shop: RouteServer
) -> None:
    blocker = pytester.path / "blocker"
    blocker.write_text("a file, not a folder")
    result = pytester.runpytest(f"--api-coverage-report={blocker / 'c.json'}")
    result.stdout.fnmatch_lines(["apispec: cannot write *c.json*; check the path"])
    assert "INTERNALERROR" not in result.stdout.str()
    assert result.ret == 1


def test_without_the_option_nothing_is_reported(
    pytester: pytest.Pytester, shop: RouteServer
) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert "apispec coverage" not in result.stdout.str()
    assert not list(Path(pytester.path).glob("*.json"))


def test_a_doc_without_an_endpoint_counts_by_its_first_test_step(
    pytester: pytest.Pytester, shop: RouteServer, write_doc: DocWriter
) -> None:
    write_doc(
        "e_delete.md",
        "swagger: swagger/shop.json",
        "- method: DELETE\n  path: /items/{{item}}",
    )
    _, report = report_of(pytester, "--api-lint", "-o", "api_lint_vars=item")
    assert rows(report)["DELETE /items/{id}"]["docs"] == ["e_delete.md"]
