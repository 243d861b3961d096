"""Sample posts, comments and a user for `make demo`, which copies this file into the demo
project as demo/seeds.py and runs `mvcpy db seed` once, when it creates the project (after
`mvcpy generate auth` has written the User model and `mvcpy generate admin` the admin)."""

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from demo.admin import admin, grant_access
from demo.models.comment import Comment
from demo.models.post import Post
from demo.models.user import User

#: the demo's user: log in at /login with these
DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "mvcpy demo password"


def seed(db: Session) -> None:
    """Add three posts, one of them a draft, two comments on the first, and a confirmed
    user to log in as, who may use the admin."""
    user = User(email=DEMO_EMAIL, confirmed_at=datetime.now(UTC))
    user.set_password(DEMO_PASSWORD)
    db.add(user)
    welcome = Post(
        title="Welcome to the mvcpy demo",
        body="This post came from demo/seeds.py. Edit it, or write your own.",
        published=True,
    )
    db.add_all(
        [
            welcome,
            Post(
                title="Routes, controllers and views",
                body="routes.py names every route; PostsController fills self.data; "
                "views/posts/ renders it.",
                published=True,
            ),
            Post(title="A draft", body="Not published yet.", published=False),
            Comment(post=welcome, body="A comment belongs to a post: post:references."),
            Comment(post=welcome, body="Deleting the post deletes its comments."),
        ]
    )
    db.flush()
    grant_access(db, DEMO_EMAIL, ["admin.access", *admin.permissions()])
