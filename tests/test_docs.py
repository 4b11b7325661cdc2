"""The documentation is true: every code sample in README.md and docs/ runs here.

Each fenced block of a page is tested according to its language and the HTML comment right
above it (invisible on GitHub):

==========================================  ==================================================
````markdown + ``<!-- doc: PATH -> OUT -->``  an endpoint doc, written to PATH and run against the
                                            demo API with the page's other docs; OUT is its
                                            outcome (``passed``, ``failed``, ``error``,
                                            ``skipped``, ``xfailed``, ``xpassed``, ``not
                                            collected``, or words joined by ``+``), optionally
                                            followed by ``: TEXT`` that its report must contain
```python + ``<!-- conftest -->``            the conftest.py of the page's doc run
```python + ``<!-- conftest -> COUNTS -->``  a conftest.py run with the page's docs on its own;
                                            ``| unset: NAMES``, ``| env: NAME=VALUE``,
                                            ``| args: ...``, ``| demo-on: PORT PORT`` (a demo
                                            API on fixed ports) adjust the run
```yaml + ``<!-- workflow -->``              a CI workflow: its pytest commands are run
```ini + ``<!-- ini -->``                    a pytest.ini, loaded with ``--strict-config``
```toml + ``<!-- pyproject -->``             a pyproject.toml, loaded with ``--strict-config``
```sh (``<!-- sh -> COUNTS -->`` optional)   every command is run, in a folder holding the page's
                                            docs and a copy of examples/
```sh + ``<!-- dotenv -->``                  a .env file: what the demo started by hand prints
```text + ``<!-- output: COMMAND -->``       COMMAND's output must contain these lines in order
```text + ``<!-- file: PATH after: CMD -->`` after CMD ran, the file PATH starts with these lines
                                            (dates and times may differ)
```text + ``<!-- fixture: PATH -->``         a file the page's docs use (an upload), written to PATH
```json + ``<!-- vscode -->``                VS Code settings: its pytest arguments are run
==========================================  ==================================================

The two commands README.md opens with are checked against .ci/run, which runs them verbatim.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from pytest_apispec.demo import DEMO_BUSINESS_ID, DemoApi
from pytest_apispec.plugin import markers, options

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
OTHERS_PAGES = {"performance.md", "reliability.md"}  # written and tested by others
PAGES = [README, *sorted(p for p in DOCS.glob("*.md") if p.name not in OTHERS_PAGES)]
BUSINESS_VAR = f"business_id={DEMO_BUSINESS_ID}"

# ---------------------------------------------------------------- reading pages

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>[\w+-]*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*(?P<text>.*?)\s*-->$")
_OUTCOMES = {"passed", "failed", "error", "skipped", "xfailed", "xpassed", "not collected"}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    info: str
    text: str
    directive: str | None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def kind(self) -> str:
        return (self.directive or "").split("->")[0].split(":")[0].split("|")[0].strip()


def read_blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening["fence"]
        closing = re.compile("^" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        before = next((line for line in reversed(lines[:index]) if line.strip()), "")
        directive = _DIRECTIVE.match(before.strip())
        blocks.append(
            Block(
                page,
                index + 1,
                opening["info"].lower(),
                "\n".join(lines[index + 1 : end]) + "\n",
                directive["text"] if directive else None,
            )
        )
        index = end + 1
    return blocks


ALL_BLOCKS = [block for page in PAGES for block in read_blocks(page)]
README_COMMANDS = [b for b in read_blocks(README) if b.info == "sh"][:2]


def blocks_of(kind: str, *infos: str) -> list[Block]:
    return [b for b in ALL_BLOCKS if b.kind == kind and b.info in infos]


def ids(blocks: list[Block]) -> list[str]:
    return [block.where for block in blocks]


@dataclass(frozen=True)
class DocExample:
    path: str
    outcome: str
    text: str | None
    block: Block


def doc_examples(page: Path) -> list[DocExample]:
    found = []
    for block in read_blocks(page):
        if block.kind != "doc":
            continue
        assert block.directive is not None
        match = re.fullmatch(r"doc:\s*(\S+)\s*->\s*([\w +]+?)\s*(?::\s*(.+))?", block.directive)
        assert match, f"{block.where}: bad directive {block.directive!r}"
        found.append(DocExample(match[1], match[2], match[3], block))
    return found


def page_conftest(page: Path) -> str | None:
    bare = [b for b in read_blocks(page) if b.info == "python" and b.directive == "conftest"]
    assert len(bare) <= 1, f"{page}: more than one <!-- conftest --> block"
    return bare[0].text if bare else None


def write_page(page: Path, root: Path, *, examples: bool = False) -> None:
    """The page's docs (and its conftest.py) under root; a copy of examples/ on demand."""
    for example in doc_examples(page):
        target = root / example.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(example.block.text, encoding="utf-8")
    for block in read_blocks(page):
        if block.info == "text" and block.kind == "fixture":
            assert block.directive is not None
            target = root / block.directive.split(":", 1)[1].strip()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
    conftest = page_conftest(page)
    if conftest is not None:
        (root / "conftest.py").write_text(conftest, encoding="utf-8")
    if examples:
        shutil.copytree(
            ROOT / "examples", root / "examples", ignore=shutil.ignore_patterns("__pycache__")
        )


