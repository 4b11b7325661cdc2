"""Generate one workload in four forms: endpoint docs, hand-written pytest, Tavern, a raw loop.

Every case ``i`` is the same three requests, whatever the tool:

1. ``GET /bench/v1/clients?business_id={{business_id}}&per_page=1``, extract ``client_id``
   from ``$.data.items[0].id``;
2. ``POST /bench/v1/<resource>_<i>`` with a JSON body that uses ``client_id`` (templated,
   keeping its type), extract ``<resource>_id``;
3. ``GET /bench/v1/<resource>_<i>/{{<resource>_id}}`` (templated into the path), expect 200.

Requests 1 and 2 are the doc's two prerequisites, 3 its test request. Every request carries
the staff token as ``Authorization: Bearer ...``. The server answers
``{"data": {"items": [{"id": 1}]}}`` to everything.

The ``shared`` variant makes request 1 a ``scope: session`` prerequisite (same step in every
doc), to show that it is sent once, not once per doc.

Docs look like the real ones (frontmatter with provenance, summary, tables, notes), ~3 KB
each, so collection parses what it would parse in a real repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

DOMAINS = ("sales", "scheduling", "payments", "crm")
RESOURCES = ("orders", "invoices", "bookings", "packages", "vouchers", "payouts", "notes")
BUSINESS_ID = "biz_bench_1"
TOKEN = "bench-staff-token-0000"


def case(i: int) -> dict[str, str]:
    resource = RESOURCES[i % len(RESOURCES)]
    return {
        "i": str(i),
        "n": f"{i:05d}",
        "domain": DOMAINS[i % len(DOMAINS)],
        "resource": resource,
        "collection": f"/bench/v1/{resource}_{i:05d}",
        "var": f"{resource[:-1]}_id",
    }


def _fresh(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return root


def _write_marker(root: Path, count: int, kind: str) -> None:
    (root / ".generated").write_text(json.dumps({"count": count, "kind": kind}))


def is_generated(root: Path, count: int, kind: str) -> bool:
    marker = root / ".generated"
    try:
        return json.loads(marker.read_text()) == {"count": count, "kind": kind}
    except (OSError, ValueError):
        return False


# ---------------------------------------------------------------- endpoint docs

DOC = """\
---
endpoint: "GET {collection}/{{uid}}"
domain: {domain}
tags: [{resource}, bench]
swagger: "swagger/{domain}/{resource}.json"
status: verified
savedAt: "2026-01-26T22:21:05.741Z"
verifiedAt: 2026-02-08T10:24:43.000Z
timesReused: 3
tokens: [staff]
---

# Get {resource} {n}

## Summary

Reads back one of the business's {resource} after creating it. This endpoint requires a
**staff token**; the {resource} is created by the prerequisites for a client of the business.

**Token Type**: This endpoint requires a **Staff token**.

## Authentication

| Token Type | Works | Notes |
|------------|-------|-------|
| Staff | yes | Works on the main gateway |
| Directory | no | Returns 401 |
| App | no | Returns 401 despite the spec |

## Prerequisites

```yaml
steps:
  - id: get_client_id
    description: "Fetch a client ID for the business"
    method: GET
    path: "/bench/v1/clients"
    token: staff
{scope}    params:
      business_id: "{{{{business_id}}}}"
      per_page: "1"
    extract:
      client_id: "$.data.items[0].id"
    expect:
      status: [200]
    onFail: abort

  - id: create_{var}
    description: "Create the {resource} to read back"
    method: POST
    path: "{collection}"
    token: staff
    body:
      client_id: "{{{{client_id}}}}"
      label: "bench {resource} {n} for client {{{{client_id}}}}"
      quantity: {i}
      valid_from: "2026-02-08"
    extract:
      {var}: "$.data.items[0].id"
    expect:
      status: [200, 201]
    onFail: abort
```

## Test Request

```yaml
steps:
  - id: get_{var}
    description: "Read the {resource} back"
    method: GET
    path: "{collection}/{{{{{var}}}}}"
    token: staff
    expect:
      status: [200]
```

## Parameters Reference

### Path Parameters

| Parameter | Type | Required | Description |
|-----------|------|----------|-------------|
| uid | integer | Yes | The {resource} identifier |

## Response Codes

| Status | Meaning |
|--------|---------|
| 200 | Success - the {resource} |
| 401 | Unauthorized - Invalid token |
| 404 | Not Found - no such {resource} |

