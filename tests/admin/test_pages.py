"""The admin's pages over real databases: create, list, search, filter, order, edit,
delete, bulk delete; validation beside the fields; the audit log; what each user may do;
bad input answered with a 4xx."""

from __future__ import annotations

import re

from sqlalchemy import select

from mvcpy import App
from mvcpy.admin import audit
from mvcpy.testing import TestClient

from .conftest import errors_of, poster, token_of
from .models import Author, Post, Status


def _rows(html: str) -> list[str]:
    """The ids of the list's rows, in order."""
    return re.findall(r'<tr id="row-([^"]+)">', html)


def _author(app: App, name: str) -> int:
    with app.database.session() as db:
        author = Author(name=name)
        db.add(author)
        db.commit()
        return author.id


def test_create_list_edit_and_delete_with_an_audit_log(admin_app: App) -> None:
    with TestClient(admin_app) as client:
        client.login_as(1)
        post = poster(client)
        created = post("/admin/authors/", name="Ann")
        assert created.status_code == 303 and created.headers["location"] == "/admin/authors/"
        assert "Author Ann created." in client.get("/admin/authors/").text
        with admin_app.database.session() as db:
            ann = db.scalars(select(Author)).one()

        # Every problem of the form at once, beside its field; nothing is written.
        refused = post("/admin/posts/", title="  ", rating="many", author_id="999", price="1.234")
        assert refused.status_code == 422
        errors = errors_of(refused.text)
        assert errors["title"] == "This field is required."
        assert "integer" in errors["rating"]
        assert errors["author_id"] == "There is no such author."
        assert "decimal" in errors["price"]
        assert 'value="many"' in refused.text  # what was sent is shown again

        for title, published in (("First post", "true"), ("Second post", ""), ("Other", "")):
            answer = post(
                "/admin/posts/",
                title=title,
                body="Words",
                published=published,
                rating="4",
                price="9.50",
                status="live",
                author_id=str(ann.id),
                id="777",  # not a registered field: ignored
                created_at="2001-01-01T00:00",  # neither
            )
            assert answer.status_code == 303, answer.text
        with admin_app.database.session() as db:
            posts = db.scalars(select(Post).order_by(Post.id)).all()
            assert [p.title for p in posts] == ["First post", "Second post", "Other"]
            assert 777 not in [p.id for p in posts]
            assert posts[0].published and not posts[1].published
            assert posts[0].status is Status.live and str(posts[0].price) == "9.50"
            assert posts[0].created_at.year > 2001
            first, second, other = (p.id for p in posts)

        listing = client.get("/admin/posts/")
        assert _rows(listing.text) == [str(other), str(second), str(first)]  # -id
        assert ">Ann</td>" in listing.text  # the foreign key shows its row's name
        assert _rows(client.get("/admin/posts/?q=POST").text) == [str(second), str(first)]
        assert _rows(client.get("/admin/posts/?q=%25").text) == []  # % is a character
        assert _rows(client.get("/admin/posts/?published=true").text) == [str(first)]
        assert _rows(client.get("/admin/posts/?o=title").text) == [
            str(first),
            str(other),
            str(second),
        ]
        assert _rows(client.get("/admin/posts/?o=-title&q=post").text) == [str(second), str(first)]
        page = client.get("/admin/posts/?published=false&q=o")
        assert _rows(page.text) == [str(other), str(second)]
        assert "published=false" in page.text and "q=o" in page.text  # links keep the state

        form = client.get(f"/admin/posts/{first}")
        assert form.status_code == 200 and 'value="First post"' in form.text
        edited = post(
            f"/admin/posts/{first}",
            title="First post, edited",
            body="Words",
            published="true",
            rating="5",
            price="9.50",
            status="live",
            author_id=str(ann.id),
        )
        assert edited.status_code == 303
        confirm = client.get(f"/admin/posts/{second}/delete")
        assert "Second post" in confirm.text and "Yes, delete" in confirm.text
        assert post(f"/admin/posts/{second}/delete").status_code == 303

        log = client.get("/admin/-/log").text
        assert "First post, edited" in log and "rating</code>: 4 → 5" in log
        with admin_app.database.session() as db:
            entries = audit.entries(db, model="posts")
        assert [(e.action, e.object_id) for e in entries] == [
            ("delete", str(second)),
            ("edit", str(first)),
            ("create", str(other)),
            ("create", str(second)),
            ("create", str(first)),
        ]
        assert entries[1].changes == {
            "title": ["First post", "First post, edited"],
            "rating": [4, 5],
        }
        assert entries[1].user == "root@example.com" and entries[1].user_id == "1"
        history = client.get(f"/admin/-/log?model=posts&object={first}").text
        assert history.count("<tr>") == 2 + 1  # two entries and the header