# ---------------------------------------------------------------- every block is tested

KNOWN = {
    ("markdown", "doc"),
    ("python", "conftest"),
    ("yaml", "workflow"),
    ("ini", "ini"),
    ("toml", "pyproject"),
    ("sh", ""),
    ("sh", "sh"),
    ("sh", "dotenv"),
    ("text", "output"),
    ("text", "file"),
    ("text", "fixture"),
    ("json", "vscode"),
}


def test_every_code_block_of_the_docs_is_tested_here() -> None:
    untested = [
        f"{b.where}: ```{b.info} with {b.directive!r}"
        for b in ALL_BLOCKS
        if (b.info, b.kind) not in KNOWN
    ]
    assert not untested, "code blocks this file does not know how to test:\n" + "\n".join(untested)
    assert len(ALL_BLOCKS) > 40


def test_the_readme_opens_with_the_two_commands_ci_runs_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert read_blocks(README)[:2] == README_COMMANDS
    for block in README_COMMANDS:
        command = block.text.strip()
        assert "\n" not in command and command in ci.splitlines(), block.where
    assert "pytest examples/" in README_COMMANDS[0].text


# ---------------------------------------------------------------- endpoint docs


def _outcomes(reprec: pytest.HookRecorder) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for report in reprec.getreports("pytest_runtest_logreport"):
        words = found.setdefault(report.nodeid.split("::")[0], [])
        xfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if report.passed:
                words.append("xpassed" if xfail else "passed")
            elif report.skipped:
                words.append("xfailed" if xfail else "skipped")
            else:
                words.append("failed")
        elif report.failed:
            words.append("error")
        elif report.skipped:
            words.append("xfailed" if xfail else "skipped")
    return found


def _report_texts(reprec: pytest.HookRecorder) -> dict[str, str]:
    texts: dict[str, str] = {}
    for report in reprec.getreports("pytest_runtest_logreport"):
        path = report.nodeid.split("::")[0]
        parts = [str(getattr(report, "wasxfail", ""))]
        if isinstance(report.longrepr, tuple):
            parts.append(report.longrepr[2])
        elif report.longrepr is not None:
            parts.append(str(report.longrepr))
        texts[path] = texts.get(path, "") + "\n".join(parts)
    return texts


PAGES_WITH_DOCS = [page for page in PAGES if doc_examples(page)]


