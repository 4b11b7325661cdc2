"""Property-based fuzzing of the parser: whatever the bytes, one of three clean answers.

``parse_spec(path, raw)`` returns a ``Spec``, ``None`` (not a spec), or raises ``SpecError``
saying ``path:line: ...``; it never raises anything else, never takes long, and a ``Spec`` it
returns is coherent (a test request, unique step ids, lines inside the file).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_apispec.docformat.model import Spec, SpecError
from pytest_apispec.docformat.parser import parse_spec

PATH = Path("docs/fuzzed.md")
SEED = (Path(__file__).parent.parent / "data" / "seeds" / "000_2b83c488c88b2697.txt").read_bytes()
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

KEYS = [
    "id", "method", "path", "token", "params", "headers", "body", "extract", "expect", "status",
    "onFail", "skipReason", "successStatus", "useFallbackApi", "scope", "retries", "description",
]  # fmt: skip
FRONTMATTER_KEYS = [
    "endpoint", "domain", "tags", "status", "tokens", "useFallbackApi", "expectedOutcome",
    "expectedOutcomeReason", "requiresTestData", "fixtures", "timesReused", "savedAt", "swagger",
]  # fmt: skip
HEADINGS = ["Prerequisites", "Test Request", "Cleanup", "Summary", "test request", "Notes"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["GET", "post", "/x/{{id}}", "{{x}}", "$.data.id", "200", "abort", "module"]),
    st.sampled_from(["²", "٣٠٠", "9" * 5000, "1e999", "-0", " 200 ", "0x1F", "\x00"]),
)
# Raw YAML lines that no dumper writes: tags, aliases, huge numbers, deep nesting, tabs.
RAW_LINES = [
    "x: !!python/object/apply:os.system [echo pwned]",
    "x: !!binary aGk=",
    "x: &a [*a, *a]",
    "a: &a [1, 2]\nb: [*a, *a, *a, *a]",
    "body: " + "9" * 5000,
    "body: " + "[" * 5000 + "]" * 5000,
    "body: " + "{a: " * 200 + "1" + "}" * 200,
    "\tmethod: GET",
    "? [a, b]\n: c",
    "<<: [1, 2]",
    "x: !!set {a, b}",
    "x: 2024-02-30",
    "...",
    "%YAML 1.1\n---",
]
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=4
        ),
    ),
    max_leaves=12,
)
steps = st.lists(
    st.one_of(
        st.dictionaries(st.sampled_from(KEYS), values, max_size=8),
        st.fixed_dictionaries(
            {"method": st.sampled_from(["GET", "POST", "DELETE"]), "path": st.text(max_size=12)},
            optional={key: values for key in KEYS if key not in ("method", "path")},
        ),
        values,
    ),
    max_size=4,
)


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=False)


@st.composite
def frontmatters(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["none", "mapping", "text", "unclosed", "empty"]))
    if kind == "none":
        return ""
    if kind == "mapping":
        data = draw(st.dictionaries(st.sampled_from(FRONTMATTER_KEYS), values, max_size=6))
        return "---\n" + _yaml(data) + "---\n"
    if kind == "text":
        text = draw(st.one_of(st.text(max_size=60), st.sampled_from(RAW_LINES)))
        return "---\nendpoint: GET /x\n" + text + "\n---\n"
    if kind == "unclosed":
        return "---\nendpoint: GET /x\n" + draw(st.text(max_size=30))
    return "---\n---\n"


@st.composite
def sections(draw: st.DrawFn) -> str:
    heading = draw(st.sampled_from(HEADINGS))
    level = draw(st.sampled_from(["#", "##", "###", " ##"]))
    fence = draw(st.sampled_from(["```yaml", "```", "~~~yml", "````yaml", "```json"]))
    closing = draw(st.sampled_from(["```", "~~~", "````", ""]))
    content = draw(
        st.one_of(
            steps.map(lambda s: _yaml({"steps": s})),
            values.map(_yaml),
            st.text(max_size=80),
            st.lists(st.sampled_from(RAW_LINES), min_size=1, max_size=3).map(
                lambda lines: "steps:\n  - method: GET\n    path: /x\n" + "\n".join(lines) + "\n"
            ),
        )
    )
    prose = draw(st.text(max_size=40))
    return f"{level} {heading}\n\n{prose}\n\n{fence}\n{content}{closing}\n"


@st.composite
def docs(draw: st.DrawFn) -> bytes:
    text = draw(frontmatters()) + "".join(draw(st.lists(sections(), max_size=4)))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = text.replace("\n", newline)
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode("utf-8", "surrogatepass")


def check(raw: bytes) -> None:
    started = time.monotonic()
    try:
        spec = parse_spec(PATH, raw)
    except SpecError as error:
        assert error.path == PATH
        assert error.line is None or error.line >= 1
        assert str(error).startswith(f"{PATH}:{error.line}: " if error.line else f"{PATH}: ")
        assert error.message.strip()
        spec = None
    assert time.monotonic() - started < 2
    if spec is not None:
        assert isinstance(spec, Spec)
        assert spec.test_request, "a spec always has a test request"
        ids = [step.id for step in spec.steps]
        assert len(ids) == len(set(ids))
        lines = raw.count(b"\n") + raw.count(b"\r") + 1
        assert all(1 <= step.line <= lines for step in spec.steps)


@FUZZ
@given(docs())
def test_generated_docs(raw: bytes) -> None:
    check(raw)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw: bytes) -> None:
    check(raw)
    check(b"## Test Request\n\n```yaml\n" + raw + b"\n```\n")
    check(b'---\nendpoint: "GET /x"\n' + raw + b"\n---\n## Test Request\n```yaml\nsteps: []\n```\n")


@FUZZ
@given(st.data())
def test_mutated_seed(data: st.DataObject) -> None:
    """Random edits of a real doc: deleted, replaced and inserted bytes."""
    raw = bytearray(SEED)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw)))
        how = data.draw(st.sampled_from(["delete", "replace", "insert"]))
        chunk = data.draw(
            st.one_of(
                st.binary(min_size=1, max_size=6),
                st.sampled_from([b"\t", b"---\n", b"```", b"*a", b"&a ", b"[", b"{", b": ", b"\r"]),
            )
        )
        if how == "delete":
            del raw[at : at + len(chunk)]
        elif how == "replace":
            raw[at : at + len(chunk)] = chunk
        else:
            raw[at:at] = chunk
    check(bytes(raw))


@FUZZ
@given(steps)
def test_generated_step_lists(generated: list[Any]) -> None:
    block = _yaml({"steps": generated})
    check(f"## Test Request\n\n```yaml\n{block}```\n".encode())
    check(f'---\nendpoint: "GET /x"\n---\n## Prerequisites\n```yaml\n{block}```\n'.encode())
