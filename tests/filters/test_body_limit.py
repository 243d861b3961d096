from typing import Any

import pytest

from mvcpy.filters.body_limit import BodyLimit, parse_size
from mvcpy.testing import TestClient


def build(make_app: Any) -> Any:
    read: list[int] = []

    async def upload(ctx: Any) -> Any:
        body = await ctx.request.body()
        read.append(len(body))
        return {"size": len(body)}

    app = make_app(max_body_size=100)
    app.post("/small", upload, filters=[BodyLimit(10)])
    api = app.namespace("/big", filters=[BodyLimit("1kb")])
    api.post("/upload", upload)
    app.post("/default", upload)
    app.read = read
    return app


def chunks(size: int) -> Any:
    for _ in range(size // 10):
        yield b"x" * 10


def test_declared_length_over_the_limit_is_refused_before_reading(make_app: Any) -> None:
    app = build(make_app)
    with TestClient(app) as client:
        response = client.post("/small", content=b"x" * 11)
        assert response.status_code == 413
        assert response.json()["error"]["message"] == "Request body is larger than 10 bytes"
        assert client.post("/small", content=b"x" * 10).json() == {"size": 10}
    assert app.read == [10]  # the refused body never reached the action


def test_streamed_body_without_length_is_cut_at_the_limit(make_app: Any) -> None:
    app = build(make_app)
    with TestClient(app) as client:
        response = client.post("/small", content=chunks(50))
        assert response.status_code == 413
        assert client.post("/big/upload", content=chunks(500)).json() == {"size": 500}
        assert client.post("/big/upload", content=chunks(1030)).status_code == 413


def test_a_namespace_limit_may_be_larger_than_the_app_default(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        assert client.post("/default", content=b"x" * 500).status_code == 413
        assert client.post("/big/upload", content=b"x" * 500).json() == {"size": 500}
        assert client.post("/big/upload", content=b"x" * 1025).status_code == 413


def test_invalid_content_length_is_400(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        response = client.post("/small", content=b"", headers={"content-length": "ten"})
    assert response.status_code == 400


def test_sizes_parse() -> None:
    assert parse_size("512kb") == 512 * 1024 and parse_size("10MB") == 10 * 1024**2
    assert parse_size(7) == 7 and parse_size("20") == 20
    for bad in ("ten", "5xb", "-1", "1.5mb"):
        with pytest.raises(ValueError):
            parse_size(bad)