## Known Issues

### Issue: Directory tokens are refused

**Description**: Directory tokens return 401 even with an X-On-Behalf-Of header.

**Workaround**: Use a staff token.

## Notes

- The {resource} must belong to the staff member's business
- Identifiers are integers; the API answers 404 for unknown ones
"""

SESSION_SCOPE = "    scope: session\n"


def endpoint_docs(root: Path, count: int, shared: bool = False) -> Path:
    """``count`` docs under ``root/<domain>/``, plus a pytest.ini (rootdir, api_vars)."""
    kind = "docs-shared" if shared else "docs"
    if is_generated(root, count, kind):
        return root
    _fresh(root)
    (root / "pytest.ini").write_text(f"[pytest]\napi_vars =\n    business_id={BUSINESS_ID}\n")
    for domain in DOMAINS:
        (root / domain).mkdir()
    scope = SESSION_SCOPE if shared else ""
    for i in range(count):
        c = case(i)
        text = DOC.format(scope=scope, **c)
        (root / c["domain"] / f"{c['n']}_{c['resource']}.md").write_text(text)
    _write_marker(root, count, kind)
    return root


# ---------------------------------------------------------------- hand-written pytest

CONFTEST = '''\
"""The session fixture hand-written API tests have: one requests.Session, one config."""

import os
from types import SimpleNamespace

import pytest
import requests


@pytest.fixture(scope="session")
def api():
    return SimpleNamespace(
        base_url=os.environ["API_BASE_URL"].rstrip("/"),
        business_id=os.environ.get("BENCH_BUSINESS_ID", "biz_bench_1"),
        auth={"Authorization": "Bearer " + os.environ["API_TOKEN_STAFF"]},
    )


@pytest.fixture(scope="session")
def http():
    with requests.Session() as session:
        yield session
'''

PY_TEST = '''\
"""GET {collection}/{{uid}}: read back one of the business's {resource}."""


def test_get_{var}_{n}(http, api):
    response = http.get(
        f"{{api.base_url}}/bench/v1/clients",
        params={{"business_id": api.business_id, "per_page": "1"}},
        headers=api.auth,
        timeout=30,
    )
    assert response.status_code == 200
    client_id = response.json()["data"]["items"][0]["id"]

    response = http.post(
        f"{{api.base_url}}{collection}",
        json={{
            "client_id": client_id,
            "label": f"bench {resource} {n} for client {{client_id}}",
            "quantity": {i},
            "valid_from": "2026-02-08",
        }},
        headers=api.auth,
        timeout=30,
    )
    assert response.status_code in (200, 201)
    {var} = response.json()["data"]["items"][0]["id"]

    response = http.get(
        f"{{api.base_url}}{collection}/{{{var}}}", headers=api.auth, timeout=30
    )
    assert response.status_code == 200
