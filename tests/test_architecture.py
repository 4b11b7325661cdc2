"""The package layout is the architecture: layers import only downward, and docs/architecture.md
names every module.

The rules are read from the source (every ``import``, at module level, in functions and under
``TYPE_CHECKING``), so a lazy import cannot slip a layer's dependency past them.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "pytest_apispec"
PAGE = ROOT / "docs" / "architecture.md"

PYTEST = {"pytest", "_pytest", "pluggy", "xdist"}
# layer -> the top-level names its modules may not import
FORBIDDEN = {
    "docformat": PYTEST
    | {
        "requests",
        "urllib3",
        "pytest_apispec.execution",
        "pytest_apispec.contracts",
        "pytest_apispec.plugin",
        "pytest_apispec.demo",
    },
    "contracts": PYTEST
    | {"requests", "pytest_apispec.execution", "pytest_apispec.plugin", "pytest_apispec.demo"},
    "execution": PYTEST | {"pytest_apispec.plugin", "pytest_apispec.demo"},
    "demo": PYTEST
    | {
        "pytest_apispec.docformat",
        "pytest_apispec.contracts",
        "pytest_apispec.execution",
        "pytest_apispec.plugin",
    },
}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, root: Path = ROOT) -> set[str]:
    """Every module name the file imports, relative imports resolved."""
    package = module_name(path if path.name == "__init__.py" else path.parent, root)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violates(name: str, forbidden: set[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def layer_of(path: Path) -> str | None:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_from_its_layer_and_below(path: Path) -> None:
    layer = layer_of(path)
    forbidden = FORBIDDEN.get(layer or "", set())
    wrong = sorted(name for name in imported_names(path) if violates(name, forbidden))
    assert not wrong, f"{path.relative_to(ROOT)} ({layer}) imports {wrong}"


def test_the_rules_see_what_they_forbid(tmp_path: Path) -> None:
    """The import reader finds lazy, relative and TYPE_CHECKING imports."""
    folder = tmp_path / "pytest_apispec" / "docformat"
    folder.mkdir(parents=True)
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..execution import runner\n"
        "def f():\n    import pytest\n"
    )
    (folder / "bad.py").write_text(source)
    names = imported_names(folder / "bad.py", tmp_path)
    assert violates("pytest", FORBIDDEN["docformat"]) and "pytest" in names
    assert "pytest_apispec.execution.runner" in names
    assert violates("pytest_apispec.execution.runner", FORBIDDEN["docformat"])


def test_every_module_is_in_a_layer_folder() -> None:
    loose = [
        p.name
        for p in modules()
        if layer_of(p) is None and p.name not in {"__init__.py", "_version.py"}
    ]
    assert not loose, f"modules outside a layer folder: {loose}"


# ---------------------------------------------------------------- docs/architecture.md


def named_modules() -> set[str]:
    text = PAGE.read_text(encoding="utf-8")
    return {
        m if m.startswith("pytest_apispec/") else f"pytest_apispec/{m}"
        for m in re.findall(r"^- `([\w/]+\.py)`", text, re.M)
    }


def test_the_architecture_page_names_every_module_and_only_those() -> None:
    on_disk = {str(p.relative_to(ROOT)) for p in modules()}
    named = named_modules()
    assert named - on_disk == set(), "named but missing"
    assert on_disk - named == set(), "not named in docs/architecture.md"


# ---------------------------------------------------------------- public import paths


def test_the_names_a_conftest_imports_keep_their_paths() -> None:
    import pytest_apispec
    from pytest_apispec.demo import DEMO_BUSINESS_ID, DEMO_LOGIN, DEMO_TOKENS, DemoApi
    from pytest_apispec.execution.settings import ApiSettings

    assert pytest_apispec.ApiSettings is ApiSettings
    assert isinstance(pytest_apispec.__version__, str)
    assert callable(DemoApi) and DEMO_BUSINESS_ID and DEMO_LOGIN and DEMO_TOKENS


def test_the_warning_classes_are_importable_from_the_package(pytester: pytest.Pytester) -> None:
    """``-W error::pytest_apispec.ContractWarning`` is how a user makes a warning fail."""
    import pytest_apispec
    from pytest_apispec.plugin.contracts import ContractWarning
    from pytest_apispec.plugin.lint import NearMissKeyWarning

    assert pytest_apispec.ContractWarning is ContractWarning
    assert pytest_apispec.NearMissKeyWarning is NearMissKeyWarning
    with pytest.raises(AttributeError):
        _ = pytest_apispec.NoSuchWarning  # type: ignore[attr-defined]
    result = pytester.runpytest("-W", "error::pytest_apispec.NearMissKeyWarning", "-q")
    assert result.ret == 5  # no tests, and the filter itself is accepted


def test_the_entry_point_is_still_pytest_apispec_plugin() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "apispec"]
    assert entry.value == "pytest_apispec.plugin"
    plugin = entry.load()
    for fixture in ("apispec_session", "apispec_tokens", "apispec_vars", "apispec_settings"):
        assert hasattr(plugin, fixture), fixture


def test_the_plugin_is_disabled_by_its_entry_point_name(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".md",
        doc='---\nendpoint: "GET /x"\n---\n\n## Test Request\n\n```yaml\nsteps:\n'
        "  - method: GET\n    path: /x\n```\n",
    )
    collected = pytester.runpytest("--collect-only", "-q")
    assert collected.ret == 0 and "doc.md::GET /x" in collected.stdout.str()
    assert pytester.runpytest("--collect-only", "-q", "-p", "no:apispec").ret == 5
