import logging
from typing import Any

import pytest

from mvcpy import HTMLResponse, HTTPError
from mvcpy.testing import TestClient

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def boom(ctx: Any) -> Any:
    raise RuntimeError("secret internals <b>")


def test_json_for_api_clients_html_for_browsers(make_app) -> None:
    app = make_app()
    app.get("/teapot", lambda ctx: (_ for _ in ()).throw(HTTPError(418, "<short> & stout")))
    with TestClient(app) as client:
        api = client.get("/teapot")
        assert api.status_code == 418
        assert api.json() == {"error": {"status": 418, "message": "<short> & stout"}}
        page = client.get("/teapot", headers=BROWSER)
        assert page.headers["content-type"].startswith("text/html")
        assert "&lt;short&gt; &amp; stout" in page.text and "418" in page.text
        prefers_json = client.get(
            "/teapot", headers={"accept": "text/html;q=0.5, application/json"}
        )
        assert prefers_json.headers["content-type"] == "application/json"


def test_debug_page_in_dev(make_app) -> None:
    app = make_app(env="dev")
    app.get("/boom/{n:int}", boom, name="boom")
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/boom/3", headers={**BROWSER, "cookie": "sid=topsecret"})
    assert page.status_code == 500
    text = page.text
    assert "RuntimeError" in text and "Traceback" in text
    assert "secret internals &lt;b&gt;" in text  # escaped
    assert "/boom/{n:int}" in text and "boom" in text  # the matched route
    assert "topsecret" not in text  # cookies are hidden


def _checkout(ctx: Any, n: int) -> Any:
    api_key = "sk-" + "live" * 3  # a value that is not in the source
    basket = {"apples": n}
    return basket["pears"] + len(api_key)  # a KeyError in the project's own code


def test_debug_page_shows_your_frames_first_with_their_locals(make_app) -> None:
    app = make_app(env="dev")
    app.get("/checkout/{n:int}", _checkout, name="checkout")
    with TestClient(app, raise_server_exceptions=False) as client:
        text = client.get("/checkout/3", headers=BROWSER).text
    mine = text.index("<h2>Your code</h2>")
    frame = text.index("in <code>_checkout</code>")
    framework = text.index("mvcpy, library and Python frames")
    assert mine < frame < framework  # the project's frame is shown before mvcpy's
    assert "test_error_handling.py</code>, line" in text[mine:framework]
    here = text[frame:framework]
    assert 'class="here"' in here and "basket[&#34;pears&#34;]" in here  # the failing line
    assert "<td>basket</td><td>{&#39;apples&#39;: 3}</td>" in here
    assert "<td>n</td><td>3</td>" in here
    assert "sk-liveliveive" not in text and "livelivelive" not in text  # masked
    assert "<td>api_key</td><td>******** (hidden" in here
    assert "/mvcpy/" in text[framework:]  # the framework's frames follow, folded


def test_debug_page_shows_the_template_lines_of_a_template_error(make_app, views) -> None:
    views("broken.html", "<h1>{{ title }}</h1>\n<p>\n{% for x in items %}\n{{ x }\n</p>\n")
    app = make_app(env="dev")
    app.get("/broken", lambda ctx: app.templates.render("broken.html", {"items": []}, ctx))
    with TestClient(app, raise_server_exceptions=False) as client:
        text = client.get("/broken", headers=BROWSER).text
    assert "TemplateSyntaxError" in text or "TemplateRenderError" in text
    start = text.index("<h2>Template <code>")
    section = text[start : text.index("</section>", start)]
    assert "broken.html</code>, line 4" in section
    assert '<span class="here"><span class="n">4</span> {{ x }</span>' in section
    assert '<span class="n">3</span> {% for x in items %}' in section


