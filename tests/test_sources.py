"""``extract`` mappings (header, cookie, status, regex, json + all), ``expect.body`` and
``expect.maxSeconds``, end to end against the demo API."""

from __future__ import annotations

import pytest
import responses
from apispec_helpers import MOCK_BASE_URL, DocWriter, line_of

from pytest_apispec.demo import DEMO_TOKENS, DemoApi

JOBS = "endpoint: POST /jobs\ntokens: [staff]"
EXTRACT_ALL = r"""
- id: start_job
  method: POST
  path: /jobs
  extract:
    location: {header: Location}
    job: {regex: '/jobs/(\w+)', from: 'header:Location'}
    code: {status: true}
- id: clients
  method: GET
  path: /platform/v1/clients
  params: {business_id: biz_demo_1}
  extract:
    ids: {json: "$.data.clients[*].id", all: true}
    first: {json: "$.data.clients[0].id"}
- id: hello
  method: GET
  path: /hello.txt
  extract:
    version: {regex: 'version=(\d+)'}
- id: echo
  method: POST
  path: /echo
  body:
    location: "{{location}}"
    job: "{{job}}"
    code: "{{code}}"
    ids: "{{ids}}"
    first: "{{first}}"
    version: "{{version}}"
  expect:
    json:
      $.location: /jobs/job_1
      $.job: job_1
      $.code: 202
      $.ids: [101, 102]
      $.first: 101
      $.version: "3"
"""


def test_values_come_from_headers_the_status_the_text_body_and_every_json_match(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", JOBS, EXTRACT_ALL)
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_cookie_is_extracted_by_name(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = r"""
    - method: POST
      path: /auth/session
      form: {username: demo-staff, password: demo-password}
      extract:
        sid: {cookie: demo_session}
    - method: POST
      path: /echo
      data: "{{sid}}"
      expect:
        body:
          regex: '^sess-[0-9a-f]{16}$'
    """
    write_doc("doc.md", "endpoint: POST /auth/session", test)
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_shared_prerequisite_shares_a_cookie_it_extracts_by_name(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    login = """
    - id: log_in
      scope: session
      method: POST
      path: /auth/session
      form: {username: demo-staff, password: demo-password}
      extract:
        sid: {cookie: demo_session}
    """
    me = "- method: GET\n  path: /auth/me\n  expect:\n    status: 200\n"
    write_doc("a.md", "endpoint: GET /auth/me", me, prerequisites=login)
    write_doc("b.md", "endpoint: GET /auth/me 2", me, prerequisites=login)
    pytester.runpytest().assert_outcomes(passed=2)
    assert [t for _, _, t in demo_env.requests_log].count("/auth/session") == 1


@pytest.mark.parametrize(
    ("extract", "message"),
    [
        ("{header: X-Nope}", "extract value: header X-Nope is not in the response"),
        (
            "{cookie: nope}",
            "extract value: cookie nope was not set (no such Set-Cookie in this doc)",
        ),
        (
            "{regex: 'build=(\\d+)'}",
            "extract value: regex 'build=(\\\\d+)' over the body matched nothing",
        ),
        (
            "{regex: 'x(y)', from: 'header:X-Nope'}",
            "extract value: regex 'x(y)' over header X-Nope found no X-Nope header in the response",
        ),
        (
            "{json: '$.items[*]', all: true}",
            "extract value: json $.items[*] found no JSON: the response body is not JSON",
        ),
    ],
)
def test_a_source_that_yields_nothing_fails_the_step_naming_the_source(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi, extract: str, message: str
) -> None:
    test = f"- id: hello\n  method: GET\n  path: /hello.txt\n  extract:\n    value: {extract}\n"
    doc = write_doc("doc.md", "endpoint: GET /hello.txt", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"doc.md:{line_of(doc, '- id: hello')}: step 'hello' failed", f"  - {message}"]
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "extract:\n    id: {regex: 'id=\\d+'}",
            "extract 'id': the regex 'id=\\\\d+' has no group; put the part to extract in "
            "parentheses, such as 'id=(\\d+)'",
        ),
        (
            "extract:\n    id: {regex: 'id=(\\d+'}",
            "extract 'id': the regex 'id=(\\\\d+' does not compile (*)",
        ),
        (
            "extract:\n    id: {header: A, cookie: b}",
            "extract 'id' names 2 sources (header, cookie); use one of {header: NAME}, "
            "{cookie: NAME}, {status: true}, {regex: PATTERN}, {json: PATH}",
        ),
        ("extract:\n    id: {heder: A}", "extract 'id' has unknown keys heder; use one of *"),
        (
            "extract:\n    id: {header: A, all: true}",
            "extract 'id': 'all: true' goes with json: PATH*",
        ),
        ("extract:\n    id: {status: yes please}", "extract 'id': write status: true to extract*"),
        (
            "extract:\n    id: {regex: '(x)', from: 'headers'}",
            "extract 'id': 'from' must be body or header:NAME, such as header:Location",
        ),
        (
            "expect:\n    body: {contain: x}",
            "expect.body must be {contains: TEXT}, {regex: PATTERN}*",
        ),
        ("expect:\n    body: [{regex: '(('}]", "expect.body: the regex '((' does not compile (*)"),
        ("expect:\n    maxSeconds: 0", "expect.maxSeconds must be a number of seconds above 0*"),
    ],
)
def test_bad_extract_and_expect_mappings_are_collection_errors(
    pytester: pytest.Pytester, write_doc: DocWriter, key: str, message: str
) -> None:
    doc = write_doc("doc.md", "endpoint: GET /x", f"- id: x\n  method: GET\n  path: /x\n  {key}\n")
    write_doc("ok.md", "endpoint: GET /y", "- method: GET\n  path: /y\n")
    result = pytester.runpytest("--collect-only")
    result.stdout.fnmatch_lines(["*ok.md*"])
    result = pytester.runpytest("doc.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"doc.md:{line_of(doc, '- id: x')}: step 'x': {message}"])


def test_expect_body_checks_the_text_body(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = r"""
    - id: hello
      method: GET
      path: /hello.txt
      expect:
        body:
          - contains: "Hello from the {{name}} API"
          - regex: 'version=\d+'
    """
    write_doc("ok.md", "endpoint: GET /hello.txt", test)
    failing = test.replace("{{name}} API", "{{name}} server").replace(r"version=\d+", "build=")
    write_doc("bad.md", "endpoint: GET /hello.txt 2", failing.replace("id: hello", "id: hi"))
    result = pytester.runpytest("--api-var=name=demo")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  - expect.body: the response does not contain 'Hello from the demo server'",
            "  - expect.body: the regex 'build=' matched nothing",
        ]
    )


