"""Sample posts for `make demo`, which copies this file into the demo project as
demo/seeds.py and runs `mvcpy db seed` once, when it creates the project."""

from demo.models.post import Post
from sqlalchemy.orm import Session


def seed(db: Session) -> None:
    """Add three posts, one of them a draft."""
    db.add_all(
        [
            Post(
                title="Welcome to the mvcpy demo",
                body="This post came from demo/seeds.py. Edit it, or write your own.",
                published=True,
            ),
            Post(
                title="Routes, controllers and views",
                body="routes.py names every route; PostsController fills self.data; "
                "views/posts/ renders it.",
                published=True,
            ),
            Post(title="A draft", body="Not published yet.", published=False),
        ]
    )