def test_production_never_shows_a_traceback(make_app, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(env="prod", secret_key="k" * 32)
    app.get("/boom", boom)
    with (
        caplog.at_level(logging.ERROR, logger="mvcpy.errors"),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        page = client.get("/boom", headers=BROWSER)
        api = client.get("/boom")
    assert page.status_code == 500
    assert "Traceback" not in page.text and "secret internals" not in page.text
    assert api.json() == {"error": {"status": 500, "message": "Internal Server Error"}}
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 2 and "RuntimeError" in logged[0].getMessage()


def test_handlers_by_status_and_type(make_app) -> None:
    class PaymentRequired(Exception):
        pass

    def raise_payment(ctx: Any) -> Any:
        raise PaymentRequired()

    async def async_handler(ctx: Any, exc: BaseException) -> Any:
        return HTMLResponse("<p>pay up</p>", 402)

    app = make_app()
    app.get("/pay", raise_payment)
    app.get("/boom", boom)
    app.error_handler(PaymentRequired, async_handler)

    @app.error_handler(500)
    def server_error(ctx: Any, exc: BaseException) -> Any:
        return HTMLResponse(f"sorry: {type(exc).__name__}", 500)

    with TestClient(app) as client:
        assert client.get("/pay").text == "<p>pay up</p>"
        response = client.get("/boom")
        assert (response.status_code, response.text) == (500, "sorry: RuntimeError")


def test_failing_handler_falls_back_to_the_default(make_app) -> None:
    app = make_app(env="prod", secret_key="k" * 32)
    app.get("/boom", boom)
    app.error_handler(RuntimeError, lambda ctx, exc: 1 / 0)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "Internal Server Error"


def test_test_client_reraises_unhandled_exceptions(make_app) -> None:
    app = make_app()
    app.get("/boom", boom)
    with TestClient(app) as client, pytest.raises(RuntimeError, match="secret internals"):
        client.get("/boom")


def test_an_exception_a_handler_answers_below_500_is_not_logged_as_unhandled(
    make_app, caplog: pytest.LogCaptureFixture
) -> None:
    class Conflict(Exception):
        pass

    def conflict(ctx: Any) -> Any:
        raise Conflict()

    app = make_app()
    app.get("/conflict", conflict)
    app.get("/boom", boom)
    app.error_handler(Conflict, lambda ctx, exc: HTMLResponse("taken", 409))
    app.error_handler(RuntimeError, lambda ctx, exc: HTMLResponse("oops", 500))
    with caplog.at_level(logging.ERROR, logger="mvcpy.errors"), TestClient(app) as client:
        assert client.get("/conflict").status_code == 409
        assert not [r for r in caplog.records if r.exc_info]
        assert client.get("/boom").text == "oops"
    assert len([r for r in caplog.records if r.exc_info]) == 1


@pytest.mark.parametrize("with_filter", [False, True])
def test_async_handlers_answer_and_fail_alike_from_the_loop_and_a_worker_thread(
    make_app, with_filter: bool
) -> None:
    # With a filter, the sync route's errors are answered on its worker thread (the guard
    # inside the chain); without one, by the app on the loop.
    class Teapot(Exception):
        pass

    def brew(ctx: Any) -> Any:
        raise Teapot()

    async def teapot(ctx: Any, exc: BaseException) -> Any:
        return {"short": "stout"}, 418

    async def broken(ctx: Any, exc: BaseException) -> Any:
        raise ValueError("the handler itself fails")

    app = make_app(env="prod", secret_key="k" * 32)
    if with_filter:

        def passthrough(ctx: Any, call_next: Any) -> Any:
            return call_next(ctx)

        app.use(passthrough)
    app.get("/brew", brew)
    app.get("/boom", boom)
    app.error_handler(Teapot, teapot)
    app.error_handler(RuntimeError, broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        brewed = client.get("/brew")
        assert (brewed.status_code, brewed.json()) == (418, {"short": "stout"})
        failed = client.get("/boom")  # the failing handler falls back to the default 500
        assert failed.status_code == 500
        assert failed.json()["error"]["message"] == "Internal Server Error"
