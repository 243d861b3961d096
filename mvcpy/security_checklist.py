"""The security checklist of ``mvcpy check``, as Django's ``check --deploy``.

Each default that keeps a production site safe is listed, and switching one off fails
the check unless ``[checks] silence`` names it: an explicit opt-out, written down in
the project's configuration, rather than a default quietly lost.

- ``security_headers``: nosniff, frame options, Referrer-Policy on every response (the
  ``[filters] security_headers`` filter, on in ``prod`` by default); a missing
  Content-Security-Policy is a warning; HSTS must stay on (sent over HTTPS).
- ``session_cookie``: the session cookie is ``Secure``, ``HttpOnly`` and ``SameSite``.
- ``csrf``: a project with HTML views refuses unsafe requests without the CSRF token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.components import CheckResult
from mvcpy.config import ChecksSettings
from mvcpy.filters.builtin import configured_filters
from mvcpy.filters.security import SecurityHeaders
from mvcpy.sessions.csrf import CSRFProtect
from mvcpy.sessions.settings import SessionSettings

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = ["SECURITY_CHECKS", "check_csrf", "check_security_headers", "check_session_cookie"]


def _silenced(app: App, name: str, problem: str) -> CheckResult:
    """A failure, or a skip when ``[checks] silence`` names the check."""
    if name in app.config.section_of(ChecksSettings).silence:
        return CheckResult(name, None, f"silenced in [checks] silence: {problem}")
    return CheckResult(name, False, f'{problem} (or accept it: [checks] silence = ["{name}"])')


def _filters(app: App) -> list[Any]:
    """Every filter the app runs: configured built-ins, the app's, namespaces' and routes'."""
    found = [*configured_filters(app, only=("security_headers",)), *app.filters]
    for route in app.route_table.routes:
        found.extend(route.filters)
        if route.namespace is not None:
            for namespace in route.namespace.chain():
                found.extend(namespace.filters)
    return found


def check_security_headers(app: App) -> CheckResult:
    """Fail without the security headers filter, or with HSTS switched off."""
    headers = next((f for f in _filters(app) if isinstance(f, SecurityHeaders)), None)
    if headers is None:
        return _silenced(
            app,
            "security_headers",
            "off: responses lack X-Content-Type-Options, X-Frame-Options and "
            "Referrer-Policy; set [filters] security_headers = true",
        )
    if not headers.hsts:
        return _silenced(
            app,
            "security_headers",
            "HSTS is off: browsers may reach the site over plain HTTP; remove hsts = false "
            "from [filters.security_headers]",
        )
    sent = [
        f"{name} {value}"
        for name, value in (
            ("nosniff", headers.content_type_options),
            ("frame", headers.frame_options),
            ("referrer", headers.referrer_policy),
        )
        if value
    ]
    if headers.content_security_policy is None:
        return CheckResult(
            "security_headers",
            True,
            ", ".join(sent) + ", HSTS over HTTPS; no Content-Security-Policy: set "
            "content_security_policy in [filters.security_headers]",
            warning=True,
        )
    return CheckResult("security_headers", True, ", ".join(sent) + ", CSP, HSTS over HTTPS")


def check_session_cookie(app: App) -> CheckResult:
    """Fail when the session cookie may travel over HTTP, be read by scripts, or be sent
    by other sites' requests."""
    settings = app.config.section_of(SessionSettings)
    if not settings.enabled:
        return CheckResult("session_cookie", None, "sessions are off")
    problems = []
    if settings.secure is False:
        problems.append("secure = false sends it over plain HTTP")
    if not settings.httponly:
        problems.append("httponly = false lets scripts read it")
    if settings.samesite.lower() == "none":
        problems.append('samesite = "None" sends it with other sites\' requests')
    if problems:
        return _silenced(app, "session_cookie", "; ".join(problems) + " ([session])")
    return CheckResult(
        "session_cookie", True, f"Secure, HttpOnly, SameSite={settings.samesite.capitalize()}"
    )


def check_csrf(app: App) -> CheckResult:
    """Fail when a project with HTML views has no CSRF protection."""
    if not (app.root_path / "views").is_dir():
        return CheckResult("csrf", None, "no views/: a JSON API authenticates each request")
    if any(isinstance(f, CSRFProtect) for f in _filters(app)):
        return CheckResult("csrf", True, "forms and scripts must send the session's token")
    return _silenced(
        app, "csrf", "off: another site can submit this site's forms; app.use(CSRFProtect())"
    )


#: The checklist, in the order ``mvcpy check`` prints it.
SECURITY_CHECKS = (check_security_headers, check_session_cookie, check_csrf)
