"""One ASGI app per framework, each serving the same three endpoints plus ~100 filler routes.

Every module exposes ``app``. The endpoints and their answers are fixed in
:mod:`benchmarks.apps.spec`, which :mod:`benchmarks.wire` also uses to check each app.
"""