@pytest.mark.parametrize("page", PAGES_WITH_DOCS, ids=[p.name for p in PAGES_WITH_DOCS])
def test_the_example_docs_of_a_page_end_as_it_says(
    page: Path, pytester: pytest.Pytester, demo_env: DemoApi
) -> None:
    write_page(page, pytester.path)
    reprec = pytester.inline_run("-p", "no:cacheprovider", "--api-var", BUSINESS_VAR)
    outcomes = _outcomes(reprec)
    texts = _report_texts(reprec)
    wrong = []
    for example in doc_examples(page):
        expected = example.outcome.replace(" ", "")
        assert set(expected.split("+")) <= _OUTCOMES | {"notcollected"}, example.block.where
        actual = "+".join(outcomes.get(example.path, [])) or "notcollected"
        if actual != expected:
            wrong.append(f"{example.block.where} {example.path}: {actual}, not {expected}")
        elif example.text and example.text not in texts.get(example.path, ""):
            wrong.append(
                f"{example.block.where} {example.path}: report lacks {example.text!r}:\n"
                + texts.get(example.path, "")
            )
    assert not wrong, "\n".join(wrong)


def test_the_examples_of_every_page_are_all_on_disk_once() -> None:
    for page in PAGES:
        paths = [example.path for example in doc_examples(page)]
        assert len(paths) == len(set(paths)), page


# ---------------------------------------------------------------- conftest.py samples

CONFTEST_RUNS = [b for b in blocks_of("conftest", "python") if b.directive and "->" in b.directive]


def _counts(text: str) -> dict[str, int]:
    counts = {}
    for part in text.split():
        name, _, number = part.partition("=")
        counts[name] = int(number)
    return counts


@dataclass
class RunOptions:
    counts: dict[str, int]
    unset: list[str]
    args: list[str]
    env: dict[str, str]
    demo_ports: tuple[int, int] | None


def _run_options(directive: str) -> RunOptions:
    head, *extras = directive.split("|")
    run = RunOptions(_counts(head.split("->", 1)[1]), [], [], {}, None)
    for extra in extras:
        key, _, value = extra.strip().partition(":")
        if key == "unset":
            run.unset += value.split()
        elif key == "args":
            run.args += shlex.split(value)
        elif key == "env":
            for item in value.split():
                name, _, setting = item.partition("=")
                run.env[name] = setting
        elif key == "demo-on":
            main, fallback = (int(port) for port in value.split())
            run.demo_ports = (main, fallback)
        else:
            raise AssertionError(f"unknown {key!r} in {directive!r}")
    return run


