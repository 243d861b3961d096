from typing import Any

import pytest

from mvcpy import ConfigurationError
from mvcpy.filters.cors import CORS
from mvcpy.testing import TestClient


def build(make_app: Any, cors: CORS) -> Any:
    app = make_app()
    app.use(cors)
    app.get("/items", lambda ctx: {"items": []})
    app.post("/items", lambda ctx: {"created": True})
    return app


LISTED = CORS(
    ["https://app.example"],
    origin_regex=r"https://[a-z0-9]+\.preview\.example",
    allow_headers=["Content-Type", "X-Token"],
    expose_headers=["X-Total"],
    allow_credentials=True,
    max_age=300,
)


def test_allowed_origin_gets_cors_headers_and_vary(make_app: Any) -> None:
    with TestClient(build(make_app, LISTED)) as client:
        for origin in ("https://app.example", "https://pr12.preview.example"):
            response = client.get("/items", headers={"origin": origin})
            assert response.headers["access-control-allow-origin"] == origin
            assert response.headers["access-control-allow-credentials"] == "true"
            assert response.headers["access-control-expose-headers"] == "X-Total"
            assert response.headers["vary"] == "Origin"


def test_disallowed_origin_gets_no_cors_headers(make_app: Any) -> None:
    with TestClient(build(make_app, LISTED)) as client:
        for origin in ("https://evil.example", "https://x.preview.example.evil", "null"):
            response = client.get("/items", headers={"origin": origin})
            assert response.status_code == 200
            assert not [h for h in response.headers if h.startswith("access-control-")]
            assert response.headers["vary"] == "Origin"
        preflight = client.options(
            "/items",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        assert not [h for h in preflight.headers if h.startswith("access-control-")]


def test_preflight_is_answered_204_before_routing(make_app: Any) -> None:
    with TestClient(build(make_app, LISTED)) as client:
        response = client.options(
            "/items",
            headers={
                "origin": "https://app.example",
                "access-control-request-method": "POST",
                "access-control-request-headers": "x-token",
            },
        )
    assert response.status_code == 204 and response.content == b""
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-allow-methods"] == "GET, HEAD, POST, PUT, PATCH, DELETE"
    assert response.headers["access-control-allow-headers"] == "content-type, x-token"
    assert response.headers["access-control-max-age"] == "300"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"


def test_wildcard_origin(make_app: Any) -> None:
    cors = CORS(["*"], allow_headers=["*"])
    with TestClient(build(make_app, cors)) as client:
        simple = client.get("/items", headers={"origin": "https://anyone.example"})
        preflight = client.options(
            "/items",
            headers={
                "origin": "https://anyone.example",
                "access-control-request-method": "PUT",
                "access-control-request-headers": "x-custom",
            },
        )
        plain_options = client.options("/items")
    assert simple.headers["access-control-allow-origin"] == "*" and "vary" not in simple.headers
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-headers"] == "x-custom"
    assert (
        plain_options.status_code == 204
        and "access-control-allow-origin" not in plain_options.headers
    )


def test_credentials_with_wildcard_or_no_origin_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="wildcard"):
        CORS(["*"], allow_credentials=True)
    with pytest.raises(ConfigurationError, match="origins"):
        CORS()


def test_credentials_with_wildcard_refused_at_startup_from_config(make_app: Any) -> None:
    app = make_app(filters={"cors": {"origins": ["*"], "allow_credentials": True}})
    with pytest.raises(ConfigurationError, match="wildcard"):
        app.start()
