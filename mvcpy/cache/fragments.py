"""``{% cache "key", ttl %}...{% endcache %}``: a piece of a template, rendered once a TTL.

The key is any expression (``"sidebar:" ~ user.id``); the TTL is seconds (the cache's
default when left out). The fragment is stored as the HTML it rendered, so a hit costs
one cache read. The tag reads the app's cache (``cache`` in templates) synchronously: with
the Redis backend an async action's render waits for that one round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

from mvcpy.cache.cache import DEFAULT, Cache

__all__ = ["FragmentCache"]


class FragmentCache(Extension):
    """The ``{% cache %}`` tag."""

    tags = {"cache"}

    def parse(self, parser: Parser) -> nodes.Node:
        """Read ``cache KEY[, TTL]``, the body, and ``endcache``."""
        lineno = next(parser.stream).lineno
        args = [parser.parse_expression()]
        args.append(
            parser.parse_expression() if parser.stream.skip_if("comma") else nodes.Const(None)
        )
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_fragment", args)
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _fragment(self, key: Any, ttl: float | None, caller: Callable[[], str]) -> Markup:
        cache: Cache = self.environment.globals["cache"]  # type: ignore[assignment]
        html = cache.get_or_set(
            f"fragment:{key}", lambda: str(caller()), DEFAULT if ttl is None else ttl
        )
        return Markup(html)