def test_delete_refused_by_the_database_deletes_nothing(admin_app: App) -> None:
    ann = _author(admin_app, "Ann")
    bob = _author(admin_app, "Bob")
    with TestClient(admin_app) as client:
        client.login_as(1)
        post = poster(client)
        assert (
            post("/admin/posts/", title="Hers", status="draft", author_id=str(ann)).status_code
            == 303
        )
        # A post refers to Ann: deleting Ann and Bob together deletes neither.
        asked = post("/admin/authors/delete", {"ids": [str(ann), str(bob)]})
        assert asked.status_code == 200 and "These 2 rows will be deleted" in asked.text
        refused = post("/admin/authors/delete", {"ids": [str(ann), str(bob)]}, confirm="yes")
        assert refused.status_code == 409 and "Nothing was deleted" in refused.text
        with admin_app.database.session() as db:
            assert db.scalars(select(Author.name).order_by(Author.name)).all() == ["Ann", "Bob"]
            assert [e.action for e in audit.entries(db, model="authors")] == []
        done = post("/admin/authors/delete", {"ids": [str(bob)]}, confirm="yes")
        assert done.status_code == 303
        with admin_app.database.session() as db:
            assert db.scalars(select(Author.name)).all() == ["Ann"]
            assert [e.object for e in audit.entries(db, model="authors")] == ["Bob"]


def test_a_unique_column_refused_by_the_database_is_shown_on_the_form(admin_app: App) -> None:
    _author(admin_app, "Ann")
    with TestClient(admin_app) as client:
        client.login_as(1)
        refused = poster(client)("/admin/authors/", name="Ann")
        assert refused.status_code == 422
        assert "The database refused it" in refused.text and 'value="Ann"' in refused.text
        with admin_app.database.session() as db:
            assert db.scalars(select(Author.name)).all() == ["Ann"]
            assert audit.entries(db) == []


def test_each_user_may_do_what_their_permissions_say(sqlite_app: App) -> None:
    ann = _author(sqlite_app, "Ann")
    with TestClient(sqlite_app) as client:
        anonymous = client.get("/admin/posts/", follow_redirects=False)
        assert anonymous.status_code == 302
        assert anonymous.headers["location"] == "/login?next=/admin/posts/"

        client.login_as(3)  # posts.view, but not admin.access
        assert client.get("/admin/posts/").status_code == 403

        client.login_as(2)  # admin.access and posts.view only
        index = client.get("/admin/")
        assert "/admin/posts/" in index.text and "/admin/authors/" not in index.text
        assert client.get("/admin/posts/").status_code == 200
        assert client.get("/admin/authors/").status_code == 403
        assert client.get("/admin/posts/new").status_code == 403
        token = token_of(client, "/admin/posts/")
        created = client.post(
            "/admin/posts/",
            data={"title": "x", "status": "draft", "author_id": str(ann), "csrf_token": token},
        )
        assert created.status_code == 403
        client.login_as(1)
        assert (
            poster(client)(
                "/admin/posts/", title="Kept", status="draft", author_id=str(ann)
            ).status_code
            == 303
        )
        client.login_as(2)
        token = token_of(client, "/admin/posts/")
        view = client.get("/admin/posts/1")
        assert view.status_code == 200 and "<fieldset disabled" in view.text
        assert (
            ">Save</button>" not in view.text
            and "Delete selected" not in client.get("/admin/posts/").text
        )
        assert (
            client.post("/admin/posts/1", data={"title": "no", "csrf_token": token}).status_code
            == 403
        )
        assert client.post("/admin/posts/1/delete", data={"csrf_token": token}).status_code == 403
        with sqlite_app.database.session() as db:
            assert db.scalars(select(Post.title)).all() == ["Kept"]


