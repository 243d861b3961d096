"""What every benchmark app serves: three measured endpoints and 100 filler routes.

The filler routes are registered *before* the measured ones, so a router that scans its
routes in order pays for them as it would in a real application. Half are static, half
have a parameter; none can match a measured path.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "ENDPOINTS",
    "FILLER_RESOURCES",
    "JSON_BODY",
    "PARAM_PATH",
    "PLAINTEXT",
    "filler_param_paths",
    "filler_static_paths",
    "param_text",
]

PLAINTEXT = "Hello, World!"
JSON_BODY = {"message": "Hello, World!"}

#: The request path of the parameter route ``/users/{id}/posts/{slug}``.
PARAM_PATH = "/users/123/posts/hello-world"

#: Benchmark endpoint name -> request path.
ENDPOINTS: dict[str, str] = {
    "plaintext": "/plaintext",
    "json": "/json",
    "param": PARAM_PATH,
}

#: 25 resources x (2 static + 2 parameter routes) = 100 filler routes.
FILLER_RESOURCES = tuple(f"res{i:02d}" for i in range(25))


def param_text(user_id: int, slug: str) -> str:
    """The plain-text answer of the parameter route."""
    return f"user {user_id}, post {slug}"


def filler_static_paths() -> list[str]:
    """The 50 static filler paths: ``/api/resNN`` and ``/api/resNN/new``."""
    paths = []
    for name in FILLER_RESOURCES:
        paths += [f"/api/{name}", f"/api/{name}/new"]
    return paths


def filler_param_paths(param: Callable[[str], str]) -> list[str]:
    """The 50 parameter filler paths, ``param("id")`` giving the framework's syntax."""
    paths = []
    for name in FILLER_RESOURCES:
        paths += [f"/api/{name}/{param('id')}", f"/api/{name}/{param('id')}/edit"]
    return paths
