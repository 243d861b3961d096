"""The app's Jinja environment: loaders, caches, helpers, and rendering with a request."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import jinja2
import jinja2.ext

from mvcpy.errors import ConfigurationError, HTTPError
from mvcpy.translation import install_gettext
from mvcpy.types import CURRENT_TRACER
from mvcpy.views.errors import TemplateRenderError, locate, session_helper
from mvcpy.views.filters import BEEGO_FILTERS
from mvcpy.views.output import CodeGenerator
from mvcpy.views.settings import StaticSettings, TemplatesSettings
from mvcpy.views.static import StaticURLs

if TYPE_CHECKING:
    from mvcpy.config.settings import Config
    from mvcpy.context import Context
    from mvcpy.routing.router import Router

__all__ = [
    "AUTOESCAPE_EXTENSIONS",
    "RECORD_EXTENSION",
    "ContextProvider",
    "CurrentRoute",
    "Templates",
    "registrar",
]

logger = logging.getLogger("mvcpy.views")

#: Scope extension under which the test client collects what a request rendered.
RECORD_EXTENSION = "mvcpy.testing"
#: Templates whose names end with these are autoescaped.
AUTOESCAPE_EXTENSIONS = ("html", "htm", "xml", "jinja")
#: Rendering yields to the event loop after this many output pieces (async actions).
_YIELD_EVERY = 256
#: A streamed template is sent in chunks of at least this many characters.
_STREAM_CHUNK = 8192

ContextProvider = Callable[["Context"], Mapping[str, Any]]
#: ``fn(ctx) -> value``: a template name computed only when a template uses it
LazyName = Callable[["Context"], Any]
F = TypeVar("F", bound=Callable[..., Any])


class _Lazy:
    """A request helper not computed yet: resolved when a template first names it."""

    __slots__ = ("ctx", "fn")

    def __init__(self, fn: LazyName, ctx: Context) -> None:
        self.fn = fn
        self.ctx = ctx


class _RenderContext(jinja2.runtime.Context):
    """Jinja's context, resolving lazy request helpers on first use and keeping the value.

    A page that never names ``session`` or ``current_user`` creates no session object and
    loads no user.
    """

    def resolve_or_missing(self, key: str) -> Any:
        value = super().resolve_or_missing(key)
        if type(value) is _Lazy:
            value = value.fn(value.ctx)
            self.vars[key] = value  # the same value for the rest of this render
        return value


class _Environment(jinja2.Environment):
    """Jinja's environment, with each template's globals one flat dict.

    Jinja copies a template's globals into every render's context (``dict()`` and
    ``set()`` of them). Over its default ``ChainMap`` of the template's and the
    environment's globals that copy went key by key through Python code: 37 µs of a
    107 µs page with mvcpy's 33 globals (BENCHMARKS.md). A flat dict copies in C. The
    price: a template sees the environment's globals as they were when it was loaded, so
    :meth:`Templates.add_global` empties the template cache (Jinja asks anyway that
    globals not change once templates are loaded). Autoescaped output is escaped to
    plain strings (mvcpy.views.output).
    """

    code_generator_class = CodeGenerator

    def make_globals(self, d: Any) -> dict[str, Any]:
        flat = dict(self.globals)
        if d:
            flat.update(d)
        return flat


class CurrentRoute:
    """The route that answered this request, for active navigation links."""

    __slots__ = ("name", "params")

    def __init__(self, name: str | None, params: Mapping[str, Any]) -> None:
        self.name = name
        self.params = params

    def is_(self, name: str, **params: Any) -> bool:
        """Tell whether the current route is ``name`` (with these params, when given)."""
        if name != self.name:
            return False
        return all(self.params.get(k) == v for k, v in params.items())

    def __repr__(self) -> str:
        return f"CurrentRoute({self.name!r}, {dict(self.params)!r})"


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's on-disk bytecode cache, creating its directory on first write."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        os.makedirs(self.directory, exist_ok=True)
        # Write to a temporary file and rename, so a worker never reads a half-written file.
        name = os.path.join(self.directory, self.pattern % (bucket.key,))
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                bucket.write_bytecode(f)
            os.replace(tmp, name)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise


def _package_loader(spec: str) -> jinja2.BaseLoader:
    package, _, path = spec.partition(":")
    return jinja2.PackageLoader(package, path or "views")


class Templates:
    """Find, compile (once, cached) and render the app's templates.

    Settings come from ``[templates]`` in the configuration (see ``docs/views.md``); the
    views component builds it (the app's ``templates`` service) and the Jinja environment
    is built on first use.
    """

    def __init__(self, config: Config, root_path: Path, url_for: Callable[..., str]) -> None:
        self.config = config
        self.root_path = root_path
        self._url_for = url_for
        self._env: jinja2.Environment | None = None
        self._filters: dict[str, Callable[..., Any]] = {}
        self._globals: dict[str, Any] = {}
        self._tests: dict[str, Callable[..., bool]] = {}
        self._packages: list[str] = []
        self._providers: list[ContextProvider] = []
        self._lazy: dict[str, LazyName] = {}
        self._extensions: list[type[jinja2.ext.Extension]] = []
        self._error_pages: dict[int, str | None] = {}
        self._static: StaticURLs | None = None

    # -- settings ---------------------------------------------------------------------
    @property
    def settings(self) -> TemplatesSettings:
        """The ``[templates]`` settings."""
        return self.config.section_of(TemplatesSettings)

    @property
    def directories(self) -> list[Path]:
        """The project's template directories (``views`` setting), absolute."""
        return [(self.root_path / d).resolve() for d in self.config.core.views]

    @property
    def auto_reload(self) -> bool:
        """Whether an edited template is picked up on the next request (dev by default)."""
        setting = self.settings.auto_reload
        prod = self.config.env == "prod"
        debug = self.config.core.debug and not prod
        return debug if setting is None else bool(setting) and not prod

    @property
    def strict(self) -> bool:
        """Whether an undefined variable raises instead of rendering as empty."""
        return self.settings.strict

    @property
    def bytecode_cache_dir(self) -> Path | None:
        """Where compiled templates are cached on disk, shared by workers (``None``: off)."""
        directory = self.settings.bytecode_cache
        if not directory:
            return None
        return (self.root_path / directory).resolve()

    # -- the environment --------------------------------------------------------------
    @property
    def env(self) -> jinja2.Environment:
        """The Jinja environment, created on first use."""
        if self._env is None:
            self._env = self._build()
        return self._env

    def _build(self) -> jinja2.Environment:
        loaders: list[jinja2.BaseLoader] = [
            jinja2.FileSystemLoader([str(d) for d in self.directories])
        ]
        settings = self.settings
        packages = settings.packages
        loaders.extend(_package_loader(spec) for spec in [*packages, *self._packages])
        cache_dir = self.bytecode_cache_dir
        env = _Environment(
            loader=jinja2.ChoiceLoader(loaders) if len(loaders) > 1 else loaders[0],
            autoescape=jinja2.select_autoescape(AUTOESCAPE_EXTENSIONS),
            auto_reload=self.auto_reload,
            cache_size=settings.cache_size,
            undefined=jinja2.StrictUndefined if self.strict else jinja2.Undefined,
            bytecode_cache=_BytecodeCache(str(cache_dir)) if cache_dir is not None else None,
            extensions=["jinja2.ext.i18n", *settings.extensions, *self._extensions],
        )
        install_gettext(env)
        env.context_class = _RenderContext
        env.filters.update(BEEGO_FILTERS)
        static = self.config.section_of(StaticSettings)
        self._static = StaticURLs(
            static.url,
            [(self.root_path / d).resolve() for d in static.dirs],
            watch_changes=self.auto_reload,
        )
        url_for = _template_url_for(self._url_for)
        env.globals.update(
            url_for=url_for,
            urlfor=url_for,
            static_url=self._static,
            config=self.config,
            request=None,
            session=None,
            current_route=CurrentRoute(None, {}),
            csrf_token=session_helper("csrf_token"),
            csrf_input=session_helper("csrf_input"),
            get_flashed_messages=session_helper("get_flashed_messages"),
        )
        env.filters.update(self._filters)
        env.globals.update(self._globals)
        env.tests.update(self._tests)
        return env

    # -- extension points -------------------------------------------------------------
    def add_filter(self, fn: F, name: str | None = None) -> F:
        """Make ``fn`` available as filter ``name`` (default: its function name)."""
        key = name or fn.__name__
        self._filters[key] = fn
        if self._env is not None:
            self._env.filters[key] = fn
        return fn

    def add_global(self, value: F, name: str | None = None) -> F:
        """Make ``value`` available in every template as ``name`` (default: its name)."""
        key = name or value.__name__
        self._globals[key] = value
        env = self._env
        if env is not None:
            env.globals[key] = value
            if env.cache is not None:
                env.cache.clear()  # loaded templates hold a copy of the globals
        return value

    def add_test(self, fn: F, name: str | None = None) -> F:
        """Make ``fn`` available as test ``name`` (``{% if x is name %}``)."""
        key = name or fn.__name__
        self._tests[key] = fn
        if self._env is not None:
            self._env.tests[key] = fn
        return fn

    def add_extension(self, extension: type[jinja2.ext.Extension]) -> None:
        """Load the Jinja ``extension`` (a tag such as ``{% cache %}``) into the environment."""
        if self._env is not None:
            raise RuntimeError("add template extensions before the first template is loaded")
        self._extensions.append(extension)

    def add_package(self, package: str, path: str = "views") -> None:
        """Also look for templates in ``path`` inside installed ``package`` (after the project)."""
        if self._env is not None:
            raise RuntimeError("add template packages before the first template is loaded")
        self._packages.append(f"{package}:{path}")

    def add_lazy(self, name: str, fn: LazyName) -> None:
        """Make ``name`` available to every template rendered for a request, computed as
        ``fn(ctx)`` only when a template uses it (``session``, ``current_user``, ...)."""
        self._lazy[name] = fn

    def add_context_provider(self, provider: ContextProvider) -> ContextProvider:
        """Merge ``provider(ctx)`` into the context of every template rendered for a request.

        This is how sessions make ``session``, ``csrf_token()``, ``csrf_input()`` and
        ``get_flashed_messages()`` live: their provider returns those names per request.
        """
        self._providers.append(provider)
        return provider

    # -- startup ----------------------------------------------------------------------
    def on_start(self, router: Router) -> None:
        """Compile every template in prod (a broken one stops the deploy); check URLs in dev."""
        if self.config.env == "prod":
            problems = self.compile_all()
            if problems:
                raise ConfigurationError(
                    "templates do not compile:\n" + "\n".join(f"  {p}" for p in problems)
                )
        elif self.settings.check_urls_at_start:
            from mvcpy.views.checks import check_url_calls

            for problem in check_url_calls(self, router, self.root_path):
                logger.warning("%s", problem)

    # -- finding ----------------------------------------------------------------------
    def get(self, name: str) -> jinja2.Template:
        """Return the compiled template ``name``; the error names the directories searched."""
        try:
            return self.env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            if exc.name != name:  # an {% include %} or {% extends %} inside it is missing
                raise locate(exc, name) from exc
            searched = ", ".join(str(d / name) for d in self.directories) or "(no views directory)"
            raise jinja2.TemplateNotFound(
                name, f"template {name!r} not found; looked for {searched}"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise locate(exc, name) from exc

    def exists(self, name: str) -> bool:
        """Tell whether template ``name`` can be found."""
        try:
            self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            return False
        return True

    def error_template(self, status: int) -> str | None:
        """Return the project's page for ``status``: ``errors/<status>.html``, else its
        ``errors/error.html`` for every other status; ``None`` when it has neither (looked
        up once in prod)."""
        if status in self._error_pages and not self.auto_reload:
            return self._error_pages[status]
        found = next(
            (n for n in (f"errors/{status}.html", "errors/error.html") if self.exists(n)), None
        )
        self._error_pages[status] = found
        return found

    def list_templates(self) -> list[str]:
        """Return the names of every template the loaders can find."""
        return sorted(set(self.env.list_templates()))

    def compile_all(self) -> list[TemplateRenderError]:
        """Compile (and cache) every template; return the syntax errors, with file and line."""
        problems: list[TemplateRenderError] = []
        for name in self.list_templates():
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                problems.append(locate(exc, name))
            except (jinja2.TemplateError, UnicodeDecodeError) as exc:
                problems.append(TemplateRenderError(f"{name}: {exc}", name, None, name, str(exc)))
        return problems

    # -- rendering --------------------------------------------------------------------
    def context_for(self, context: dict[str, Any], ctx: Context | None) -> dict[str, Any]:
        """Return ``context`` plus the request helpers, and record it for the test client."""
        if ctx is None:
            return context
        full: dict[str, Any] = {
            "request": ctx.request,
            "current_route": CurrentRoute(ctx.route_name, ctx.params),
        }
        for name, fn in self._lazy.items():
            full[name] = _Lazy(fn, ctx)
        for provider in self._providers:
            full.update(provider(ctx))
        full.update(context)
        return full

    def _record(self, name: str, context: dict[str, Any], ctx: Context | None) -> None:
        if ctx is not None:
            record = ctx.scope.get("extensions", {}).get(RECORD_EXTENSION)
            if record is not None:
                record["template"] = name
                record["context"] = context

    def render(self, name: str, context: dict[str, Any], ctx: Context | None = None) -> str:
        """Render ``name`` with ``context`` plus the request helpers (``url_for``, ...)."""
        template = self.get(name)
        context = self.context_for(context, ctx)
        self._record(name, context, ctx)
        tracer = CURRENT_TRACER.get()
        try:
            if tracer is None:
                return template.render(context)
            with tracer.start_as_current_span(f"render {name}", attributes={"template": name}):
                return template.render(context)
        except Exception as exc:
            raise self._explain(exc, name) from exc

    def render_block(
        self,
        name: str,
        block: str | None,
        context: dict[str, Any],
        ctx: Context | None = None,
    ) -> str:
        """Render one ``{% block %}`` of ``name`` (the whole template when ``block`` is None)."""
        if block is None:
            return self.render(name, context, ctx)
        template = self.get(name)
        render = template.blocks.get(block)
        if render is None:
            known = ", ".join(sorted(template.blocks)) or "none"
            raise TemplateRenderError(
                f"{name}: no block {block!r} (its blocks: {known})", name, None
            )
        try:
            return "".join(render(template.new_context(self.context_for(context, ctx))))
        except Exception as exc:
            raise self._explain(exc, name) from exc

    async def render_async(
        self, name: str, context: dict[str, Any], ctx: Context | None = None
    ) -> str:
        """Render like :meth:`render`, yielding to the event loop while a long page renders."""
        template = self.get(name)
        context = self.context_for(context, ctx)
        self._record(name, context, ctx)
        tracer = CURRENT_TRACER.get()
        if tracer is not None:
            with tracer.start_as_current_span(f"render {name}", attributes={"template": name}):
                return await self._render_parts(template, name, context)
        return await self._render_parts(template, name, context)

    async def _render_parts(self, template: Any, name: str, context: dict[str, Any]) -> str:
        parts: list[str] = []
        extend = parts.extend
        generator = template.generate(context)
        try:
            while True:
                size = len(parts)
                extend(itertools.islice(generator, _YIELD_EVERY))  # PERF: C-level iteration
                if len(parts) - size < _YIELD_EVERY:
                    break
                await asyncio.sleep(0)
        except Exception as exc:
            raise self._explain(exc, name) from exc
        return "".join(parts)

    def stream(
        self, name: str, context: dict[str, Any], ctx: Context | None = None
    ) -> Iterator[str]:
        """Return the rendered template as chunks of about 8 KiB, produced as they are read.

        The first chunk is rendered now, so that a missing template or an error near the
        top of the page still becomes an error response rather than a cut-off page.
        """
        template = self.get(name)
        context = self.context_for(context, ctx)
        self._record(name, context, ctx)
        chunks = self._chunks(template, context, name)
        first = next(chunks, None)
        if first is None:
            return iter(())
        return itertools.chain((first,), chunks)

    def _chunks(
        self, template: jinja2.Template, context: dict[str, Any], name: str
    ) -> Iterator[str]:
        buffer: list[str] = []
        size = 0
        try:
            for part in template.generate(context):
                buffer.append(part)
                size += len(part)
                if size >= _STREAM_CHUNK:
                    yield "".join(buffer)
                    buffer.clear()
                    size = 0
        except Exception as exc:
            raise self._explain(exc, name) from exc
        if buffer:
            yield "".join(buffer)

    def _explain(self, exc: Exception, name: str) -> Exception:
        if isinstance(exc, RecursionError):
            from mvcpy.views.checks import extends_cycle

            cycle = extends_cycle(self, name)
            chain = " -> ".join(cycle) if cycle else name
            return TemplateRenderError(
                f"{name}: recursive {{% extends %}} or {{% include %}}: {chain}", name, None
            )
        if isinstance(exc, HTTPError | TemplateRenderError):
            return exc  # an abort() from a template helper, or already located
        return locate(exc, name)


def _template_url_for(build: Callable[..., str]) -> Callable[..., str]:
    """Return the templates' ``url_for``: ``app.url_for`` with this request's host."""

    # PERF: one function for every request, not a bound method per request; Jinja calls a
    # pass_context function without the attribute probing a bound method costs.
    @jinja2.pass_context
    def url_for(context: jinja2.runtime.Context, name: str, /, **params: Any) -> str:
        if "_external" in params:
            params["_request"] = context.get("request")
        return build(name, **params)

    return url_for


def registrar(add: Callable[[Any, str | None], Any], name: str | Callable[..., Any] | None) -> Any:
    """Support both ``@app.template_filter`` and ``@app.template_filter("name")``."""
    if callable(name):
        return add(name, None)

    def decorator(fn: F) -> F:
        add(fn, name)
        return fn

    return decorator
