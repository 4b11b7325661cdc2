"""``{{name}}`` templates: where they work, what type they keep, how a path is encoded, the
built-in values, and the error for an undefined variable."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import responses
from apispec_helpers import DocWriter, line_of
from hypothesis import given
from hypothesis import strategies as st

from pytest_apispec.docformat import templates

ANY_URL = re.compile(r"https://api\.example\.test/.*")
SEED = """
- id: seed
  method: GET
  path: /seed
  extract:
    count: $.count
    name: $.name
    flag: $.flag
    nothing: $.nothing
    tags: $.tags
    owner: $.owner
"""
SEED_BODY = {
    "count": 5,
    "name": "Ada",
    "flag": True,
    "nothing": None,
    "tags": ["a", "b"],
    "owner": {"id": 7},
}


@pytest.fixture
def api(mock_env: responses.RequestsMock) -> responses.RequestsMock:
    """Answers ``/seed`` with :data:`SEED_BODY` and everything else with ``{}``."""
    mock_env.get("https://api.example.test/seed", json=SEED_BODY)
    for method in ("GET", "POST", "PUT", "DELETE"):
        mock_env.add(method, ANY_URL, json={})
    return mock_env


def sent(api: responses.RequestsMock) -> Any:
    """The last request sent."""
    return api.calls[-1].request


def test_variables_in_path_params_headers_and_body(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock
) -> None:
    test = """
    - id: update
      method: PUT
      path: /users/{{name}}/items/{{count}}
      params:
        owner: "{{name}}"
        page: "{{count}}"
      headers:
        X-Trace: "trace-{{name}}-{{count}}"
        X-Count: "{{count}}"
      body:
        title: "Item of {{name}}"
        owner: "{{name}}"
    """
    write_doc("doc.md", "endpoint: PUT /users/{name}/items/{n}", test, prerequisites=SEED)
    pytester.runpytest().assert_outcomes(passed=1)
    request = sent(api)
    url = urlsplit(request.url)
    assert url.path == "/users/Ada/items/5"
    assert dict(parse_qsl(url.query)) == {"owner": "Ada", "page": "5"}
    assert request.headers["X-Trace"] == "trace-Ada-5"
    assert request.headers["X-Count"] == "5"
    assert json.loads(request.body) == {"title": "Item of Ada", "owner": "Ada"}


def test_a_whole_value_placeholder_keeps_the_type_of_its_value(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock
) -> None:
    test = """
    - method: POST
      path: /things
      body:
        count: "{{count}}"
        spaced: "{{ count }}"
        flag: "{{flag}}"
        nothing: "{{nothing}}"
        tags: "{{tags}}"
        owner: "{{owner}}"
        in_list: ["{{count}}", "{{name}}"]
        text: "n={{count}} flag={{flag}} nothing={{nothing}} owner={{owner}}"
    """
    write_doc("doc.md", "endpoint: POST /things", test, prerequisites=SEED)
    pytester.runpytest().assert_outcomes(passed=1)
    assert json.loads(sent(api).body) == {
        "count": 5,
        "spaced": 5,
        "flag": True,
        "nothing": None,
        "tags": ["a", "b"],
        "owner": {"id": 7},
        "in_list": [5, "Ada"],
        "text": 'n=5 flag=true nothing=null owner={"id": 7}',
    }


@pytest.mark.parametrize(
    ("value", "encoded"),
    [("../admin", "..%2Fadmin"), ("a?b=1", "a%3Fb%3D1"), ("a b#c", "a%20b%23c"), ("é", "%C3%A9")],
)
def test_path_values_are_percent_encoded_as_one_segment(
    pytester: pytest.Pytester,
    write_doc: DocWriter,
    api: responses.RequestsMock,
    value: str,
    encoded: str,
) -> None:
    write_doc("doc.md", "endpoint: GET /items/{id}", "- method: GET\n  path: /items/{{id}}/x")
    pytester.runpytest("--api-var", f"id={value}").assert_outcomes(passed=1)
    assert sent(api).path_url == f"/items/{encoded}/x"


def test_param_values_are_query_encoded(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock
) -> None:
    test = "- method: GET\n  path: /search\n  params:\n    q: '{{q}}'"
    write_doc("doc.md", "endpoint: GET /search", test)
    pytester.runpytest("--api-var", "q=a&b=1 #2").assert_outcomes(passed=1)
    assert dict(parse_qsl(urlsplit(sent(api).url).query)) == {"q": "a&b=1 #2"}


def test_an_undefined_variable_names_the_variable_the_step_and_the_line(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock
) -> None:
    test = "- id: get_item\n  method: GET\n  path: /items/{{item_id}}"
    doc = write_doc("doc.md", "endpoint: GET /items/{id}", test)
    line = line_of(doc, "- id: get_item")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"doc.md:{line}: step 'get_item' failed",
            "  - uses {{item_id}}, which has no value; "
            "define it with --api-var item_id=VALUE, an 'api_vars' ini line, the apispec_vars "
            "fixture, or extract it in an earlier step",
        ]
    )
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    "where",
    [
        "params:\n    q: '{{missing}}'",
        "headers:\n    X-A: 'a {{missing}}'",
        "body:\n    a: [{b: '{{missing}}'}]",
    ],
    ids=["params", "headers", "body"],
)
def test_an_undefined_variable_anywhere_in_a_prerequisite_is_a_setup_error(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock, where: str
) -> None:
    prerequisite = f"- id: lookup\n  method: POST\n  path: /lookup\n  {where}"
    doc = write_doc(
        "doc.md", "endpoint: GET /x", "- method: GET\n  path: /x", prerequisites=prerequisite
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    line = line_of(doc, "- id: lookup")
    result.stdout.fnmatch_lines(
        [f"doc.md:{line}: step 'lookup' failed", "  - uses {{missing}}, which has no value*"]
    )
    assert len(api.calls) == 0


def test_an_extracted_value_is_used_by_later_steps_only(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock
) -> None:
    test = "- id: early\n  method: GET\n  path: /items/{{count}}\n" + SEED.strip()
    write_doc("doc.md", "endpoint: GET /items", test)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["doc.md:*: step 'early' failed", "  - uses {{count}}, which has no value*"]
    )


BUILTINS_BODY = """
- method: POST
  path: /things
  body:
    uuid: "{{$uuid}}"
    new_uuid: "{{newUuid}}"
    timestamp: "{{$timestamp}}"
    iso: "{{$isoTimestamp}}"
    new_date: "{{newDate}}"
    today: "{{$today}}"
    in_30_days: "{{$today+30}}"
    yesterday: "{{$today-1}}"
    random: "{{$randomInt}}"
    die: "{{$randomInt 1 6}}"
    label: "order-{{$randomInt 10 99}}"
