"""``mvcpy check``: is this project ready for production? One line per check.

The checks read the app the way production builds it (``MVCPY_ENV=prod`` unless
``--env`` says otherwise): the secret key, debug, ``allowed_hosts``, the database at
the migrations' head (:func:`mvcpy.migrate.pending_migrations`), templates that compile,
``url_for`` calls that name real routes (:mod:`mvcpy.views.checks`), and the security
checklist (:mod:`mvcpy.security_checklist`). Each failure
says how to fix it. ``mvcpy serve`` runs the same checks and refuses to start on the
fatal ones (a failure that breaks every request or signs cookies with a public key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mvcpy.components import CheckResult
from mvcpy.config import DEFAULT_SECRET_KEY
from mvcpy.migrate import MIGRATIONS_DIR, pending_migrations
from mvcpy.security_checklist import SECURITY_CHECKS
from mvcpy.views.checks import check_templates, check_urls

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = ["CHECKS", "Result", "run_checks"]

#: Keys shorter than this are refused as too easy to guess.
MIN_SECRET_LENGTH = 32


#: The outcome of one check (the type component checks return too).
Result = CheckResult


def check_secret_key(app: App) -> Result:
    """Fail when the secret key is empty, the development default, or short."""
    key = app.secret_key
    how = (
        "set MVCPY_SECRET_KEY in the environment to the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )
    if not key or key == DEFAULT_SECRET_KEY:
        state = "empty" if not key else "the development default"
        return Result("secret_key", False, f"{state}: {how}", fatal=True)
    if len(key) < MIN_SECRET_LENGTH:
        return Result(
            "secret_key", False, f"only {len(key)} characters (at least {MIN_SECRET_LENGTH}): {how}"
        )
    return Result("secret_key", True, f"set ({len(key)} characters)")


def check_debug(app: App) -> Result:
    """Fail when the configuration turns debug on."""
    if app.config.core.debug:
        return Result(
            "debug",
            False,
            f"debug = true in the {app.env} configuration: set debug = false in [{app.env}] "
            "of conf/app.toml (and unset MVCPY_DEBUG)",
        )
    return Result("debug", True, "off")


def check_allowed_hosts(app: App) -> Result:
    """Fail when any Host header would be accepted."""
    hosts = app.config.core.allowed_hosts
    host = f"{app.config.core.app_name or 'app'}.example.com"
    example = f'allowed_hosts = ["{host}"]'
    if not hosts:
        return Result(
            "allowed_hosts",
            False,
            f"not set, so any Host header is accepted: set {example} in [{app.env}] of "
            f"conf/app.toml (or MVCPY_ALLOWED_HOSTS='[\"{host}\"]')",
        )
    if "*" in hosts:
        return Result("allowed_hosts", False, f'"*" accepts any Host header: set {example}')
    return Result("allowed_hosts", True, ", ".join(map(str, hosts)))


def check_migrations(app: App) -> Result:
    """Fail when the database cannot be reached or is not at the migrations' head."""
    if not (app.root_path / MIGRATIONS_DIR / "env.py").is_file():
        return Result("migrations", None, f"no {MIGRATIONS_DIR}/ in {app.root_path}")
    problem = pending_migrations(app.root_path, app.database)
    if problem is not None:
        return Result("migrations", False, problem, fatal=True)
    return Result("migrations", True, "the database is at the migrations' head")


def check_templates_compile(app: App) -> Result:
    """Fail when a template does not compile."""
    count = len(app.templates.list_templates())
    problems = check_templates(app.templates)
    if problems:
        return Result(
            "templates",
            False,
            f"{len(problems)} of {count} template(s) do not compile: fix them "
            "(mvcpy templates check)",
            fatal=True,
            details=tuple(map(str, problems)),
        )
    return Result("templates", True, f"{count} template(s) compile")


def check_url_names(app: App) -> Result:
    """Fail when a ``url_for``/``redirect`` names a route that does not exist."""
    problems = check_urls(app)
    if problems:
        return Result(
            "urls",
            False,
            f"{len(problems)} url_for call(s) cannot work: fix them (mvcpy check urls)",
            details=tuple(map(str, problems)),
        )
    return Result("urls", True, "every constant url_for names a route with its parameters")


#: The checks, in the order they run and print.
CHECKS: tuple[Callable[[App], Result], ...] = (
    check_secret_key,
    check_debug,
    check_allowed_hosts,
    check_migrations,
    check_templates_compile,
    check_url_names,
    *SECURITY_CHECKS,
)


def run_checks(app: App) -> list[Result]:
    """Run every check; a check that crashes is a failure that names the error."""
    results: list[Result] = []
    for check in (*CHECKS, *app.checks):
        try:
            results.append(check(app))
        except Exception as exc:
            name = check.__name__.removeprefix("check_")
            reason = " ".join(str(exc).split()) or type(exc).__name__
            results.append(Result(name, False, f"could not check: {reason}", fatal=True))
    return results
