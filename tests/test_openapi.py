"""OpenAPI: the document describes parameters, bodies, responses and errors, and is valid."""

from __future__ import annotations

import json
from typing import Annotated, Any

from openapi_spec_validator import validate

from mvcpy import Controller, Cookie, UploadedFile
from mvcpy.cli import main
from mvcpy.testing import TestClient
from tests.e2e.apps.openapi_api import app as notes_app


def test_document_is_valid_openapi_31() -> None:
    document = notes_app.openapi()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "notes"
    assert set(document["paths"]) == {"/notes", "/notes/{id}", "/search", "/openapi.json"}


def test_parameters_bodies_and_responses() -> None:
    document = notes_app.openapi()
    schemas = document["components"]["schemas"]
    assert {"NoteIn", "Note"} <= set(schemas)
    create = document["paths"]["/notes"]["post"]
    body = create["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/NoteIn"}
    assert "application/x-www-form-urlencoded" in body
    assert create["parameters"] == [
        {"name": "x-client", "in": "header", "required": False, "schema": {"type": "string"}}
    ]
    assert create["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Note"
    }
    errors = create["responses"]["422"]["content"]["application/json"]["schema"]
    assert "errors" in errors["properties"]["error"]["properties"]
    assert "415" in create["responses"]
    index = document["paths"]["/notes"]["get"]
    names = {(p["name"], p["in"], p["required"]) for p in index["parameters"]}
    assert names == {("page", "query", False), ("order", "query", False), ("tag", "query", False)}
    show = document["paths"]["/notes/{id}"]["get"]
    assert show["summary"] == "Return one note."
    assert show["tags"] == ["notes"]
    assert create["summary"] == "notes"  # no docstring: the route's name
    assert show["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    search = document["paths"]["/search"]["get"]["parameters"]
    assert search[0] == {
        "name": "ids",
        "in": "query",
        "required": True,
        "schema": {"type": "array", "items": {"type": "integer"}},
    }


def test_served_route_and_cli(capsys: Any, monkeypatch: Any) -> None:
    with TestClient(notes_app) as client:
        served = client.get("/openapi.json")
        assert served.status_code == 200
        assert served.json() == json.loads(json.dumps(notes_app.openapi()))
    assert main(["openapi", "--app", "tests.e2e.apps.openapi_api:app", "--title", "Notes"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["info"]["title"] == "Notes"
    validate(printed)


def test_uploads_and_cookies_are_described(make_app: Any) -> None:
    class Files(Controller):
        def upload(self, doc: UploadedFile, extra: list[UploadedFile] | None = None) -> Any:
            return {}

        def who(self, sid: Annotated[str, Cookie("sid")]) -> Any:
            return {}

    app = make_app()
    app.router("/upload", Files, "post:upload")
    app.router("/who", Files, "get:who")
    document = app.openapi()
    validate(document)
    multipart = document["paths"]["/upload"]["post"]["requestBody"]["content"]
    schema = multipart["multipart/form-data"]["schema"]
    assert schema["properties"]["doc"] == {"type": "string", "format": "binary"}
    assert schema["properties"]["extra"]["type"] == "array"
    assert document["paths"]["/who"]["get"]["parameters"][0]["in"] == "cookie"


def test_the_openapi_setting_serves_the_document(make_app: Any) -> None:
    app = make_app(app_name="notes", openapi={"enabled": True, "path": "/api/spec.json"})
    app.get("/notes/{id:int}", lambda ctx, id: {"id": id}, name="note")
    with TestClient(app) as client:
        document = client.get("/api/spec.json").json()
    validate(document)
    assert document["info"]["title"] == "notes"
    assert "/notes/{id}" in document["paths"]
    with TestClient(make_app()) as client:  # off by default
        assert client.get("/openapi.json").status_code == 404