"""


def test_builtin_values_in_a_request(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock
) -> None:
    write_doc("doc.md", "endpoint: POST /things", BUILTINS_BODY)
    before = time.time()
    pytester.runpytest().assert_outcomes(passed=1)
    after = time.time()
    body = json.loads(sent(api).body)
    assert uuid.UUID(body["uuid"]).version == 4
    assert uuid.UUID(body["new_uuid"]).version == 4
    assert body["uuid"] != body["new_uuid"]
    assert isinstance(body["timestamp"], int)
    assert int(before) <= body["timestamp"] <= after
    for key in ("iso", "new_date"):
        moment = dt.datetime.fromisoformat(body[key])
        assert moment.tzinfo is not None
        assert before - 1 <= moment.timestamp() <= after + 1
    today = dt.datetime.now(dt.UTC).date()
    assert body["today"] == today.isoformat()
    assert body["in_30_days"] == (today + dt.timedelta(days=30)).isoformat()
    assert body["yesterday"] == (today - dt.timedelta(days=1)).isoformat()
    assert isinstance(body["random"], int) and 0 <= body["random"] <= 999_999
    assert isinstance(body["die"], int) and 1 <= body["die"] <= 6
    assert re.fullmatch(r"order-[1-9]\d", body["label"])


def test_a_variable_named_like_a_builtin_wins(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock
) -> None:
    test = "- method: POST\n  path: /things\n  body:\n    id: '{{newUuid}}'"
    write_doc("doc.md", "endpoint: POST /things", test)
    pytester.runpytest("--api-var", "newUuid=fixed").assert_outcomes(passed=1)
    assert json.loads(sent(api).body) == {"id": "fixed"}


# ---------------------------------------------------------------- the template functions


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("$uuid", lambda v: uuid.UUID(v).version == 4),
        ("newUuid", lambda v: uuid.UUID(v).version == 4),
        ("$timestamp", lambda v: isinstance(v, int) and abs(v - time.time()) < 5),
        (
            "$isoTimestamp",
            lambda v: abs(dt.datetime.fromisoformat(v).timestamp() - time.time()) < 5,
        ),
        ("newDate", lambda v: abs(dt.datetime.fromisoformat(v).timestamp() - time.time()) < 5),
        ("$today", lambda v: v == dt.datetime.now(dt.UTC).date().isoformat()),
        (
            "$today + 2",
            lambda v: v == (dt.datetime.now(dt.UTC).date() + dt.timedelta(2)).isoformat(),
        ),
        (
            "$today-365",
            lambda v: v == (dt.datetime.now(dt.UTC).date() - dt.timedelta(365)).isoformat(),
        ),
        ("$randomInt", lambda v: isinstance(v, int) and 0 <= v <= 999_999),
        ("$randomInt -3 -1", lambda v: v in (-3, -2, -1)),
        ("$randomInt 6 1", lambda v: 1 <= v <= 6),
        ("$randomInt 4 4", lambda v: v == 4),
    ],
)
def test_builtin_value(name: str, check: Any) -> None:
    assert check(templates.render_string("{{" + name + "}}", {}))


@pytest.mark.parametrize("name", ["$uuidx", "$today+x", "$randomInt 1", "$now", "today"])
def test_unknown_builtins_are_undefined_variables(name: str) -> None:
    with pytest.raises(templates.UndefinedVariable) as info:
        templates.render_string("{{" + name + "}}", {})
    assert info.value.name == name


def test_fresh_values_on_every_use() -> None:
    values = templates.render(["{{$uuid}}", "{{$uuid}}"], {})
    assert values[0] != values[1]


def test_text_without_placeholders_is_unchanged() -> None:
    value = {"a": "{not a placeholder}", "b": "{{", "c": 1.5, "d": None}
    assert templates.render(value, {}) == value


@given(st.text(min_size=1))
def test_a_path_value_is_always_one_segment_that_decodes_back(value: str) -> None:
    path = templates.render_path("/items/{{v}}/detail", {"v": value})
    prefix, _, rest = path.partition("/items/")
    segment, _, tail = rest.partition("/")
    assert prefix == "" and tail == "detail"
    assert "?" not in segment and "#" not in segment
    assert unquote(segment) == value


@given(st.one_of(st.integers(), st.booleans(), st.none(), st.text(), st.lists(st.integers())))
def test_a_whole_value_placeholder_returns_the_value_itself(value: Any) -> None:
    assert templates.render({"x": "{{v}}"}, {"v": value}) == {"x": value}


@pytest.mark.parametrize("value", ["..", "."])
def test_a_dot_segment_value_fails_the_step_instead_of_changing_the_route(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock, value: str
) -> None:
    # requests normalises /items/../x to /x (and decodes %2E), so encoding cannot help
    write_doc(
        "doc.md", "endpoint: GET /items/{id}", "- id: get\n  method: GET\n  path: /items/{{id}}/x"
    )
    result = pytester.runpytest("--api-var", f"id={value}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "doc.md:*: step 'get' failed",
            "  - a value placed into the path '/items/{{id}}/x' is '.' or '..'*",
        ]
    )
    assert len(api.calls) == 0


def test_dot_segments_written_in_the_doc_itself_are_allowed(
    pytester: pytest.Pytester, write_doc: DocWriter, api: responses.RequestsMock
) -> None:
    write_doc("doc.md", "endpoint: GET /items/{id}", "- method: GET\n  path: /items/./{{id}}")
    pytester.runpytest("--api-var", "id=7").assert_outcomes(passed=1)
    assert sent(api).path_url == "/items/7"
