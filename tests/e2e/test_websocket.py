"""WebSocket without WebSocket routes: a real client is refused cleanly, HTTP goes on."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from ._servers import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", ["/", "/hello", "/ws/chat"])
def test_websocket_handshake_is_refused_with_403(uvicorn_prod: ServerProcess, path: str) -> None:
    url = uvicorn_prod.base_url.replace("http://", "ws://") + path
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(url, open_timeout=10, close_timeout=5),
    ):
        pass  # pragma: no cover - the handshake must not succeed
    assert refused.value.response.status_code == 403

    # The refusal is clean: no error in the app, and the same server keeps serving HTTP.
    with httpx.Client(base_url=uvicorn_prod.base_url, timeout=10.0) as http:
        response = http.get("/hello")
        assert response.status_code == 200
        assert response.text.startswith("hello from")
    log = uvicorn_prod.log()
    assert "Traceback" not in log
    assert "Exception in ASGI application" not in log