def test_bad_input_gets_a_4xx_with_a_reason(sqlite_app: App) -> None:
    _author(sqlite_app, "Ann")
    with TestClient(sqlite_app) as client:
        client.login_as(1)
        assert client.post("/admin/authors/", data={"name": "Forged"}).status_code == 403  # no CSRF
        answers = {
            "unknown model": client.get("/admin/nothing/"),
            "bad key": client.get("/admin/authors/abc"),
            "huge key": client.get(f"/admin/authors/{2**70}"),
            "missing row": client.get("/admin/authors/4242"),
            "bad filter": client.get("/admin/posts/?published=maybe"),
            "bad order": client.get("/admin/posts/?o=body"),
            "long search": client.get("/admin/posts/?q=" + "x" * 201),
            "NUL search": client.get("/admin/posts/?q=a%00b"),
            "bad page": client.get("/admin/posts/?page=0"),
            "bad before": client.get("/admin/-/log?before=-1"),
        }
        statuses = {name: answer.status_code for name, answer in answers.items()}
        assert statuses == {
            "unknown model": 404,
            "bad key": 404,
            "huge key": 404,
            "missing row": 404,
            "bad filter": 400,
            "bad order": 400,
            "long search": 400,
            "NUL search": 400,
            "bad page": 400,
            "bad before": 400,
        }
        assert "cannot be ordered by body" in answers["bad order"].text
        post = poster(client)
        assert post("/admin/authors/delete").status_code == 400  # nothing chosen
        assert post("/admin/authors/delete", {"ids": ["x"]}).status_code == 400
        refused = post("/admin/authors/", name="a\x00b")
        assert refused.status_code == 422 and "NUL" in errors_of(refused.text)["name"]
        long = post("/admin/authors/", name="x" * 81)
        assert long.status_code == 422 and "80" in errors_of(long.text)["name"]
        with sqlite_app.database.session() as db:
            assert db.scalars(select(Author.name)).all() == ["Ann"]


def test_lists_are_paged(sqlite_app: App) -> None:
    with sqlite_app.database.session() as db:
        db.add_all(Author(name=f"Author {n:02}") for n in range(30))
        db.commit()
    with TestClient(sqlite_app) as client:
        client.login_as(1)
        first = client.get("/admin/authors/?o=name")
        assert len(_rows(first.text)) == 25 and "Page 1 of 2" in first.text
        assert "/admin/authors/?o=name&amp;page=2" in first.text
        second = client.get("/admin/authors/?o=name&page=2")
        assert len(_rows(second.text)) == 5 and "Author 29" in second.text


def test_an_edit_changes_only_what_was_changed(sqlite_app: App) -> None:
    from datetime import UTC, datetime

    ann = _author(sqlite_app, "Ann")
    moment = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    with sqlite_app.database.session() as db:
        post = Post(title="Kept", status=Status.draft, author_id=ann, published_at=moment)
        db.add(post)
        db.commit()
        key = post.id
    with TestClient(sqlite_app) as client:
        client.login_as(1)
        form = client.get(f"/admin/posts/{key}").text
        assert 'value="2026-03-01T09:30:15"' in form  # UTC, to the second
        post_form = poster(client)
        fields = {"title": "Kept", "status": "draft", "author_id": str(ann)}
        same = post_form(f"/admin/posts/{key}", published_at="2026-03-01T09:30:15", **fields)
        assert same.status_code == 303
        with sqlite_app.database.session() as db:
            assert db.get(Post, key).published_at == moment  # the microseconds stay
            assert audit.entries(db, model="posts") == []  # nothing changed, nothing logged
        later = post_form(f"/admin/posts/{key}", published_at="2026-03-02T08:00", **fields)
        assert later.status_code == 303
        with sqlite_app.database.session() as db:
            assert db.get(Post, key).published_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
            (entry,) = audit.entries(db, model="posts")
        assert entry.changes == {
            "published_at": ["2026-03-01T09:30:15+00:00", "2026-03-02T08:00:00+00:00"]
        }


def test_a_list_reads_its_foreign_keys_once_per_page(sqlite_app: App) -> None:
    from mvcpy.testing import assert_queries

    def add_posts(count: int) -> None:
        with sqlite_app.database.session() as db:
            for n in range(count):
                author = Author(name=f"Writer {n} of {count}")
                db.add(author)
                db.flush()
                db.add(Post(title=f"Post {n}", status=Status.draft, author_id=author.id))
            db.commit()

    with TestClient(sqlite_app) as client:
        client.login_as(1)
        add_posts(3)
        with assert_queries(4) as few:  # the count, the page, the authors, the filter's
            assert client.get("/admin/posts/").status_code == 200
        add_posts(9)
        with assert_queries(few.count):  # twelve rows, twelve authors: the same queries
            page = client.get("/admin/posts/")
    assert ">Writer 8 of 9</td>" in page.text
