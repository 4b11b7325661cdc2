"""A fixed corpus of hostile files under spec names: each is one clean per-doc result.

For every file: :func:`parse_spec` answers a Spec, ``None`` or a ``SpecError`` (nothing else)
within a bounded time and memory, and a pytest run with the file next to one good doc passes
the good doc and reports the hostile one as one failed item at ``path:line`` (or does not
collect it): no INTERNALERROR, exit code 1 (or 0), never 3.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_apispec.docformat.model import Spec, SpecError
from pytest_apispec.docformat.parser import read_spec

from .helpers import Clock, bounded, doc
from .servers import ScriptedServer, json_ok

MIB = 1024 * 1024
GOOD_DOC = doc("- method: GET\n  path: /ok\n  expect: {status: 200}", 'endpoint: "GET /ok"')
TEST_REQUEST = "## Test Request\n\n```yaml\nsteps:\n  - method: GET\n    path: /x\n```\n"


def _block(*lines: bytes) -> bytes:
    """A ``## Test Request`` section whose yaml block holds ``lines``."""
    return b"## Test Request\n\n```yaml\n" + b"\n".join(lines) + b"\n```\n"


def _laughs(levels: int = 9) -> str:
    """A "billion laughs" alias bomb: 9 levels of 9 aliases each stand for 9**9 values."""
    lines = ['lol0: &lol0 "lol"']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{aliases}]")
    return "\n".join(lines)


