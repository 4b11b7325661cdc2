"""Both seed docs, unchanged, end to end against the demo API on a real socket."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_apispec.demo import DemoApi

SEEDS = Path(__file__).parent / "data" / "seeds"
BUSINESS_VAR = "business_id=biz_demo_1"


@pytest.fixture
def seeds(pytester: pytest.Pytester) -> pytest.Pytester:
    for seed in sorted(SEEDS.iterdir()):
        shutil.copy(seed, pytester.path / seed.name)
    return pytester


def test_seeds_pass_and_xfail_against_an_api_that_behaves_as_they_describe(
    seeds: pytest.Pytester, demo_env: DemoApi
) -> None:
    result = seeds.runpytest("-rxX", "--api-var", BUSINESS_VAR)
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*XFAIL*update_usage*Test environment client has no active*"])
    servers = {(server, path.split("?")[0]) for server, _, path in demo_env.requests_log}
    assert ("fallback", "/platform/v1/clients") in servers
    assert any(s == "fallback" and p.startswith("/business/payments/v1/") for s, p in servers)
    assert not any(s == "main" and p.startswith("/business/payments/v1/") for s, p in servers)


def test_expected_outcome_pass_mode_reports_the_known_status_as_passed(
    seeds: pytest.Pytester, demo_env: DemoApi
) -> None:
    result = seeds.runpytest("--api-var", BUSINESS_VAR, "--api-expected-outcome", "pass")
    result.assert_outcomes(passed=2)


def test_seeds_collect_without_configuration_or_network(seeds: pytest.Pytester) -> None:
    result = seeds.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "000_2b83c488c88b2697.txt::PUT /business/payments/v1/client_packages/{uid}",
            "002_0e345b8b3eb5dc79.txt::POST"
            " /platform/v1/clients/payment/client_packages/update_usage",
        ]
    )
    assert result.ret == 0
