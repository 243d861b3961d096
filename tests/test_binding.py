"""Typed binding: query lists, headers, cookies, models from body or query, uploads, errors."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, field_validator

from mvcpy import (
    ConfigurationError,
    Controller,
    Cookie,
    Header,
    Query,
    Request,
    UploadedFile,
    ValidationError,
)
from mvcpy.context import Context
from mvcpy.testing import TestClient


class Signup(BaseModel):
    username: str = Field(title="User name", min_length=3, max_length=20)
    password: str = Field(title="Password")
    age: int | None = None
    tags: list[str] = []

    @field_validator("username")
    @classmethod
    def username_pattern(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError("use lower-case letters, digits and _")
        return value

    @field_validator("password")
    @classmethod
    def strong_password(cls, value: str) -> str:
        if len(value) < 8 or value.isalpha() or value.lower() == value:
            raise ValueError("needs 8+ characters, a digit and an upper-case letter")
        return value


class Filters(BaseModel):
    q: str = ""
    page: int = 1
    ids: list[int] = []


class Accounts(Controller):
    def create(self, form: Signup) -> Any:
        return {"user": form.username, "age": form.age, "tags": form.tags}

    async def acreate(self, form: Signup) -> Any:
        return {"user": form.username, "async": True}

    def search(self, filters: Annotated[Filters, Query()]) -> Any:
        return filters.model_dump()

    def lists(self, ids: list[int], names: list[str] | None = None) -> Any:
        return {"ids": ids, "names": names}

    def meta(
        self,
        request: Request,
        ctx: Context,
        token: Annotated[str, Header("X-Token")],
        sid: Annotated[str, Cookie("sid")] = "none",
        retries: Annotated[int, Header()] = 0,
        per_page: Annotated[int, Query("per-page")] = 10,
    ) -> Any:
        return {
            "path": request.path,
            "route": ctx.route_name,
            "token": token,
            "sid": sid,
            "retries": retries,
            "per_page": per_page,
        }

    def form_page(self) -> Any:
        try:
            form = self.bind(Signup)
        except ValidationError as exc:
            return self.html(
                "".join(
                    f"<label>{e['label']}</label><span class=err>{e['message']}</span>"
                    for e in exc.errors
                )
                + f"<input value='{exc.data.get('username', '')}'>",
                status=422,
            )
        return self.redirect(f"/welcome/{form.username}")

    def explicit(self) -> Any:
        return {
            "json": self.bind_json(Filters).model_dump()
            if self.get_string("kind") == "json"
            else None,
            "query": self.bind_query(Filters).model_dump(),
        }

    def upload(self, doc: UploadedFile, extra: list[UploadedFile] | None = None) -> Any:
        return {
            "doc": [doc.filename, doc.content_type, doc.size, doc.read().decode()],
            "extra": [f.filename for f in extra or []],
        }


@pytest.fixture
def client(make_app: Any) -> Any:
    app = make_app()
    app.router("/accounts", Accounts, "post:create")
    app.router("/async-accounts", Accounts, "post:acreate")
    app.router("/search", Accounts, "get:search")
    app.router("/lists", Accounts, "get:lists")
    app.router("/meta", Accounts, "get:meta", name="meta")
    app.router("/signup", Accounts, "post:form_page")
    app.router("/explicit", Accounts, "post:explicit")
    app.router("/upload", Accounts, "post:upload")
    with TestClient(app) as test_client:
        yield test_client


GOOD = {"username": "ann_1", "password": "Secret123", "age": 30}


@pytest.mark.parametrize("path", ["/accounts", "/async-accounts"])
def test_model_from_json_and_forms(client: Any, path: str) -> None:
    assert client.post(path, json=GOOD).json()["user"] == "ann_1"
    as_form = client.post(path, data={**GOOD, "age": "30"})
    assert as_form.status_code == 200, as_form.text
    assert as_form.json()["user"] == "ann_1"
    multipart = client.post(
        path, data={"username": "ann_1", "password": "Secret123"}, files={"f": ("a.txt", b"x")}
    )
    assert multipart.status_code == 200, multipart.text


def test_form_lists_and_blank_numbers(client: Any) -> None:
    body = "username=ann_1&password=Secret123&age=&tags=a&tags=b"
    answer = client.post(
        "/accounts", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    ).json()
    assert answer == {"user": "ann_1", "age": None, "tags": ["a", "b"]}


def test_validation_failure_is_422_with_one_entry_per_field(client: Any) -> None:
    answer = client.post("/accounts", json={"username": "A!", "password": "weak", "age": "x"})
    assert answer.status_code == 422
    errors = answer.json()["error"]["errors"]
    by_field = {e["field"]: e for e in errors}
    assert set(by_field) == {"username", "password", "age"}
    assert by_field["username"]["location"] == "body"
    assert by_field["username"]["label"] == "User name"
    assert (
        by_field["password"]["message"] == "needs 8+ characters, a digit and an upper-case letter"
    )
    assert by_field["age"]["type"] == "int_parsing"
    missing = client.post("/accounts", json={})
    assert {e["field"] for e in missing.json()["error"]["errors"]} == {"username", "password"}
    assert all(e["type"] == "missing" for e in missing.json()["error"]["errors"])


def test_body_errors_400_415(client: Any) -> None:
    bad = client.post(
        "/accounts", content=b'{"username":', headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert "Malformed JSON" in bad.json()["error"]["message"]
    deep = client.post(
        "/accounts",
        content=b"[" * 10_000 + b"]" * 10_000,
        headers={"content-type": "application/json"},
    )
    assert deep.status_code == 400
    utf8 = client.post(
        "/accounts",
        content=b'{"username": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    assert utf8.status_code == 400
    csv = client.post("/accounts", content=b"a,b", headers={"content-type": "text/csv"})
    assert csv.status_code == 415
    assert "Unsupported media type" in csv.json()["error"]["message"]
    empty = client.post("/accounts")
    assert empty.status_code == 422
    not_object = client.post("/accounts", json=[1, 2])
    assert not_object.status_code == 422


def test_model_from_query(client: Any) -> None:
    assert client.get("/search?q=x&page=2&ids=1&ids=2").json() == {
        "q": "x",
        "page": 2,
        "ids": [1, 2],
    }
    bad = client.get("/search?page=two&ids=1&ids=x")
    assert bad.status_code == 422
    errors = bad.json()["error"]["errors"]
    assert {(e["location"], e["field"]) for e in errors} == {("query", "page"), ("query", "ids.1")}


def test_query_lists(client: Any) -> None:
    assert client.get("/lists?ids=1&ids=2&ids=3").json() == {"ids": [1, 2, 3], "names": None}
    assert client.get("/lists?ids=4&names=a&names=b").json() == {"ids": [4], "names": ["a", "b"]}
    assert client.get("/lists?ids=1&ids=x").status_code == 400
    assert client.get("/lists").status_code == 400


def test_headers_cookies_request_context(client: Any) -> None:
    answer = client.get(
        "/meta?per-page=50", headers={"X-Token": "t0k", "Retries": "3", "Cookie": "sid=abc"}
    ).json()
    assert answer == {
        "path": "/meta",
        "route": "meta",
        "token": "t0k",
        "sid": "abc",
        "retries": 3,
        "per_page": 50,
    }
    assert client.get("/meta", headers={"X-Token": "t"}).json()["sid"] == "none"
    missing = client.get("/meta")
    assert missing.status_code == 400
    assert "x-token" in missing.json()["error"]["message"]
    assert client.get("/meta", headers={"X-Token": "t", "Retries": "many"}).status_code == 400
    assert client.get("/meta?per-page=x", headers={"X-Token": "t"}).status_code == 400


def test_bind_lets_an_html_form_re_render(client: Any) -> None:
    page = client.post("/signup", data={"username": "Bad Name", "password": "x"})
    assert page.status_code == 422
    assert "<label>User name</label>" in page.text
    assert "<label>Password</label>" in page.text
    assert "use lower-case letters" in page.text
    assert "value='Bad Name'" in page.text
    ok = client.post(
        "/signup", data={"username": "ann", "password": "Secret123"}, follow_redirects=False
    )
    assert ok.status_code == 302
    assert ok.headers["location"] == "/welcome/ann"


def test_bind_json_and_bind_query(client: Any) -> None:
    answer = client.post(
        "/explicit?kind=json&page=3",
        content=json.dumps({"q": "z"}),
        headers={"content-type": "text/plain"},
    ).json()
    assert answer == {
        "json": {"q": "z", "page": 1, "ids": []},
        "query": {"q": "", "page": 3, "ids": []},
    }
    bad = client.post("/explicit?page=x")
    assert bad.status_code == 422


def test_uploaded_file_parameters(client: Any) -> None:
    answer = client.post(
        "/upload",
        files=[
            ("doc", ("../secret.txt", b"hello", "text/plain")),
            ("extra", ("a.bin", b"1", "application/octet-stream")),
            ("extra", ("b.bin", b"2", "application/octet-stream")),
        ],
    ).json()
    assert answer == {"doc": ["secret.txt", "text/plain", 5, "hello"], "extra": ["a.bin", "b.bin"]}
    missing = client.post("/upload", data={"x": "1"}, files={"other": ("a", b"1")})
    assert missing.status_code == 422
    assert missing.json()["error"]["errors"][0]["field"] == "doc"
    not_a_form = client.post("/upload", json={"doc": "x"})
    assert not_a_form.status_code == 422


def test_function_handlers_bind_models(make_app: Any) -> None:
    def sync_handler(ctx: Any, data: Filters) -> Any:
        return data.model_dump()

    async def async_handler(ctx: Any, data: Filters, token: Annotated[str, Header()] = "") -> Any:
        return {**data.model_dump(), "token": token}

    app = make_app()
    app.post("/s", sync_handler)
    app.post("/a", async_handler)
    with TestClient(app) as client:
        assert client.post("/s", json={"q": "x"}).json() == {"q": "x", "page": 1, "ids": []}
        assert client.post("/a", json={"page": 2}, headers={"token": "t"}).json() == {
            "q": "",
            "page": 2,
            "ids": [],
            "token": "t",
        }
        assert client.post("/a", json={"page": "p"}).status_code == 422


def test_path_param_that_overflows_int_is_404(make_app: Any) -> None:
    class Items(Controller):
        def show(self, id: int) -> Any:
            return {"id": id}

    app = make_app()
    app.router("/items/{id}", Items, "get:show")
    with TestClient(app) as client:
        assert client.get("/items/7").json() == {"id": 7}
        assert client.get("/items/" + "9" * 5000).status_code == 404


def test_plans_that_cannot_work_fail_at_registration(make_app: Any) -> None:
    class Two(Controller):
        def act(self, a: Filters, b: Signup) -> Any:
            return None

    with pytest.raises(ConfigurationError, match="only one parameter can come from the body"):
        make_app().router("/two", Two, "post:act")


def test_errors_are_capped_for_hostile_bodies(make_app: Any) -> None:
    def handler(ctx: Any, data: Filters) -> Any:
        return data.model_dump()

    app = make_app()
    app.post("/f", handler)
    with TestClient(app) as client:
        answer = client.post("/f", json={"ids": ["x"] * 5000})
        assert answer.status_code == 422
        body = answer.json()["error"]
        assert len(body["errors"]) == 100
        assert body["message"].endswith("and 4995 more")


def test_checks_after_binding_answer_as_the_forms_own_errors(make_app: Any) -> None:
    taken = {"ann"}

    class Accounts(Controller):
        def post(self, form: Signup) -> Any:
            if form.username in taken:
                raise ValidationError.from_messages(
                    {"username": "This name is taken."}, form.model_dump(), Signup
                )
            return {"ok": form.username}

    app = make_app()
    app.router("/accounts", Accounts)
    with TestClient(app) as client:
        refused = client.post("/accounts", json={"username": "ann", "password": "Secret123"})
        assert refused.status_code == 422
        assert refused.json()["error"]["errors"] == [
            {
                "location": "body",
                "field": "username",
                "label": "User name",  # the form's title
                "message": "This name is taken.",
                "type": "value_error",
            }
        ]
        accepted = client.post("/accounts", json={"username": "bob", "password": "Secret123"})
        assert accepted.json() == {"ok": "bob"}
    error = ValidationError.from_messages({"post_id": "There is no such post."})
    assert error.field_errors == {"post_id": ["There is no such post."]}
    assert error.errors[0]["label"] == "Post id" and error.data == {}
