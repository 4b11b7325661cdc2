"""Finding and loading a contract: the root, broken and hostile contracts, once per process,
never at collection."""

from __future__ import annotations

import gc
import json
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
from apispec_helpers import DocWriter

from .server import Answer, RouteServer
from .specs import GOOD_CLIENT, openapi3, write, write_contracts

GOOD = "- id: read\n  method: GET\n  path: /clients/5"
SEEDS = Path(__file__).parents[1] / "data" / "seeds"


def front(contract: str) -> str:
    return f'endpoint: "GET /clients/{{id}}"\nswagger: {contract}'


@pytest.fixture
def served(api: RouteServer) -> RouteServer:
    api.route("GET", "/clients/5", Answer(200, GOOD_CLIENT))
    return api


ALIAS_BOMB = 'openapi: 3.0.0\na: &a ["x","x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
    for i in range(9)
)


def _with_ref(ref: str) -> str:
    document = openapi3()
    document["components"]["schemas"]["Client"] = {"$ref": ref}
    return json.dumps(document)


def _cycle() -> str:
    document = openapi3()
    schemas = document["components"]["schemas"]
    schemas["Client"] = {"$ref": "#/components/schemas/Other"}
    schemas["Other"] = {"$ref": "#/components/schemas/Client"}
    return json.dumps(document)


BROKEN = {
    "bomb.yaml": (ALIAS_BOMB, "bomb.yaml:*: is not valid YAML: its aliases expand to more than*"),
    "syntax.yaml": ("openapi: 3.0.0\npaths: [unclosed\n", "syntax.yaml:2: is not valid YAML*"),
    "syntax.json": ('{"openapi": "3.0.0",\n "paths": }', "syntax.json:2: is not valid JSON*"),
    "other.yaml": ("just: some yaml\n", "other.yaml: is not an OpenAPI document*"),
    "remote.json": (
        _with_ref("https://example.invalid/schemas.json#/Client"),
        "remote.json: $ref 'https://example.invalid/schemas.json#/Client' is a remote reference, which is never fetched*",
    ),
    "dangling.json": (
        _with_ref("#/components/schemas/Nope"),
        "dangling.json: $ref '#/components/schemas/Nope' cannot be resolved*",
    ),
    "elsewhere.json": (
        _with_ref("missing.yaml#/Client"),
        "elsewhere.json: $ref 'missing.yaml#/Client' names *missing.yaml: does not exist*",
    ),
    "cycle.json": (_cycle(), "cycle.json: its $refs go round in a circle*"),
}


