from typing import Any

import pytest

from mvcpy import Response
from mvcpy.filters.security import SecurityHeaders
from mvcpy.testing import TestClient


def build(make_app: Any, env: str = "test", **options: Any) -> Any:
    app = make_app(env=env, secret_key="k" * 40)
    app.use(SecurityHeaders(**options))
    app.get("/", lambda ctx: {})
    app.get("/framed", lambda ctx: Response(b"", headers={"x-frame-options": "SAMEORIGIN"}))
    return app


def test_defaults_are_on_even_for_404s(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        for response in (client.get("/"), client.get("/missing")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
            assert "content-security-policy" not in response.headers


def test_a_header_set_by_the_action_wins(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        assert client.get("/framed").headers.get_list("x-frame-options") == ["SAMEORIGIN"]


def test_csp_gets_frame_ancestors_and_headers_can_be_turned_off(make_app: Any) -> None:
    app = build(make_app, content_security_policy="default-src 'self'", referrer_policy=None)
    with TestClient(app) as client:
        response = client.get("/")
    assert response.headers["content-security-policy"] == (
        "default-src 'self'; frame-ancestors 'none'"
    )
    assert "referrer-policy" not in response.headers


def test_hsts_only_over_https_in_prod(make_app: Any) -> None:
    with TestClient(build(make_app, env="prod"), base_url="https://testserver") as client:
        assert client.get("/").headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains"
        )
    with TestClient(build(make_app, env="prod")) as client:
        assert "strict-transport-security" not in client.get("/").headers
    with TestClient(build(make_app, env="dev"), base_url="https://testserver") as client:
        assert "strict-transport-security" not in client.get("/").headers
    app = build(make_app, env="dev", hsts="always", hsts_preload=True, hsts_max_age=60)
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/").headers["strict-transport-security"] == (
            "max-age=60; includeSubDomains; preload"
        )


def test_bad_frame_option_is_refused() -> None:
    with pytest.raises(ValueError, match="frame_options"):
        SecurityHeaders(frame_options="ALLOW-FROM x")
