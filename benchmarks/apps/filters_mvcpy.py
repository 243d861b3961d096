"""mvcpy in the gocraft/web scenario, plain and with the four everyday built-ins on.

``plain``: the scenario as is. ``full``: plus request IDs, the access log (JSON lines to
``/dev/null`` through ``logging``), CORS and security headers, as app filters.
"""

from __future__ import annotations

from benchmarks.apps.filters_common import discard_log
from benchmarks.scenario import build_mvcpy
from mvcpy.filters.access_log import AccessLog
from mvcpy.filters.cors import CORS
from mvcpy.filters.request_id import RequestID
from mvcpy.filters.security import SecurityHeaders

ORIGIN = "https://app.example"

plain = build_mvcpy()

full = build_mvcpy()
full.use(RequestID(), AccessLog(), CORS([ORIGIN]), SecurityHeaders())  # type: ignore[attr-defined]
discard_log("mvcpy.access")
