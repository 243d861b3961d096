import gzip
import os
from pathlib import Path
from typing import Any

import pytest

from mvcpy import ConfigurationError
from mvcpy.filters.static import Static
from mvcpy.testing import TestClient


@pytest.fixture
def site(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "docs").mkdir()
    (static / "app.css").write_text("body { color: red }\n")
    (static / "app.3f9a1c2b.js").write_text("console.log(1)\n")
    (static / "docs" / "index.html").write_text("<h1>docs</h1>")
    (static / "big.txt").write_bytes(bytes(range(256)) * 40)
    (static / "big.txt.gz").write_bytes(gzip.compress(bytes(range(256)) * 40))
    (static / ".env").write_text("SECRET=1")
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", static / "escape.txt")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "a.txt").write_text("upload")
    return tmp_path


def build(make_app: Any, **options: Any) -> Any:
    app = make_app()
    app.use(Static({"/static": "static", "/media": "uploads"}, **options))
    app.get("/", lambda ctx: {"home": True})
    return app


def test_files_are_served_with_type_length_and_validators(make_app: Any, site: Path) -> None:
    with TestClient(build(make_app)) as client:
        response = client.get("/static/app.css")
        media = client.get("/media/a.txt")
        assert client.get("/").json() == {"home": True}
    assert response.status_code == 200 and response.text == "body { color: red }\n"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["content-length"] == "20"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["etag"].startswith('"') and "last-modified" in response.headers
    assert media.text == "upload"


def test_conditional_requests_get_304(make_app: Any, site: Path) -> None:
    with TestClient(build(make_app)) as client:
        first = client.get("/static/app.css")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        by_etag = client.get("/static/app.css", headers={"if-none-match": f'W/"x", {etag}'})
        by_date = client.get("/static/app.css", headers={"if-modified-since": modified})
        stale = client.get("/static/app.css", headers={"if-none-match": '"other"'})
    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_etag.headers["etag"] == etag
    assert by_date.status_code == 304
    assert stale.status_code == 200


def test_ranges(make_app: Any, site: Path) -> None:
    data = bytes(range(256)) * 40
    with TestClient(build(make_app)) as client:
        part = client.get("/static/big.txt", headers={"range": "bytes=10-19"})
        tail = client.get("/static/big.txt", headers={"range": "bytes=-5"})
        open_end = client.get("/static/big.txt", headers={"range": "bytes=10230-"})
        too_far = client.get("/static/big.txt", headers={"range": "bytes=99999-"})
        multi = client.get("/static/big.txt", headers={"range": "bytes=0-1,5-6"})
        stale_if_range = client.get(
            "/static/big.txt", headers={"range": "bytes=0-1", "if-range": '"old"'}
        )
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert tail.content == data[-5:] and open_end.content == data[10230:]
    assert too_far.status_code == 416 and too_far.headers["content-range"] == "bytes */10240"
    assert multi.status_code == 200 and multi.content == data
    assert stale_if_range.status_code == 200 and len(stale_if_range.content) == len(data)


def test_fingerprinted_names_are_cached_for_a_year(make_app: Any, site: Path) -> None:
    with TestClient(build(make_app)) as client:
        response = client.get("/static/app.3f9a1c2b.js")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")


def test_index_files_and_directory_redirect(make_app: Any, site: Path) -> None:
    with TestClient(build(make_app)) as client:
        redirect = client.get("/static/docs?x=1")
        index = client.get("/static/docs/")
        no_index = client.get("/static/css/")
    assert redirect.status_code == 301 and redirect.headers["location"] == "/static/docs/?x=1"
    assert index.text == "<h1>docs</h1>"
    assert no_index.status_code == 404


def test_precompressed_sibling_is_sent_when_accepted(make_app: Any, site: Path) -> None:
    with TestClient(build(make_app)) as client:
        zipped = client.get("/static/big.txt", headers={"accept-encoding": "gzip"})
        plain = client.get("/static/big.txt", headers={"accept-encoding": "gzip;q=0"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == bytes(range(256)) * 40  # httpx decodes it
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/css/..%5C..%5Csecret.txt",
        "/static/app.css%00.png",
        "/static/escape.txt",
        "/static/.env",
        "/static/missing.css",
        "/static/app.css/",
    ],
)
def test_traversal_and_hidden_files_are_404(make_app: Any, site: Path, path: str) -> None:
    with TestClient(build(make_app)) as client:
        response = client.get(path)
    assert response.status_code == 404, path
    assert "outside" not in response.text and "SECRET" not in response.text


def test_writes_are_refused_and_head_has_no_body(make_app: Any, site: Path) -> None:
    with TestClient(build(make_app)) as client:
        post = client.post("/static/app.css")
        head = client.head("/static/app.css")
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
    assert (
        head.status_code == 200 and head.content == b"" and head.headers["content-length"] == "20"
    )


def test_missing_directory_is_a_startup_error(make_app: Any, tmp_path: Path) -> None:
    app = make_app()
    app.use(Static({"/assets": "nope"}))
    with pytest.raises(ConfigurationError, match="does not exist"):
        app.start()


def test_a_project_serves_static_by_default(tmp_path: Path, site: Path) -> None:
    from mvcpy import App

    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.toml").write_text("[default]\n")
    with TestClient(App(root_path=tmp_path, env="test")) as client:
        assert client.get("/static/app.css").text == "body { color: red }\n"
    (tmp_path / "conf" / "app.toml").write_text("[default.filters]\nstatic = false\n")
    with TestClient(App(root_path=tmp_path, env="test")) as client:
        assert client.get("/static/app.css").status_code == 404
    config = '[default.filters.static]\ndirs = { "/files" = "uploads" }\nmax_age = 60\n'
    (tmp_path / "conf" / "app.toml").write_text(config)
    with TestClient(App(root_path=tmp_path, env="test")) as client:
        response = client.get("/files/a.txt")
        assert (
            response.text == "upload" and response.headers["cache-control"] == "public, max-age=60"
        )


def test_the_apps_own_filters_see_the_implicit_static_responses(tmp_path: Path, site: Path) -> None:
    from mvcpy import App

    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.toml").write_text("[default.filters]\nrequest_id = true\n")
    seen: list[tuple[str, int]] = []

    async def record(ctx: Any, call_next: Any) -> Any:
        response = await call_next(ctx)
        seen.append((ctx.request.path, response.status))
        response.set_header("x-seen", "1")
        return response

    app = App(root_path=tmp_path, env="test")
    app.use(record)
    with TestClient(app) as client:
        served = client.get("/static/app.css")
        missing = client.get("/static/nope.css")
    assert served.text == "body { color: red }\n" and served.headers["x-seen"] == "1"
    assert served.headers["x-request-id"]  # the configured built-ins still come first
    assert missing.status_code == 404
    assert seen == [("/static/app.css", 200), ("/static/nope.css", 404)]