'''


def pytest_files(root: Path, count: int) -> Path:
    """``count`` one-test modules under ``root/<domain>/``, a conftest.py and a pytest.ini."""
    if is_generated(root, count, "pytest"):
        return root
    _fresh(root)
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "conftest.py").write_text(CONFTEST)
    for domain in DOMAINS:
        (root / domain).mkdir()
    for i in range(count):
        c = case(i)
        (root / c["domain"] / f"test_{c['n']}_{c['resource']}.py").write_text(PY_TEST.format(**c))
    _write_marker(root, count, "pytest")
    return root


# ---------------------------------------------------------------- Tavern

TAVERN = """\
---
test_name: GET {collection}/{{uid}}

stages:
  - name: get_client_id
    request:
      url: "{{base_url}}/bench/v1/clients"
      method: GET
      params:
        business_id: "{{business_id}}"
        per_page: "1"
      headers:
        Authorization: "Bearer {{token}}"
    response:
      status_code: 200
      save:
        json:
          client_id: data.items[0].id

  - name: create_{var}
    request:
      url: "{{base_url}}{collection}"
      method: POST
      json:
        client_id: !int "{{client_id}}"
        label: "bench {resource} {n} for client {{client_id}}"
        quantity: {i}
        valid_from: "2026-02-08"
      headers:
        Authorization: "Bearer {{token}}"
    response:
      status_code:
        - 200
        - 201
      save:
        json:
          {var}: data.items[0].id

  - name: get_{var}
    request:
      url: "{{base_url}}{collection}/{{{var}}}"
      method: GET
      headers:
        Authorization: "Bearer {{token}}"
    response:
      status_code: 200
"""


def tavern_files(root: Path, count: int) -> Path:
    """``count`` ``test_*.tavern.yaml`` files under ``root/<domain>/``, and a pytest.ini."""
    if is_generated(root, count, "tavern"):
        return root
    _fresh(root)
    (root / "pytest.ini").write_text("[pytest]\n")
    for domain in DOMAINS:
        (root / domain).mkdir()
    for i in range(count):
        c = case(i)
        path = root / c["domain"] / f"test_{c['n']}_{c['resource']}.tavern.yaml"
        path.write_text(TAVERN.format(**c))
    _write_marker(root, count, "tavern")
    return root


def tavern_global_config(path: Path, base_url: str) -> Path:
    """Tavern's ``--tavern-global-cfg`` file: the variables the tests format in."""
    path.write_text(
        "variables:\n"
        f'  base_url: "{base_url}"\n'
        f'  business_id: "{BUSINESS_ID}"\n'
        f'  token: "{TOKEN}"\n'
    )
    return path


# ---------------------------------------------------------------- an OpenAPI contract

CONTRACT_FILE = "bench-contract.json"
_WORDS = [
    "the",
    "business",
    "staff",
    "client",
    "package",
    "booking",
    "credit",
    "invoice",
    "voucher",
    "payout",
    "note",
]


def _description(i: int, words: int) -> str:
    return " ".join(_WORDS[(i + k) % len(_WORDS)] for k in range(words))


def contract(count: int, shared_schemas: int = 420) -> dict[str, object]:
    """An OpenAPI 3.0 document of ~2 MB for ``count`` docs: a POST and a GET for each doc's
    collection (so hundreds of operations), the clients lookup, and ``shared_schemas`` shared
    schemas that every response refers to."""
    schemas: dict[str, object] = {
        "Item": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "integer"}, "label": {"type": "string"}},
        },
        "ItemList": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
                    },
                }
            },
        },
    }
    for s in range(shared_schemas):
        schemas[f"Shared{s:03d}"] = {
            "type": "object",
            "description": _description(s, 40),
            "properties": {
                f"field_{k}": {
                    "type": ["string", "integer", "number", "boolean"][k % 4],
                    "description": _description(s + k, 12),
                    "nullable": k % 3 == 0,
                }
                for k in range(12)
            },
        }
    response = {
        "description": "the items",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemList"}}},
    }
    problem = {
        "description": "a problem",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Shared001"}}},
    }
    paths: dict[str, object] = {
        "/bench/v1/clients": {"get": {"responses": {"200": response, "default": problem}}}
    }
    for i in range(count):
        c = case(i)
        body = {
            "type": "object",
            "required": ["client_id"],
            "properties": {
                "client_id": {"type": "integer"},
                "label": {"type": "string"},
                "quantity": {"type": "integer", "minimum": 0},
                "valid_from": {"type": "string", "format": "date"},
                "extra": {"$ref": f"#/components/schemas/Shared{i % shared_schemas:03d}"},
            },
        }
        paths[c["collection"]] = {
            "post": {
                "summary": _description(i, 10),
                "requestBody": {"content": {"application/json": {"schema": body}}},
                "responses": {"200": response, "201": response, "default": problem},
            }
        }
        paths[c["collection"] + "/{uid}"] = {
            "parameters": [
                {"name": "uid", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {
                "summary": _description(i, 10),
                "description": _description(i, 60),
                "responses": {"200": response, "404": problem, "default": problem},
            },
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "bench", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def contract_docs(root: Path, count: int) -> Path:
    """The endpoint docs, naming one generated contract (``bench-contract.json``) beside them."""
    kind = "docs-contract"
    if is_generated(root, count, kind):
        return root
    _fresh(root)
    (root / "pytest.ini").write_text(f"[pytest]\napi_vars =\n    business_id={BUSINESS_ID}\n")
    (root / CONTRACT_FILE).write_text(json.dumps(contract(count), indent=1))
    for domain in DOMAINS:
        (root / domain).mkdir()
    for i in range(count):
        c = case(i)
        text = DOC.format(scope="", **c).replace(
            f'swagger: "swagger/{c["domain"]}/{c["resource"]}.json"', f"swagger: {CONTRACT_FILE}"
        )
        (root / c["domain"] / f"{c['n']}_{c['resource']}.md").write_text(text)
    _write_marker(root, count, kind)
    return root
