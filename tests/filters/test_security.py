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


def test_answers_of_outer_filters_and_errors_carry_the_headers(make_app: Any) -> None:
    """The app's headers go on every response as it leaves, whoever answered it."""
    from mvcpy import abort

    async def refuse(ctx: Any, call_next: Any) -> Any:  # added before the headers: outside
        if ctx.request.path == "/refused":
            return Response(b"no", 401)
        return await call_next(ctx)

    def fail(ctx: Any, call_next: Any) -> Any:
        abort(403, "filter says no")

    def broken(ctx: Any) -> Any:
        raise RuntimeError("boom")

    app = make_app(env="test", secret_key="k" * 40)
    app.use(refuse)
    app.use(SecurityHeaders())
    app.get("/refused", lambda ctx: {})
    app.get("/forbidden", lambda ctx: {}, filters=[fail])
    app.get("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path, status in (("/refused", 401), ("/forbidden", 403), ("/broken", 500)):
            response = client.get(path)
            assert response.status_code == status
            assert response.headers["x-frame-options"] == "DENY", path
            assert response.headers.get_list("x-content-type-options") == ["nosniff"], path


def test_a_namespace_can_set_its_own_and_the_app_fills_in_the_rest(make_app: Any) -> None:
    app = make_app(env="prod", secret_key="k" * 40)
    app.use(SecurityHeaders())
    embeds = app.namespace("/embed", filters=[SecurityHeaders(frame_options="SAMEORIGIN")])
    embeds.get("/card", lambda ctx: {}, name="card")
    app.get("/", lambda ctx: {})
    app.get("/short", lambda ctx: Response(b"", headers={"strict-transport-security": "max-age=1"}))
    with TestClient(app, base_url="https://testserver") as client:
        card = client.get("/embed/card")
        assert card.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
        assert card.headers.get_list("strict-transport-security") == [
            "max-age=31536000; includeSubDomains"
        ]
        assert client.get("/").headers.get_list("x-frame-options") == ["DENY"]
        assert client.get("/short").headers.get_list("strict-transport-security") == ["max-age=1"]


def test_a_websocket_upgrade_carries_them(make_app: Any) -> None:
    from mvcpy import WebSocketController

    class Hello(WebSocketController):
        async def on_connect(self) -> None:
            await self.accept()
            await self.send_text("hi")

    app = build(make_app)
    app.websocket("/ws", Hello)
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hi"
        assert ws.headers["x-frame-options"] == "DENY"
