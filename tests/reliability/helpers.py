"""Helpers of the reliability suite: docs written from tests, runners, hard time bounds."""

from __future__ import annotations

import textwrap
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import pytest
import requests

from pytest_apispec.docformat.model import Expectation, Section, Spec, Step
from pytest_apispec.execution.results import StepResult
from pytest_apispec.execution.runner import StepRunner
from pytest_apispec.execution.settings import ApiSettings

TOKEN = "rel-secret-9f3b27c1d8e4"
"""The token every reliability test configures; it must never show up anywhere it should not."""

_T = TypeVar("_T")


def doc(steps: str, frontmatter: str = 'endpoint: "GET /x"', prerequisites: str = "") -> str:
    """An endpoint doc with the given frontmatter lines and ``## Test Request`` steps."""
    pre = ""
    if prerequisites:
        pre = "## Prerequisites\n\n```yaml\nsteps:\n" + _indent(prerequisites) + "```\n\n"
    return (
        f"---\n{frontmatter}\n---\n\n# A doc\n\nWhat it does.\n\n{pre}"
        "## Test Request\n\n```yaml\nsteps:\n" + _indent(steps) + "```\n"
    )


def _indent(steps: str) -> str:
    return textwrap.indent(textwrap.dedent(steps).strip("\n") + "\n", "  ")


def bounded(call: Callable[[], _T], seconds: float = 10.0) -> _T:
    """Run ``call`` and fail the test (instead of hanging) if it takes longer than ``seconds``."""
    box: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            box.append((True, call()))
        except BaseException as exc:
            box.append((False, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if not box:
        pytest.fail(f"did not finish within {seconds}s: it would hang", pytrace=False)
    ok, value = box[0]
    if not ok:
        raise value
    result: _T = value
    return result


def step(path: str = "/x", method: str = "GET", **fields: Any) -> Step:
    """A test-request step; mappings are frozen as the parser would."""
    for key in ("params", "headers", "extract"):
        if key in fields:
            fields[key] = MappingProxyType(fields[key])
    if "status" in fields:
        fields["expect"] = Expectation(status=tuple(fields.pop("status")))
    fields.setdefault("token", "staff")
    return Step(
        id="the_step", line=12, section=Section.TEST_REQUEST, method=method, path=path, **fields
    )


def spec_of(*steps: Step) -> Spec:
    return Spec(
        path=Path("doc.md"),
        name="doc",
        endpoint=None,
        title="",
        description="",
        test_request_line=10,
        prerequisites=(),
        test_request=steps,
    )


def runner(
    base_url: str | None, tokens: Mapping[str, str] | None = None, **settings: Any
) -> StepRunner:
    settings.setdefault("timeout", 2.0)
    return StepRunner(
        requests.Session(),
        ApiSettings(base_url=base_url, **settings),
        {"staff": TOKEN} if tokens is None else tokens,
    )


def run_step(
    base_url: str | None,
    the_step: Step | None = None,
    variables: Mapping[str, Any] | None = None,
    seconds: float = 10.0,
    **settings: Any,
) -> StepResult:
    """Run one step against ``base_url`` within a hard bound of ``seconds``."""
    the_step = the_step or step()
    the_runner = runner(base_url, **settings)
    return bounded(lambda: the_runner.run(spec_of(the_step), the_step, variables or {}), seconds)


class Clock:
    """Measures how long a block took."""

    def __enter__(self) -> Clock:
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.start