def test_a_pattern_that_backtracks_on_a_hostile_body_is_stopped(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.get(f"{MOCK_BASE_URL}/hostile", body="x" * 5000, content_type="text/plain")
    test = """
    - id: hostile
      method: GET
      path: /hostile
      extract:
        value: {regex: '(x+x+)+(y)'}
      expect:
        body: {regex: '(x+x+)+y'}
    """
    write_doc("doc.md", "endpoint: GET /hostile", test)
    write_doc("ok.md", "endpoint: GET /ok", "- method: GET\n  path: /ok\n")
    mock_env.get(f"{MOCK_BASE_URL}/ok", json={})
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    stopped = "took longer than 1s on the response and was stopped; simplify the pattern*"
    result.stdout.fnmatch_lines(
        [
            f"  - expect.body: the regex '(x+x+)+y' {stopped}",
            f"  - extract value: the regex *{stopped}",
        ]
    )


def test_max_seconds_reports_the_time_measured(
    pytester: pytest.Pytester, write_doc: DocWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    test = "- id: slow\n  method: GET\n  path: /health\n  expect:\n    maxSeconds: {limit}\n"
    write_doc("fast_enough.md", "endpoint: GET /health", test.format(limit=5))
    write_doc(
        "too_slow.md", "endpoint: GET /health 2", test.format(limit=0.05).replace("slow", "slower")
    )
    with DemoApi(latency=0.2) as slow:
        result = pytester.runpytest(f"--api-base-url={slow.base_url}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["  - expect.maxSeconds: the response took 0.2*s, more than 0.05s"])


def test_docs_without_patterns_never_import_regex(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    pytester.makeconftest(
        "import sys\n\ndef pytest_sessionfinish(session):\n"
        "    print('regex imported:', 'regex' in sys.modules)\n"
    )
    write_doc("doc.md", "endpoint: GET /health", "- method: GET\n  path: /health\n")
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*regex imported: False*"])
    assert DEMO_TOKENS
