"""The bundled demo: ``pytest examples/`` starts the demo API itself and ends green."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pytest_apispec.demo import DemoApi

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEEDS = ("sales/000_2b83c488c88b2697.txt", "clients/002_0e345b8b3eb5dc79.txt")
MIX = {"passed": 11, "skipped": 2, "xfailed": 2, "warnings": 1}
REASONS = [
    "SKIPPED * examples/bookings/book_from_waitlist.md:*: Nobody is on the waitlist*",
    "SKIPPED * examples/directory/list_businesses.md:*: needs a 'directory' token, which is not"
    " configured: pass --api-token-directory or set API_TOKEN_DIRECTORY",
    "XFAIL examples/clients/002_0e345b8b3eb5dc79.txt::*Test environment client has no active*",
    "XFAIL examples/sales/update_client_package_via_gateway.md::*The main API gateway refuses*",
]
EXAMPLE_DOCS = sorted(
    path.relative_to(EXAMPLES).as_posix()
    for path in EXAMPLES.rglob("*")
    if path.suffix in (".md", ".txt") and path.name != "README.md"
)


@pytest.fixture
def examples(pytester: pytest.Pytester) -> pytest.Pytester:
    """A copy of examples/ in a pytester folder: the run starts from there, as from the repo."""
    shutil.copytree(
        EXAMPLES, pytester.path / "examples", ignore=shutil.ignore_patterns("__pycache__")
    )
    return pytester


def test_the_seed_docs_are_the_originals_byte_for_byte() -> None:
    for seed in SEEDS:
        copy = EXAMPLES / seed
        assert filecmp.cmp(copy, ROOT / "tests" / "data" / "seeds" / copy.name, shallow=False)
        shared = Path("/work/shared/seeds") / copy.name
        if shared.exists():
            assert copy.read_bytes() == shared.read_bytes()


def test_pytest_examples_from_the_repository_root_ends_green_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's demo command, as a subprocess; the user's own API_* settings do not leak in."""
    monkeypatch.setenv("API_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("API_TOKEN_DIRECTORY", "a-token-of-the-user")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert pytest.RunResult.parse_summary_nouns(result.stdout.splitlines()) == MIX, result.stdout
    lines = result.stdout.splitlines()
    for pattern in REASONS:
        regex = re.escape(pattern).replace(r"\*", ".*")
        assert any(re.fullmatch(regex, line) for line in lines), pattern
    assert os.environ["API_BASE_URL"] == "http://127.0.0.1:9"


class DemoSpy:
    """Reads the demo API the examples' conftest started, just before it is stopped."""

    requests_log: list[tuple[str, str, str]]

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        conftest: Any = sys.modules["conftest"]
        api: DemoApi = config.stash[conftest.DEMO_API]
        self.requests_log = list(api.requests_log)


def test_the_examples_do_what_their_docs_say(examples: pytest.Pytester) -> None:
    spy = DemoSpy()
    reprec = examples.inline_run("examples", "-p", "no:cacheprovider", plugins=[spy])
    reprec.assertoutcome(passed=11, skipped=4, failed=0)  # xfailed count as skipped here
    log = [(server, method, target.split("?")[0]) for server, method, target in spy.requests_log]
    # the shared scope: session lookup ran once for four docs; the seed (on the fallback API,
    # like all its steps) has its own
    assert log.count(("main", "GET", "/platform/v1/clients")) == 1
    assert log.count(("fallback", "GET", "/platform/v1/clients")) == 1
    # cleanup: the booking and the client package created for the gateway doc are gone
    assert ("main", "DELETE", "/platform/v1/bookings/5001") in log
    assert any(m == "DELETE" and "/client_packages/cp_" in t for _, m, t in log)
    # the gateway doc's PUT went to the main gateway, the seed's to the fallback API
    puts = [server for server, method, _ in log if method == "PUT"]
    assert sorted(puts) == ["fallback", "main"]
    # the flaky endpoint was retried
    assert log.count(("main", "GET", "/platform/v1/flaky")) == 2
    # the directory doc was skipped before sending anything
    assert not any("/directory/" in target for _, _, target in log)


def test_the_shared_lookup_shows_once_in_setup_show(examples: pytest.Pytester) -> None:
    result = examples.runpytest("examples", "-p", "no:cacheprovider", "--setup-show")
    result.assert_outcomes(**MIX)
    assert len(re.findall(r"SETUP    S shared:find_client:", result.stdout.str())) == 1


def test_the_examples_run_under_xdist_into_junit_xml(examples: pytest.Pytester) -> None:
    report = examples.path / "report.xml"
    result = examples.runpytest_subprocess(
        "examples", "-n", "2", f"--junitxml={report}", "-p", "no:cacheprovider", timeout=120
    )
    result.assert_outcomes(**MIX)
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("15", "4", "0")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert "GET /platform/v1/flaky" in cases
    seed = next(
        c
        for c in suite.iter("testcase")
        if c.get("classname", "").endswith("000_2b83c488c88b2697.txt")
    )
    properties = {p.get("name"): p.get("value") for p in seed.iter("property")}
    assert properties["endpoint"] == "PUT /business/payments/v1/client_packages/{uid}"
    assert properties["domain"] == "sales"
    # joined with the contract root, which the examples' conftest sets (API_SWAGGER_ROOT)
    assert properties["swagger"].endswith("examples/swagger/sales/legacy/payments.json")
    assert properties["contract_violations"] == "0"


def test_known_answers_pass_with_api_expected_outcome_pass(examples: pytest.Pytester) -> None:
    result = examples.runpytest(
        "examples", "-p", "no:cacheprovider", "--api-expected-outcome", "pass"
    )
    result.assert_outcomes(passed=13, skipped=2, warnings=1)


def test_selecting_examples_by_marker(examples: pytest.Pytester) -> None:
    result = examples.runpytest("examples", "-p", "no:cacheprovider", "-m", "domain_bookings")
    result.assert_outcomes(passed=2, skipped=1, deselected=12)


def test_the_examples_readme_describes_every_example_doc() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for doc in EXAMPLE_DOCS:
        assert f"]({doc})" in readme, doc
    assert len(EXAMPLE_DOCS) == sum(n for outcome, n in MIX.items() if outcome != "warnings")


# the contract each example doc names; the seeds keep the names they were written with
OWN_CONTRACTS = {
    "clients/002_0e345b8b3eb5dc79.txt": "swagger/clients/legacy/legacy_v1_clients.json",
    "sales/000_2b83c488c88b2697.txt": "swagger/sales/legacy/payments.json",
}
# the violations each doc's responses get: only the deliberate one of auth/login.md (warn)
KNOWN_VIOLATIONS = {"auth/login.md": "1"}


def test_every_example_doc_is_checked_against_its_contract(examples: pytest.Pytester) -> None:
    """Every example doc names the demo's contract (or, for a seed, its own) and its check ran
    and found nothing but the known violation: JUnit's ``contract`` and ``contract_violations``.
    With the demo's directory token the directory doc runs too, so every doc sends requests."""
    report = examples.path / "report.xml"
    result = examples.runpytest(
        "examples",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        "--api-token-directory=demo-directory-token",
    )
    result.assert_outcomes(passed=12, skipped=1, xfailed=2, warnings=1)
    doc_of = {"examples." + doc.replace("/", "."): doc for doc in EXAMPLE_DOCS}
    checked = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        doc = doc_of[case.get("classname", "")]
        checked[doc] = (properties.get("contract"), properties.get("contract_violations"))
    expected = {
        doc: (OWN_CONTRACTS.get(doc, "swagger/demo.yaml"), KNOWN_VIOLATIONS.get(doc, "0"))
        for doc in EXAMPLE_DOCS
    }
    assert checked == expected
