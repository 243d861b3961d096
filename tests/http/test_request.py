import asyncio
import json
from typing import Any

from mvcpy import Controller
from mvcpy.http.datastructures import Headers, MultiDict
from mvcpy.testing import TestClient


def test_headers_are_case_insensitive_and_multi_valued() -> None:
    headers = Headers([(b"accept", b"a"), (b"X-Many", b"1"), (b"x-many", b"2")])
    assert headers["Accept"] == "a"
    assert headers["x-many"] == "1, 2"
    assert headers.getlist("X-MANY") == ["1", "2"]
    assert "ACCEPT" in headers and "nope" not in headers
    assert headers.get("nope", "d") == "d"


def test_multidict() -> None:
    data = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert data["a"] == "3"
    assert data.getlist("a") == ["1", "3"]
    assert data.getlist("z") == []
    assert len(data) == 2 and sorted(data) == ["a", "b"]


def inspect_request(ctx: Any) -> Any:
    request = ctx.request
    return {
        "method": request.method,
        "path": request.path,
        "url": request.url,
        "query": request.query.multi_items(),
        "cookies": request.cookies,
        "client": list(request.client) if request.client else None,
        "ua": request.headers.get("user-agent"),
        "host": request.host,
        "content_type": request.content_type,
    }


def test_request_line_query_cookies(make_app) -> None:
    app = make_app()
    app.route("/inspect/{x}", inspect_request, methods=["GET", "POST"])
    with TestClient(app) as client:
        data = client.get(
            "/inspect/a%20b?tag=1&tag=2&empty=",
            headers={"user-agent": "t/1", "cookie": 'sid=abc; broken; quoted="v"'},
        ).json()
    assert data["method"] == "GET"
    assert data["path"] == "/inspect/a b"
    assert data["url"] == "http://testserver/inspect/a%20b?tag=1&tag=2&empty="
    assert data["query"] == [["tag", "1"], ["tag", "2"], ["empty", ""]]
    assert data["cookies"] == {"sid": "abc", "quoted": "v"}
    assert data["client"] == ["127.0.0.1", 50000]
    assert data["ua"] == "t/1"
    assert data["host"] == "testserver"


def test_json_body_and_errors(make_app) -> None:
    async def read_json(ctx: Any) -> Any:
        return {"got": await ctx.request.json()}

    def read_json_sync(ctx: Any) -> Any:
        return {"got": ctx.request.read_json(), "body": ctx.request.read_body().decode()}

    app = make_app()
    app.post("/json", read_json)
    app.post("/json-sync", read_json_sync)
    with TestClient(app) as client:
        assert client.post("/json", json={"a": [1, 2]}).json() == {"got": {"a": [1, 2]}}
        assert client.post("/json-sync", json={"b": 1}).json() == {
            "got": {"b": 1},
            "body": '{"b":1}',
        }
        bad = client.post("/json", content=b"{nope", headers={"content-type": "application/json"})
        assert bad.status_code == 400
        assert bad.json()["error"]["message"].startswith("Malformed JSON")
        deep = client.post("/json", content=b"[" * 100_000 + b"]" * 100_000)
        assert deep.status_code == 400
        invalid_utf8 = client.post("/json", content=b'{"a": "\xff"}')
        assert invalid_utf8.status_code == 400
        empty = client.post("/json", content=b"")
        assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]


def test_body_size_limit(make_app) -> None:
    async def read(ctx: Any) -> Any:
        return {"size": len(await ctx.request.body())}

    app = make_app(max_body_size=1000)
    app.post("/body", read)
    with TestClient(app) as client:
        assert client.post("/body", content=b"x" * 1000).json() == {"size": 1000}
        too_big = client.post("/body", content=b"x" * 1001)
        assert too_big.status_code == 413
        assert "1000 bytes" in too_big.json()["error"]["message"]

        def chunks() -> Any:
            for _ in range(20):
                yield b"y" * 100  # no Content-Length: the limit applies while streaming

        streamed = client.post("/body", content=chunks())
        assert streamed.status_code == 413


def test_forms_urlencoded_and_multipart(make_app, tmp_path) -> None:
    async def form(ctx: Any) -> Any:
        data = await ctx.request.form()
        out: dict[str, Any] = {}
        for key, value in data.multi_items():
            if hasattr(value, "read"):
                saved = value.save(tmp_path / "uploads")
                out[key] = [value.filename, value.content_type, value.size, saved.read_text()]
            else:
                out.setdefault(key, []).append(value)
        return out

    app = make_app(form={"max_fields": 5, "max_file_size": 100, "max_parts": 4})
    app.post("/form", form)
    with TestClient(app) as client:
        assert client.post("/form", data={"a": ["1", "2"], "b": "é"}).json() == {
            "a": ["1", "2"],
            "b": ["é"],
        }
        upload = client.post(
            "/form",
            data={"title": "t"},
            files={"doc": ("../../etc/pass wd.txt", b"hello", "text/plain")},
        ).json()
        assert upload["title"] == ["t"]
        assert upload["doc"] == ["pass_wd.txt", "text/plain", 5, "hello"]
        assert (tmp_path / "uploads" / "pass_wd.txt").read_text() == "hello"
        too_many = client.post(
            "/form",
            content="&".join(f"f{i}=1" for i in range(50)),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert too_many.status_code == 400
        big_file = client.post("/form", files={"f": ("a", b"x" * 101)})
        assert big_file.status_code == 413
        many_parts = client.post("/form", files={f"f{i}": ("a", b"x") for i in range(6)})
        assert many_parts.status_code == 400
        truncated = client.post(
            "/form",
            content=b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished',
            headers={"content-type": "multipart/form-data; boundary=B"},
        )
        assert truncated.status_code == 400
        no_boundary = client.post(
            "/form", content=b"x", headers={"content-type": "multipart/form-data"}
        )
        assert no_boundary.status_code == 400


def test_state_is_shared_and_request_takes_attributes(make_app) -> None:
    async def set_state(ctx: Any, call_next: Any) -> Any:
        ctx.state.user = "ann"
        ctx.state["role"] = "admin"
        ctx.request.tag = "tagged"
        return await call_next(ctx)

    class Show(Controller):
        def get(self) -> Any:
            state = self.ctx.state
            return {"user": state.user, "role": state.get("role"), "tag": self.request.tag}

    app = make_app()
    app.use(set_state)
    app.router("/", Show)
    with TestClient(app) as client:
        assert client.get("/").json() == {"user": "ann", "role": "admin", "tag": "tagged"}


def test_client_disconnect_while_reading_sends_nothing(make_app) -> None:
    async def read(ctx: Any) -> Any:
        return {"size": len(await ctx.request.body())}

    app = make_app()
    app.post("/body", read)
    app.start()
    sent: list[Any] = []

    async def run() -> None:
        messages = [
            {"type": "http.request", "body": b"x", "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> Any:
            return messages.pop(0)

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/body",
            "raw_path": b"/body",
            "query_string": b"",
            "headers": [],
            "scheme": "http",
        }
        await app(scope, receive, send)

    asyncio.run(run())
    assert sent == []


def test_json_helper_roundtrip() -> None:
    from mvcpy.http import _json

    assert json.loads(_json.dumps({"a": "é"})) == {"a": "é"}