def test_a_broken_contract_fails_only_the_contract_check_of_the_docs_naming_it(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    root = pytester.path / "swagger"
    write_contracts(root)
    for name, (text, _) in BROKEN.items():
        (root / name).write_text(text, encoding="utf-8")
        write_doc(f"{name}.md", front(name), GOOD + "\n  extract: {id: $.id}")
    huge = root / "huge.json"
    with huge.open("wb") as file:  # 50 MB, written in pieces: never held in memory here
        for _ in range(50):
            file.write(b" " * 1_000_000)
    write_doc("huge.md", front("huge.json"), GOOD)
    write_doc("good.md", front("v30.yaml"), GOOD)
    write_doc("missing.md", front("not-there.yaml"), GOOD)
    tracemalloc.start()
    started = time.monotonic()
    result = pytester.runpytest("--api-swagger-root=swagger", "-p", "no:cacheprovider")
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result.assert_outcomes(passed=1, failed=len(BROKEN) + 2)
    assert elapsed < 30 and peak < 60_000_000
    lines = [f"*- contract {root.resolve()}/{pattern}" for _, pattern in BROKEN.values()]
    lines += [
        f"*- contract {root.resolve()}/huge.json: is 47 MiB, larger than the 20 MiB a contract may be*",
        f"*- contract {root.resolve()}/not-there.yaml: does not exist; check the doc's swagger: path and api_swagger_root",
    ]
    result.stdout.fnmatch_lines_random(lines)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert "Traceback" not in result.stdout.str()


def test_without_a_configured_root_a_missing_contract_is_a_summary_line(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    write_doc("a.md", front("swagger/nowhere.json"), GOOD.replace("/5", "/6"))
    write_doc("b.md", front("swagger/nowhere.json"), GOOD)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)  # /clients/6 is a 404: expect fails, not contract
    result.stdout.fnmatch_lines(
        [
            f"pytest-apispec: 2 docs name a contract that was not found under {pytester.path}; set api_swagger_root*"
        ]
    )


def test_the_seed_docs_keep_running_without_their_contract(
    pytester: pytest.Pytester, demo_env: object
) -> None:
    for seed in SEEDS.iterdir():
        shutil.copy(seed, pytester.path / seed.name)
    result = pytester.runpytest("--api-var", "business_id=biz_demo_1")
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "error" not in outcomes
    result.stdout.fnmatch_lines(
        ["*2 docs name a contract that was not found under*; set api_swagger_root*"]
    )


def test_the_root_comes_from_the_command_line_then_the_environment_then_the_ini(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    served: RouteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the folder ``win`` has the contract; a configured root without it fails."""
    write_contracts(pytester.path / "win")
    write(pytester.path / "win" / "c.yaml", openapi3())
    (pytester.path / "lose").mkdir()
    write_doc("doc.md", front("c.yaml"), GOOD)
    pytester.makeini("[pytest]\napi_swagger_root = lose\n")
    pytester.runpytest().assert_outcomes(failed=1)
    monkeypatch.setenv("API_SWAGGER_ROOT", "win")
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.runpytest("--api-swagger-root=lose").assert_outcomes(failed=1)
    monkeypatch.setenv("API_SWAGGER_ROOT", "lose")
    pytester.runpytest("--api-swagger-root=win").assert_outcomes(passed=1)


def test_a_relative_root_in_the_ini_is_relative_to_the_ini_file(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    write_contracts(pytester.path / "config" / "contracts")
    write(pytester.path / "config" / "contracts" / "c.yaml", openapi3())
    (pytester.path / "config" / "pytest.ini").write_text("[pytest]\napi_swagger_root = contracts\n")
    write_doc("docs/doc.md", front("c.yaml"), GOOD)
    result = pytester.runpytest("-c", "config/pytest.ini", "--rootdir=.", "docs")
    result.assert_outcomes(passed=1)


def test_a_contract_is_loaded_once_per_process_and_never_at_collection(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer
) -> None:
    write_contracts(pytester.path / "swagger")
    for number in range(5):
        write_doc(f"doc{number}.md", front("swagger/v30.yaml"), GOOD)
    (pytester.path / "swagger" / "broken.yaml").write_text("openapi: [", encoding="utf-8")
    write_doc("broken.md", front("swagger/broken.yaml"), GOOD)
    pytester.makeconftest(
        """
        import sys
        from pytest_apispec.contracts import loader

        LOADS = []
        _load = loader._load
        loader._load = lambda path: LOADS.append(path.name) or _load(path)

        def pytest_sessionfinish(session):
            heavy = [m for m in ("openapi_schema_validator", "jsonschema") if m in sys.modules]
            print(f"\\nloads: {sorted(LOADS)} heavy: {heavy}")
        """
    )
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == 0
    assert "loads: [] heavy: []" in result.stdout.str()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=5, failed=1)
    assert "loads: ['broken.yaml', 'v30.yaml'] heavy" in result.stdout.str()


@pytest.mark.skipif(not hasattr(gc, "freeze"), reason="no gc.freeze() on this interpreter")
@pytest.mark.parametrize("tune_gc", [True, False])
def test_a_loaded_contract_is_frozen_out_of_the_garbage_collectors_way(
    pytester: pytest.Pytester, write_doc: DocWriter, served: RouteServer, tune_gc: bool
) -> None:
    """The full collections of the rest of the run (and those at exit) skip the contract's
    document, as they skip what collection made; ``api_tune_gc = false`` leaves it alone."""
    write_contracts(pytester.path / "swagger")
    write_doc("doc.md", front("swagger/v30.yaml"), GOOD)
    pytester.makeini(f"[pytest]\napi_tune_gc = {str(tune_gc).lower()}\n")
    pytester.makepyfile(
        test_later="""
        import gc
        from pathlib import Path
        from pytest_apispec.contracts import loader

        def test_later():
            document = loader.load(Path("swagger/v30.yaml")).root
            tracked = any(o is document for o in gc.get_objects())
            print(f"contract tracked: {tracked}")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=2)
    assert f"contract tracked: {not tune_gc}" in result.stdout.str()
