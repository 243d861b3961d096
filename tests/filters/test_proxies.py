from typing import Any

from mvcpy.filters.proxies import ProxyHeaders
from mvcpy.testing import TestClient


def build(make_app: Any, proxies: ProxyHeaders, **config: Any) -> Any:
    app = make_app(**config)
    app.use(proxies)
    app.get(
        "/",
        lambda ctx: {
            "client": ctx.request.client[0],
            "scheme": ctx.request.scheme,
            "url": ctx.url_for("home", _external=True),
        },
        name="home",
    )
    return app


def test_trusted_proxy_headers_set_client_and_scheme(make_app: Any) -> None:
    app = build(make_app, ProxyHeaders(["127.0.0.1", "10.0.0.0/8"], use_host=True))
    with TestClient(app) as client:
        response = client.get(
            "/",
            headers={
                "x-forwarded-for": "198.51.100.7, 203.0.113.9, 10.1.2.3",
                "x-forwarded-proto": "https",
                "x-forwarded-host": "shop.example",
            },
        )
    # The rightmost untrusted hop is the client: anything left of it may be forged.
    assert response.json() == {
        "client": "203.0.113.9",
        "scheme": "https",
        "url": "https://shop.example/",
    }


def test_forwarded_header(make_app: Any) -> None:
    app = build(make_app, ProxyHeaders(["127.0.0.1"]))
    with TestClient(app) as client:
        response = client.get(
            "/", headers={"forwarded": 'for="[2001:db8::17]:4711";proto=https;host=x.example'}
        )
    assert response.json()["client"] == "2001:db8::17"
    assert response.json()["scheme"] == "https"
    assert response.json()["url"] == "https://testserver/"  # host not used unless asked


def test_headers_from_an_untrusted_peer_are_ignored(make_app: Any) -> None:
    app = build(make_app, ProxyHeaders(["10.0.0.1"]))
    with TestClient(app) as client:
        response = client.get(
            "/", headers={"x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https"}
        )
    assert response.json()["client"] == "127.0.0.1" and response.json()["scheme"] == "http"


def test_a_bogus_proto_is_ignored(make_app: Any) -> None:
    app = build(make_app, ProxyHeaders(["*"]))
    with TestClient(app) as client:
        response = client.get("/", headers={"x-forwarded-proto": "javascript"})
    assert response.json()["scheme"] == "http"


def test_allowed_hosts_answers_400_for_unknown_hosts(make_app: Any) -> None:
    app = build(make_app, ProxyHeaders(), allowed_hosts=["shop.example", ".api.example"])
    with TestClient(app) as client:
        assert client.get("/", headers={"host": "evil.example"}).status_code == 400
        assert client.get("/", headers={"host": "shop.example"}).status_code == 200
        assert client.get("/", headers={"host": "v1.api.example"}).status_code == 200