@pytest.mark.parametrize("block", CONFTEST_RUNS, ids=ids(CONFTEST_RUNS))
def test_a_conftest_sample_works_with_the_docs_of_its_page(
    block: Block, pytester: pytest.Pytester, demo_env: DemoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert block.directive is not None
    run = _run_options(block.directive)
    write_page(block.page, pytester.path)
    (pytester.path / "conftest.py").write_text(block.text, encoding="utf-8")
    for name in run.unset:
        monkeypatch.delenv(name, raising=False)
    for name, value in run.env.items():
        monkeypatch.setenv(name, os.path.expandvars(value))
    with contextlib.ExitStack() as stack:
        if run.demo_ports:
            main, fallback = run.demo_ports
            stack.enter_context(DemoApi(port=main, fallback_port=fallback))
        result = pytester.runpytest("-p", "no:cacheprovider", "-rA", *run.args)
    result.assert_outcomes(**run.counts)


# ---------------------------------------------------------------- configuration files


def _spec(root: Path) -> None:
    (root / "health.md").write_text(
        "## Test Request\n\n```yaml\nsteps:\n  - method: GET\n    path: /health\n```\n",
        encoding="utf-8",
    )


INI_BLOCKS = blocks_of("ini", "ini")
PYPROJECT_BLOCKS = blocks_of("pyproject", "toml")


@pytest.mark.parametrize(
    "block", INI_BLOCKS + PYPROJECT_BLOCKS, ids=ids(INI_BLOCKS + PYPROJECT_BLOCKS)
)
def test_a_configuration_sample_is_valid_and_complete(
    block: Block, pytester: pytest.Pytester
) -> None:
    if block.info == "ini":
        configparser.ConfigParser().read_string(block.text)
        pytester.path.joinpath("pytest.ini").write_text(block.text, encoding="utf-8")
    else:
        tomllib.loads(block.text)
        pytester.path.joinpath("pyproject.toml").write_text(block.text, encoding="utf-8")
    _spec(pytester.path)
    result = pytester.runpytest("--strict-config", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["health.md::health"])


# ---------------------------------------------------------------- commands


@dataclass
class Command:
    argv: list[str]
    env: dict[str, str]


def commands_in(text: str) -> Iterator[Command]:
    """The commands of a shell sample: comments dropped, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    exported: dict[str, str] = {}
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        argv = shlex.split(line, comments=True)
        if argv[0] == "export":
            for item in argv[1:]:
                name, _, value = item.partition("=")
                exported[name] = value
            continue
        env = dict(exported)
        while argv and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", argv[0]):
            name, _, value = argv.pop(0).partition("=")
            env[name] = value
        yield Command(argv, env)


DEMO_MODULE = ["python", "-m", "pytest_apispec.demo"]


def run_demo_by_hand(argv: list[str]) -> tuple[int, str]:
    """Start the demo as a user would, read what it prints, stop it with SIGTERM."""
    process = subprocess.Popen(
        [sys.executable, *argv[1:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        process.send_signal(signal.SIGTERM)
        rest, errors = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, "".join(lines) + rest + errors


def run_command(
    command: Command, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.RunResult | tuple[int, str]:
    argv = [os.path.expandvars(arg) for arg in command.argv]
    for name, value in command.env.items():
        monkeypatch.setenv(name, os.path.expandvars(value))
    if argv[:3] == DEMO_MODULE:
        return run_demo_by_hand(argv)
    if argv[:3] == ["python", "-m", "pytest"]:
        argv = argv[2:]
    assert argv[0] == "pytest", f"not a command these tests know how to run: {argv}"
    if "-n" in argv or any(arg.startswith("--numprocesses") for arg in argv):
        return pytester.runpytest_subprocess(*argv[1:], timeout=120)
    return pytester.runpytest(*argv[1:])


SH_BLOCKS = [
    b for b in ALL_BLOCKS if b.info == "sh" and b not in README_COMMANDS and b.kind != "dotenv"
]


@pytest.mark.parametrize("block", SH_BLOCKS, ids=ids(SH_BLOCKS))
def test_a_shell_sample_runs(
    block: Block, pytester: pytest.Pytester, demo_env: DemoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_page(block.page, pytester.path, examples=True)
    commands = list(commands_in(block.text))
    assert commands, block.where
    counts = _counts(block.directive.split("->", 1)[1]) if block.directive else None
    if counts is not None:
        assert len(commands) == 1, "<!-- sh -> COUNTS --> needs a block of one command"
    for command in commands:
        result = run_command(command, pytester, monkeypatch)
        if isinstance(result, tuple):
            code, output = result
            assert code == 0, output
            continue
        output = result.stdout.str() + result.stderr.str()
        if counts is not None:
            result.assert_outcomes(**counts)
        green = not (counts or {}).get("failed") and not (counts or {}).get("errors")
        assert (result.ret == 0) == green, (
            f"{block.where}: {command.argv} ended {result.ret}:\n{output}"
        )


WORKFLOWS = blocks_of("workflow", "yaml")


@pytest.mark.parametrize("block", WORKFLOWS, ids=ids(WORKFLOWS))
def test_the_pytest_commands_of_a_ci_workflow_run(
    block: Block, pytester: pytest.Pytester, demo_env: DemoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow = yaml.safe_load(block.text)
    runs = [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]
    write_page(block.page, pytester.path, examples=True)
    ran = 0
    for text in runs:
        for command in commands_in(text):
            if command.argv[0] == "pip" or command.argv[:3] == ["python", "-m", "pip"]:
                continue  # installing needs the network
            result = run_command(command, pytester, monkeypatch)
            assert not isinstance(result, tuple)
            assert result.ret == 0, result.stdout.str()
            ran += 1
    assert ran


DOTENV_BLOCKS = blocks_of("dotenv", "sh")


@pytest.mark.parametrize("block", DOTENV_BLOCKS, ids=ids(DOTENV_BLOCKS))
def test_an_env_file_sample_holds_what_the_demo_started_by_hand_prints(block: Block) -> None:
    """``.env`` samples: the demo's values, as ``python -m pytest_apispec.demo`` prints them."""
    from pytest_apispec.demo.__main__ import _exports

    settings = dict(line.split("=", 1) for line in block.text.split())
    started = SimpleNamespace(
        base_url=settings["API_BASE_URL"], fallback_url=settings["API_FALLBACK_URL"]
    )
    assert [f"export {line}" for line in block.text.split()] == _exports(started)  # type: ignore[arg-type]


# ---------------------------------------------------------------- output samples

_NORMALIZE = [
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"\b\d+\.\d+s\b"), "N.NNs"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "UUID"),
    (re.compile(r"\b(cp|bc)_[0-9a-f]{8}\b"), r"\1_ID"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "DATE"),
    (re.compile(r"^Date: .*"), "Date: DATE"),
    (re.compile(r"Python/[\d.]+"), "Python/X"),
    (re.compile(r"[=_]{3,}"), "==="),
    (re.compile(r"\s+"), " "),
]


