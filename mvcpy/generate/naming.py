"""Names for generated code: ``post`` gives ``Post``, ``posts``, ``PostsController``, ``/posts``.

A name is given in snake_case (``blog_post``) or CamelCase (``BlogPost``); both mean the
same thing. The plural is made by a simple English rule applied to the last word, and
``--plural`` overrides it for the words the rule gets wrong (``person`` -> ``people``):

- after ``s``, ``x``, ``z``, ``ch`` or ``sh``: add ``es`` (``box`` -> ``boxes``);
- a consonant followed by ``y``: ``y`` becomes ``ies`` (``category`` -> ``categories``);
- anything else: add ``s`` (``post`` -> ``posts``, ``day`` -> ``days``).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from mvcpy.errors import ConfigurationError

__all__ = ["ControllerNames", "ResourceNames", "camel", "pluralize", "singular_of", "snake"]

_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
#: Class names the generated modules import themselves (the models, forms and both
#: scaffold controllers, HTML and JSON); a model may not take them.
_TAKEN_CLASS_NAMES = frozenset(
    {"Model", "IdMixin", "TimestampMixin", "Mapped", "BaseModel", "Field", "Controller"}
    | {"Any", "HTMLResponse", "RedirectResponse", "ValidationError"}
    | {"JSONResponse", "Response", "Page"}
)
#: Names the generated controller, views and tests use for their own variables.
_TAKEN_WORDS = frozenset(
    {"form", "forms", "errors", "page", "name", "value", "values", "query", "select", "func"}
    | {"date", "datetime", "app", "client", "db", "token", "sent", "answer", "count", "re"}
)


def snake(name: str, what: str = "name") -> str:
    """Return ``name`` in snake_case, or raise ConfigurationError saying why it cannot be one.

    ``BlogPost`` and ``blog_post`` both give ``blog_post``. ``what`` names the thing in the
    message (``"model name"``, ``"action"``).
    """
    if not name.isascii() or not name.isidentifier():
        raise ConfigurationError(
            f"{what} {name!r} is not a Python identifier: use letters, digits and "
            "underscores, starting with a letter (for example: post, blog_post, BlogPost)"
        )
    result = _CAMEL_BOUNDARY.sub("_", name).lower()
    if not _SNAKE.fullmatch(result):
        raise ConfigurationError(
            f"{what} {name!r} must start with a letter and use single underscores between "
            "words (for example: post, blog_post)"
        )
    if keyword.iskeyword(result) or keyword.iskeyword(camel(result)):
        raise ConfigurationError(f"{what} {name!r} is a Python keyword: choose another name")
    return result


def camel(name: str) -> str:
    """Return the CamelCase class name of a snake_case name: ``blog_post`` -> ``BlogPost``."""
    return "".join(part.capitalize() for part in name.split("_"))


def pluralize(word: str) -> str:
    """Return the plural of a snake_case name by the rule in this module's docstring."""
    head, _, last = word.rpartition("_")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif len(last) > 1 and last.endswith("y") and last[-2] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head}_{last}" if head else last


#: words that end in s and are not plurals (the rule below would cut them)
_NOT_PLURAL = frozenset({"news", "series", "species", "physics", "mathematics", "economics"})


def singular_of(word: str) -> str | None:
    """The singular of ``word`` when it looks like a plural this module would make
    (``posts``, ``categories``, ``boxes``, ``blog_entries``), else ``None``.

    Words ending in ``ss``, ``us``, ``is`` or ``as`` (``address``, ``status``,
    ``analysis``, ``canvas``) and a few others (``news``, ``series``) are not plurals.
    """
    head, _, last = word.rpartition("_")
    if (
        not last.endswith("s")
        or last.endswith(("ss", "us", "is", "as"))
        or last in _NOT_PLURAL
        or len(last) < 3
    ):
        return None
    candidates = [last[:-3] + "y", last[:-2], last[:-1]] if last.endswith("ies") else []
    candidates += [last[:-2], last[:-1]] if last.endswith("es") else [last[:-1]]
    for candidate in candidates:
        if len(candidate) > 1 and pluralize(candidate) == last:
            return f"{head}_{candidate}" if head else candidate
    return None


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ResourceNames:
    """The names of one model and its resource, derived from the singular name."""

    #: ``blog_post``: the model's module (``models/blog_post.py``) and form module
    singular: str
    #: ``blog_posts``: the table, the controller module, the views directory, the routes
    plural: str
    #: what the generator says about the name it was given (a plural made singular)
    note: str = field(default="", compare=False)

    @classmethod
    def parse(cls, name: str, plural: str | None = None) -> ResourceNames:
        """Derive every name from ``name`` (and ``plural`` when the rule gets it wrong).

        A plural name (``posts``) is made singular, as Rails does, and the note says so;
        with ``--plural`` the name is taken as given.
        """
        singular = snake(name, "name")
        note = ""
        single = singular_of(singular) if plural is None else None
        if single is not None:
            note = (
                f"{name!r} looks plural: the model is {camel(single)!r} and {singular!r} "
                f"names its table, routes and controller (to keep {name!r} as the singular, "
                "pass --plural)"
            )
            singular = single
        if camel(singular) in _TAKEN_CLASS_NAMES:
            raise ConfigurationError(
                f"name {name!r} would make a class {camel(singular)}, which the generated "
                "code imports from mvcpy, pydantic, SQLAlchemy or typing: choose another name"
            )
        many = snake(plural, "plural") if plural else pluralize(singular)
        for word in (singular, many):
            if word in _TAKEN_WORDS:
                raise ConfigurationError(
                    f"name {name!r}: the generated code uses {word!r} for a variable of its "
                    "own; choose another name"
                )
        if many == singular:
            raise ConfigurationError(
                f"the plural of {singular!r} must differ from it: pass another --plural"
            )
        return cls(singular, many, note)

    @property
    def model_class(self) -> str:
        """``BlogPost``."""
        return camel(self.singular)

    @property
    def form_class(self) -> str:
        """``BlogPostForm``: the pydantic model of the forms."""
        return f"{self.model_class}Form"

    @property
    def controller_class(self) -> str:
        """``BlogPostsController``."""
        return f"{camel(self.plural)}Controller"

    @property
    def table(self) -> str:
        """``blog_posts``."""
        return self.plural

    @property
    def route(self) -> str:
        """``blog_posts``: ``app.resource`` names its routes ``blog_posts.index`` ..."""
        return self.plural

    @property
    def path(self) -> str:
        """``/blog-posts``: the URL prefix of the resource."""
        return "/" + self.plural.replace("_", "-")

    @property
    def label(self) -> str:
        """``Blog post``: how pages and messages name one record."""
        return _label(self.singular)

    @property
    def plural_label(self) -> str:
        """``Blog posts``: the title of the list page."""
        return _label(self.plural)


@dataclass(frozen=True)
class ControllerNames:
    """The names of a controller made by ``generate controller NAME``: no plural rule."""

    #: ``admin_pages``: the module (``controllers/admin_pages.py``) and views directory
    name: str

    @classmethod
    def parse(cls, name: str) -> ControllerNames:
        """Validate ``name`` (``pages``, ``AdminPages``); a ``Controller`` suffix is dropped."""
        if name.endswith("Controller") and name != "Controller":
            name = name[: -len("Controller")]
        return cls(snake(name, "controller name"))

    @property
    def controller_class(self) -> str:
        """``AdminPagesController``."""
        return f"{camel(self.name)}Controller"

    @property
    def path(self) -> str:
        """``/admin-pages``: the URL prefix of its actions."""
        return "/" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        """``Admin pages``."""
        return _label(self.name)
