"""The realistic page of the views benchmark: shared data and routes for every framework."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CONTEXT", "DJANGO_TEMPLATES", "JINJA_TEMPLATES", "PAGE", "ROUTES", "check_page"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
JINJA_TEMPLATES = TEMPLATES / "jinja"
DJANGO_TEMPLATES = TEMPLATES / "django"

#: The page under test: 3-level layout, 10 nav links, 100 rows each with a link, macro, filter.
PAGE = "/products"

#: Route name -> (path pattern with {param}, Django path with <converter:param>).
ROUTES: dict[str, tuple[str, str]] = {
    "home": ("/", ""),
    "products": ("/products", "products"),
    "product": ("/products/{id:int}", "products/<int:id>"),
    "category": ("/c/{slug}", "c/<str:slug>"),
    "cart": ("/cart", "cart"),
    "account": ("/account", "account"),
    "orders": ("/orders", "orders"),
    "help": ("/help", "help"),
    "about": ("/about", "about"),
}

CONTEXT: dict[str, object] = {
    "heading": "All products",
    "year": 2026,
    "products": [
        {"id": i, "name": f"product <{i}>", "price": f"{i * 1.25:.2f}"} for i in range(1, 101)
    ],
}


def check_page(body: bytes) -> None:
    """Raise unless ``body`` is the full page (100 linked, escaped, upper-cased rows)."""
    text = body.decode()
    rows = text.count('<tr><td><a href="/products/')
    if rows != 100 or "PRODUCT &lt;100&gt;" not in text or 'href="/c/music"' not in text:
        raise RuntimeError(f"unexpected page ({rows} rows): {text[:300]!r}")