def normalize(line: str) -> str:
    for pattern, replacement in _NORMALIZE:
        line = pattern.sub(replacement, line)
    return line.strip()


OUTPUT_BLOCKS = blocks_of("output", "text")


@pytest.mark.parametrize("block", OUTPUT_BLOCKS, ids=ids(OUTPUT_BLOCKS))
def test_an_output_sample_is_what_the_command_prints(
    block: Block, pytester: pytest.Pytester, demo_env: DemoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert block.directive is not None
    command = next(commands_in(block.directive.split(":", 1)[1]))
    write_page(block.page, pytester.path, examples=True)
    result = run_command(command, pytester, monkeypatch)
    output = result[1] if isinstance(result, tuple) else result.stdout.str() + result.stderr.str()
    actual = [normalize(line) for line in output.splitlines()]
    position = 0
    for line in block.text.splitlines():
        if line.strip() in ("", "..."):
            continue
        wanted = normalize(line)
        try:
            position = actual.index(wanted, position) + 1
        except ValueError:
            pytest.fail(f"{block.where}: {line!r} is not in the output (in order):\n{output}")


FILE_BLOCKS = blocks_of("file", "text")
_TIME = re.compile(r"T\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.mark.parametrize("block", FILE_BLOCKS, ids=ids(FILE_BLOCKS))
def test_a_file_sample_is_what_the_command_leaves(
    block: Block, pytester: pytest.Pytester, demo_env: DemoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert block.directive is not None
    match = re.fullmatch(r"file:\s*(\S+)\s+after:\s*(.+)", block.directive)
    assert match, f"{block.where}: bad directive {block.directive!r}"
    write_page(block.page, pytester.path, examples=True)
    run_command(next(commands_in(match[2])), pytester, monkeypatch)
    written = (pytester.path / match[1]).read_text(encoding="utf-8").splitlines()
    wanted = block.text.splitlines()
    assert [normalize(_TIME.sub("TTIME", line)) for line in written[: len(wanted)]] == [
        normalize(_TIME.sub("TTIME", line)) for line in wanted
    ], f"{block.where}: {match[1]} after {match[2]!r} is:\n" + "\n".join(written)


# ---------------------------------------------------------------- IDE settings

VSCODE_BLOCKS = blocks_of("vscode", "json")


@pytest.mark.parametrize("block", VSCODE_BLOCKS, ids=ids(VSCODE_BLOCKS))
def test_the_vscode_settings_discover_the_docs(
    block: Block, pytester: pytest.Pytester, demo_env: DemoApi
) -> None:
    settings = json.loads(block.text)
    assert settings["python.testing.pytestEnabled"] is True
    pattern = settings["python.testing.autoTestDiscoverOnSavePattern"]
    assert all(suffix in pattern for suffix in ("py", "md", "txt"))
    write_page(block.page, pytester.path, examples=True)
    result = pytester.runpytest("--collect-only", "-q", *settings["python.testing.pytestArgs"])
    assert result.ret == 0, result.stdout.str()
    assert any(".md::" in line for line in result.stdout.lines)


# ---------------------------------------------------------------- links


def _links(page: Path) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8"))


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(README.parent / link.split("#")[0]).resolve() for link in _links(README)}
    pages = set(DOCS.glob("*.md")) | {DOCS / name for name in OTHERS_PAGES}
    missing = sorted(str(page.relative_to(ROOT)) for page in pages if page.resolve() not in linked)
    assert not missing, f"README.md does not link to {missing}"


def test_local_links_point_at_files_and_headings_that_exist() -> None:
    broken = []
    for page in [*PAGES, ROOT / "examples" / "README.md"]:
        for link in _links(page):
            if re.match(r"[a-z]+:", link):
                continue
            target, _, anchor = link.partition("#")
            path = (page.parent / target).resolve() if target else page
            if not path.exists():
                if path.name not in OTHERS_PAGES:
                    broken.append(f"{page.name}: {link}")
                continue
            if anchor and path.suffix == ".md" and anchor not in _anchors(path):
                broken.append(f"{page.name}: {link} (no such heading)")
    assert not broken, broken


def _anchors(page: Path) -> set[str]:
    anchors = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#{1,6}\s+(.*)", line)
        if heading:
            text = heading[1].strip().lower()
            text = re.sub(r"[^\w\- ]", "", text)
            anchors.add(text.replace(" ", "-"))
    return anchors


# ---------------------------------------------------------------- configuration reference

CONFIGURATION = DOCS / "configuration.md"


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _first_cells(section: str) -> set[str]:
    return set(re.findall(r"^\|\s*`([^`]+)`", section, re.M))


@pytest.fixture(scope="module")
def plugin_help(tmp_path_factory: pytest.TempPathFactory) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        cwd=tmp_path_factory.mktemp("help"),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_help_groups_the_plugin_options_under_one_heading(plugin_help: str) -> None:
    heading = "API endpoint docs (pytest-apispec):"
    assert plugin_help.count(heading) == 1
    group = plugin_help.split(heading, 1)[1].split("\n\n", 1)[0]
    outside = plugin_help.replace(group, "")
    assert not re.search(r"^\s+--api-", outside, re.M), "an --api-* option outside the group"
    for option in re.findall(r"^  (--api-[\w-]+)", group, re.M):
        assert re.search(rf"^  {option}\S*\s+\S", group, re.M) or re.search(
            rf"^  {option}\S*\n\s{{10,}}\S", group, re.M
        ), f"{option} has no help"


def _help_options(plugin_help: str) -> set[str]:
    group = plugin_help.split("API endpoint docs (pytest-apispec):", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^  (--api-[\w-]+)", group, re.M))


def _help_ini_keys(plugin_help: str) -> set[str]:
    return set(re.findall(r"^  (api_\w+) \(", plugin_help, re.M))


def test_every_option_is_in_the_configuration_reference_and_nothing_else(
    plugin_help: str,
) -> None:
    documented = _first_cells(_section(CONFIGURATION.read_text(encoding="utf-8"), "Options"))
    documented = {cell.split("=")[0].split(" ")[0] for cell in documented}
    assert documented == _help_options(plugin_help)


def test_every_ini_key_is_in_the_configuration_reference_and_nothing_else(
    plugin_help: str,
) -> None:
    documented = _first_cells(_section(CONFIGURATION.read_text(encoding="utf-8"), "Ini keys"))
    assert documented == _help_ini_keys(plugin_help) == set(options.INI_KEYS)


def test_every_environment_variable_is_in_the_configuration_reference() -> None:
    section = _section(CONFIGURATION.read_text(encoding="utf-8"), "Environment variables")
    documented = _first_cells(section)
    source = "\n".join(p.read_text() for p in (ROOT / "pytest_apispec").rglob("*.py"))
    read = set(re.findall(r'"(API_[A-Z_]*[A-Z])"', source))  # API_BASE_URL, ...
    if f'"{options.TOKEN_ENV_PREFIX}"' in source:
        read.add(options.TOKEN_ENV_PREFIX + "<TYPE>")
    assert documented == read


def test_every_fixture_is_in_the_configuration_reference_and_nothing_else(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    text = result.stdout.str()
    section = text.split("fixtures defined from pytest_apispec.plugin", 1)[1]
    section = re.split(r"\n-{3,}", section.split("\n", 1)[1], maxsplit=1)[0]
    provided = set(re.findall(r"^(apispec_\w+)", section, re.M))
    assert provided
    documented = _first_cells(_section(CONFIGURATION.read_text(encoding="utf-8"), "Fixtures"))
    assert documented == provided


def test_every_marker_is_in_the_configuration_reference_and_nothing_else(
    pytester: pytest.Pytester,
) -> None:
    listed = pytester.runpytest("--markers", "-p", "no:cacheprovider").stdout.str()
    names = {
        *markers.STATIC_MARKERS,
        markers.XDIST_GROUP,
        *(f"{p}<name>" for p in markers.DYNAMIC_PREFIXES),
    }
    for name in names:
        assert re.search(rf"^@pytest\.mark\.{re.escape(name)}[:(]", listed, re.M), name
    section = _section(CONFIGURATION.read_text(encoding="utf-8"), "Markers")
    documented = {cell.split("(")[0] for cell in _first_cells(section)}
    assert documented == names


# ---------------------------------------------------------------- troubleshooting

TROUBLESHOOTING = DOCS / "troubleshooting.md"
_MESSAGE_CALLS = {
    "SpecError",
    "StepError",
    "UsageError",
    "error",
    "skip",
    "fail",
    "_raise",
    "TooLarge",
    "YamlError",
    "PytestConfigWarning",
    "NotWritten",
    "EditError",
    "LintProblem",
    "NearMiss",
}
_MESSAGE_MODULES_ALL_STRINGS = {"runner.py", "transport.py", "checks.py", "requirements.py"}


def _fragments(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        pieces, current = [], ""
        for value in node.values:
            if isinstance(value, ast.Constant):
                current += str(value.value)
            else:
                pieces.append(current)
                current = ""
        return [*pieces, current]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _fragments(node.left) + _fragments(node.right)
    if isinstance(node, ast.List | ast.Tuple):
        return [piece for item in node.elts for piece in _fragments(item)]
    if isinstance(node, ast.Call):
        return [piece for arg in node.args for piece in _fragments(arg)]
    return []


def plugin_messages() -> dict[str, str]:
    """Every fixed piece of every message the plugin gives, with where it comes from."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "pytest_apispec").rglob("*.py")):
        if path.parent.name == "demo":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef) or function.name.startswith("__"):
                continue
            for node in ast.walk(function):
                pieces: list[str] = []
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if name in _MESSAGE_CALLS or (
                        name == "append" and path.name in _MESSAGE_MODULES_ALL_STRINGS
                    ):
                        pieces = [p for arg in node.args for p in _fragments(arg)]
                elif isinstance(node, ast.Return) and path.name in _MESSAGE_MODULES_ALL_STRINGS:
                    if node.value is not None and not isinstance(node.value, ast.Call):
                        pieces = _fragments(node.value)
                elif isinstance(node, ast.AugAssign) and path.name == "yamlsafe.py":
                    pieces = _fragments(node.value)
                for piece in pieces:
                    text = piece.strip(" '\"")
                    if len(text) >= 12 and " " in text:
                        found.setdefault(text, f"{path.name}:{node.lineno}")
    return found


def test_every_message_of_the_plugin_is_in_troubleshooting() -> None:
    text = TROUBLESHOOTING.read_text(encoding="utf-8")
    messages = plugin_messages()
    assert len(messages) > 50
    missing = [f"{where}: {piece!r}" for piece, where in messages.items() if piece not in text]
    assert not missing, "messages docs/troubleshooting.md does not explain:\n" + "\n".join(missing)
