import base64
from typing import Any

import pytest

from mvcpy.filters.auth import BasicAuth, BearerAuth, constant_time_equal
from mvcpy.testing import TestClient


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def build(make_app: Any) -> Any:
    async def lookup(token: str) -> Any:
        return {"t-1": "svc-a"}.get(token)

    app = make_app()
    admin = app.namespace("/admin", filters=[BasicAuth(users={"ada": "s3cret", "bob": "pw"})])
    admin.get("/", lambda ctx: {"user": ctx.state.user})
    app.get(
        "/custom",
        lambda ctx: {"user": ctx.state.user},
        filters=[BasicAuth(lambda u, p: u == "x" and p == "y", realm="staff")],
    )
    app.get("/api", lambda ctx: {"user": ctx.state.user}, filters=[BearerAuth(lookup)])
    app.get("/fixed", lambda ctx: {"ok": True}, filters=[BearerAuth(tokens=["abc"])])
    return app


def test_basic_auth_accepts_known_users(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        assert client.get("/admin/", headers=basic("ada", "s3cret")).json() == {"user": "ada"}
        assert client.get("/custom", headers=basic("x", "y")).json() == {"user": "x"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("ada", "wrong"),
        basic("eve", "s3cret"),
        {"authorization": "Basic !!!"},
        {"authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"authorization": "Bearer s3cret"},
    ],
)
def test_basic_auth_refuses_with_a_challenge(make_app: Any, headers: dict[str, str]) -> None:
    with TestClient(build(make_app)) as client:
        response = client.get("/admin/", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="mvcpy", charset="UTF-8"'


def test_custom_realm(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        response = client.get("/custom", headers=basic("x", "nope"))
    assert response.headers["www-authenticate"].startswith('Basic realm="staff"')


def test_bearer_tokens(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        ok = client.get("/api", headers={"authorization": "Bearer t-1"})
        missing = client.get("/api")
        wrong = client.get("/api", headers={"authorization": "Bearer t-2"})
        fixed = client.get("/fixed", headers={"authorization": "bearer abc"})
    assert ok.json() == {"user": "svc-a"}
    assert (
        missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="mvcpy"'
    )
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert fixed.json() == {"ok": True}


def test_configuration_mistakes() -> None:
    with pytest.raises(ValueError):
        BasicAuth()
    with pytest.raises(ValueError):
        BearerAuth(lambda t: True, tokens=["a"])
    assert constant_time_equal("é", "é") and not constant_time_equal("a", "b")
