"""The basic app served by ``python -m uvicorn`` in prod, exercised with httpx."""

from __future__ import annotations

import httpx
import pytest

from ._servers import ServerProcess
from .apps.basic import BOOM_DETAIL

pytestmark = pytest.mark.e2e

GET_ALLOW = {"GET", "HEAD", "OPTIONS"}


def allow_set(response: httpx.Response) -> set[str]:
    return {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}


def test_sync_action_answers_plain_text_from_a_worker_thread(http: httpx.Client) -> None:
    response = http.get("/hello")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    # DESIGN 2: a sync controller runs on the app's worker pool, never on the loop.
    assert response.text.startswith("hello from mvcpy-worker")


def test_async_action_runs_on_the_event_loop(http: httpx.Client) -> None:
    response = http.get("/hello-async")
    assert response.status_code == 200
    assert response.text == "hello async from MainThread"


def test_json_route(http: httpx.Client) -> None:
    response = http.get("/json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "app_name": "e2e-basic",
        "env": "prod",
        "items": [1, 2, 3],
        "unicode": "h\u00e9llo \u2713",
    }


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/users/alice", "alice"),
        ("/users/J%C3%BCrgen%20x", "J\u00fcrgen x"),
        ("/users/a%2Fb", "a/b"),  # an encoded slash stays inside the one segment
        ("/users/100%25", "100%"),
    ],
)
def test_path_parameter_is_percent_decoded(http: httpx.Client, path: str, name: str) -> None:
    response = http.get(path)
    assert response.status_code == 200, response.text
    assert response.json() == {"name": name}


def test_typed_path_parameter_is_converted(http: httpx.Client) -> None:
    response = http.get("/items/42")
    assert response.status_code == 200
    assert response.json() == {"id": 42, "type": "int"}
    assert http.get("/items/forty-two").status_code == 404


def test_router_backtracks_from_a_static_segment_to_a_parameter(http: httpx.Client) -> None:
    assert http.get("/files/latest/info").json() == {"route": "latest_info"}
    # "latest" first follows the static edge, finds no "raw" there, and must back up to {name}.
    response = http.get("/files/latest/raw")
    assert response.status_code == 200, response.text
    assert response.json() == {"route": "raw", "name": "latest"}


def test_unknown_path_is_a_json_404(http: httpx.Client) -> None:
    response = http.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == 404
    assert error["message"] == "Not Found"


def test_unknown_path_is_an_html_404_for_browsers(http: httpx.Client) -> None:
    response = http.get("/no/such/page", headers={"accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "404" in response.text


def test_wrong_method_is_405_with_allow(http: httpx.Client) -> None:
    response = http.post("/hello")
    assert response.status_code == 405
    assert allow_set(response) == GET_ALLOW
    assert response.json()["error"]["status"] == 405

    response = http.get("/submit")
    assert response.status_code == 405
    assert allow_set(response) == {"POST", "OPTIONS"}


@pytest.mark.parametrize("path", ["/hello", "/json", "/users/J%C3%BCrgen"])
def test_head_has_no_body_and_the_same_content_length(http: httpx.Client, path: str) -> None:
    get = http.get(path)
    head = http.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == int(get.headers["content-length"])
    assert int(get.headers["content-length"]) == len(get.content) > 0
    assert head.headers["content-type"] == get.headers["content-type"]


def test_automatic_options_answers_allow(http: httpx.Client) -> None:
    response = http.options("/hello")
    assert response.status_code in (200, 204)
    assert allow_set(response) == GET_ALLOW
    assert response.content == b""

    response = http.options("/submit")
    assert response.status_code in (200, 204)
    assert allow_set(response) == {"POST", "OPTIONS"}


def test_204_response_has_no_content_length(http: httpx.Client) -> None:
    # RFC 9110 8.6: a server MUST NOT send Content-Length in a 204 response.
    response = http.options("/hello")
    assert response.status_code == 204
    assert "content-length" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "status", "location"),
    [
        ("GET", "/hello/", 301, "/hello"),
        ("GET", "/hello/?x=1&y=%20", 301, "/hello?x=1&y=%20"),
        ("HEAD", "/json/", 301, "/json"),
        ("POST", "/submit/", 308, "/submit"),
    ],
)
def test_trailing_slash_redirects_to_the_registered_form(
    http: httpx.Client, method: str, path: str, status: int, location: str
) -> None:
    response = http.request(method, path)
    assert response.status_code == status
    assert response.headers["location"] == location
    followed = http.request(method, location)
    assert followed.status_code == 200


def test_malformed_percent_escape_is_400(http: httpx.Client) -> None:
    response = http.get("/bad%zz")
    assert response.status_code == 400
    assert response.json()["error"]["status"] == 400


def test_lifespan_startup_hook_ran_in_the_serving_process(
    http: httpx.Client, uvicorn_prod: ServerProcess
) -> None:
    state = http.get("/startup").json()
    assert state["started"] is True
    pid = http.get("/pid").json()["pid"]
    # A single uvicorn process: it ran the hook and it answers the requests.
    assert state["startup_pid"] == pid == uvicorn_prod.pid


def test_namespace_filter_sets_a_header_on_its_routes_only(http: httpx.Client) -> None:
    response = http.get("/api/ping")
    assert response.status_code == 200
    assert response.json() == {"pong": True}
    assert response.headers["x-api-filter"] == "on"

    response = http.get("/api/greet/bob")
    assert response.json() == {"name": "bob"}
    assert response.headers["x-api-filter"] == "on"

    assert "x-api-filter" not in http.get("/hello").headers


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [("application/json", "application/json"), ("text/html", "text/html")],
)
def test_prod_500_shows_no_traceback(
    http: httpx.Client, uvicorn_prod: ServerProcess, accept: str, content_type: str
) -> None:
    response = http.get("/boom", headers={"accept": accept})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(content_type)
    body = response.text
    for leak in (BOOM_DETAIL, "Traceback", "RuntimeError", 'File "', "basic.py"):
        assert leak not in body
    if content_type == "application/json":
        assert response.json()["error"] == {"status": 500, "message": "Internal Server Error"}
    # The traceback goes to the server's log instead, and the server keeps serving.
    assert BOOM_DETAIL in uvicorn_prod.log()
    assert http.get("/hello").status_code == 200
