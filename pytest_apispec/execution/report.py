"""Failure reports: what a person needs to understand and repeat a failing step.

Plain text only (it travels through pytest-xdist and into JUnit XML unchanged). Reports never
hold a token: requests record the token as ``$API_TOKEN_<TYPE>``, and the curl command uses
the same reference, so it runs as-is in a shell where that variable is set.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from pytest_apispec.execution.results import RequestRecord, ResponseRecord, StepResult

_SHOWN_RESPONSE_HEADERS = 20


def format_result(result: StepResult, style: str = "long", description: str = "") -> str:
    """A failure report in pytest's ``--tb`` styles: ``line``, ``short`` or ``long``."""
    if style == "line":
        return result.headline()
    lines = [f"{result.location}: step '{result.step.id}' failed"]
    if result.step.description:
        lines.append(f"  {result.step.description}")
    lines += [f"  - {problem}" for problem in result.problems]
    lines += [f"  {note}" for note in result.notes]
    if result.request is not None:
        lines.append(f"request:  {result.request.method} {result.request.url}")
    if result.response is not None:
        lines.append(f"response: {result.response.status} {result.response.reason}".rstrip())
    if style == "short":
        return "\n".join(lines)
    if description:
        lines[1:1] = [f"doc: {description}"]
    if result.request is not None:
        lines += ["", *_request_section(result.request)]
    if result.response is not None:
        lines += ["", *_response_section(result.response)]
    if result.request is not None:
        lines += ["", "repeat it with:", "  " + curl_command(result.request)]
    return "\n".join(lines)


def _request_section(request: RequestRecord) -> list[str]:
    lines = [f"--- request: {request.method} {request.url}"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    if request.body is not None:
        lines.append(_json_text(request.body))
    if request.sent_body is not None:
        lines += request.sent_body.report_lines()
    return lines


def _response_section(response: ResponseRecord) -> list[str]:
    lines = [f"--- response: {response.status} {response.reason} ({response.elapsed:.3f}s)"]
    headers = response.headers[:_SHOWN_RESPONSE_HEADERS]
    lines += [f"{name}: {value}" for name, value in headers]
    if len(response.headers) > len(headers):
        lines.append(f"... {len(response.headers) - len(headers)} more headers")
    if response.body_excerpt:
        lines.append(response.body_excerpt)
    if response.truncated:
        lines.append(f"... (body excerpt of {response.body_size} bytes received)")
    return lines


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def curl_command(request: RequestRecord) -> str:
    """A shell command that repeats the request; the token stays in its environment variable."""
    parts = ["curl", "-X", request.method, shlex.quote(request.url)]
    for name, value in request.headers:
        parts += ["-H", _quote_keeping_variables(f"{name}: {value}")]
    if request.body is not None:
        parts += [
            "-H",
            shlex.quote("Content-Type: application/json"),
            "--data",
            shlex.quote(json.dumps(request.body, ensure_ascii=False)),
        ]
    if request.sent_body is not None:
        parts += request.sent_body.curl_arguments()
    return " ".join(parts)


def _quote_keeping_variables(text: str) -> str:
    """Double-quote a header that references ``$API_TOKEN_...`` so the shell expands it."""
    if "$API_TOKEN_" not in text:
        return shlex.quote(text)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    return f'"{escaped}"'