def _twenty_mib(path: Path, spec_like: bool) -> None:
    """Writes a 20 MiB doc a line at a time (never built in memory)."""
    head = doc("- method: GET\n  path: /x") if spec_like else "# Release notes\n\n"
    line = b"| a table row of an enormous changelog, repeated until the file is large |\n"
    with path.open("wb") as file:
        file.write(head.encode())
        for _ in range(20 * MIB // len(line) + 1):
            file.write(line)


@dataclass(frozen=True)
class Nasty:
    """A hostile file and what must come of it."""

    content: bytes | Callable[[Path], None]
    error: str | None  # a fragment of the SpecError message; None: the file is not a spec
    line: int | None = None  # the line the error must name

    def write(self, path: Path) -> None:
        if isinstance(self.content, bytes):
            path.write_bytes(self.content)
        else:
            self.content(path)


NASTY: dict[str, Nasty] = {
    "binary": Nasty(bytes(range(256)) * 64, None),
    "binary_that_looks_like_a_spec": Nasty(
        b"\x00\x01---\nendpoint: GET /x\n---\n\xff" + TEST_REQUEST.encode(), "not valid UTF-8", 4
    ),
    "nul_bytes_in_a_spec": Nasty(
        b'---\nendpoint: "GET /x"\n---\n\x00\n' + TEST_REQUEST.encode(), None
    ),
    "invalid_utf8": Nasty(
        b'---\nendpoint: "GET /x"\n---\n\nCaf\xe9 au lait\n\n' + TEST_REQUEST.encode(),
        "is not valid UTF-8",
        5,
    ),
    "invalid_utf8_not_a_spec": Nasty(b"# Notes\n\nCaf\xe9 au lait\n", None),
    "empty": Nasty(b"", None),
    "only_whitespace": Nasty(b"\n\n   \n\t\n", None),
    "frontmatter_never_closes": Nasty(
        b'---\nendpoint: "GET /x"\ndomain: sales\n\n' + TEST_REQUEST.encode(), "never closes", 1
    ),
    "billion_laughs_in_frontmatter": Nasty(
        f'---\nendpoint: "GET /x"\n{_laughs()}\n---\n\n{TEST_REQUEST}'.encode(),
        "alias bomb",
    ),
    "billion_laughs_in_a_body": Nasty(
        (
            "## Test Request\n\n```yaml\n"
            + _laughs()
            + "\nsteps:\n  - method: POST\n    path: /x\n    body: *lol9\n```\n"
        ).encode(),
        "alias bomb",
    ),
    "deep_flow_nesting": Nasty(
        doc("- method: POST\n  path: /x\n  body: " + "[" * 200_000 + "]" * 200_000).encode(),
        "nested more than",
    ),
    "deep_mapping_nesting": Nasty(
        doc("- method: POST\n  path: /x\n  body: " + "{a: " * 50_000 + "1" + "}" * 50_000).encode(),
        "nested more than",
    ),
    "deep_block_nesting": Nasty(
        doc(
            "- method: POST\n  path: /x\n  body:\n"
            + "".join(f"{'  ' * (i + 2)}k:\n" for i in range(300))
            + "      v: 1"
        ).encode(),
        "nested more than",
    ),
    "deep_dash_nesting": Nasty(
        doc("- method: POST\n  path: /x\n  body:\n    " + "- " * 100_000 + "x").encode(),
        "nested more than",
    ),
    "twenty_mib_doc": Nasty(lambda p: _twenty_mib(p, spec_like=True), "larger than"),
    "twenty_mib_readme": Nasty(lambda p: _twenty_mib(p, spec_like=False), None),
    "tabs_for_indentation": Nasty(
        b'---\nendpoint: "GET /x"\n---\n\n'
        + _block(b"steps:", b"\t- method: GET", b"\t  path: /x"),
        "tabs",
        9,
    ),
    "steps_is_a_mapping": Nasty(
        b"## Test Request\n\n```yaml\nsteps:\n  method: GET\n  path: /x\n```\n",
        "steps must be a list",
        4,
    ),
    "steps_is_a_string": Nasty(
        b"## Test Request\n\n```yaml\nsteps: GET /x\n```\n", "steps must be a list", 4
    ),
    "a_step_is_a_list": Nasty(
        b"## Test Request\n\n```yaml\nsteps:\n  - [GET, /x]\n```\n", "must be a mapping", 4
    ),
    "a_step_is_null": Nasty(
        b"## Test Request\n\n```yaml\nsteps:\n  -\n```\n", "must be a mapping", 4
    ),
    "unhashable_key": Nasty(
        _block(b"steps:", b"  - method: GET", b"    path: /x", b"    ? [a, b]", b"    : c"),
        "unhashable key",
    ),
    "python_object_tag": Nasty(
        _block(
            b"steps:",
            b"  - method: GET",
            b"    path: !!python/object/apply:os.system [touch PWNED]",
        ),
        "the tag !!python/object/apply:os.system is not allowed in a doc",
        6,
    ),
    "python_object_tag_in_frontmatter": Nasty(
        b"---\nendpoint: !!python/object/apply:os.system [touch PWNED]\n---\n\n"
        + TEST_REQUEST.encode(),
        "the tag !!python/object/apply:os.system is not allowed in a doc",
        2,
    ),
    "python_name_tag": Nasty(
        b'---\nendpoint: "GET /x"\nx: !!python/name:os.system\n---\n\n' + TEST_REQUEST.encode(),
        "the tag !!python/name:os.system is not allowed in a doc",
        3,
    ),
    "frontmatter_is_a_list": Nasty(b"---\n- a\n- b\n---\n\n" + TEST_REQUEST.encode(), "mapping", 2),
    "two_yaml_documents_in_a_block": Nasty(
        _block(b"steps:", b"  - method: GET", b"    path: /x", b"---", b"steps: []"),
        "not valid YAML",
        7,
    ),
    "a_number_of_100000_digits": Nasty(
        doc("- method: POST\n  path: /x\n  body: " + "9" * 100_000).encode(),
        "a number of more than 4300 digits; quote it to send it as text",
        15,
    ),
    "a_superscript_status": Nasty(
        doc("- method: GET\n  path: /x", 'endpoint: "GET /x"\nexpectedOutcome: "²"').encode(),
        "HTTP status code",
        1,
    ),
    "retries_without_end": Nasty(
        doc("- method: POST\n  path: /x\n  retries: 100000000000").encode(), "retries", 13
    ),
    "windows_line_endings_broken": Nasty(
        (b'---\nendpoint: "GET /x"\n---\n\n' + _block(b"steps:", b"  - path: /x")).replace(
            b"\n", b"\r\n"
        ),
        "has no 'method'",
        9,
    ),
    "old_mac_line_endings_broken": Nasty(
        (b'---\nendpoint: "GET /x"\n---\n\n' + _block(b"steps:", b"  - path: /x")).replace(
            b"\n", b"\r"
        ),
        "has no 'method'",
        9,
    ),
    "code_block_never_closes": Nasty(
        b"## Test Request\n\n```yaml\nsteps:\n  - method: GET\n    path: /x\n", "never closes", 3
    ),
}

# Hostile in form only: these are valid docs, and must run like any other.
VALID: dict[str, bytes] = {
    "windows_line_endings_and_bom": (
        "\ufeff" + doc("- method: GET\n  path: /ok\n  expect: {status: 200}")
    )
    .replace("\n", "\r\n")
    .encode(),
    "non_string_keys": doc(
        "- method: GET\n  path: /ok\n  1: one\n  expect: {status: 200}\n"
        "  params: {1: a, true: b, 2024-01-01: c}"
    ).encode(),
    # a regular expression that backtracks would take hours on these lines
    "a_heading_of_three_million_hashes": (
        "## Summary" + "#" * 3_000_000 + "x\n\n" + doc("- method: GET\n  path: /ok")
    ).encode(),
    "a_placeholder_padded_with_spaces": doc(
        "- method: GET\n  path: /ok\n  params: {q: '{{" + " " * 100_000 + "$uuid }}'}"
    ).encode(),
}


def _parse_bounded(path: Path) -> tuple[Spec | SpecError | None, float, int]:
    """Parse, returning (outcome, seconds, peak bytes allocated); fails rather than hangs."""

    def parse() -> Spec | SpecError | None:
        try:
            return read_spec(path)
        except SpecError as error:
            return error

    tracemalloc.start()
    try:
        with Clock() as clock:
            outcome = bounded(parse, 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, clock.seconds, peak


@pytest.mark.parametrize("name", list(NASTY))
def test_a_nasty_file_parses_to_one_clean_answer_in_bounded_time_and_memory(
    tmp_path: Path, name: str
) -> None:
    nasty = NASTY[name]
    path = tmp_path / f"{name}.md"
    nasty.write(path)
    outcome, seconds, peak = _parse_bounded(path)
    assert seconds < 3, f"took {seconds:.1f}s"
    assert peak < 64 * MIB, f"allocated {peak // MIB} MiB"
    if nasty.error is None:
        assert outcome is None
        return
    assert isinstance(outcome, SpecError), outcome
    assert nasty.error in outcome.message
    assert str(outcome).startswith(f"{path}:{outcome.line}: " if outcome.line else f"{path}: ")
    if nasty.line is not None:
        assert outcome.line == nasty.line, str(outcome)


def test_python_tags_run_no_code(tmp_path: Path) -> None:
    for name in ("python_object_tag", "python_object_tag_in_frontmatter", "python_name_tag"):
        path = tmp_path / f"{name}.md"
        NASTY[name].write(path)
        with pytest.raises(SpecError):
            read_spec(path)
    assert not (Path.cwd() / "PWNED").exists() and not (tmp_path / "PWNED").exists()


def test_a_billion_laughs_doc_is_rejected_fast_and_small(tmp_path: Path) -> None:
    path = tmp_path / "laughs.md"
    NASTY["billion_laughs_in_a_body"].write(path)
    outcome, seconds, peak = _parse_bounded(path)
    assert isinstance(outcome, SpecError)
    assert seconds < 0.5 and peak < 4 * MIB, (seconds, peak)


@pytest.mark.parametrize("name", list(VALID))
def test_a_valid_doc_in_an_unusual_form_parses(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.md"
    path.write_bytes(VALID[name])
    spec = read_spec(path)
    assert spec is not None and spec.test_request[0].path == "/ok"


def test_windows_line_endings_keep_the_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "crlf.md"
    text = doc("- method: GET\n  path: /x\n- method: GET\n  path: /y")
    path.write_bytes(("\ufeff" + text).replace("\n", "\r\n").encode())
    spec = read_spec(path)
    assert spec is not None
    lines = text.split("\n")
    assert [s.line for s in spec.test_request] == [
        i + 1 for i, line in enumerate(lines) if line.startswith("  - method")
    ]


# ------------------------------------------------------------------ through pytest


@pytest.fixture(scope="module")
def ok_server() -> Iterator[ScriptedServer]:
    with ScriptedServer(json_ok()) as server:
        yield server


@pytest.mark.parametrize("name", list(NASTY) + list(VALID))
def test_a_nasty_file_does_not_affect_the_good_doc_next_to_it(
    pytester: pytest.Pytester, ok_server: ScriptedServer, name: str
) -> None:
    (pytester.path / "good.md").write_text(GOOD_DOC, encoding="utf-8")
    path = pytester.path / f"{name}.md"
    nasty = NASTY.get(name)
    if nasty is None:
        path.write_bytes(VALID[name])
    else:
        nasty.write(path)
    result = pytester.runpytest(
        "--api-base-url",
        ok_server.base_url,
        "--api-token-staff",
        "tok-en",
        "--api-timeout",
        "2",
        "-rf",
    )
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output and "Traceback" not in output
    if nasty is None:
        result.assert_outcomes(passed=2)
        assert result.ret == 0
    elif nasty.error is None:
        result.assert_outcomes(passed=1)
        assert result.ret == 0
    else:
        result.assert_outcomes(passed=1, failed=1)
        assert result.ret == 1
        where = f"{name}.md:{nasty.line}: " if nasty.line else f"{name}.md"
        result.stdout.fnmatch_lines([f"{where}*{nasty.error}*"])


def test_every_nasty_file_at_once_in_a_subprocess(
    pytester: pytest.Pytester, ok_server: ScriptedServer
) -> None:
    """The whole corpus in one real process: a crash (not just an exception) would show here."""
    (pytester.path / "good.md").write_text(GOOD_DOC, encoding="utf-8")
    for name, nasty in NASTY.items():
        nasty.write(pytester.path / f"{name}.md")
    result = pytester.runpytest_subprocess(
        "--api-base-url",
        ok_server.base_url,
        "--api-token-staff",
        "tok-en",
        "-p",
        "no:cacheprovider",
        timeout=60,
    )
    errors = sum(nasty.error is not None for nasty in NASTY.values())
    result.assert_outcomes(passed=1, failed=errors)
    assert result.ret == 1
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


# ------------------------------------------------------------------ safe loading only


def test_yaml_is_only_ever_loaded_with_the_safe_loader() -> None:
    import yaml

    from pytest_apispec.docformat import yamlsafe

    assert issubclass(
        yamlsafe._LineLoader, yaml.SafeLoader | getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    package = Path(yamlsafe.__file__).parents[1]
    for path in package.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for unsafe in (
            "unsafe_load",
            "FullLoader",
            "UnsafeLoader",
            "Loader=yaml.Loader",
            "full_load",
        ):
            assert unsafe not in source, f"{path.name} uses {unsafe}"
        if path.name != "yamlsafe.py":
            assert "yaml.load(" not in source and "safe_load(" not in source, path.name
            assert "_FRONTMATTER.load" not in source, path.name  # python-frontmatter's loader


def test_the_freeze_budget_stops_a_shared_structure_bomb_fast() -> None:
    """The second line of defence: a bomb built in memory (as aliases resolve) is not walked out."""
    from pytest_apispec.docformat import yamlsafe

    value: object = "lol"
    for _ in range(9):
        value = [value] * 9  # 9**9 leaves, 82 distinct objects
    with Clock() as clock, pytest.raises(yamlsafe.TooLarge, match="more than"):
        yamlsafe.freeze(value)
    assert clock.seconds < 2
    recursive: list[object] = []
    recursive.append(recursive)
    with pytest.raises(yamlsafe.TooLarge, match="nested deeper"):
        yamlsafe.freeze(recursive)


def test_a_recursive_alias_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "recursive.md"
    path.write_text(doc("- method: POST\n  path: /x\n  body: &a [*a]"))
    with pytest.raises(SpecError, match=r"nested (deeper|more)"):
        read_spec(path)


def test_placeholders_padded_with_spaces_render_in_linear_time() -> None:
    from pytest_apispec.docformat import templates

    padded = "{{" + " " * 1_000_000 + "id" + " " * 1_000_000 + "}}"
    unclosed = "/x/{{" + " " * 1_000_000 + "id"
    with Clock() as clock:
        assert bounded(lambda: templates.render_path(padded, {"id": 7}), 5) == "7"
        assert bounded(lambda: templates.render_path(unclosed, {}), 5) == unclosed
        assert bounded(lambda: templates.placeholders([padded, unclosed]), 5) == {"id"}
    assert clock.seconds < 2


@pytest.mark.parametrize("brackets", [100, 1_100, 20_000])
@pytest.mark.parametrize("one_a_line", [False, True], ids=["one_line", "one_a_line"])
def test_over_deep_nesting_gets_our_message_and_line_whatever_pyyaml_limits(
    tmp_path: Path, brackets: int, one_a_line: bool
) -> None:
    """100 open brackets pass every PyYAML's own limit; 1,100 and more on one line exceed
    libyaml's (PyYAML 6.0.4 stops at 1,000, scanning ahead of the events we count). The user
    reads the same words at the same line either way, after non-ASCII text."""
    opened = "[\n      " if one_a_line else "["
    body = "  note: 'café €'\n  body:\n    " + opened * brackets + "]" * brackets
    path = tmp_path / "deep.md"
    path.write_text(doc("- method: POST\n  path: /x\n" + body), encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        read_spec(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    first_bracket = next(i for i, line in enumerate(lines) if line.strip().startswith("["))
    assert raised.value.message.endswith("nested more than 72 levels deep"), raised.value
    # 1-based; the block's own levels (steps, their list, the step) count towards the limit
    assert raised.value.line == first_bracket + 1 + (72 - 3 if one_a_line else 0)
