"""Security headers with sensible defaults: nosniff, frame options, referrer policy, CSP, HSTS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["SecurityHeaders"]

_HSTS = b"strict-transport-security"


class SecurityHeaders:
    """Add security headers to every response that does not set them itself.

    Defaults: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (plus
    ``frame-ancestors 'none'`` when a CSP is set), ``Referrer-Policy:
    strict-origin-when-cross-origin``, and ``Strict-Transport-Security`` on HTTPS
    requests in prod (``hsts="always"`` for every env, ``hsts=False`` never).
    ``content_security_policy`` is off unless given. ``None`` turns a header off.

    As an app filter it adds them as the response goes out, after every other filter
    (:meth:`add_to`); on a namespace or a route it is an ordinary layer of the chain.
    """

    __slots__ = (
        "_headers",
        "_hsts_on",
        "_names",
        "content_security_policy",
        "content_type_options",
        "frame_options",
        "hsts",
        "hsts_include_subdomains",
        "hsts_max_age",
        "hsts_preload",
        "referrer_policy",
    )  # fmt: skip

    def __init__(
        self,
        *,
        content_type_options: str | None = "nosniff",
        frame_options: str | None = "DENY",
        referrer_policy: str | None = "strict-origin-when-cross-origin",
        content_security_policy: str | None = None,
        hsts: bool | Literal["always"] = True,
        hsts_max_age: int = 31536000,
        hsts_include_subdomains: bool = True,
        hsts_preload: bool = False,
    ) -> None:
        if frame_options is not None and frame_options.upper() not in ("DENY", "SAMEORIGIN"):
            raise ValueError("frame_options must be 'DENY', 'SAMEORIGIN' or None")
        self.content_type_options = content_type_options
        self.frame_options = frame_options
        self.referrer_policy = referrer_policy
        self.content_security_policy = content_security_policy
        self.hsts = hsts
        self.hsts_max_age = hsts_max_age
        self.hsts_include_subdomains = hsts_include_subdomains
        self.hsts_preload = hsts_preload
        self._hsts_on = hsts == "always"
        headers: list[tuple[bytes, bytes]] = []
        if content_type_options:
            headers.append((b"x-content-type-options", content_type_options.encode()))
        if frame_options:
            headers.append((b"x-frame-options", frame_options.upper().encode()))
        if referrer_policy:
            headers.append((b"referrer-policy", referrer_policy.encode()))
        if content_security_policy:
            csp = content_security_policy
            if frame_options and "frame-ancestors" not in csp:
                ancestors = "'none'" if frame_options.upper() == "DENY" else "'self'"
                csp = f"{csp.rstrip('; ')}; frame-ancestors {ancestors}"
            headers.append((b"content-security-policy", csp.encode()))
        self._headers = tuple(headers)
        self._names = frozenset([_HSTS, *(name for name, _ in headers)])

    def bind(self, app: Application) -> None:
        """Turn HSTS on for prod (called at startup)."""
        self._hsts_on = self.hsts == "always" or (bool(self.hsts) and app.env == "prod")

    @property
    def hsts_value(self) -> str:
        """The ``Strict-Transport-Security`` value sent on HTTPS requests."""
        value = f"max-age={self.hsts_max_age}"
        if self.hsts_include_subdomains:
            value += "; includeSubDomains"
        if self.hsts_preload:
            value += "; preload"
        return value

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Run the chain and add the missing headers to the response."""
        response: Response = await call_next(ctx)
        self.add_to(response, ctx)
        return response

    def add_to(self, response: Response, ctx: Context) -> None:
        """Add the headers that ``response`` does not set itself (HSTS on HTTPS requests).

        The app's own ``SecurityHeaders`` (``app.use`` or ``[filters]``) is not a layer of
        the chain: the dispatcher calls this as every response goes out, error pages and
        the answers of outer filters included.
        """
        raw = response.raw_headers
        names = self._names
        for name, _ in raw:
            if name in names:  # the response sets one of them: it wins
                present = {name for name, _ in raw}
                raw.extend(header for header in self._headers if header[0] not in present)
                break
        else:
            present = None
            raw.extend(self._headers)
        if (
            self._hsts_on
            and (present is None or _HSTS not in present)
            and ctx.request.scheme == "https"
        ):
            raw.append((_HSTS, self.hsts_value.encode()))

    def __repr__(self) -> str:
        return f"SecurityHeaders(csp={self.content_security_policy!r}, hsts={self.hsts!r})"
