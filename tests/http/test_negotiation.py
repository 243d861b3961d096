"""Content negotiation and XML: Accept with q-values, 406, XML in and out, hostile XML."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from mvcpy import Controller
from mvcpy.errors import HTTPError
from mvcpy.http.negotiation import choose, parse_accept, prefers_xml
from mvcpy.http.xml import parse_xml, to_xml
from mvcpy.testing import TestClient

OFFERED = ("application/json", "application/xml", "text/html")


def test_choose_follows_q_values_and_specificity() -> None:
    assert choose(None, OFFERED) == "application/json"
    assert choose("", OFFERED) == "application/json"
    assert choose("*/*", OFFERED) == "application/json"
    assert choose("application/xml", OFFERED) == "application/xml"
    assert choose("application/json;q=0.5, application/xml", OFFERED) == "application/xml"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert choose(browser, OFFERED) == "text/html"
    assert choose(browser, OFFERED[:2]) == "application/xml"
    assert choose("text/*", OFFERED) == "text/html"
    assert choose("image/png", OFFERED) is None
    assert choose("*/*;q=0", OFFERED) is None
    assert choose("application/*;q=0.2, application/xml;q=0", OFFERED) == "application/json"
    assert choose("application/json;q=bogus, text/html", OFFERED) == "text/html"
    assert parse_accept("a/b;q=2, c/d;q=-1") == [("a/b", 1.0), ("c/d", 0.0)]
    assert len(parse_accept(",".join(["a/b"] * 10_000))) == 64
    assert prefers_xml("application/xml") and not prefers_xml("*/*")


class Item(BaseModel):
    name: str
    price: Decimal


def test_xml_out_and_in() -> None:
    data = {
        "id": uuid.UUID(int=1),
        "when": datetime.date(2024, 1, 2),
        "tags": ["a", "b"],
        "ok": True,
        "none": None,
        "bad key!": 1,
    }
    xml = to_xml(data)
    assert xml.startswith(b"<?xml")
    assert b"<id>00000000-0000-0000-0000-000000000001</id>" in xml
    assert b"<tags><item>a</item><item>b</item></tags>" in xml
    assert b'<none nil="true" />' in xml
    assert b"<bad_key_>1</bad_key_>" in xml
    assert parse_xml(xml) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "when": "2024-01-02",
        "tags": ["a", "b"],
        "ok": "true",
        "none": None,
        "bad_key_": "1",
    }
    assert parse_xml(b"<r><a>1</a><a>2</a></r>") == {"a": ["1", "2"]}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL, b"<a><b></a>", b"", b"<a>\xff</a>", b"<a>" * 1000 + b"</a>" * 1000],
)
def test_hostile_xml_is_400(body: bytes) -> None:
    with pytest.raises(HTTPError) as caught:
        parse_xml(body)
    assert caught.value.status == 400


def test_negotiate_in_controllers(make_app: Any, views: Any) -> None:
    views("items/show.html", "<h1>{{ name }}</h1>")

    class Items(Controller):
        def show(self) -> Any:
            return self.negotiate({"name": "pen", "price": Decimal("1.50")}, html="items/show.html")

        def api(self) -> Any:
            return self.negotiate([1, 2])

        def create(self, item: Item) -> Any:
            return self.xml(item, status=201, root="item")

    app = make_app()
    app.router("/items/1", Items, "get:show")
    app.router("/api", Items, "get:api")
    app.router("/items", Items, "post:create")
    with TestClient(app) as client:
        assert client.get("/items/1").json() == {"name": "pen", "price": "1.50"}
        xml = client.get("/items/1", headers={"Accept": "application/xml"})
        assert xml.headers["content-type"] == "application/xml"
        assert xml.content.endswith(b"<response><name>pen</name><price>1.50</price></response>")
        html = client.get("/items/1", headers={"Accept": "text/html,*/*;q=0.8"})
        assert html.text == "<h1>pen</h1>"
        text_xml = client.get("/api", headers={"Accept": "text/xml"})
        assert text_xml.headers["content-type"].startswith("text/xml")
        refused = client.get("/api", headers={"Accept": "image/png"})
        assert refused.status_code == 406
        assert "application/json" in refused.json()["error"]["message"]
        assert client.get("/api", headers={"Accept": "text/html"}).status_code == 406
        created = client.post(
            "/items",
            content=b"<item><name>cup</name><price>2</price></item>",
            headers={"content-type": "application/xml"},
        )
        assert created.status_code == 201
        assert created.content.endswith(b"<item><name>cup</name><price>2</price></item>")
        invalid = client.post(
            "/items",
            content=b"<item><name>cup</name></item>",
            headers={"content-type": "application/xml", "accept": "application/xml"},
        )
        assert invalid.status_code == 422
        assert invalid.headers["content-type"] == "application/xml"
        assert b"<field>price</field>" in invalid.content
        bomb = client.post(
            "/items", content=BILLION_LAUGHS, headers={"content-type": "application/xml"}
        )
        assert bomb.status_code == 400
