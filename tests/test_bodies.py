"""Request bodies besides JSON: ``form``, ``multipart`` and ``data``, one per step.

End to end against the demo API (``/auth/session`` takes a form, ``/uploads`` multipart,
``/echo`` answers the body it got); ``responses`` where the exact bytes sent are checked.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import pytest
import responses
from apispec_helpers import MOCK_BASE_URL, DocWriter, line_of

from pytest_apispec.demo import DemoApi
from pytest_apispec.execution import bodies

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56  # 64 bytes

FORM_LOGIN = """
- id: log_in
  method: POST
  path: /auth/session
  form:
    username: "{{user}}"
    password: demo-password
  extract:
    token: $.access_token
  expect:
    status: 200
- id: me
  method: GET
  path: /auth/me
  expect:
    json:
      $.user: demo-staff
"""
UPLOAD = """
- id: upload
  method: POST
  path: /uploads
  multipart:
    note: "for {{user}}"
    avatar:
      file: "fixtures/{{picture}}"
      filename: me.png
  expect:
    status: 201
    json:
      $.data.parts[0].value: for demo-staff
      $.data.parts[1].filename: me.png
      $.data.parts[1].contentType: image/png
      $.data.parts[1].size: 64
"""
VARS = ("--api-var", "user=demo-staff", "--api-var", "picture=avatar.png")


def test_a_form_logs_in_and_its_cookie_and_answer_are_used(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", "endpoint: POST /auth/session", FORM_LOGIN)
    pytester.runpytest(*VARS).assert_outcomes(passed=1)


def test_a_form_list_value_repeats_the_field(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.post(f"{MOCK_BASE_URL}/search", json={})
    test = "- method: POST\n  path: /search\n  form:\n    tag: [a, 'b c']\n    page: 2\n"
    write_doc("doc.md", "endpoint: POST /search", test)
    pytester.runpytest().assert_outcomes(passed=1)
    request = mock_env.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qsl(request.body) == [("tag", "a"), ("tag", "b c"), ("page", "2")]


def test_a_multipart_upload_sends_fields_and_a_file_relative_to_the_doc(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("docs/upload.md", "endpoint: POST /uploads\ntokens: [staff]", UPLOAD)
    (pytester.path / "docs/fixtures").mkdir()
    (pytester.path / "docs/fixtures/avatar.png").write_bytes(PNG)
    pytester.runpytest(*VARS).assert_outcomes(passed=1)


def test_data_is_sent_as_text_with_the_steps_content_type_else_text_plain(
    pytester: pytest.Pytester, write_doc: DocWriter, mock_env: responses.RequestsMock
) -> None:
    mock_env.post(f"{MOCK_BASE_URL}/xml", body="")
    mock_env.post(f"{MOCK_BASE_URL}/text", body="")
    test = """
    - method: POST
      path: /xml
      headers:
        Content-Type: application/xml
      data: |
        <order id="{{order}}"/>
    - method: POST
      path: /text
      data: "hello {{order}}"
    """
    write_doc("doc.md", "endpoint: POST /xml", test)
    pytester.runpytest("--api-var", "order=42").assert_outcomes(passed=1)
    xml, text = (call.request for call in mock_env.calls)
    assert (xml.headers["Content-Type"], xml.body) == ("application/xml", b'<order id="42"/>\n')
    assert (text.headers["Content-Type"], text.body) == ("text/plain; charset=utf-8", b"hello 42")


def test_the_report_and_curl_show_a_form_as_it_was_sent(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("doc.md", "endpoint: POST /auth/session", FORM_LOGIN.replace("200", "201"))
    result = pytester.runpytest(*VARS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "(form) username=demo-staff",
            "(form) password=demo-password",
            "*curl -X POST * --data-urlencode username=demo-staff"
            " --data-urlencode password=demo-password",
        ]
    )


def test_the_report_and_curl_show_file_names_and_sizes_never_the_bytes(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc(
        "docs/upload.md", "endpoint: POST /uploads\ntokens: [staff]", UPLOAD.replace("201", "200")
    )
    (pytester.path / "docs/fixtures").mkdir()
    (pytester.path / "docs/fixtures/avatar.png").write_bytes(PNG)
    result = pytester.runpytest(*VARS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "(multipart) note: for demo-staff",
            "(multipart) avatar: file docs/fixtures/avatar.png as 'me.png', image/png, 64 bytes",
            "*curl -X POST * --form-string 'note=for demo-staff'"
            " -F 'avatar=@docs/fixtures/avatar.png;type=image/png;filename=me.png'",
        ]
    )
    assert "PNG" not in result.stdout.str()


def test_data_in_the_report_and_curl(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    test = '- method: POST\n  path: /echo\n  data: "it\'s {{user}}"\n  expect:\n    status: 201\n'
    write_doc("doc.md", "endpoint: POST /echo", test)
    result = pytester.runpytest(*VARS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Content-Type: text/plain; charset=utf-8",
            "it's demo-staff",
            "*curl -X POST * -H 'Content-Type: text/plain; charset=utf-8'"
            " --data-binary 'it'\"'\"'s demo-staff'",
        ]
    )


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "body: {a: 1}\n  form: {a: 1}",
            "step 'send': has both 'body' and 'form'; a step sends one body: keep one of body, "
            "form, multipart, data",
        ),
        (
            "form:\n    address: {city: Paris}",
            "step 'send': form field 'address' is a mapping; a form value is text, a number, or "
            "a list of them (a list repeats the field); send nested data as JSON with body:",
        ),
        (
            "multipart:\n    avatar: {file: a.png, type: image/png}",
            "step 'send': multipart field 'avatar' has unknown keys type; a file part is "
            "{file: PATH, contentType: TYPE, filename: NAME} (only file is required)",
        ),
        (
            "data: {a: 1}",
            "step 'send': 'data' must be text (a YAML block scalar), not a mapping; "
            "send JSON with body:",
        ),
    ],
)
def test_bad_bodies_are_collection_errors_naming_the_step_and_line(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi, step: str, message: str
) -> None:
    doc = write_doc(
        "doc.md", "endpoint: POST /x", f"- id: send\n  method: POST\n  path: /x\n  {step}\n"
    )
    write_doc("ok.md", "endpoint: GET /health", "- method: GET\n  path: /health\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"doc.md:{line_of(doc, '- id: send')}: {message}"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("picture", "message"),
    [
        ("missing.png", "does not exist (looked for *missing.png); paths are relative to the doc"),
        ("", "is a directory; name a file (relative to the doc)"),
        (
            "../../../outside.png",
            "is outside the rootdir (*); upload files must be inside the project*",
        ),
        (
            "big.png",
            "is larger than 10 MiB (10485761 bytes), more than a step uploads; use a smaller file",
        ),
    ],
)
def test_a_file_that_cannot_be_uploaded_fails_the_step_naming_doc_step_and_line(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    demo_env: DemoApi,
    picture: str,
    message: str,
) -> None:
    pytester.makeini("[pytest]\n")  # the rootdir: here
    doc = write_doc("docs/upload.md", "endpoint: POST /uploads\ntokens: [staff]", UPLOAD)
    (pytester.path / "docs/fixtures").mkdir()
    (pytester.path.parent / "outside.png").write_bytes(PNG)
    with (pytester.path / "docs/fixtures/big.png").open("wb") as big:
        big.truncate(bodies.MAX_UPLOAD_BYTES + 1)
    result = pytester.runpytest(f"--api-var=picture={picture}", "--api-var=user=x")
    result.assert_outcomes(failed=1)
    written = f"fixtures/{picture}"
    result.stdout.fnmatch_lines(
        [
            f"docs/upload.md:{line_of(doc, '- id: upload')}: step 'upload' failed",
            f"  - multipart field 'avatar': the file '{written}' {message}",
        ]
    )
    assert not any("/uploads" in target for _, _, target in demo_env.requests_log)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_says_so(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    write_doc("docs/upload.md", "endpoint: POST /uploads\ntokens: [staff]", UPLOAD)
    picture = pytester.path / "docs/fixtures/avatar.png"
    picture.parent.mkdir()
    picture.write_bytes(PNG)
    picture.chmod(0)
    result = pytester.runpytest(*VARS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*the file 'fixtures/avatar.png' cannot be read (*); check its permissions"]
    )


def test_the_file_type_is_guessed_from_the_extension(tmp_path: Path) -> None:
    from pytest_apispec.docformat.bodies import FileField, StepBody

    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    body = StepBody("multipart", {"doc": FileField("report.pdf")})
    sent = bodies.render_body(body, {}, tmp_path / "doc.md", tmp_path, tmp_path)
    assert (sent.files[0].filename, sent.files[0].content_type) == ("report.pdf", "application/pdf")


def test_a_symbolic_link_out_of_the_rootdir_is_refused(
    pytester: pytest.Pytester, write_doc: DocWriter, demo_env: DemoApi
) -> None:
    pytester.makeini("[pytest]\n")
    write_doc("docs/upload.md", "endpoint: POST /uploads\ntokens: [staff]", UPLOAD)
    outside = pytester.path.parent / "secret.png"
    outside.write_bytes(PNG)
    (pytester.path / "docs/fixtures").mkdir()
    (pytester.path / "docs/fixtures/avatar.png").symlink_to(outside)
    result = pytester.runpytest("--api-var=user=x", "--api-var=picture=avatar.png")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the file 'fixtures/avatar.png' is outside the rootdir*"])
    assert not any("/uploads" in target for _, _, target in demo_env.requests_log)


def test_a_file_part_without_a_path_is_a_collection_error(
    pytester: pytest.Pytester, write_doc: DocWriter
) -> None:
    test = "- id: up\n  method: POST\n  path: /x\n  multipart:\n    avatar: {file: }\n"
    doc = write_doc("doc.md", "endpoint: POST /x", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"doc.md:{line_of(doc, '- id: up')}: step 'up': "
            "multipart field 'avatar': 'file' must be text"
        ]
    )
