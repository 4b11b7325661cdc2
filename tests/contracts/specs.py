"""The contracts the tests hold responses against: one API written as Swagger 2.0, OpenAPI 3.0
and OpenAPI 3.1, with a schema in another file (``common.yaml``) that refers to itself."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

COMMON = {
    "Node": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/Node"}},
        },
    }
}


def _client(nullable: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "name", "status", "password"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "name": {"type": "string", **nullable},
            "status": {"type": "string", "enum": ["active", "expired"]},
            "created": {"type": "string", "format": "date-time"},
            "password": {"type": "string", "writeOnly": True},
            "nickname": {"type": "string", "format": "no-such-format"},
        },
    }


ERROR = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}


def openapi3(version: str = "3.0.3") -> dict[str, Any]:
    nullable = {"nullable": True} if version.startswith("3.0") else {}
    client = _client(nullable)
    if not version.startswith("3.0"):
        client["properties"]["name"] = {"type": ["string", "null"]}
    json_of = lambda ref: {"application/json": {"schema": {"$ref": ref}}}  # noqa: E731
    return {
        "openapi": version,
        "info": {"title": "clients", "version": "1"},
        "paths": {
            "/clients/{id}": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": json_of("#/components/schemas/Client"),
                        },
                        "404": {
                            "description": "no",
                            "content": json_of("#/components/schemas/Error"),
                        },
                    }
                },
                "put": {
                    "requestBody": {
                        "required": True,
                        "content": json_of("#/components/schemas/Client"),
                    },
                    "responses": {
                        "2XX": {
                            "description": "ok",
                            "content": json_of("#/components/schemas/Client"),
                        },
                        "default": {"$ref": "#/components/responses/Problem"},
                    },
                },
                "delete": {"responses": {"204": {"description": "gone"}}},
            },
            "/clients/me": {
                "get": {
                    "responses": {
                        "200": {"description": "ok", "content": json_of("#/components/schemas/Me")}
                    }
                }
            },
            "/tree": {
                "get": {
                    "responses": {
                        "200": {"description": "ok", "content": json_of("common.yaml#/Node")}
                    }
                }
            },
            "/text": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "text/plain; charset=utf-8": {"schema": {"type": "string"}}
                            },
                        }
                    }
                }
            },
        },
        "components": {
            "schemas": {
                "Client": client,
                "Me": {
                    "type": "object",
                    "required": ["me"],
                    "properties": {"me": {"type": "boolean"}},
                },
                "Error": ERROR,
            },
            "responses": {
                "Problem": {
                    "description": "problem",
                    "content": json_of("#/components/schemas/Error"),
                }
            },
        },
    }


def one_get(
    openapi: str, path: str, schema: dict[str, Any], schemas: dict[str, Any]
) -> dict[str, Any]:
    """An OpenAPI 3.x document of one ``GET path`` whose 200 answers JSON of ``schema``, and
    the ``components/schemas``."""
    answer = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    return {
        "openapi": openapi,
        "info": {"title": "one", "version": "1"},
        "paths": {path: {"get": {"responses": {"200": answer}}}},
        "components": {"schemas": schemas},
    }


def swagger2() -> dict[str, Any]:
    client = _client({"x-nullable": True})
    del client["properties"]["password"]["writeOnly"]  # 2.0 has readOnly only
    client["required"].remove("password")
    ref = lambda name: {"$ref": f"#/definitions/{name}"}  # noqa: E731
    return {
        "swagger": "2.0",
        "info": {"title": "clients", "version": "1"},
        "basePath": "/v2",
        "produces": ["application/json"],
        "paths": {
            "/clients/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
                "get": {
                    "responses": {
                        "200": {"description": "ok", "schema": ref("Client")},
                        "404": {"description": "no", "schema": ref("Error")},
                    }
                },
                "put": {
                    "parameters": [
                        {"name": "body", "in": "body", "required": True, "schema": ref("Client")}
                    ],
                    "responses": {
                        "2XX": {"description": "ok", "schema": ref("Client")},
                        "default": {"description": "problem", "schema": ref("Error")},
                    },
                },
                "delete": {"responses": {"204": {"description": "gone"}}},
            },
            "/clients/me": {
                "get": {"responses": {"200": {"description": "ok", "schema": ref("Me")}}}
            },
            "/tree": {
                "get": {
                    "responses": {
                        "200": {"description": "ok", "schema": {"$ref": "common.yaml#/Node"}}
                    }
                }
            },
        },
        "definitions": {
            "Client": client,
            "Me": {"type": "object", "required": ["me"], "properties": {"me": {"type": "boolean"}}},
            "Error": ERROR,
        },
    }


VERSIONS = {
    "2.0": ("v20.json", swagger2),
    "3.0": ("v30.yaml", openapi3),
    "3.1": ("v31.yaml", lambda: openapi3("3.1.0")),
}


def write_contracts(folder: Path) -> None:
    """``folder/v20.json``, ``v30.yaml``, ``v31.yaml`` and ``common.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "common.yaml").write_text(yaml.safe_dump(COMMON), encoding="utf-8")
    for name, make in VERSIONS.values():
        write(folder / name, make())


def write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def changed(document: dict[str, Any], **_: Any) -> dict[str, Any]:
    return copy.deepcopy(document)


GOOD_CLIENT = {
    "id": 5,
    "name": "Ada",
    "status": "active",
    "created": "2026-01-02T03:04:05Z",
    "nickname": "whatever the format",
}
